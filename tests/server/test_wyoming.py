"""The Wyoming front end end to end: a real ``tts-run serve --wyoming-port`` on 127.0.0.1 (tiny
CustomVoice engine), driven by the ``wyoming`` library's client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from tests.server.harness import Server, free_port, start_server, stop_server

AUDIO_SECONDS = 'qtts_audio_seconds_total{model_type="custom_voice"'


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    port = free_port()
    s = start_server(tmp_path_factory.mktemp("wyoming"), [tiny_engines["custom_voice"]], "[server]\n", "--wyoming-port", str(port))
    yield s, port
    stop_server(s)


async def _exchange(port: int, events: list[Event], until: str) -> list[Event]:
    """Send ``events``, then read until an event of type ``until`` (or ``error``)."""
    async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
        for e in events:
            await client.write_event(e)
        got = []
        while (e := await client.read_event()) is not None:
            got.append(e)
            if e.type in (until, "error"):
                break
        return got


def _audio(events: list[Event]) -> tuple[int, bytes]:
    """(rate, PCM) of one audio-start / audio-chunk... / audio-stop run."""
    types = [e.type for e in events]
    assert types[0] == "audio-start" and "audio-stop" in types, types
    start = AudioStart.from_event(events[0])
    chunks = [AudioChunk.from_event(e) for e in events if AudioChunk.is_type(e.type)]
    assert all((c.rate, c.width, c.channels) == (start.rate, 2, 1) for c in chunks)
    return start.rate, b"".join(c.audio for c in chunks)


def test_describe_lists_every_speaker(server: tuple[Server, int]) -> None:
    (event,) = asyncio.run(_exchange(server[1], [Describe().event()], "info"))
    (program,) = Info.from_event(event).tts
    assert program.supports_synthesize_streaming
    names = {v.name for v in program.voices}
    assert {"tiny-custom_voice.serena", "tiny-custom_voice.ryan"} <= names
    assert all({"en-US", "ru-RU"} <= set(v.languages) for v in program.voices)


def test_synthesize(server: tuple[Server, int]) -> None:
    s, port = server
    before = s.metric(AUDIO_SECONDS)
    voice = SynthesizeVoice(name="tiny-custom_voice", speaker="serena", language="en-US")
    events = asyncio.run(_exchange(port, [Synthesize("Hello there, how are you today?", voice=voice).event()], "audio-stop"))
    rate, pcm = _audio(events)
    assert rate == 24000 and len(pcm) > 2400 * 2 and len(events) > 3  # streamed in several chunks
    s.wait_metric(AUDIO_SECONDS, before + len(pcm) / 2 / rate)  # every sample the engine produced arrived


def test_streaming_synthesize(server: tuple[Server, int]) -> None:
    s, port = server
    before = s.metric(AUDIO_SECONDS)
    voice = SynthesizeVoice(name="tiny-custom_voice.ryan")
    pieces = ["Hello there, ", "how are you ", "today? Fine, ", "thank you."]
    events = [SynthesizeStart(voice=voice).event(), *(SynthesizeChunk(p).event() for p in pieces),
              Synthesize("".join(pieces), voice=voice).event(), SynthesizeStop().event()]
    got = asyncio.run(_exchange(port, events, "synthesize-stopped"))
    assert SynthesizeStopped.is_type(got[-1].type) and AudioStop.is_type(got[-2].type)
    rate, pcm = _audio(got[:-1])
    assert len(pcm) > 2400 * 2
    s.wait_metric(AUDIO_SECONDS, before + len(pcm) / 2 / rate)


def test_unknown_voice_is_an_error_event(server: tuple[Server, int]) -> None:
    (event,) = asyncio.run(_exchange(server[1], [Synthesize("Hi.", voice=SynthesizeVoice(name="nobody")).event()], "audio-stop"))
    err = Error.from_event(event)
    assert "unknown voice" in err.text and err.code == "invalid_value"
