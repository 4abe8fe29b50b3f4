"""The event contract: envelope, subject naming, CloudEvents headers, Nats-Msg-Id."""

import uuid
from datetime import datetime, timedelta, timezone
from typing import ClassVar

import pytest
from pydantic import ValidationError

from shared.events import Event, UnitRegistered, UnitRegisteredData, event_class, stream_for_subject


def _event(**overrides) -> UnitRegistered:
    data = UnitRegisteredData(
        unit_id=uuid.uuid4(), county="kongtong", name="农科院", kind="research_institute"
    )
    return UnitRegistered(
        edition="pingliang-2020", actor="county-kongtong-zhang", data=data, **overrides
    )


def test_envelope_carries_id_type_time_edition_actor_and_data():
    event = _event()
    body = event.model_dump(mode="json")
    assert set(body) == {"id", "type", "occurred_at", "edition", "actor", "data"}
    assert body["type"] == "expo.registration.unit.registered" == event.subject
    assert event.occurred_at.tzinfo is not None


def test_headers_carry_the_message_id_and_cloudevents_attributes():
    event = _event(occurred_at=datetime(2020, 8, 1, 9, 30, tzinfo=timezone(timedelta(hours=8))))
    headers = event.headers()
    assert headers["Nats-Msg-Id"] == headers["ce-id"] == str(event.id)
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-type"] == "expo.registration.unit.registered"
    assert headers["ce-source"] == "/expo/pingliang-2020/registration"
    assert headers["ce-time"] == "2020-08-01T01:30:00Z"  # stored and sent as UTC


def test_json_round_trip_gives_the_same_event():
    event = _event()
    assert UnitRegistered.model_validate_json(event.to_json()) == event
    assert event_class(event.type) is UnitRegistered


def test_naive_times_are_refused():
    with pytest.raises(ValidationError, match="time zone"):
        _event(occurred_at=datetime(2020, 8, 1, 9, 30))


def test_unit_events_carry_no_personal_data():
    assert not {"contact_person", "contact_phone"} & set(UnitRegisteredData.model_fields)


def test_subjects_follow_the_naming_rule_and_are_declared_once():
    with pytest.raises(ValueError, match=r"expo\.<service>\.<aggregate>\.<event>"):

        class Bad(Event):
            TYPE: ClassVar[str] = "registration.UnitRegistered"

    with pytest.raises(ValueError, match="declared twice"):

        class Again(Event):
            TYPE: ClassVar[str] = "expo.registration.unit.registered"


def test_each_service_publishes_to_its_own_stream():
    assert stream_for_subject("expo.registration.unit.registered") == "EXPO_REGISTRATION"
