"""What the registration HTTP API accepts and answers."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.registration.domain import PHONE_PATTERN, UnitKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Person = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=PHONE_PATTERN.pattern)]


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county: str = Field(max_length=32, description="County code from the edition, e.g. kongtong")
    name: Name
    kind: UnitKind
    contact_person: Person
    contact_phone: Phone = Field(
        description="Mainland mobile (13800138000) or landline (0933-8212345)"
    )


class UnitOut(BaseModel):
    id: uuid.UUID
    county: str
    name: str
    kind: UnitKind
    contact_person: str
    contact_phone: str
    created_at: datetime
    created_by: str
    updated_at: datetime
