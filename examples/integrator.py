"""Print every ExpoOps event once, as one JSON line, and carry on where the last run stopped.

    python examples/integrator.py --url nats://integrator:PASSWORD@127.0.0.1:4222 --name bigscreen

Each line: {"id", "type", "time", "stream", "sequence", "data"}. Informational messages go
to stderr, so stdout can be piped into whatever consumes the events.

- Consumers belong to a stream, so the script keeps one durable pull consumer per stream it
  reads, named <name>__<STREAM>. JetStream remembers what each has acked: a restart resumes
  there. --since / --from-sequence choose where a consumer starts when it is first created;
  after that they are ignored (to replay, use another --name).
- An event is acked only after its line is written, so nothing is lost. A kill after the
  line and before the ack reaches the server would print the event again when it is
  redelivered; the state file, written right after each line, remembers per stream the
  sequence of the last line printed, which leaves only the instant between the two. Whatever
  reads the lines should still de-duplicate on "id", as every consumer of these events does.
- That comparison is exact because each consumer has one message in flight at a time
  (max_ack_pending=1): a redelivered message always comes back before anything newer. It
  costs a round trip per event, hundreds a second: plenty for these streams.
- After a kill, the event that was in hand comes back once --ack-wait has passed.
- Run one process per --name. Events from different streams interleave; within a stream
  they come in order. The dead-letter stream is left out unless you ask for expo.dlq.>.
"""

import argparse
import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

DEAD_LETTER_STREAM = "EXPO_DLQ"
WAIT_SECONDS = 1.0  # how long one fetch waits for news, and so how soon a stop is noticed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="nats://127.0.0.1:4222",
        help="NATS URL, or a cluster's URLs comma-separated; with the compose deployment "
        "nats://integrator:PASSWORD@HOST:4222",
    )
    parser.add_argument("--name", required=True, help="your name: consumers are <name>__<STREAM>")
    parser.add_argument(
        "--subjects",
        nargs="+",
        default=["expo.>"],
        help="subjects to read (default: every service's events, without dead letters)",
    )
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--since", type=aware_time, help="first run only: start at this ISO time (with offset)"
    )
    start.add_argument(
        "--from-sequence",
        type=int,
        help="first run only: start at this stream sequence (sequences are per stream, so the "
        "subjects must select one stream)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="where printed sequences are kept (default: NAME.state.json)",
    )
    parser.add_argument(
        "--ack-wait",
        type=float,
        default=30.0,
        help="first run only: seconds before an unacked event is delivered again",
    )
    args = parser.parse_args(argv)
    args.state_file = args.state_file or Path(f"{args.name}.state.json")
    return args


def aware_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone offset, e.g. 2020-08-01T00:00:00+08:00")
    return moment.astimezone(UTC)


