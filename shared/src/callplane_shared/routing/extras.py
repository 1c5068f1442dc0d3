"""The smaller parts of Infobip's route shape that callplane keeps and hands on to the edge
(recording, ringback, SIP headers, WebRTC custom data): stored and returned as sent, never
silently dropped."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from callplane_shared.wire import WireModel

MAX_HEADER_TEXT = 255


class RecordingType(StrEnum):
    AUDIO = "AUDIO"
    AUDIO_AND_VIDEO = "AUDIO_AND_VIDEO"


class RecordingComposition(WireModel):
    enabled: bool


class Recording(WireModel):
    """Recording of the call once the destination answers (carried out by the edge)."""

    recording_type: RecordingType
    recording_composition: RecordingComposition | None = None
    custom_data: dict[str, str] | None = Field(default=None, max_length=20)
    file_prefix: str | None = Field(default=None, min_length=1, max_length=100)


class RingbackGeneration(WireModel):
    enabled: bool


class SipHeader(WireModel):
    header_name: str = Field(
        pattern=r"^[Xx]-[A-Za-z0-9-]{1,100}$",
        description="A custom SIP header, starting with `X-`.",
        examples=["X-Identity"],
    )
    header_value: str | None = Field(
        default=None,
        max_length=MAX_HEADER_TEXT,
        description="Value or regex (full match); none means the header only has to be present.",
    )


class CustomDataEntry(WireModel):
    key: str = Field(min_length=1, max_length=MAX_HEADER_TEXT)
    value: str | None = Field(
        default=None, max_length=MAX_HEADER_TEXT, description="Value or regex (full match)."
    )
