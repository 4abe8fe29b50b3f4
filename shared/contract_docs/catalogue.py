"""docs/events.md: the guide, then every event: subject, meaning, who publishes and who
consumes it, its fields and a valid example."""

import json
from collections import defaultdict

from shared.contract_docs.build import ServiceContract, asyncapi_path
from shared.contract_docs.guide import guide
from shared.contract_docs.tables import field_rows, markdown_table
from shared.events import Event
from shared.streams import stream_name


def render_catalogue(contracts: list[ServiceContract]) -> str:
    consumers = _consumers_by_event_type(contracts)
    parts = [guide(contracts, contracts[0].publishes[0]), _index(contracts, consumers)]
    for contract in contracts:
        parts.append(
            f"### {contract.service}\n\nStream `{stream_name(contract.service)}`; AsyncAPI: "
            f"[`{asyncapi_path(contract.service)}`](asyncapi/{contract.service}.json).\n"
        )
        parts += [_event_section(e, contract.service, consumers) for e in contract.publishes]
    return "\n".join(parts)


def _consumers_by_event_type(contracts: list[ServiceContract]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for contract in contracts:
        for event_types in contract.consumes.values():
            for event_type in event_types:
                found[event_type].add(contract.service)
    return {event_type: sorted(services) for event_type, services in found.items()}


def _index(contracts: list[ServiceContract], consumers: dict[str, list[str]]) -> str:
    rows = [
        [_subject(e), contract.service, ", ".join(consumers.get(e.TYPE, ())) or "—"]
        for contract in contracts
        for e in contract.publishes
    ]
    return markdown_table(["subject", "published by", "consumed by"], rows) + "\n"


def _subject(event: type[Event]) -> str:
    if event.REPLACED_BY is None:
        return f"`{event.TYPE}`"
    return f"`{event.TYPE}` (retired: `{event.REPLACED_BY}` replaced it)"


def _event_section(event: type[Event], publisher: str, consumers: dict[str, list[str]]) -> str:
    schema = event.model_json_schema()
    defs = schema.get("$defs", {})
    data = defs[schema["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
    fields = markdown_table(
        ["field", "type", "description"], list(field_rows(data, defs, prefix="data."))
    )
    consumed_by = ", ".join(consumers.get(event.TYPE, ())) or "no service (integrators only)"
    example = json.dumps(event.example(), indent=2, ensure_ascii=False)
    return (
        f"#### `{event.TYPE}`\n\n"
        f"{event.meaning()}\n\n"
        f"Published by **{publisher}** on `{stream_name(publisher)}`; "
        f"consumed by {consumed_by}.\n\n"
        f"{fields}\n\n"
        f"```json\n{example}\n```\n"
    )
