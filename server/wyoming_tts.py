"""Wyoming text-to-speech server (Home Assistant's local voice protocol) on the server's engines and
scheduler; the framing and events come from the ``wyoming`` library.

- ``describe`` -> ``info``: one TTS program whose voices are every speaker and saved voice
  (``<model>.<voice>``, server/frontends.py) with its languages (BCP-47 codes).
- ``synthesize`` -> ``audio-start``, ``audio-chunk`` (s16le mono at the engine's rate, as generated),
  ``audio-stop``. ``voice.name`` picks the voice (or a model, with ``voice.speaker``), ``voice.language``
  the language (default: detect).
- Streaming text: ``synthesize-start``, ``synthesize-chunk``... (fed to the engine's text-in path as
  they arrive; audio flows meanwhile), the compatibility ``synthesize`` (ignored), ``synthesize-stop``
  -> the rest of the audio, ``audio-stop``, then ``synthesize-stopped``.

The protocol has no keys: every request runs as the server's anonymous caller (the [server]
default class and limits), so serve it on a trusted network only. Failures become ``error`` events.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Attribution, Describe, Info, TtsProgram, TtsVoice
from wyoming.server import AsyncEventHandler, AsyncTcpServer
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from qtts.runtime.errors import TTSError
from qtts.runtime.stream import AudioStream
from qtts.server.encoders import StreamEncoder
from qtts.server.engines import Model
from qtts.server.errors import APIError, from_runtime
from qtts.server.frontends import (
    REQUESTS,
    Session,
    catalog,
    engine_language,
    extras,
    find_voice,
    voice_options,
)

if TYPE_CHECKING:
    from qtts.server.app import ServerState

log = logging.getLogger("qtts.server")
PROTOCOL = "wyoming"
WIDTH, CHANNELS = 2, 1  # s16le mono
_ATTRIBUTION = Attribution(name="Qwen3-TTS runtime", url="https://github.com/QwenLM/Qwen3-TTS")


def info(state: ServerState) -> Info:
    """The ``info`` answer: every voice of :func:`server.frontends.catalog`."""
    voices = [
        TtsVoice(
            name=v.id, attribution=_ATTRIBUTION, installed=True, version=None, languages=v.languages,
            description=f"{v.name or 'voice design'} ({v.model.name}, {v.model.synth.model_type})",
        )
        for v in catalog(state, state.keys.anonymous)
    ]
    program = TtsProgram(
        name="qwen3-tts", attribution=_ATTRIBUTION, installed=True, description="Qwen3-TTS (ONNX Runtime)", version=None,
        voices=voices, supports_synthesize_streaming=True,
    )
    return Info(tts=[program])


def _voice_name(voice: SynthesizeVoice | None) -> tuple[str, str]:
    """(voice id, language) of a Wyoming voice: ``name``, or ``name.speaker`` when a speaker is given."""
    if voice is None:
        return "", ""
    name = voice.name or ""
    if voice.speaker:
        name = f"{name}.{voice.speaker}" if name else voice.speaker
    return name, voice.language or ""


class WyomingHandler(AsyncEventHandler):
    """One client connection: one-shot and streaming synthesis, one request at a time."""

    def __init__(self, state: ServerState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        super().__init__(reader, writer)
        self.state = state
        self._pieces: queue.Queue[str | None] | None = None  # text of the streaming request
        self._task: asyncio.Task[None] | None = None  # its audio

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(info(self.state).event())
        elif SynthesizeStart.is_type(event.type):
            start = SynthesizeStart.from_event(event)
            self._pieces = pieces = queue.Queue()
            self._task = asyncio.create_task(
                self._speak("synthesize-stream", start.voice, lambda m, o: m.synth.stream_text(iter(pieces.get, None), chunk_ms=self._chunk_ms, **o))
            )
        elif SynthesizeChunk.is_type(event.type) and self._pieces is not None:
            self._pieces.put(SynthesizeChunk.from_event(event).text)
        elif SynthesizeStop.is_type(event.type) and self._pieces is not None:
            self._pieces.put(None)
            await self._finish_stream()
            await self.write_event(SynthesizeStopped().event())
        elif Synthesize.is_type(event.type) and self._pieces is None:  # in a streaming request: its copy of the text
            req = Synthesize.from_event(event)
            await self._speak("synthesize", req.voice, lambda m, o: m.synth.submit(req.text, chunk_ms=self._chunk_ms, **o))
        return True

    async def disconnect(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._pieces is not None:
            self._pieces.put(None)

    @property
    def _chunk_ms(self) -> float:
        return self.state.settings.server.chunk_ms

    async def _finish_stream(self) -> None:
        task, self._task, self._pieces = self._task, None, None
        if task is not None:
            await task

    async def _speak(self, method: str, voice: SynthesizeVoice | None, submit: Callable[[Model, dict[str, Any]], AudioStream]) -> None:
        """Run one request: audio-start, audio-chunk as generated, audio-stop; an ``error`` event on failure."""
        try:
            s = Session.open(self.state, PROTOCOL, method, self.state.keys.anonymous)
        except APIError as e:
            REQUESTS.labels(PROTOCOL, method, str(e.status)).inc()
            await self.write_event(Error(e.message, e.code).event())
            return
        try:
            loop = asyncio.get_running_loop()
            model, options = await loop.run_in_executor(self.state.executor, self._prepare, s, voice)
            stream = await loop.run_in_executor(self.state.executor, s.start, model, lambda: submit(model, options))
            rate = model.synth.sample_rate
            encoder = StreamEncoder("pcm", rate)
            await self.write_event(AudioStart(rate, WIDTH, CHANNELS).event())
            try:
                while (chunk := await s.next_chunk()) is not None:
                    if data := encoder.push(chunk):
                        await self.write_event(AudioChunk(rate, WIDTH, CHANNELS, data).event())
                if data := encoder.finish():
                    await self.write_event(AudioChunk(rate, WIDTH, CHANNELS, data).event())
            finally:
                encoder.close()
            await self.write_event(AudioStop().event())
            s.status = stream.stats.finish_reason
        except (APIError, TTSError) as e:
            err = e if isinstance(e, APIError) else from_runtime(e)
            s.status = str(err.status)
            await self.write_event(Error(err.message, err.code).event())
        except asyncio.CancelledError:
            s.status = "cancelled"
            raise
        except ConnectionError:
            s.status = "disconnected"
        finally:
            s.close()

    def _prepare(self, s: Session, voice: SynthesizeVoice | None) -> tuple[Model, dict[str, Any]]:
        """The engine and ``submit`` options for a Wyoming voice (worker thread: saved voices load)."""
        name, language = _voice_name(voice)
        found = find_voice(self.state, s.key, name)
        return found.model, {**extras({}, s.key), **voice_options(self.state, s.key, found), "language": engine_language(found.model, language)}


async def start(state: ServerState, port: int) -> AsyncTcpServer:
    """Listen on ``[server] host``:``port`` and serve Wyoming TTS events."""
    host = state.settings.server.host
    if not state.keys.open:
        log.warning("the Wyoming protocol has no keys: its callers run as the anonymous caller", extra={"host": host, "port": port})
    server = AsyncTcpServer(host, port)
    await server.start(lambda reader, writer: WyomingHandler(state, reader, writer))
    return server
