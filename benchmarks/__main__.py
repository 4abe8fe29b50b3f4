"""`make bench`: the platform's figures next to raw baselines measured in the same run.

- baseline: raw nats-py, N events published one by one awaiting each PubAck, then the same
  N pull-consumed (fetch in batches, ack);
- components (in-process): outbox relay, consumer with inbox, auto-allocation;
- pipeline: N county submissions over HTTP at a fixed concurrency against `expo run`'s
  processes until reporting counts every one (throughput, request-to-visible latency),
  then submissions at a steady rate (default 100/s) for the latency target; next to the
  raw publish, and to a bare HTTP app that only inserts each submission into SQLite;
- replay: `expo rebuild reporting` over a stream of at least 100,000 events;
- peak RSS (VmHWM) of every service process after the pipeline.

Options: `make bench BENCH_ARGS="--help"`; each has an EXPO_BENCH_* variable too.
Timings never fail anything; the figures are printed and written to docs/benchmarks.md.
"""

import argparse
import asyncio
import logging
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import baseline, http_baseline, pipeline, postgres, replay
from benchmarks.components import component_rows
from benchmarks.report import Row, machine, markdown, table_lines, write
from benchmarks.stack import BENCH_SECRET, Stack, cpu_seconds, peak_rss_mb
from shared.auth import issue_token
from shared.launcher import installed_services
from shared.settings import REPO_ROOT

SERVICE_RSS_LIMIT_MB = 200
P99_TARGET_MS = 250
REPLAY_TARGET = 10_000


def env_default(name: str, default):
    value = os.environ.get(f"EXPO_BENCH_{name.upper()}")
    return type(default)(value) if value is not None else default


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument(
        "--n",
        type=int,
        default=env_default("n", 1000),
        help="baseline messages and pipeline submissions (default %(default)s)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=env_default("concurrency", 16),
        help="clients submitting at once in the throughput phase (default %(default)s)",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=env_default("rate", 100.0),
        help="submissions/s in the steady-rate phase (default %(default)s)",
    )
    p.add_argument(
        "--rate-seconds",
        type=float,
        default=env_default("rate_seconds", 15.0),
        help="how long the steady-rate phase lasts (default %(default)s)",
    )
    p.add_argument(
        "--replay-events",
        type=int,
        default=env_default("replay_events", 100_000),
        help="events in the stream that reporting is rebuilt from (default %(default)s)",
    )
    p.add_argument(
        "--poll-interval",
        type=float,
        default=env_default("poll_interval", 0.01),
        help="pause between two polls of reporting, s (default %(default)s)",
    )
    p.add_argument(
        "--component-events",
        type=int,
        default=env_default("events", 3000),
        help="events per in-process component figure (default %(default)s; EXPO_BENCH_EVENTS)",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["components", "pipeline", "replay"],
        help="leave a part out",
    )
    p.add_argument(
        "--postgres",
        default=env_default("postgres", ""),
        metavar="URL",
        help="run the pipeline's services on this PostgreSQL server (a database each, made "
        "and dropped), e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres; "
        "default: SQLite",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=REPO_ROOT / "docs" / "benchmarks.md",
        help="where the figures are written (default docs/benchmarks.md; '-' for none)",
    )
    return p.parse_args(argv)


def pipeline_rows(
    args, base: baseline.Baseline, bare_http: float, busy: pipeline.Phase, steady: pipeline.Phase
) -> list[Row]:
    rt = base.publish_roundtrip_ms
    clients = f"{args.concurrency} clients"
    rows = [
        Row(f"bare HTTP POST + SQLite insert, {clients}", bare_http, "req/s",
            bare_http, "(itself)", 1.0),
        Row(
            f"pipeline throughput, {clients}",
            busy.throughput,
            "submissions/s",
            base.publish_per_s,
            "raw publish",
            busy.throughput / base.publish_per_s,
            ">= 0.5x raw publish",
            busy.throughput >= 0.5 * base.publish_per_s,
            baseline_unit="msg/s",
        ),
        Row(f"pipeline throughput against bare HTTP, {clients}", busy.throughput,
            "submissions/s", bare_http, "bare HTTP + insert", busy.throughput / bare_http,
            baseline_unit="req/s"),
    ]  # fmt: skip
    for phase, what in (
        (busy, f"{args.concurrency} clients"),
        (steady, f"{steady.offered_rate:.0f}/s steady"),
    ):
        for q in (50, 95, 99):
            value = phase.percentile(q)
            target = phase is steady and q == 99
            rows.append(
                Row(
                    f"request -> visible p{q}, {what}",
                    value,
                    "ms",
                    rt,
                    "raw publish+PubAck",
                    value / rt,
                    f"< {P99_TARGET_MS} ms" if target else "",
                    value < P99_TARGET_MS if target else None,
                )
            )
    return rows


