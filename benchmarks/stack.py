"""A stack of real service processes, started as a person starts it: `expo run`, with
EXPO_DEMO=false, a temporary EXPO_VAR_DIR and the embedded nats-server."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from shared.settings import REPO_ROOT

NATS_LINE = re.compile(r"^NATS \(JetStream\)\s+(nats://\S+)")
SERVICE_LINE = re.compile(r"^([a-z]+)\s+(http://127\.0\.0\.1:\d+)\b")
BENCH_SECRET = "bench-secret-not-for-production"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any EXPO_ setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPO_")}
    return env | {"EXPO_AUTH_SECRET": BENCH_SECRET} | extra


class Stack:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "run"],
            env=clean_env(EXPO_VAR_DIR=str(var_dir), EXPO_DEMO="false"),
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stopped as one below
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line.startswith("Ready.") for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("`expo run` did not get ready:\n" + "\n".join(self.lines))

    @property
    def nats_url(self) -> str:
        for line in self.lines:
            if found := NATS_LINE.match(line):
                return found.group(1)
        raise RuntimeError("no NATS line:\n" + "\n".join(self.lines))

    @property
    def urls(self) -> dict[str, str]:
        return {
            found.group(1): found.group(2)
            for line in self.lines
            if (found := SERVICE_LINE.match(line)) and found.group(1) != "NATS"
        }

    def pids(self) -> dict[str, int]:
        """Each service's process id as it says itself (/healthz), and nats-server's."""
        pids = {}
        for service, url in self.urls.items():
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                pids[service] = int(json.loads(response.read())["pid"])
        for pid in children(self.process.pid):
            if _comm(pid) == "nats-server":
                pids["nats-server"] = pid
        return pids

    def stop(self) -> None:
        """Ctrl-C, as a person stops it; whatever is left of its group is killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the process's peak resident set size so far."""
    return _memory_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float | None:
    """VmRSS: the process's resident set size now."""
    return _memory_mb(pid, "VmRSS")


def _memory_mb(pid: int, field: str) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None
