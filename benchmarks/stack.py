"""A stack of real service processes, started as a person starts it: `expo run`, with
EXPO_DEMO=false, a temporary EXPO_VAR_DIR and the embedded nats-server."""

import json
import os
import re
import secrets
import shlex
import urllib.request
from pathlib import Path

from shared.expo_process import ExpoProcess

# Made anew by every run: nothing in the repository can sign a token a stack accepts.
BENCH_SECRET = secrets.token_urlsafe(32)


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any EXPO_ setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPO_")}
    return env | {"EXPO_AUTH_SECRET": BENCH_SECRET} | extra


class Stack(ExpoProcess):
    def __init__(self, var_dir: Path, database_urls: dict[str, str] | None = None) -> None:
        """`database_urls`: a database per service (PostgreSQL); SQLite files otherwise."""
        var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir = var_dir
        databases = {
            f"EXPO_{service.upper()}_DATABASE_URL": url
            for service, url in (database_urls or {}).items()
        }
        super().__init__(clean_env(EXPO_VAR_DIR=str(var_dir), EXPO_DEMO="false", **databases))

    def wait_ready(self, timeout: float = 180.0) -> None:
        super().wait_ready(timeout)

    @property
    def nats_url(self) -> str:
        """A URL to read the bus with: its NATS wants a user, and the printed URL has no
        password, so it is the integrator's, from var/demo.env."""
        for line in (self.var_dir / "demo.env").read_text().splitlines():
            name, _, value = shlex.split(line)[1].partition("=")
            if name == "EXPO_NATS_URL":
                return value
        raise RuntimeError("var/demo.env has no EXPO_NATS_URL")

    @property
    def urls(self) -> dict[str, str]:
        return {service: url for service, (url, _port) in self.services.items()}

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
        self.interrupt(timeout=30)
        self.kill()


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
