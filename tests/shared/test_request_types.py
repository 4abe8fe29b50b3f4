"""The request types every service shares parse strictly, and their JSON Schema (what the
OpenAPI documents say) accepts exactly what they accept."""

import re
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.schemas import DayIn, InstantIn, Patch, WholeNumber, matching, text

Text = TypeAdapter(text(5))
TEXT_PATTERN = re.compile(Text.json_schema()["pattern"])


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("平凉", "平凉"), ("  平凉 \n", "平凉"), ("\x85a\x85", "a"), ("\ufeffa", "a")],
)
def test_text_is_trimmed_and_the_document_accepts_it(sent, kept):
    assert Text.validate_python(sent) == kept
    assert TEXT_PATTERN.match(sent)


@pytest.mark.parametrize("sent", ["", "   ", "\x85", "\ufeff", "\u3000", "a\x00b", "abcdef"])
def test_blank_nul_or_long_text_is_refused_and_the_document_says_so(sent):
    with pytest.raises(ValidationError):
        Text.validate_python(sent)
    documented = Text.json_schema()
    assert not TEXT_PATTERN.match(sent) or len(sent) > documented["maxLength"]


def test_a_code_may_come_with_blanks_around_it_in_the_document_too():
    code = TypeAdapter(matching(r"^[a-z]{2}$"))
    assert code.validate_python(" ab\t") == "ab"
    assert re.match(code.json_schema()["pattern"], " ab\t")
    with pytest.raises(ValidationError):
        code.validate_python("a b")


@pytest.mark.parametrize("sent", [12345, 0, "12345", "0", "2020-08-16", "2020-08-16T09:00:00"])
def test_a_time_is_an_iso_string_with_an_offset_never_a_number(sent):
    with pytest.raises(ValidationError, match="ISO 8601"):
        TypeAdapter(InstantIn).validate_python(sent)


def test_a_time_is_kept_in_utc():
    parsed = TypeAdapter(InstantIn).validate_python("2020-08-16T09:00:00+08:00")
    assert parsed == datetime(2020, 8, 16, 1, tzinfo=UTC)
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("sent", [20200816, "20200816", "2020-08-16T00:00:00Z"])
def test_a_day_is_yyyy_mm_dd_only(sent):
    with pytest.raises(ValidationError):
        TypeAdapter(DayIn).validate_python(sent)


@pytest.mark.parametrize(("sent", "kept"), [(314, 314), (314.0, 314)])
def test_a_whole_number_may_be_written_with_a_zero_fraction(sent, kept):
    assert TypeAdapter(WholeNumber).validate_python(sent) == kept


@pytest.mark.parametrize("sent", [1.5, "314", True, None])
def test_a_fraction_a_string_or_a_boolean_is_not_a_whole_number(sent):
    with pytest.raises(ValidationError):
        TypeAdapter(WholeNumber).validate_python(sent)


class NamePatch(Patch):
    name: text(20) | None = None
    floors: int | None = None


def test_a_patch_refuses_null_and_its_document_does_not_offer_it():
    with pytest.raises(ValidationError, match="name: cannot be null"):
        NamePatch.model_validate({"name": None})
    assert NamePatch.model_validate({}).model_dump(exclude_unset=True) == {}
    properties = NamePatch.model_json_schema()["properties"]
    assert properties["name"]["type"] == "string"
    assert properties["floors"]["type"] == "integer"
    assert all("anyOf" not in p and "default" not in p for p in properties.values())


def test_a_patch_inside_another_model_keeps_its_document():
    class Wrapper(BaseModel):
        patch: NamePatch

    schema = Wrapper.model_json_schema()
    assert schema["$defs"]["NamePatch"]["properties"]["name"]["type"] == "string"
