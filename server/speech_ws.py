"""WebSocket ``/v1/audio/speech/stream``: text-in streaming sessions (the native protocol).

Client -> server, JSON text messages with a ``type``:

- ``session.config`` {model, voice, language, instructions, seed, chunk_ms} (all optional; the
  fields of ``POST /v1/audio/speech``): updates the session's settings between utterances; answered
  by ``session.updated`` {config: the effective values}.
- ``input.text`` {text}: a piece of text as it arrives (e.g. an LLM token). The first piece starts an
  utterance on ``Synthesizer.stream_text`` (the engine's incremental path: one stream per utterance).
- ``input.done``: the utterance's text is complete; its audio plays out, then ``audio.done``.
- ``input.cancel``: barge-in; the utterance stops within one frame (its scheduler slot is freed),
  ``audio.done`` with finish_reason "cancelled".
- ``session.close``: cancels a running utterance, then the server closes with 1000.

Server -> client: ``audio.start`` {utterance_id, sample_rate, channels, format "pcm_s16le"}, binary
messages of raw PCM s16le mono, ``audio.done`` {utterance_id, finish_reason, samples, timings},
``error`` {error: OpenAI's error body}.

One utterance at a time: ``input.text`` after ``input.done`` while the audio still plays out is
refused (error ``utterance_in_progress``). An utterance that fails (unknown voice, key over its limit,
server busy) ends with ``error`` then ``audio.done`` (finish_reason "error"); the rest of its text is
dropped until ``input.done`` or ``input.cancel``. Other errors about one message (malformed JSON,
unknown type, bad field) keep the session. Fatal: a message over ``ws_max_message_bytes``, an
utterance over ``max_input_chars``, no client message for ``ws_idle_timeout_s`` (not counted while
audio plays out), a session over ``ws_session_timeout_s`` (``error``, then close 1008); a server fault
closes 1011; while draining, a session with no utterance running closes 1001.

:class:`Session` and :class:`Utterance` (text in, PCM out, limits, cancellation) serve the
ElevenLabs-compatible socket too (server/elevenlabs.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.websockets import WebSocketDisconnect

from qtts.runtime.errors import TTSError
from qtts.server.auth import ApiKey
from qtts.server.encoders import StreamEncoder
from qtts.server.engines import Model
from qtts.server.errors import APIError, from_runtime
from qtts.server.metrics import HTTP_TTFA
from qtts.server.speech import Synthesis
from qtts.server.tempo import TimeStretch

if TYPE_CHECKING:
    from qtts.server.app import ServerState

log = logging.getLogger("qtts.server")
router = APIRouter()
TICK_S = 0.25  # a session waiting for a message checks its deadlines and the drain this often


class Close(Exception):  # noqa: N818 (a control-flow signal, not an error)
    """Ends a session: the close ``code`` (None: the client is gone) and the error sent before it."""

    def __init__(self, code: int | None, error: APIError | None = None):
        super().__init__(code)
        self.code, self.error = code, error


@dataclass(frozen=True)
class Voice:
    """What an utterance is synthesized with: ``model``, ``stream_text`` options (speaker | voice,
    language, instruct, seed), PCM chunk length, tempo and the output rate (Hz; soxr from 24 kHz)."""

    model: Model
    options: dict[str, Any]
    chunk_ms: float
    speed: float = 1.0
    out_rate: int | None = None
    first_chunk: int | None = None  # frames in the first chunk (None: the scheduler's choice)

    @property
    def sample_rate(self) -> int:
        return self.out_rate or self.model.synth.sample_rate


def resolve_voice(state: ServerState, key: ApiKey, model: str | None, voice: str | None, **options: Any) -> tuple[Model, dict[str, Any]]:
    """The engine and ``stream_text`` options for ``voice`` on ``model`` (+ language, instruct, seed in
    ``options``), checked now so a bad value is refused before text arrives. Blocking (a saved voice is
    read from disk): run it in a worker thread. APIError 400/404 on a bad value."""
    found = state.models.select(model, None, state.models.clones(voice, key))
    options = {k: v for k, v in options.items() if v is not None} | state.models.voice_options(found, key, voice)
    try:
        found.synth.text_in_request(**options)
    except TTSError as e:
        raise from_runtime(e) from None
    return found, options


class Utterance:
    """One utterance: text pieces from the event loop -> a queue the engine's feeder thread drains
    (``text()``) -> its :class:`Synthesis` (PCM s16le bytes) -> the socket. ``task`` plays it."""

    def __init__(self, voice: Voice | None):
        self.id = "utt_" + uuid.uuid4().hex[:12]
        self.voice = voice  # None: resolved from the session's settings when it starts
        self.started = time.perf_counter()
        self.chars = self.samples = 0
        self.ttfa_s: float | None = None
        self.text_done = self.cancelled = self.finished = False
        self.syn: Synthesis | None = None
        self.task: asyncio.Task[None] | None = None
        self._pieces: queue.SimpleQueue[str | None] = queue.SimpleQueue()

    def push(self, text: str) -> None:
        self.chars += len(text)
        self._pieces.put(text)

    def done(self) -> None:
        """The text is complete."""
        if not self.text_done:
            self.text_done = True
            self._pieces.put(None)

    def cancel(self) -> None:
        """Stop generating (the scheduler frees the slot within one step) and sending."""
        self.cancelled = True
        self._pieces.put(None)  # a feeder waiting for text wakes up and sees the cancel
        if self.syn is not None:
            self.syn.stream.cancel()

    def text(self) -> Iterator[str]:
        """The pieces as they arrive (blocking: the feeder thread of ``stream_text`` iterates)."""
        while (piece := self._pieces.get()) is not None:
            yield piece

    def timings(self) -> dict[str, float | None]:
        elapsed = time.perf_counter() - self.started
        audio_s = self.samples / self.voice.sample_rate if self.voice else 0.0
        return {"ttfa_s": self.ttfa_s, "audio_s": round(audio_s, 4), "elapsed_s": round(elapsed, 4), "rtf": round(elapsed / audio_s, 4) if audio_s else None}


class Session:
    """One socket: receives client messages under deadlines, plays utterances in order, closes.

    Subclasses speak a protocol: ``handle`` a client text message, and ``audio_start`` /
    ``audio`` / ``audio_done`` / ``error_message`` for what the client is sent."""

    route = ""  # metric label

    def __init__(self, ws: WebSocket, idle_timeout_s: float):
        self.ws = ws
        self.state: ServerState = ws.app.state.server
        self.key: ApiKey | None = ws.state.key  # None: the protocol authenticates in its first message
        self.idle_s = idle_timeout_s
        self.active = time.monotonic()  # the last client message (or the end of an utterance)
        self.deadline = self.active + self.state.settings.server.ws_session_timeout_s
        self.utterances: list[Utterance] = []  # not finished, in order
        self.count = 0
        self.gone = False
        self.fatal: Close | None = None  # set by an utterance whose failure ends the session

    # ------------------------------------------------------------------ protocol hooks
    async def handle(self, text: str) -> None:
        raise NotImplementedError

    async def audio_start(self, utt: Utterance) -> None:
        """The utterance's first audio is about to be sent."""

    async def audio(self, utt: Utterance, data: bytes) -> None:
        raise NotImplementedError

    async def audio_done(self, utt: Utterance, finish_reason: str, error: APIError | None) -> None:
        raise NotImplementedError

    def error_message(self, error: APIError, close_code: int | None) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle
    async def serve(self) -> None:
        """Accept, handle messages until the session ends, stop its utterances, close."""
        code, error = 1000, None
        try:
            await self.ws.accept()
            while True:
                await self.handle(await self._receive())
        except Close as c:
            code, error = c.code, c.error
        except Exception:
            log.exception("websocket session failed", extra={"request_id": self.ws.state.request_id})
            code, error = 1011, APIError(500, "internal server error", code="internal_error")
        if error is not None and code is not None:
            await self.send_json(self.error_message(error, code))
        await self.stop()
        if code is not None and not self.gone:
            reason = (error.message if error else "").encode()[:120].decode(errors="ignore")
            await self.ws.close(code, reason)
        self.ws.state.close_code = code
        self.ws.state.utterances = self.count

    async def stop(self) -> None:
        """Cancel every utterance and wait until each has freed its slot."""
        for utt in self.utterances:
            utt.cancel()
        await asyncio.gather(*(u.task for u in self.utterances if u.task is not None))

    @property
    def playing_out(self) -> bool:
        """An utterance whose text is complete is still being played (the idle timer waits)."""
        return any(u.text_done for u in self.utterances)

    async def _receive(self) -> str:
        """The next client text message; Close when the session must end first."""
        limits = self.state.settings.server
        while True:
            now = time.monotonic()
            if self.fatal is not None:
                raise self.fatal
            if self.state.draining and not self.utterances:
                raise Close(1001, APIError(503, "the server is shutting down; reconnect to another replica", code="shutting_down"))
            if now >= self.deadline:
                raise Close(1008, APIError(400, f"the session is over its {limits.ws_session_timeout_s:g} s limit", code="session_timeout"))
            if now >= self.active + self.idle_s and not self.playing_out:
                raise Close(1008, APIError(400, f"no message for {self.idle_s:g} s", code="idle_timeout"))
            try:
                message = await asyncio.wait_for(self.ws.receive(), TICK_S)
            except TimeoutError:
                continue
            if message["type"] == "websocket.disconnect":
                self.gone = True
                raise Close(None)
            self.active = time.monotonic()
            text = message.get("text")
            if text is None:
                await self.send_error(APIError(400, "binary messages are not part of this protocol; send JSON text", code="invalid_message"))
                continue
            if len(text.encode()) > limits.ws_max_message_bytes:
                raise Close(1008, APIError(413, f"message larger than {limits.ws_max_message_bytes} bytes", code="message_too_large"))
            return text

    # ------------------------------------------------------------------ utterances
    def begin(self, voice: Voice | None) -> Utterance:
        """Start an utterance; it plays after the ones before it."""
        utt = Utterance(voice)
        after = self.utterances[-1].task if self.utterances else None
        self.utterances.append(utt)
        self.count += 1
        utt.task = asyncio.create_task(self._play(utt, after))
        return utt

    def check_length(self, utt: Utterance, text: str) -> None:
        """Close (1008) when ``text`` would take the utterance over ``max_input_chars``."""
        limit = self.state.settings.server.max_input_chars
        if utt.chars + len(text) > limit:
            raise Close(1008, APIError(413, f"the utterance is over {limit} characters", param="text", code="input_too_long"))

    async def resolve(self, utt: Utterance) -> Voice:
        """The voice of an utterance that started without one (the native session's current settings)."""
        raise NotImplementedError

    async def _play(self, utt: Utterance, after: asyncio.Task[None] | None) -> None:
        """Generate and send one utterance; always ends with ``audio_done`` and the slot and lease freed."""
        loop = asyncio.get_running_loop()
        st = self.state
        reason, error = "cancelled", None
        try:
            if after is not None:
                await asyncio.wait([after])
            if utt.cancelled or self.gone:
                return
            assert self.key is not None
            voice = utt.voice = utt.voice or await self.resolve(utt)
            synth = voice.model.synth
            lease = st.limiter.acquire(self.key)
            try:
                encoder = StreamEncoder("pcm", synth.sample_rate, voice.out_rate)
                tempo = TimeStretch(voice.speed, synth.sample_rate) if voice.speed != 1.0 else None
                stream = await loop.run_in_executor(
                    st.executor, partial(
                        synth.stream_text, utt.text(), priority=self.key.priority, chunk_ms=voice.chunk_ms, first_chunk_frames=voice.first_chunk, **voice.options
                    )
                )
            except BaseException:
                lease.release()
                raise
            utt.syn = syn = Synthesis(stream, encoder, lease, tempo)
            st.streams.add(syn)
            if utt.cancelled:
                stream.cancel()
            await self.audio_start(utt)
            while not (utt.cancelled or self.gone):
                data, end = await syn.next_audio(st.executor)
                if utt.cancelled or self.gone:
                    break
                if data:
                    if utt.ttfa_s is None:
                        utt.ttfa_s = round(time.perf_counter() - utt.started, 4)
                        HTTP_TTFA.labels(self.route).observe(utt.ttfa_s)
                    utt.samples += len(data) // 2
                    await self.audio(utt, data)
                if end:
                    reason = stream.stats.finish_reason
                    break
        except APIError as e:
            reason, error = "error", e
        except TTSError as e:
            reason, error = "error", from_runtime(e)
        except Exception:
            log.exception("utterance failed", extra={"request_id": self.ws.state.request_id})
            reason, error = "error", APIError(500, "internal server error", code="internal_error")
        finally:
            if utt.syn is not None:
                st.streams.discard(utt.syn)
                await loop.run_in_executor(st.executor, utt.syn.close)  # waits until the scheduler let go
            utt.finished = True
            self.utterances.remove(utt)
            self.active = time.monotonic()
        if utt.cancelled:
            reason, error = "cancelled", None
        await self.audio_done(utt, reason, error)

    # ------------------------------------------------------------------ sending
    async def send_json(self, payload: dict[str, Any]) -> None:
        if not self.gone:
            try:
                await self.ws.send_text(json.dumps(payload))
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.gone = True

    async def send_bytes(self, data: bytes) -> None:
        if not self.gone:
            try:
                await self.ws.send_bytes(data)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.gone = True

    async def send_error(self, error: APIError) -> None:
        await self.send_json(self.error_message(error, None))


