"""`expo run` as a child process, for what drives a whole stack as a person starts it: the
benchmarks, the load and the system tests. Its printed lines are collected as they come, and
what it says (the NATS URL, each service's URL, the demo tokens) is read from them."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time

from shared.settings import REPO_ROOT

NATS_LINE = re.compile(r"^NATS \(JetStream\)\s+(nats://127\.0\.0\.1:(\d+))\s+\[(\w+)\]")
SERVICE_LINE = re.compile(r"^([a-z]+)\s+(http://127\.0\.0\.1:(\d+))\b")
TOKEN_LINE = re.compile(r"^  (\S+)\s+(\S+)$")

# Runs the rest of its command line with SIGINT ignored, as a script's background job starts.
WITH_SIGINT_IGNORED = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class ExpoProcess:
    def __init__(
        self, env: dict[str, str], new_session: bool = True, sigint_ignored: bool = False
    ) -> None:
        """`new_session`: its own process group, so that `kill` reaches all it started.
        `sigint_ignored`: started as `expo run &` in a script is, SIGINT ignored from the start."""
        self.lines: list[str] = []
        command = [sys.executable, "-m", "shared.cli", "run"]
        if sigint_ignored:
            command = [sys.executable, "-c", WITH_SIGINT_IGNORED, *command]
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=new_session,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait(self, timeout: float) -> int:
        """Its exit code, once it has ended and all it printed has been read."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return code

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line.startswith("Ready.") for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"`expo run` not ready after {timeout:.0f}s:\n{self.output()}")

    @property
    def nats(self) -> tuple[str, int]:
        """The URL and port of the NATS it uses, as it printed them."""
        for line in self.lines:
            if found := NATS_LINE.match(line):
                return found.group(1), int(found.group(2))
        raise RuntimeError(f"no NATS line:\n{self.output()}")

    @property
    def services(self) -> dict[str, tuple[str, int]]:
        """Each service's URL and port, as it printed them."""
        return {
            found.group(1): (found.group(2), int(found.group(3)))
            for line in self.lines
            if (found := SERVICE_LINE.match(line))
        }

    @property
    def tokens(self) -> dict[str, str]:
        """The demo tokens it printed, by role."""
        start = next(i for i, line in enumerate(self.lines) if line.startswith("Demo tokens"))
        tokens = {}
        for line in self.lines[start + 1 :]:
            if not (found := TOKEN_LINE.match(line)):
                break
            tokens[found.group(1)] = found.group(2)
        return tokens

    def interrupt(self, timeout: float = 30.0) -> None:
        """Ctrl-C, as a person stops it; waits for it to end, at most `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL to its whole process group: the launcher and anything it left behind."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (PermissionError, ProcessLookupError):
            if self.process.poll() is None:
                self.process.kill()
        self.process.wait(timeout=10)
