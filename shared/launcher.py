"""`expo run`: the whole stack on one machine, for people trying ExpoOps.

Starts an embedded nats-server (unless EXPO_NATS_URL points at one), migrates every
service's database, starts each service as its own process, prints URLs and demo tokens,
and stops everything on Ctrl-C.
"""

import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import httpx

from shared.auth import issue_token
from shared.clock import Clock, offset_to
from shared.demo import DemoError, demo_file, describe, load_demo, read_demo
from shared.migrations import upgrade
from shared.natsserver import NatsServer, free_port, port_is_free
from shared.settings import REPO_ROOT, Settings
from shared.signals import deferred_interrupts

# Preferred ports; a busy one is replaced by a free port.
SERVICE_PORTS = {
    "registration": 8101,
    "exhibitions": 8102,
    "signings": 8103,
    "publicity": 8104,
    "reporting": 8105,
}
NATS_PORT = 4222


def installed_services() -> list[str]:
    """The services that exist in this checkout, in the order of SERVICE_PORTS."""
    return [s for s in SERVICE_PORTS if (REPO_ROOT / "services" / s / "app.py").exists()]


DEMO_TOKEN_DAYS = 7  # printed and written to var/: they expire, a fresh run prints new ones


def demo_tokens(settings: Settings) -> dict[str, str]:
    edition = settings.edition
    roles = [
        "committee",
        f"county:{edition.counties[0].code}",
        f"county:{edition.counties[1].code}",
    ]
    roles += [f"group:{edition.working_groups[0].code}", "ops", "integrator"]
    return {
        role: issue_token(
            settings.auth_secret,
            role,
            subject=f"demo-{role.replace(':', '-')}",
            ttl_days=DEMO_TOKEN_DAYS,
        )
        for role in roles
    }


class ServiceExited(RuntimeError):
    pass


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    """Until `/healthz` is answered by this very process (not by whatever else holds the port)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceExited(f"{url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if json.loads(response.read()).get("pid") == process.pid:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not healthy after {timeout}s")


def spawn_service(
    service: str, port: int, env: dict[str, str], log_dir: Path, spawned: list[subprocess.Popen]
) -> tuple[subprocess.Popen, str]:
    """Start the service; it is in `spawned` (what a stop stops) before anything can interrupt."""
    log = open(log_dir / f"{service}.log", "ab")
    with deferred_interrupts():
        process = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "serve", service, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        spawned.append(process)
    return process, f"http://127.0.0.1:{port}"


def usual_port(service: str) -> int:
    """The service's usual port (EXPO_PORT_BASE moves them all; 0: any free ports, for a
    second stack beside the first), or a free one when it is taken."""
    base = int(os.environ.get("EXPO_PORT_BASE", SERVICE_PORTS["registration"]))
    if base == 0:
        return free_port()
    port = base + list(SERVICE_PORTS).index(service)
    return port if port_is_free(port) else free_port()


def ensure_healthy(
    service: str,
    started: tuple[subprocess.Popen, str],
    env,
    log_dir: Path,
    spawned: list[subprocess.Popen],
) -> tuple[subprocess.Popen, str]:
    """A port taken between our look and the service's bind makes it exit: start it elsewhere."""
    for _attempt in range(3):
        try:
            wait_healthy(started[1], started[0])
            return started
        except ServiceExited:
            started = spawn_service(service, free_port(), env, log_dir, spawned)
    raise RuntimeError(f"{service} could not start; see {log_dir / f'{service}.log'}")


def enter_demo(settings: Settings, urls: dict[str, str]) -> None:
    """Enter the edition's demo preparation through the APIs (development only; EXPO_DEMO=false
    skips it). A refusal is shown but does not stop the stack: it stays usable without it."""
    path = demo_file(settings.edition_file)
    if not (path and settings.demo and settings.env == "development"):
        return
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    print(f"Demo preparation ({shown}): ", end="", flush=True)
    try:
        tally = asyncio.run(
            load_demo(read_demo(path), urls, settings.edition, settings.auth_secret)
        )
    except (DemoError, OSError, httpx.HTTPError) as error:
        print(f"not entered: {error}", flush=True)
        return
    print(describe(tally), flush=True)