# ---------------------------------------------------------------------------------- native protocol
class SessionConfig(BaseModel):
    """``session.config``: the /v1/audio/speech fields an utterance uses (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    voice: str | None = None
    language: str | None = None
    instructions: str | None = None
    seed: int | None = Field(None, ge=0)
    chunk_ms: float | None = Field(None, ge=20, le=1000)
    max_new_tokens: int | None = Field(None, ge=1)  # frames (80 ms each)
    initial_codec_chunk_frames: int | None = Field(None, ge=1, le=25)  # frames in the first chunk


class NativeSession(Session):
    """``/v1/audio/speech/stream``: the protocol in the module docstring."""

    route = "/v1/audio/speech/stream"

    def __init__(self, ws: WebSocket):
        super().__init__(ws, ws.app.state.server.settings.server.ws_idle_timeout_s)
        self.config = SessionConfig(chunk_ms=self.state.settings.server.chunk_ms)
        self.voice: Voice | None = None  # resolved from config (None: resolve at the next utterance)
        self.current: Utterance | None = None  # receiving text, playing out, or failed and dropping its text

    async def handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            await self.send_error(APIError(400, "malformed JSON message", code="invalid_json"))
            return
        kind = message.get("type") if isinstance(message, dict) else None
        handler = {
            "session.config": self._config, "input.text": self._text, "input.done": self._done,
            "input.cancel": self._cancel, "session.close": self._close,
        }.get(kind)  # type: ignore[arg-type]
        try:
            if handler is None:
                known = "session.config, input.text, input.done, input.cancel, session.close"
                raise APIError(400, f"unknown message type {kind!r}; known: {known}", param="type", code="unknown_type")
            await handler(message)
        except APIError as e:
            await self.send_error(e)

    async def _config(self, message: dict[str, Any]) -> None:
        if self.current is not None:
            raise APIError(400, "session.config applies between utterances; one is in progress", code="utterance_in_progress")
        try:
            update = SessionConfig.model_validate(message)
        except ValidationError as e:
            first = e.errors()[0]
            param = ".".join(str(p) for p in first["loc"]) or None
            raise APIError(400, f"{param}: {first['msg']}", param=param, code="invalid_value") from None
        config = self.config.model_copy(update=update.model_dump(exclude_unset=True))
        self.voice = await self._voice(config)
        self.config = config
        effective = config.model_dump() | {"model": self.voice.model.name}
        await self.send_json({"type": "session.updated", "config": effective})

    async def _voice(self, config: SessionConfig) -> Voice:
        assert self.key is not None
        model, options = await asyncio.get_running_loop().run_in_executor(
            self.state.executor,
            partial(
                resolve_voice, self.state, self.key, config.model, config.voice,
                language=config.language, instruct=config.instructions, seed=config.seed, max_frames=config.max_new_tokens,
            ),
        )
        self.ws.state.model = model.name  # for the access log
        return Voice(model, options, config.chunk_ms or self.state.settings.server.chunk_ms, first_chunk=config.initial_codec_chunk_frames)

    async def resolve(self, utt: Utterance) -> Voice:
        return await self._voice(self.config)

    async def _text(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        if not isinstance(text, str):
            raise APIError(400, "input.text needs a string 'text'", param="text", code="invalid_value")
        utt = self.current
        if utt is not None and utt.text_done:
            raise APIError(400, "the previous utterance is still playing out; wait for audio.done (or send input.cancel)", code="utterance_in_progress")
        if not text:
            return
        if utt is None:
            utt = self.current = self.begin(self.voice)
        self.check_length(utt, text)
        utt.push(text)

    async def _done(self, _: dict[str, Any]) -> None:
        utt = self.current
        if utt is None:
            raise APIError(400, "no utterance to finish: send input.text first", code="no_utterance")
        utt.done()
        if utt.finished:  # it failed before: its audio.done was sent
            self.current = None

    async def _cancel(self, _: dict[str, Any]) -> None:
        utt, self.current = self.current, None
        if utt is not None:
            utt.cancel()
            assert utt.task is not None
            await utt.task  # audio.done (cancelled) is sent before the next message is handled

    async def _close(self, _: dict[str, Any]) -> None:
        raise Close(1000)

    async def audio_start(self, utt: Utterance) -> None:
        assert utt.voice is not None
        await self.send_json({"type": "audio.start", "utterance_id": utt.id, "sample_rate": utt.voice.sample_rate, "channels": 1, "format": "pcm_s16le"})

    async def audio(self, utt: Utterance, data: bytes) -> None:
        await self.send_bytes(data)

    async def audio_done(self, utt: Utterance, finish_reason: str, error: APIError | None) -> None:
        if error is not None:
            await self.send_json({**self.error_message(error, None), "utterance_id": utt.id})
            if error.status >= 500 and error.status != 503:
                self.fatal = Close(1011)
        if utt is self.current and utt.text_done:
            self.current = None
        payload = {"type": "audio.done", "utterance_id": utt.id, "finish_reason": finish_reason, "samples": utt.samples, "timings": utt.timings()}
        await self.send_json(payload)

    def error_message(self, error: APIError, close_code: int | None) -> dict[str, Any]:
        return {"type": "error", **error.body()}


@router.websocket("/v1/audio/speech/stream")
async def speech_stream(ws: WebSocket) -> None:
    """Text-in streaming: the native protocol (module docstring)."""
    await NativeSession(ws).serve()
