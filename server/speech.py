"""``POST /v1/audio/speech``: OpenAI's request fields plus vLLM-Omni's Qwen3-TTS extras.

The audio streams as the scheduler produces it (chunked transfer): raw bytes of ``response_format``
(``stream_format`` "audio", the default) or server-sent events ``speech.audio.delta`` (base64
audio) ... ``speech.audio.done`` (usage) for ``stream_format`` "sse" (or vLLM-Omni's ``stream:
true``). ``speed`` != 1 stretches the audio and keeps its pitch (server/tempo.py). A client that
goes away cancels its generation: the stream is closed, which frees the scheduler slot within one step.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from qtts.runtime.errors import TTSError
from qtts.runtime.stream import AudioStream
from qtts.runtime.synthesizer import FIRST_CHUNK_FRAMES
from qtts.server.auth import Lease
from qtts.server.encoders import FORMATS, StreamEncoder
from qtts.server.engines import Model
from qtts.server.errors import APIError, error_responses, from_runtime
from qtts.server.metrics import HTTP_TTFA
from qtts.server.tempo import TimeStretch

if TYPE_CHECKING:
    from qtts.server.app import ServerState

ResponseFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]  # OpenAI's; server.encoders.FORMATS
_USAGE = {"type": "object", "required": ["input_tokens", "output_tokens", "total_tokens"],
          "properties": {k: {"type": "integer", "minimum": 0} for k in ("input_tokens", "output_tokens", "total_tokens")}}
SSE_EVENT = {  # one server-sent event of stream_format "sse": its name and its JSON data
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"enum": ["speech.audio.delta", "speech.audio.done", "speech.audio.error"]},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {
                "oneOf": [
                    {"type": "object", "required": ["type", "audio"],
                     "properties": {"type": {"const": "speech.audio.delta"}, "audio": {"type": "string", "contentEncoding": "base64"}}},
                    {"type": "object", "required": ["type", "usage"], "properties": {"type": {"const": "speech.audio.done"}, "usage": _USAGE}},
                    {"type": "object", "required": ["type", "error"],
                     "properties": {"type": {"const": "speech.audio.error"}, "error": {"$ref": "#/components/schemas/ErrorDetail"}}},
                ],
            },
        },
    },
}
AUDIO = {
    "description": "The audio as it is generated: the bytes of ``response_format`` (pcm: 24 kHz s16le, no header), or SSE events",
    "content": {
        **{mime: {"schema": {"type": "string", "format": "binary"}} for mime in FORMATS.values()},
        "text/event-stream": {"itemSchema": SSE_EVENT},
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {200: AUDIO, **error_responses(400, 404, 413, 429, 503)}  # the route's OpenAPI responses


class VoiceId(BaseModel):
    id: str


class SpeechRequest(BaseModel):
    """OpenAI ``CreateSpeechRequest`` + vLLM-Omni's Qwen3-TTS fields (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    input: str
    voice: str | VoiceId | None = None
    instructions: str | None = None
    response_format: ResponseFormat = "mp3"
    speed: float = Field(1.0, ge=0.25, le=4.0)
    stream_format: Literal["audio", "sse"] | None = None
    stream: bool | None = None  # vLLM-Omni: true = SSE unless stream_format is "audio"
    language: str | None = None
    task_type: str | None = None  # CustomVoice | VoiceDesign | Base
    ref_audio: str | None = None  # base64 or data: URL
    ref_text: str | None = None
    x_vector_only_mode: bool = False
    seed: int | None = Field(None, ge=0)
    max_new_tokens: int | None = Field(None, ge=1)
    initial_codec_chunk_frames: int | None = Field(None, ge=FIRST_CHUNK_FRAMES[0], le=FIRST_CHUNK_FRAMES[1])  # frames of the first chunk (default: by load)

    @property
    def sse(self) -> bool:
        return self.stream_format == "sse" or (self.stream_format is None and bool(self.stream))

    @property
    def voice_name(self) -> str | None:
        return self.voice.id if isinstance(self.voice, VoiceId) else self.voice


