"""The base of every model that crosses a process boundary: camelCase on the wire (as Infobip's
APIs), snake_case in Python, frozen once built."""

from __future__ import annotations

from pydantic import AliasGenerator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=AliasGenerator(serialization_alias=to_camel, validation_alias=to_camel),
        populate_by_name=True,
        frozen=True,
        extra="ignore",
    )
