"""What an uploaded masking audio file may be: a WAV or an MP3 of bounded size, recognised by its
first bytes (a declared content type proves nothing)."""

from __future__ import annotations

# nginx's default request limit is 1 MiB, and base64 adds a third: 512 KiB of audio fits, which is
# about 30 s of 8 kHz 16-bit WAV or several minutes of MP3 prompt.
MAX_AUDIO_BYTES = 512 * 1024
MAX_FILES_PER_ACCOUNT = 100
MAX_CONTENT_CHARS = (MAX_AUDIO_BYTES + 2) // 3 * 4
_MP3_SYNC = 0xE0
_BYTE = 0xFF
_WAV_HEADER = 12
_MP3_HEADER = 2


class AudioRefusedError(ValueError):
    """The bytes are not an audio file callplane will store; the text says why."""


def audio_type(data: bytes) -> str:
    """The media type of `data`, or `AudioRefusedError`."""
    if not data:
        raise AudioRefusedError("the file is empty")
    if len(data) > MAX_AUDIO_BYTES:
        raise AudioRefusedError(f"the file is larger than {MAX_AUDIO_BYTES} bytes")
    if len(data) >= _WAV_HEADER and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:3] == b"ID3" or _mp3_frame(data):
        return "audio/mpeg"
    raise AudioRefusedError("only WAV and MP3 files are accepted")


def _mp3_frame(data: bytes) -> bool:
    # An MPEG audio frame starts with 11 set bits (the frame sync).
    return len(data) >= _MP3_HEADER and data[0] == _BYTE and data[1] & _MP3_SYNC == _MP3_SYNC
