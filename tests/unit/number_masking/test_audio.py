"""Masking audio uploads: WAV and MP3 only, recognised by content, bounded in size."""

from __future__ import annotations

import pytest

from number_masking.domain.audio import MAX_AUDIO_BYTES, AudioRefusedError, audio_type

pytestmark = pytest.mark.unit


def test_wav_and_mp3_are_recognised_by_their_first_bytes() -> None:
    assert audio_type(b"RIFF\x24\x00\x00\x00WAVEfmt ") == "audio/wav"
    assert audio_type(b"ID3\x04\x00rest") == "audio/mpeg"
    assert audio_type(b"\xff\xfb\x90\x00") == "audio/mpeg"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"%PDF-1.7", "only WAV and MP3"),
        (b"RIFF" + bytes(MAX_AUDIO_BYTES), "larger than"),
    ],
)
def test_other_bytes_are_refused_with_the_reason(data: bytes, why: str) -> None:
    with pytest.raises(AudioRefusedError, match=why):
        audio_type(data)