class PrintedState:
    """The stream sequence of the last line printed, per stream, kept in a small JSON file.

    Written by replacing the file, so a crash leaves the old version or the new one, never a
    torn one. No fsync: it guards against this process dying; after a machine crash the lines
    printed last may be lost as well.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last = json.loads(path.read_text()) if path.exists() else {}

    def printed(self, stream: str, sequence: int) -> bool:
        return sequence <= self.last.get(stream, 0)

    def record(self, stream: str, sequence: int) -> None:
        self.last[stream] = sequence
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(self.last, sort_keys=True))
        os.replace(partial, self.path)


def overlaps(pattern: str, other: str) -> bool:
    """Whether some subject matches both NATS subject patterns (`*` one token, `>` the rest)."""
    left, right = pattern.split("."), other.split(".")
    for a, b in zip(left, right, strict=False):
        if ">" in (a, b):
            return True
        if a != b and "*" not in (a, b):
            return False
    return len(left) == len(right)


async def streams_to_read(js: JetStreamContext, subjects: list[str]) -> dict[str, list[str]]:
    """Each stream that holds some of the subjects, with the subjects it should filter on."""
    wanted = {}
    for info in await js.streams_info():
        name, stored = info.config.name or "", info.config.subjects or []
        filters = [s for s in subjects if any(overlaps(s, x) for x in stored)]
        asked_for_dead_letters = any(s.startswith("expo.dlq.") for s in subjects)
        if filters and (name != DEAD_LETTER_STREAM or asked_for_dead_letters):
            wanted[name] = filters
    return wanted


async def durable_consumer(
    js: JetStreamContext, stream: str, filters: list[str], args: argparse.Namespace
) -> JetStreamContext.PullSubscription:
    durable = f"{args.name}__{stream}"
    try:
        info = await js.consumer_info(stream, durable)
    except NotFoundError:
        config = ConsumerConfig(
            durable_name=durable,
            description="examples/integrator.py",
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=args.ack_wait,
            max_ack_pending=1,  # see the module docstring: it keeps redeliveries in order
            **start_position(args),
            **subject_filter(filters),
        )
        await js.add_consumer(stream, config)
        log(f"created {durable}")
    else:
        if args.since or args.from_sequence:
            log(f"{durable} exists: --since/--from-sequence ignored (use another --name)")
        log(f"resuming {durable} after stream sequence {info.ack_floor.stream_seq}")
    return await js.pull_subscribe_bind(durable=durable, stream=stream)


def subject_filter(filters: list[str]) -> dict:
    # One filter is understood by every server; several need nats-server 2.10 or later.
    return {"filter_subject": filters[0]} if len(filters) == 1 else {"filter_subjects": filters}


def start_position(args: argparse.Namespace) -> dict:
    if args.since:
        return {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": args.since}
    if args.from_sequence:
        return {
            "deliver_policy": DeliverPolicy.BY_START_SEQUENCE,
            "opt_start_seq": args.from_sequence,
        }
    return {"deliver_policy": DeliverPolicy.ALL}


async def follow(
    stream: str,
    subscription: JetStreamContext.PullSubscription,
    state: PrintedState,
    stopping: asyncio.Event,
) -> None:
    while not stopping.is_set():
        try:
            [message] = await subscription.fetch(1, timeout=WAIT_SECONDS)
        except TimeoutError:  # nothing new
            continue
        sequence = message.metadata.sequence.stream
        if not state.printed(stream, sequence):
            line = event_line(stream, sequence, message)
            if line is not None:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            state.record(stream, sequence)
        await message.ack()


def event_line(stream: str, sequence: int, message: Msg) -> str | None:
    try:
        event = json.loads(message.data)
    except ValueError:
        log(f"{stream} #{sequence} on {message.subject} is not JSON; skipped")
        return None
    line = {
        "id": event.get("id"),
        "type": event.get("type"),
        "time": event.get("occurred_at"),
        "stream": stream,
        "sequence": sequence,
        "data": event.get("data"),
    }
    return json.dumps(line, ensure_ascii=False)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cluster_options(url: str) -> dict:
    """(What shared/nats_options.py does for the services, kept here so that this example
    runs on its own, with nats-py alone.)

    The URLs without their credentials, and the credentials on their own: nats-py applies
    those written in a URL to that URL only, not to the servers it discovers in a cluster.
    Pings every 5 s, two unanswered: a hung server is left within about 15 s."""
    parts = [urlsplit(part.strip()) for part in url.split(",")]
    options: dict = {"servers": [], "ping_interval": 5, "max_outstanding_pings": 2}
    for part in parts:
        host = part.netloc.rsplit("@", 1)[-1]
        options["servers"].append(urlunsplit((part.scheme, host, part.path, "", "")))
        if part.username and part.password is not None:
            options["user"], options["password"] = unquote(part.username), unquote(part.password)
        elif part.username:
            options["token"] = unquote(part.username)
    return options


async def main(args: argparse.Namespace) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    nc = await nats.connect(
        **cluster_options(args.url), name=f"integrator-{args.name}", max_reconnect_attempts=-1
    )
    js = nc.jetstream()
    streams = await streams_to_read(js, args.subjects)
    if not streams:
        raise SystemExit(f"no stream holds {' '.join(args.subjects)}")
    if args.from_sequence and len(streams) > 1:
        raise SystemExit(f"--from-sequence needs one stream; {', '.join(streams)} match")
    state = PrintedState(args.state_file)
    subscriptions = {s: await durable_consumer(js, s, f, args) for s, f in streams.items()}
    # Each stream is followed on its own, so a quiet stream never holds back a busy one.
    await asyncio.gather(*(follow(s, sub, state, stopping) for s, sub in subscriptions.items()))
    # The last acks reach the server before the connection closes. (Not nc.drain(): with
    # pull subscriptions it can wait for ever on messages nobody will take.)
    await nc.flush()
    await nc.close()
    log("stopped")


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
