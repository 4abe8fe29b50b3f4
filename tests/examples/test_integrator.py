"""examples/integrator.py against a real nats-server: every event printed exactly once across
kills and restarts, dead letters left out, and the start of a first run chosen by time or by
sequence."""

import asyncio
import json
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest

from shared.events import Event
from shared.events.registration import AchievementApproved, UnitRegistered
from shared.events.signings import ProjectProposed
from shared.streams import SERVICES, dead_letter_stream, ensure_stream, service_stream
from tests.support import eventually

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "integrator.py"
ACK_WAIT = "1"  # seconds: an event in hand when the reader is killed comes back this soon


@pytest.fixture
async def js(nats_server):
    """JetStream with the streams declared as the services declare them."""
    nc = await nats.connect(nats_server.url)
    jetstream = nc.jetstream()
    for service in SERVICES:
        await ensure_stream(jetstream, service_stream(service))
    await ensure_stream(jetstream, dead_letter_stream())
    yield jetstream
    await nc.close()


async def publish(js, event_type: type[Event], count: int) -> list[str]:
    """Publish `count` events as the outbox relay does (headers, Nats-Msg-Id); their ids."""
    ids = []
    for _ in range(count):
        event = event_type.model_validate({**event_type.example(), "id": str(uuid.uuid4())})
        await js.publish(event.subject, event.to_json(), headers=event.headers())
        ids.append(str(event.id))
    return ids


def start_reader(url: str, tmp_path: Path, *options: str, output: Path | None) -> subprocess.Popen:
    """The script as a user runs it; its stdout to `output`, or to a pipe nobody reads."""
    command = [sys.executable, str(SCRIPT), "--url", url, "--name", "bigscreen"]
    command += ["--state-file", str(tmp_path / "state.json"), "--ack-wait", ACK_WAIT, *options]
    with open(tmp_path / "stderr.log", "ab") as stderr:  # the child keeps its own copies
        if output is None:
            return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        with open(output, "w") as stdout:
            return subprocess.Popen(command, stdout=stdout, stderr=stderr)


def stop(reader: subprocess.Popen, signum: int = signal.SIGTERM) -> None:
    reader.send_signal(signum)
    assert reader.wait(timeout=15) == 0, f"{signal.Signals(signum).name} should stop it cleanly"


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def contents(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


async def printed_at_least(path: Path, count: int) -> list[dict]:
    async def enough() -> bool:
        return len(lines(path)) >= count

    await eventually(enough, timeout=30, what=f"{count} lines in {path.name}")
    return lines(path)


async def wait_until_stuck(state_file: Path) -> None:
    """Until the reader has printed something and its state stops changing (output blocked)."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + 30
    while time.monotonic() - since < 0.5:
        assert time.monotonic() < deadline, "the reader printed nothing"
        current = contents(state_file)
        if current is None or current != last:
            last, since = current, time.monotonic()
        await asyncio.sleep(0.05)


async def test_every_event_is_printed_once_across_a_kill_and_stops(js, nats_server, tmp_path):
    published = await publish(js, UnitRegistered, 250) + await publish(js, ProjectProposed, 150)
    await js.publish("expo.dlq.reporting.invalid", b"{}", stream=dead_letter_stream().name)

    # Nobody reads its stdout: once the pipe is full the reader blocks in the middle of printing,
    # with an event fetched and not acked. Then it is killed.
    first = start_reader(nats_server.url, tmp_path, output=None)
    await wait_until_stuck(tmp_path / "state.json")
    first.kill()
    first.wait(timeout=10)
    before_kill = [json.loads(line) for line in first.stdout.read().decode().splitlines()]
    first.stdout.close()
    assert 0 < len(before_kill) < len(published), "killed mid-way"

    published += await publish(js, AchievementApproved, 50) + await publish(js, ProjectProposed, 50)
    second = start_reader(nats_server.url, tmp_path, output=tmp_path / "second")
    await printed_at_least(tmp_path / "second", len(published) - len(before_kill))
    await asyncio.sleep(float(ACK_WAIT) * 2)  # room for a wrongly repeated redelivery
    stop(second)

    published += await publish(js, UnitRegistered, 20)
    third = start_reader(nats_server.url, tmp_path, output=tmp_path / "third")
    await printed_at_least(tmp_path / "third", 20)
    await asyncio.sleep(0.5)
    stop(third, signal.SIGINT)

    everything = before_kill + lines(tmp_path / "second") + lines(tmp_path / "third")
    repeated = [i for i, times in Counter(line["id"] for line in everything).items() if times > 1]
    assert repeated == []
    assert {line["id"] for line in everything} == set(published)
    assert {line["stream"] for line in everything} == {"EXPO_REGISTRATION", "EXPO_SIGNINGS"}
    for stream in ("EXPO_REGISTRATION", "EXPO_SIGNINGS"):
        sequences = [line["sequence"] for line in everything if line["stream"] == stream]
        assert sequences == sorted(sequences), f"{stream} out of order"
    unit = next(line for line in everything if line["stream"] == "EXPO_REGISTRATION")
    assert set(unit) == {"id", "type", "time", "stream", "sequence", "data"}
    assert (unit["type"], unit["sequence"]) == (UnitRegistered.TYPE, 1)
    assert unit["data"] == UnitRegistered.example()["data"]


async def test_an_event_printed_just_before_a_kill_is_not_printed_again(js, nats_server, tmp_path):
    await publish(js, UnitRegistered, 5)
    # What a run killed after printing #3 and before its ack reached the server leaves behind.
    (tmp_path / "state.json").write_text(json.dumps({"EXPO_REGISTRATION": 3}))

    output = tmp_path / "out"
    reader = start_reader(
        nats_server.url, tmp_path, "--subjects", "expo.registration.>", output=output
    )
    await printed_at_least(output, 2)
    await asyncio.sleep(0.3)
    stop(reader)

    assert [line["sequence"] for line in lines(output)] == [4, 5]
    consumer = await js.consumer_info("EXPO_REGISTRATION", "bigscreen__EXPO_REGISTRATION")
    assert (consumer.num_pending, consumer.num_ack_pending) == (0, 0), "1 to 3 acked unprinted"


async def test_a_first_run_can_start_at_a_time(js, nats_server, tmp_path):
    await publish(js, UnitRegistered, 3)
    await asyncio.sleep(0.1)
    since = datetime.now(UTC).astimezone()  # local offset: the script converts it
    await asyncio.sleep(0.1)
    later = await publish(js, UnitRegistered, 2) + await publish(js, ProjectProposed, 2)

    output = tmp_path / "out"
    reader = start_reader(nats_server.url, tmp_path, "--since", since.isoformat(), output=output)
    await printed_at_least(output, 4)
    await asyncio.sleep(0.3)
    stop(reader)
    assert sorted(line["id"] for line in lines(output)) == sorted(later)


async def test_a_first_run_can_start_at_a_stream_sequence(js, nats_server, tmp_path):
    ids = await publish(js, UnitRegistered, 5)
    output = tmp_path / "out"
    options = ("--subjects", "expo.registration.>", "--from-sequence", "4")
    reader = start_reader(nats_server.url, tmp_path, *options, output=output)
    await printed_at_least(output, 2)
    await asyncio.sleep(0.3)
    stop(reader)
    assert [(line["sequence"], line["id"]) for line in lines(output)] == [(4, ids[3]), (5, ids[4])]