class Synthesis:
    """One request's stream and encoder. ``close`` runs in a worker thread, ``pull`` in one too or,
    through :meth:`next_audio`, on the event loop (the encoder is not thread-safe: a lock orders
    them); ``close`` is idempotent and frees the key's lease."""

    def __init__(self, stream: AudioStream, encoder: StreamEncoder, lease: Lease, tempo: TimeStretch | None = None):
        self.stream, self.encoder, self.lease, self.tempo = stream, encoder, lease, tempo
        self._lock = threading.Lock()
        self._closed = False

    def pull(self) -> tuple[bytes, bool]:
        """The encoded bytes of every chunk ready (waits for the first; may be empty) and whether the
        stream ended. A stream ahead of real time hands over its backlog in one pull: one worker-thread
        hop and one send instead of one per chunk, which leaves the cores to the scheduler."""
        chunks = [next(self.stream, None)]
        while chunks[-1] is not None and self.stream.backlog:
            chunks.append(next(self.stream, None))
        ended = chunks[-1] is None  # only the last can be the end
        pcm = chunks[:-1] if ended else chunks
        with self._lock:
            if self._closed:
                return b"", True
            data = b""
            if pcm:
                joined = np.concatenate(pcm)
                data = self.encoder.push(self.tempo.push(joined) if self.tempo else joined)
            if not ended:
                return data, False
            if self.tempo:
                data += self.encoder.push(self.tempo.finish())
            self._closed = True
            return data + self.encoder.finish(), True

    async def next_audio(self, executor: Executor) -> tuple[bytes, bool]:
        """``pull`` once audio waits: on the event loop when encoding it is cheap (pcm, wav, flac at
        the model's rate: no thread hop per chunk), else in ``executor``."""
        await self.stream.ready()
        if self.encoder.light:
            return self.pull()
        return await asyncio.get_running_loop().run_in_executor(executor, self.pull)

    def close(self) -> None:
        self.stream.close()
        with self._lock:
            if not self._closed:
                self._closed = True
                self.encoder.close()
        self.lease.release()


class SynthesisResponse(StreamingResponse):
    """A streaming response that always runs ``on_close`` when it ends (finished, failed, client gone)."""

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable[[], None], **kw: Any):
        super().__init__(content, **kw)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._on_close()


async def create_speech(body: SpeechRequest, request: Request) -> SynthesisResponse:
    """Synthesize ``input``; the audio streams as it is generated."""
    state: ServerState = request.app.state.server
    limits = state.settings.server
    if len(body.input) > limits.max_input_chars:
        raise APIError(413, f"input is {len(body.input)} characters; the limit is {limits.max_input_chars}", param="input", code="input_too_long")
    if body.ref_audio is None and (body.ref_text is not None or body.x_vector_only_mode):
        raise APIError(400, "ref_text and x_vector_only_mode go with ref_audio", param="ref_audio", code="invalid_value")
    key = request.state.key
    model = state.models.select(body.model, body.task_type, body.ref_audio is not None or state.models.clones(body.voice_name, key))
    lease = state.limiter.acquire(key)
    loop = asyncio.get_running_loop()
    encoder = None

    def start() -> AudioStream:
        """In a worker thread, one hop: the voice (a clone encodes its reference, a saved voice is
        read from disk), then the plan (normalize, tokenize, prompt) and the submission."""
        options = state.models.voice_options(
            model, key, body.voice_name, ref_audio=body.ref_audio, ref_text=body.ref_text, x_vector_only=body.x_vector_only_mode
        )
        return model.synth.submit(
            body.input, priority=key.priority, chunk_ms=limits.chunk_ms, language=body.language,
            instruct=body.instructions, seed=body.seed, max_frames=body.max_new_tokens, first_chunk_frames=body.initial_codec_chunk_frames, **options,
        )

    try:
        tempo = TimeStretch(body.speed, model.synth.sample_rate) if body.speed != 1.0 else None
        encoder = StreamEncoder(body.response_format, model.synth.sample_rate)
        stream = await loop.run_in_executor(state.executor, start)
    except BaseException as e:
        lease.release()
        if encoder is not None:
            encoder.close()
        if isinstance(e, TTSError):
            raise from_runtime(e) from None
        raise
    syn = Synthesis(stream, encoder, lease, tempo)
    state.streams.add(syn)

    def on_close() -> None:
        state.streams.discard(syn)
        state.executor.submit(syn.close)

    request.state.model = model.name
    if body.sse:
        content = _sse(state, syn, request, model, body.input)
        media = "text/event-stream"
    else:
        content, media = _chunks(state, syn, request), encoder.mime
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return SynthesisResponse(content, on_close, media_type=media, headers=headers)


async def _chunks(state: ServerState, syn: Synthesis, request: Request) -> AsyncIterator[bytes]:
    """Encoded audio as it comes; the first non-empty piece records the time to first audio."""
    first = True
    while True:
        data, done = await syn.next_audio(state.executor)
        if data:
            if first:
                first = False
                ttfa = time.perf_counter() - request.state.started
                request.state.ttfa_s = round(ttfa, 4)
                HTTP_TTFA.labels(request.url.path).observe(ttfa)
            yield data
        if done:
            request.state.finish_reason = syn.stream.stats.finish_reason
            return


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n".encode()


async def _sse(state: ServerState, syn: Synthesis, request: Request, model: Model, text: str) -> AsyncIterator[bytes]:
    """``speech.audio.delta`` events, then ``speech.audio.done`` with usage (``speech.audio.error`` on failure)."""
    try:
        async for data in _chunks(state, syn, request):
            yield _event("speech.audio.delta", {"audio": base64.b64encode(data).decode()})
    except TTSError as e:
        yield _event("speech.audio.error", from_runtime(e).body())
        return
    tokens = len(model.synth.engine.tokenizer.encode(text))
    frames = syn.stream.stats.frames
    yield _event("speech.audio.done", {"usage": {"input_tokens": tokens, "output_tokens": frames, "total_tokens": tokens + frames}})
