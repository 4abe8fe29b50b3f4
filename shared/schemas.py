"""Request-body building blocks every service's API shares."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Strict(BaseModel):
    """A request body: unknown fields are refused, naming them, rather than ignored."""

    model_config = ConfigDict(extra="forbid")


class ReasonIn(Strict):
    reason: Reason
