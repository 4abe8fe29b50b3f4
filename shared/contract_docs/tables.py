"""Markdown tables of an event's fields, read from its JSON schema (the same one AsyncAPI
publishes), so the catalogue and the machine-readable contract cannot say different things."""

from collections.abc import Iterator
from typing import Any

Schema = dict[str, Any]


def field_rows(schema: Schema, defs: dict[str, Schema], prefix: str = "") -> Iterator[list[str]]:
    """(path, type, description) of every field, nested objects flattened to dotted paths
    (`data.display.power_kw`, `data.slots[].title`)."""
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        nested, suffix = _nested_object(prop, defs)
        description = prop.get("description") or (nested or {}).get("description", "")
        yield [f"`{path}`", type_name(prop), description]
        if nested is not None:
            yield from field_rows(nested, defs, f"{path}{suffix}.")


def type_name(prop: Schema) -> str:
    if "anyOf" in prop:
        return " or ".join(type_name(option) for option in prop["anyOf"])
    if "$ref" in prop:
        return "object"
    kind = prop.get("type", "any")
    if kind == "array":
        return f"array of {type_name(prop.get('items', {}))}"
    if "format" in prop:
        return f"{kind} ({prop['format']})"
    return kind


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = [_row(header), _row(["---"] * len(header))]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def _nested_object(prop: Schema, defs: dict[str, Schema]) -> tuple[Schema | None, str]:
    """The model a property holds (directly, as a list, or nullable), and the path suffix."""
    if "$ref" in prop:
        return defs[prop["$ref"].rsplit("/", 1)[1]], ""
    if prop.get("type") == "array":
        nested, _ = _nested_object(prop.get("items", {}), defs)
        return nested, "[]"
    for option in prop.get("anyOf", ()):
        nested, suffix = _nested_object(option, defs)
        if nested is not None:
            return nested, suffix
    return None, ""


def _row(cells: list[str]) -> str:
    # A pipe inside a cell would end it; a newline would end the table.
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
