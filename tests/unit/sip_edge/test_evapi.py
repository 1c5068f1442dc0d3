"""evapi's netstring framing, with its bounds."""

from __future__ import annotations

import asyncio

import pytest

from callplane_sip_edge.evapi import MAX_FRAME, FrameError, encode, read_frame

pytestmark = pytest.mark.unit


def reader_of(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_a_frame_round_trips() -> None:
    frame = encode({"event": "invite", "tindex": 1})
    assert frame == b'29:{"event":"invite","tindex":1},'
    assert await read_frame(reader_of(frame * 2)) == b'{"event":"invite","tindex":1}'


@pytest.mark.parametrize(
    "data",
    [b"x1:{},", str(MAX_FRAME + 1).encode() + b":" + b"a" * 10, b"2:{}X", b"99999999999:"],
)
async def test_broken_or_oversized_frames_are_refused(data: bytes) -> None:
    with pytest.raises((FrameError, asyncio.IncompleteReadError)):
        await read_frame(reader_of(data))