async def main(argv: list[str]) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING)  # no INFO lines from the in-process brokers
    m = machine()
    rows: list[Row] = []
    notes: list[str] = []
    parameters: dict[str, object] = {
        "command": "python -m benchmarks " + shlex.join(argv) if argv else "",
        "N": args.n,
        "concurrency": args.concurrency,
        "steady rate": f"{args.rate:.0f}/s for {args.rate_seconds:.0f} s",
        "replay events": args.replay_events,
        "poll interval": f"{args.poll_interval * 1000:.0f} ms",
        "services' databases": (
            f"PostgreSQL {await postgres.server_version(args.postgres)} (the pipeline; the "
            "components, the replay and the bare HTTP baseline use SQLite)"
            if args.postgres
            else "SQLite"
        ),
    }
    print(f"{m.cpu}, {m.cores} cores; load average {m.load_before[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="expo-bench-") as tmpdir:
        tmp = Path(tmpdir)
        print(f"baseline: raw publish + pull-consume of {args.n} events...", flush=True)
        base = await baseline.measure(tmp, args.n)
        rows += [
            Row("raw JetStream publish, PubAck each", base.publish_per_s, "msg/s",
                base.publish_per_s, "(itself)", 1.0),
            Row("raw pull-consume, fetch 100 + ack", base.consume_per_s, "msg/s",
                base.consume_per_s, "(itself)", 1.0),
        ]  # fmt: skip

        if "components" not in args.skip:
            print("components: outbox relay, consumer with inbox, auto-allocation...", flush=True)
            (tmp / "components").mkdir()
            rows += await component_rows(tmp / "components", args.component_events)

        if "pipeline" not in args.skip:
            if args.postgres:
                async with postgres.databases(args.postgres, installed_services()) as urls:
                    rows += await run_pipeline(args, base, tmp / "stack", notes, urls)
            else:
                rows += await run_pipeline(args, base, tmp / "stack", notes)

        if "replay" not in args.skip:
            print(f"replay: {args.replay_events} events, then `expo rebuild reporting`...",
                  flush=True)  # fmt: skip
            r = await replay.measure(tmp, args.replay_events)
            rows.append(
                Row(
                    f"replay: expo rebuild reporting, {r.events:,} events",
                    r.per_s,
                    "events/s",
                    base.consume_per_s,
                    "raw pull-consume",
                    r.per_s / base.consume_per_s,
                    f">= {REPLAY_TARGET:,} events/s",
                    r.per_s >= REPLAY_TARGET,
                    baseline_unit="msg/s",
                )
            )
            rows.append(
                Row("peak RSS: expo rebuild reporting", r.peak_rss_mb, "MB",
                    target=f"<= {SERVICE_RSS_LIMIT_MB} MB",
                    met=r.peak_rss_mb <= SERVICE_RSS_LIMIT_MB)
            )  # fmt: skip
            notes.append(
                f"Replay: {r.units:,} unit.registered and {r.achievements:,} achievements x 4 "
                f"versions, published raw (pipelined) at {r.publish_per_s:,.0f} events/s. "
                f"`expo rebuild reporting` took {r.seconds:.1f} s as a process, of which about "
                f"{r.empty_seconds:.1f} s is its fixed cost (the same command over empty "
                f"streams); without it: {r.events / max(0.001, r.seconds - r.empty_seconds):,.0f}"
                " events/s. The rebuilt projections were checked against the events."
            )
    m.load_after = os.getloadavg()
    notes.append(
        "Every process (nats-server, five services, the load generator and the poller) "
        f"shares the {m.cores} cores; the load average shows what else ran meanwhile."
    )

    print()
    for line in table_lines(rows):
        print(line)
    for note in notes:
        print(f"- {note}")
    if str(args.output) != "-":
        write(args.output, markdown(rows, m, parameters, notes))
        print(f"\nWritten to {args.output}")
    return 0


async def run_pipeline(
    args,
    base: baseline.Baseline,
    var_dir: Path,
    notes: list[str],
    database_urls: dict[str, str] | None = None,
) -> list[Row]:
    print(f"pipeline: bare HTTP + SQLite baseline, {args.n} requests...", flush=True)
    bare_http = await http_baseline.measure(var_dir.parent, args.n, args.concurrency)
    print("pipeline: starting `expo run` (EXPO_DEMO=false, embedded NATS)...", flush=True)
    started = time.perf_counter()
    stack = Stack(var_dir, database_urls)
    try:
        await asyncio.to_thread(stack.wait_ready)
        ready_after = time.perf_counter() - started
        urls = stack.urls
        pids = stack.pids()
        committee = issue_token(BENCH_SECRET, "committee", subject="bench-committee")
        async with pipeline.Observer(
            stack.nats_url, urls["reporting"], committee, args.poll_interval
        ) as observer:
            submitter = pipeline.Submitter(
                urls["registration"], BENCH_SECRET, max(args.concurrency, pipeline.IN_FLIGHT_CAP)
            )
            try:
                await pipeline.run_phase("warm-up", submitter, observer, 50, concurrency=4)
                print(f"pipeline: {args.n} submissions, {args.concurrency} clients...", flush=True)
                pids["load generator (this process)"] = os.getpid()
                cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                busy = await pipeline.run_phase(
                    "busy", submitter, observer, args.n, concurrency=args.concurrency
                )
                cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
                steady_n = max(1, round(args.rate * args.rate_seconds))
                print(f"pipeline: {steady_n} submissions at {args.rate:.0f}/s...", flush=True)
                steady = await pipeline.run_phase(
                    "steady", submitter, observer, steady_n, rate=args.rate
                )
            finally:
                await submitter.http.aclose()
            poll_ms = sorted(observer.poll_round_ms)[len(observer.poll_round_ms) // 2]
        peaks = {name: peak_rss_mb(pid) for name, pid in pids.items() if pid != os.getpid()}
    finally:
        stack.stop()

    rows = pipeline_rows(args, base, bare_http, busy, steady)
    for name, peak in peaks.items():
        service = name != "nats-server"
        rows.append(
            Row(f"peak RSS: {name}", peak or float("nan"), "MB",
                target=f"<= {SERVICE_RSS_LIMIT_MB} MB" if service else "",
                met=(peak is not None and peak <= SERVICE_RSS_LIMIT_MB) if service else None)
        )  # fmt: skip
    counted = len(busy.latencies_ms)
    for name in pids:
        before, after = cpu_before[name], cpu_after[name]
        if before is None or after is None:
            continue
        rows.append(
            Row(f"CPU per submission: {name}", 1000 * (after - before) / counted, "ms",
                target="", met=None)
        )  # fmt: skip
    total_cpu = sum(
        cpu_after[n] - cpu_before[n]  # type: ignore[operator]
        for n in pids
        if cpu_before[n] is not None and cpu_after[n] is not None
    )
    notes.append(
        f"CPU per submission is user + system time (/proc/<pid>/stat) each process used during "
        f"the {args.concurrency}-client phase, divided by the submissions counted: it depends "
        f"far less on the machine's other load than wall-clock figures. All processes together "
        f"used {total_cpu:.1f} CPU-s over {busy.visible_done - busy.started:.1f} s of wall time "
        f"({total_cpu / (busy.visible_done - busy.started):.2f} of the {os.cpu_count()} cores)."
    )
    for phase in (busy, steady):
        offered = f"offered {phase.offered_rate:.0f}/s, " if phase.offered_rate else ""
        notes.append(
            f"Pipeline, {phase.name} phase: {len(phase.latencies_ms)} submissions counted by "
            f"reporting, {phase.failed} failed; {offered}HTTP answered at "
            f"{phase.http_rate:.0f}/s; POST answered p50 {phase.percentile(50, phase.http_ms):.0f}"
            f" ms / p99 {phase.percentile(99, phase.http_ms):.0f} ms; request -> event on the bus "
            f"p50 {phase.percentile(50, phase.to_bus_ms):.0f} ms / p99 "
            f"{phase.percentile(99, phase.to_bus_ms):.0f} ms."
        )
    notes.append(
        f"Visibility is timed per submission: a core-NATS subscriber records each "
        f"unit.registered's place k in the stream; a poller asks reporting "
        f"GET /api/v1/status/units every {args.poll_interval * 1000:.0f} ms (answer p50 "
        f"{poll_ms:.0f} ms); the k-th event is visible at the first answer counting >= k units "
        "(reporting applies the stream in order). Each latency is overstated by up to one poll."
    )
    notes.append(
        f"`expo run` was ready {ready_after:.1f} s after it was started; peak RSS is VmHWM "
        "from /proc/<pid>/status after both pipeline phases."
    )
    return rows


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
