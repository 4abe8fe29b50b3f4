"""`expo run`: the whole stack on one machine, for people trying ExpoOps.

Starts an embedded nats-server (unless EXPO_NATS_URL points at one), migrates every
service's database, starts each service as its own process, prints URLs and demo tokens,
and stops everything on Ctrl-C.

The embedded nats-server runs deploy/nats/nats.conf, so each service connects as its own
user as in production. The users' passwords and the secret that signs tokens are made on the
first run into var/secrets.env and reused after, so tokens and the store stay valid.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

from shared.auth import issue_token
from shared.clock import Clock, offset_to
from shared.demo import DemoError, demo_file, describe, load_demo, read_demo
from shared.migrations import upgrade
from shared.natsserver import NATS_CONF, NatsServer, free_port, password_variables, port_is_free
from shared.settings import REPO_ROOT, Settings
from shared.signals import deferred_interrupts
from shared.stack_files import (
    AUTH_SECRET,
    stack_secrets,
    var_dir,
    without_credentials,
    write_operator_variables,
    write_shell_variables,
)

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
            settings.token_keys.signing,
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
            load_demo(read_demo(path), urls, settings.edition, settings.token_keys.signing)
        )
    except (DemoError, OSError, httpx.HTTPError) as error:
        print(f"not entered: {error}", flush=True)
        return
    print(describe(tally), flush=True)


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
    var = var_dir()
    (var / "log").mkdir(parents=True, exist_ok=True)
    embedded = "EXPO_NATS_URL" not in os.environ
    passwords = password_variables(NATS_CONF) if embedded else {}  # user -> its variable
    given_secret = os.environ.get(AUTH_SECRET)
    kept = stack_secrets(var, [*passwords.values(), *([] if given_secret else [AUTH_SECRET])])
    settings = Settings(auth_secret=given_secret or kept[AUTH_SECRET], var_dir=var)
    # Every service gets the secret; no service gets another's NATS password.
    env = dict(os.environ) | {AUTH_SECRET: settings.token_keys.signing}
    demo_day = settings.edition.demo_today
    if "EXPO_CLOCK_OFFSET_DAYS" not in os.environ and demo_day and settings.env == "development":
        env["EXPO_CLOCK_OFFSET_DAYS"] = str(offset_to(demo_day))
    if settings.env == "development":
        env.setdefault("EXPO_REHEARSAL", "true")  # a stack to try things on: the clock may move

    nats = None
    if embedded:
        port = NATS_PORT if port_is_free(NATS_PORT) else None  # None: the server picks a free one
        nats = NatsServer(
            var / "nats",
            port=port,
            log_file=var / "log" / "nats.log",
            config=NATS_CONF,
            environment={variable: kept[variable] for variable in passwords.values()},
        )

    def nats_url(user: str) -> str:
        if nats is None:
            return os.environ["EXPO_NATS_URL"]
        return nats.url_for(user, kept[passwords[user]])

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
            where = f"  [embedded]  users of {NATS_CONF.name}, passwords in {var / 'secrets.env'}"
            print(f"NATS (JetStream)  {nats.url}{where}")
        else:
            print(
                f"NATS (JetStream)  {without_credentials(os.environ['EXPO_NATS_URL'])}  [external]"
            )
        operator_file = write_operator_variables(
            var / "operator.env", settings, nats_url("operator")
        )
        services = installed_services()
        for service in services:
            upgrade(service, settings.database_url(service))
        service_env = {service: env | {"EXPO_NATS_URL": nats_url(service)} for service in services}
        for service in services:  # all at once: they start side by side
            children[service] = spawn_service(
                service, usual_port(service), service_env[service], var / "log", spawned
            )
        for service in services:
            children[service] = ensure_healthy(
                service, children[service], service_env[service], var / "log", spawned
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
            var / "demo.env", nats_url("integrator"), urls, tokens, today
        )
        print(f"\nIn another terminal, `. {shell_file}` sets $REPORTING_URL, $TOKEN_COMMITTEE...")
        print(f"`. {operator_file}` lets `expo token <role>` and `expo token revoke` act on it.")
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
