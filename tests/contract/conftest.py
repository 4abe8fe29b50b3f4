"""What the contract tests share: each service's OpenAPI document as its app builds it, and the
whole stack started once as `make run` starts it, with the demo preparation entered."""

import importlib
import os
import shlex
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import httpx
import pytest
from _pytest.nodeid import coerce_node_id
from _pytest.nodes import Node

from shared.expo_process import ExpoProcess
from shared.launcher import installed_services
from shared.settings import Settings
from tests.contract.document import Document
from tests.support import TEST_SECRET

SERVICES = installed_services()
# The two callers every live check runs as, by the variable var/demo.env gives their token in.
ROLES = {"committee": "TOKEN_COMMITTEE", "county-kongtong": "TOKEN_COUNTY_KONGTONG"}
READY_TIMEOUT = 300.0  # five services start, then the demo is entered request by request
# A running `make run` to check instead of starting one: the path of its var/demo.env. Its data
# is changed by the checks (the fuzzing creates, approves, cancels...).
STACK_ENV = "EXPO_CONTRACT_DEMO_ENV"

if not hasattr(Node, "_nodeid"):
    # schemathesis 4.32's pytest integration names each operation's subtest by reading and
    # writing `node._nodeid`, which pytest 9.2 keeps as `node._id` (a NodeId): the old name,
    # as a view on the new one. NodeId.parse keeps the string as given.
    Node._nodeid = property(  # type: ignore[attr-defined]
        lambda node: str(node._id),
        lambda node, value: setattr(node, "_id", coerce_node_id(value)),
    )


@cache
def document(service: str) -> Document:
    """The service's OpenAPI document, as its app serves it at /openapi.json."""
    app = importlib.import_module(f"services.{service}.app").build()
    return Document(service, app.openapi())


@dataclass
class Stack:
    urls: dict[str, str]  # by service
    tokens: dict[str, str]  # by role (ROLES)
    today: date
    known: dict[str, dict[str, list]] = field(default_factory=dict)  # by service, by parameter

    def headers(self, role: str = "committee") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def read_demo_env(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines `make run` writes to var/demo.env."""
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, value = line.removeprefix("export ").partition("=")
            values[name] = shlex.split(value)[0] if value else ""
    return values


def stack_from(env: dict[str, str]) -> Stack:
    return Stack(
        urls={s: env[f"{s.upper()}_URL"] for s in SERVICES},
        tokens={role: env[name] for role, name in ROLES.items()},
        today=date.fromisoformat(env["TODAY"]),
    )


@pytest.fixture(scope="package")
def expo_stack(tmp_path_factory):
    """Every service as `make run` starts it (embedded NATS, free ports, the demo entered).

    One for the live tests of this package (on the system tests' worker), stopped once they
    are done rather than at the end of the whole run."""
    if os.environ.get(STACK_ENV):
        stack = stack_from(read_demo_env(Path(os.environ[STACK_ENV])))
        stack.known = known_values(stack)
        yield stack
        return
    var = tmp_path_factory.mktemp("expo-stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPO_")}
    env |= {
        "EXPO_VAR_DIR": str(var),
        "EXPO_AUTH_SECRET": TEST_SECRET,
        "EXPO_DEMO": "true",
        "EXPO_PORT_BASE": "0",  # beside any other stack the suite runs
    }
    run = ExpoProcess(env, new_session=True)
    try:
        run.wait_ready(READY_TIMEOUT)
        demo_line = next((line for line in run.lines if line.startswith("Demo preparation")), "")
        assert "entered" in demo_line and "not entered" not in demo_line, run.output()
        stack = stack_from(read_demo_env(var / "demo.env"))
        stack.known = known_values(stack)
        yield stack
    finally:
        run.kill()


def _records(http: httpx.Client, url: str) -> list[dict]:
    """The records a list answers, a page ({"items": [...]}) or, for now, a bare array."""
    answer = http.get(url, params={"limit": 200})
    if answer.status_code == 422:  # a list that takes no paging yet
        answer = http.get(url)
    assert answer.status_code == 200, f"GET {url}: {answer.status_code} {answer.text}"
    body = answer.json()
    return body["items"] if isinstance(body, dict) else body


def known_values(stack: Stack) -> dict[str, dict[str, list]]:
    """Ids and codes of records the demo entered, by service and by the parameter that names
    them, so that generated requests reach real records (and their rules), not only 404s."""
    edition = Settings().edition
    counties = [c.code for c in edition.counties]
    with httpx.Client(headers=stack.headers(), timeout=30) as http:

        def ids(service: str, path: str, key: str = "id") -> list[str]:
            return [r[key] for r in _records(http, f"{stack.urls[service]}/api/v1{path}")]

        halls = ids("exhibitions", "/halls")
        booths = [b for hall in halls for b in ids("exhibitions", f"/halls/{hall}/booths")]
        units = ids("registration", "/units")
        achievements = ids("registration", "/achievements")
        days = [str(stack.today + timedelta(days=d)) for d in (-1, 0, 1)]
        return {
            "registration": {"unit_id": units, "achievement_id": achievements},
            "exhibitions": {
                "hall_id": halls,
                "booth_id": booths,
                "release_id": ids("exhibitions", "/releases"),
                "achievement_id": ids("exhibitions", "/exhibits", key="achievement_id"),
                "presenting_unit_id": units,
            },
            "signings": {
                "project_id": ids("signings", "/projects"),
                "slot_id": ids("signings", "/running-order"),
            },
            "publicity": {
                "item_id": ids("publicity", "/items"),
                "bulletin_id": ids("publicity", "/bulletins"),
                "channel": [c.code for c in edition.publicity.channels],
            },
            "reporting": {
                "county": counties,
                "task_id": ids("reporting", "/tasks"),
                "responsible_id": ids("reporting", "/tasks", key="responsible_id"),
                "period": ids("reporting", "/periods", key="code"),
                "reporter": list(edition.reporter_ids),
                "day": days,
            },
        }
