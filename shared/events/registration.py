"""Events published by the registration service (报名登记)."""

import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.base import Event


class UnitRegisteredData(BaseModel):
    model_config = ConfigDict(frozen=True)
    unit_id: uuid.UUID
    county: str
    name: str
    kind: str


class UnitRegistered(Event):
    """A participating unit (参展单位) was registered. Contact details are never included."""

    TYPE: ClassVar[str] = "expo.registration.unit.registered"
    data: UnitRegisteredData