def write_shell_variables(
    path: Path, nats_url: str, urls: dict[str, str], tokens: dict[str, str], today: date
) -> Path:
    """The running stack as shell variables ($REGISTRATION_URL, $TOKEN_COUNTY_KONGTONG, $TODAY
    on the business clock...), so the README's commands work whichever ports this run took."""
    lines = [f"export EXPO_NATS_URL={shlex.quote(nats_url)}", f"export TODAY={today}"]
    lines += [f"export {service.upper()}_URL={shlex.quote(url)}" for service, url in urls.items()]
    for role, token in tokens.items():
        name = "TOKEN_" + re.sub(r"[^A-Za-z0-9]", "_", role).upper()
        lines.append(f"export {name}={shlex.quote(token)}")
    # Tokens inside: readable by its owner only, from the moment it exists.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by an earlier run keeps its mode otherwise
    with open(descriptor, "w") as file:
        file.write("\n".join(lines) + "\n")
    return path


def _on_stop_request(handler) -> None:
    """What SIGINT (Ctrl-C) and SIGTERM (`kill`) do to the launcher: the same thing."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)


def run() -> int:
    # A terminal's Ctrl-C reaches the whole process group, and the services and nats-server
    # stop on it whatever they inherited: the launcher must hear it too. Started in the
    # background of a script, it inherits SIGINT ignored, and without a handler of its own it
    # would take its children's clean exits for failures.
    _on_stop_request(signal.default_int_handler)  # KeyboardInterrupt
    settings = Settings()
    var: Path = settings.var_dir
    (var / "log").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    demo_day = settings.edition.demo_today
    if "EXPO_CLOCK_OFFSET_DAYS" not in os.environ and demo_day and settings.env == "development":
        env["EXPO_CLOCK_OFFSET_DAYS"] = str(offset_to(demo_day))
    if settings.env == "development":
        env.setdefault("EXPO_REHEARSAL", "true")  # a stack to try things on: the clock may move

    nats = None
    if "EXPO_NATS_URL" not in os.environ:
        port = NATS_PORT if port_is_free(NATS_PORT) else None  # None: the server picks a free one
        nats = NatsServer(var / "nats", port=port, log_file=var / "log" / "nats.log")

    children: dict[str, tuple[subprocess.Popen, str]] = {}  # the running one of each service
    spawned: list[subprocess.Popen] = []  # every service process started: all are stopped
    stopped_on_purpose = False

    def stop_all(*_args) -> None:
        for process in spawned:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in spawned:
            try:
                process.wait(timeout=settings.shutdown_timeout + 5)
            except subprocess.TimeoutExpired:
                process.kill()
        if nats:
            nats.stop()

    try:
        if nats:
            nats.start()  # inside the try: stopping during start-up still stops the server
            env["EXPO_NATS_URL"] = nats.url
        where = "  [embedded]" if nats else "  [external]"
        print(f"NATS (JetStream)  {env['EXPO_NATS_URL']}{where}")
        services = installed_services()
        for service in services:
            upgrade(service, settings.database_url(service))
        for service in services:  # all at once: they start side by side
            children[service] = spawn_service(
                service, usual_port(service), env, var / "log", spawned
            )
        for service in services:
            children[service] = ensure_healthy(
                service, children[service], env, var / "log", spawned
            )
            print(f"{service:<17} {children[service][1]}")
        print("Each service: /docs (API), /asyncapi (events), /metrics, /healthz, /readyz")
        print(f"\nEdition: {settings.edition.name}")
        offset = int(env.get("EXPO_CLOCK_OFFSET_DAYS", "0"))
        today = Clock(offset).now().astimezone(settings.edition.zone).date()
        if offset:
            print(f"Demo clock: today is {today} (EXPO_CLOCK_OFFSET_DAYS=0 for real time)")
        print(f"Logs: {var / 'log'}")
        enter_demo(settings, {service: url for service, (_p, url) in children.items()})
        print()
        print("Demo tokens (Authorization: Bearer <token>):")
        tokens = demo_tokens(settings)
        for role, token in tokens.items():
            print(f"  {role:<22} {token}")
        urls = {service: url for service, (_p, url) in children.items()}
        shell_file = write_shell_variables(
            var / "demo.env", env["EXPO_NATS_URL"], urls, tokens, today
        )
        print(f"\nIn another terminal, `. {shell_file}` sets $REPORTING_URL, $TOKEN_COMMITTEE...")
        print("\nReady. Ctrl-C stops everything.", flush=True)
        while True:
            for service, (process, _url) in children.items():
                if process.poll() is not None:
                    print(
                        f"{service} exited with code {process.returncode}; stopping",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        # A second Ctrl-C while the children stop would leave them behind: each one is waited
        # for (and killed past its shutdown timeout) however impatient the person is.
        _on_stop_request(signal.SIG_IGN)
        stopped_on_purpose = True
        print("\nStopping...", flush=True)
        return 0
    finally:
        _on_stop_request(signal.SIG_IGN)
        stop_all()
        if stopped_on_purpose:
            print("Stopped.", flush=True)
