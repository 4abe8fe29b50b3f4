"""The integrators' contract: the checked-in AsyncAPI documents and event catalogue are what the
code would write, each document lists everything its service publishes and reads, and every
event's example is a real, valid event."""

import difflib
import importlib
import json
from pathlib import Path

import httpx
import pytest

from shared.contract_docs.build import (
    ASYNCAPI_DIR,
    CATALOGUE,
    DOCUMENTED_NATS_URL,
    OPENAPI_DIR,
    ServiceContract,
    asyncapi_path,
    openapi_path,
    service_contracts,
)
from shared.contract_docs.documents import published_documents
from shared.contract_docs.tables import field_rows
from shared.events import EVENTS_BY_SERVICE, Event, event_types
from shared.streams import SERVICES
from tests.support import service_settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    *(str(asyncapi_path(service)) for service in SERVICES),
    *(str(openapi_path(service)) for service in SERVICES),
    str(CATALOGUE),
]
ALL_EVENTS = [event for events in EVENTS_BY_SERVICE.values() for event in events]


@pytest.fixture(scope="module")
def contracts() -> dict[str, ServiceContract]:
    return {contract.service: contract for contract in service_contracts()}


@pytest.fixture(scope="module")
def documents(contracts) -> dict[str, str]:
    return published_documents(list(contracts.values()))


@pytest.mark.parametrize("relative", DOCUMENTS)
def test_the_checked_in_document_is_what_the_code_writes(relative, documents):
    path = ROOT / relative
    checked_in = path.read_text(encoding="utf-8") if path.is_file() else ""
    if checked_in != documents[relative]:
        diff = difflib.unified_diff(
            checked_in.splitlines(),
            documents[relative].splitlines(),
            "checked in",
            "from the code",
            n=1,
            lineterm="",
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"{relative} is out of date: run `make docs` and commit it.\n{shown}")


@pytest.mark.parametrize("folder", [ASYNCAPI_DIR, OPENAPI_DIR])
def test_no_document_is_left_for_a_service_that_is_gone(folder, documents):
    checked_in = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob("*")}
    assert checked_in == {p for p in documents if p.startswith(str(folder))}


@pytest.mark.parametrize("service", SERVICES)
def test_each_document_lists_what_its_service_publishes_and_reads(service, contracts):
    document = contracts[service].asyncapi
    sent = _addresses(document, "send")
    assert sent == {event.TYPE for event in EVENTS_BY_SERVICE[service]}
    assert _addresses(document, "receive") == set(contracts[service].subscribes)
    for event in EVENTS_BY_SERVICE[service]:
        schema = _payload_schema(document, event.TYPE)
        assert schema["properties"]["type"]["const"] == event.TYPE
        assert schema["examples"] == [event.example()]
        assert schema["description"] == event.meaning()


def test_every_event_type_is_published_by_the_service_its_subject_names():
    assert {event.TYPE for event in ALL_EVENTS} == set(event_types())
    for service, events in EVENTS_BY_SERVICE.items():
        assert all(event.TYPE.split(".")[1] == service for event in events)


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.TYPE)
def test_the_example_is_a_valid_event_exactly_as_sent(event: type[Event]):
    example = event.example()
    parsed = event.model_validate_json(json.dumps(example))
    assert parsed.type == event.TYPE
    assert json.loads(parsed.to_json()) == example  # nothing added, dropped or reformatted


def test_a_caller_editing_an_example_leaves_the_contract_alone():
    """Tests build events from examples; an edit to one must not leak into the next document."""
    event = ALL_EVENTS[0]
    edited = event.example()
    edited["data"]["edited"] = True
    assert "edited" not in event.example()["data"]


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.TYPE)
def test_the_event_and_each_of_its_fields_say_what_they_mean(event: type[Event]):
    assert event.meaning(), f"{event.__name__} needs a docstring"
    schema = event.model_json_schema()
    undescribed = [path for path, _type, text in field_rows(schema, schema["$defs"]) if not text]
    assert undescribed == []


def test_the_catalogue_describes_every_event_with_its_example(documents):
    catalogue = documents[str(CATALOGUE)]
    for event in ALL_EVENTS:
        assert f"#### `{event.TYPE}`\n\n{event.meaning()}\n" in catalogue
        assert json.dumps(event.example(), indent=2, ensure_ascii=False) in catalogue


@pytest.mark.parametrize("service", SERVICES)
async def test_the_service_serves_the_checked_in_document(service):
    app = importlib.import_module(f"services.{service}.app").build(
        service_settings(DOCUMENTED_NATS_URL)
    )
    transport = httpx.ASGITransport(app=app)  # no lifespan: nothing is started
    async with httpx.AsyncClient(transport=transport, base_url="http://docs") as client:
        served = (await client.get("/asyncapi")).json()
        served_openapi = (await client.get("/openapi.json")).json()
    checked_in = json.loads((ROOT / asyncapi_path(service)).read_text(encoding="utf-8"))
    assert served == checked_in
    checked_in = json.loads((ROOT / openapi_path(service)).read_text(encoding="utf-8"))
    assert served_openapi == checked_in


def _addresses(document: dict, action: str) -> set[str]:
    channels = document["channels"]
    return {
        channels[op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
        for op in document["operations"].values()
        if op["action"] == action
    }


def _payload_schema(document: dict, address: str) -> dict:
    [channel] = [c for c in document["channels"].values() if c["address"] == address]
    [message_ref] = [m["$ref"] for m in channel["messages"].values()]
    message = document["components"]["messages"][message_ref.rsplit("/", 1)[1]]
    return document["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
