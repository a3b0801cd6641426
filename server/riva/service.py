"""``nvidia.riva.tts.RivaSpeechSynthesis`` on the server's engines and scheduler (grpc.aio).

- ``Synthesize``: the whole utterance in one response.
- ``SynthesizeOnline``: audio as it is generated. One request then half-close (the C++ client and
  older Python clients) runs the same path as HTTP streaming; several requests (the current Python
  client: each a full request with the next text piece) feed the engine's text-in path
  (``Synthesizer.stream_text``), pieces joined verbatim, settings taken from the first request.
- ``GetRivaSynthesisConfig``: one entry per engine and language; ``voice_name`` + ``subvoices`` =
  the engine's speakers or saved voices, so ``<model>.<voice>`` names a voice (server/frontends.py).

Keys come in the ``authorization`` metadata (``Bearer KEY`` or the bare key). Our extras go in the
``qtts-instruct`` / ``qtts-seed`` / ``qtts-priority`` metadata or the request's
``custom_configuration`` (``instruct``, ``seed``, ``priority``; UTF-8 instructions need the latter).
A gRPC deadline becomes the scheduler deadline; a cancelled call closes its stream (the slot is free
within one step). Refusals are typed: INVALID_ARGUMENT, UNAUTHENTICATED, NOT_FOUND,
RESOURCE_EXHAUSTED and UNAVAILABLE with a ``grpc-retry-pushback-ms`` trailer, DEADLINE_EXCEEDED.
"""

from __future__ import annotations

import asyncio
import math
import queue
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import grpc

from qtts.runtime.errors import TTSError
from qtts.runtime.voice import encode_reference
from qtts.server.auth import ApiKey, bearer
from qtts.server.engines import Model
from qtts.server.errors import APIError, from_runtime
from qtts.server.frontends import (
    REQUESTS,
    Session,
    Voice,
    catalog,
    engine_language,
    extras,
    find_voice,
    voice_options,
)
from qtts.server.riva.audio import encoder, reference_audio
from qtts.server.riva.proto import riva_tts_pb2 as pb
from qtts.server.riva.proto import riva_tts_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from qtts.server.app import ServerState

PROTOCOL = "grpc"
SERVICE = pb.DESCRIPTOR.services_by_name["RivaSpeechSynthesis"].full_name
_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED, 404: grpc.StatusCode.NOT_FOUND,
    413: grpc.StatusCode.INVALID_ARGUMENT, 429: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE,
}
_OVERLOAD = {"queue_full": grpc.StatusCode.RESOURCE_EXHAUSTED, "deadline_unreachable": grpc.StatusCode.DEADLINE_EXCEEDED}


def status_of(e: APIError) -> grpc.StatusCode:
    """The gRPC status for a refusal (overload reasons refine the HTTP status)."""
    return _OVERLOAD.get(e.code or "") or _CODES.get(e.status, grpc.StatusCode.INTERNAL)


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {k.lower(): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}


class RivaSynthesis(pb_grpc.RivaSpeechSynthesisServicer):
    """The servicer over a :class:`server.app.ServerState` (shared with the HTTP app)."""

    def __init__(self, state: ServerState):
        self.state = state

    # ------------------------------------------------------------------ RPCs
    async def GetRivaSynthesisConfig(self, request: pb.RivaSynthesisConfigRequest, context: grpc.aio.ServicerContext) -> pb.RivaSynthesisConfigResponse:
        try:
            key = self.state.keys.check(bearer(_metadata(context).get("authorization")))
        except APIError as e:
            await _abort(context, e)
        voices = catalog(self.state, key)
        out = pb.RivaSynthesisConfigResponse()
        for m in self.state.models.models:
            if request.model_name and request.model_name != m.name:
                continue
            mine = [v for v in voices if v.model is m]
            subvoices = ",".join(f"{v.name}:{i}" for i, v in enumerate(mine) if v.name)
            for code in Voice(m, "").languages:
                params = {"language_code": code, "voice_name": m.name, "subvoices": subvoices, "model_type": m.synth.model_type,
                          "sample_rate_hz": str(m.synth.sample_rate)}
                out.model_config.add(model_name=m.name, parameters=params)
        return out

    async def Synthesize(self, request: pb.SynthesizeSpeechRequest, context: grpc.aio.ServicerContext) -> pb.SynthesizeSpeechResponse:
        async with self._session(context, "Synthesize") as s:
            model, options = await self._prepare(s, request, context)
            enc = encoder(request.encoding, model.synth.sample_rate, request.sample_rate_hz)
            deadline = context.time_remaining()
            await self._start(s, model, lambda: model.synth.submit(request.text, chunk_ms=self._chunk_ms, deadline=deadline, **options))
            audio = b"".join([piece async for piece in self._audio(s, enc, context)])
            return pb.SynthesizeSpeechResponse(audio=audio, id=request.id)

    async def SynthesizeOnline(
        self, request_iterator: AsyncIterator[pb.SynthesizeSpeechRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.SynthesizeSpeechResponse]:
        async with self._session(context, "SynthesizeOnline") as s:
            requests = aiter(request_iterator)
            first = await anext(requests, None)
            if first is None:
                return
            second = await anext(requests, None)  # a one-request client half-closes at once
            model, options = await self._prepare(s, first, context)
            enc = encoder(first.encoding, model.synth.sample_rate, first.sample_rate_hz)
            if second is None:
                deadline = context.time_remaining()
                await self._start(s, model, lambda: model.synth.submit(first.text, chunk_ms=self._chunk_ms, deadline=deadline, **options))
                async for piece in self._audio(s, enc, context):
                    yield pb.SynthesizeSpeechResponse(audio=piece, id=first.id)
                return
            pieces: queue.Queue[str | None] = queue.Queue()
            for r in (first, second):
                pieces.put(r.text)
            limit = self.state.settings.server.max_input_chars
            too_long = APIError(413, f"the streamed text is over {limit} characters", param="text", code="input_too_long")
            room = limit - len(first.text) - len(second.text)
            if room < 0:
                raise too_long
            over = asyncio.Event()  # the later pieces passed max_input_chars: the call ends with too_long
            reader = asyncio.create_task(self._read_rest(requests, pieces, room, over))
            try:
                await self._start(s, model, lambda: model.synth.stream_text(iter(pieces.get, None), chunk_ms=self._chunk_ms, **options))
                async for piece in self._audio(s, enc, context):
                    if over.is_set():
                        raise too_long
                    yield pb.SynthesizeSpeechResponse(audio=piece, id=first.id)
                if over.is_set():  # passed the limit after the last audio
                    raise too_long
            finally:
                reader.cancel()
                pieces.put(None)  # a feeder thread still waiting for text ends

    # ------------------------------------------------------------------ helpers
    @property
    def _chunk_ms(self) -> float:
        return self.state.settings.server.chunk_ms

    @asynccontextmanager
    async def _session(self, context: grpc.aio.ServicerContext, method: str) -> AsyncIterator[Session]:
        """A :class:`Session` whose refusals and runtime errors abort the call with a typed status."""
        try:
            s = Session.open(self.state, PROTOCOL, method, self.state.keys.check(bearer(_metadata(context).get("authorization"))))
        except APIError as e:
            REQUESTS.labels(PROTOCOL, method, status_of(e).name).inc()
            await _abort(context, e)
        try:
            yield s
        except (APIError, TTSError) as e:
            err = e if isinstance(e, APIError) else from_runtime(e)
            s.status = status_of(err).name
            await _abort(context, err)
        except (asyncio.CancelledError, GeneratorExit):  # the client cancelled or went away
            s.status = "CANCELLED"
            raise
        except Exception:
            s.status = "INTERNAL"
            raise
        finally:
            s.close()

    async def _prepare(self, s: Session, request: pb.SynthesizeSpeechRequest, context: grpc.aio.ServicerContext) -> tuple[Model, dict[str, Any]]:
        """The engine and ``submit`` options of a request (in a worker thread: voices load, references encode)."""
        limit = self.state.settings.server.max_input_chars
        if len(request.text) > limit:
            raise APIError(413, f"text is {len(request.text)} characters; the limit is {limit}", param="text", code="input_too_long")
        md = _metadata(context)
        values = {k.removeprefix("qtts-"): v for k, v in md.items() if k.startswith("qtts-")}
        values.update(request.custom_configuration)
        options = extras(values, s.key)
        loop = asyncio.get_running_loop()
        model, voice = await loop.run_in_executor(self.state.executor, self._voice, request, s.key)
        options.update(voice)
        options["language"] = engine_language(model, request.language_code)
        return model, options

    def _voice(self, request: pb.SynthesizeSpeechRequest, key: ApiKey) -> tuple[Model, dict[str, Any]]:
        zs = request.zero_shot_data
        voice = find_voice(self.state, key, request.voice_name, clone=bool(zs.audio_prompt))
        if not zs.audio_prompt:
            return voice.model, voice_options(self.state, key, voice)
        max_bytes = int(self.state.settings.server.max_upload_mb * 1e6)
        if len(zs.audio_prompt) > max_bytes:
            raise APIError(413, f"audio_prompt is larger than {max_bytes / 1e6:g} MB", param="zero_shot_data", code="request_too_large")
        pcm, sr = reference_audio(zs.audio_prompt, zs.encoding, zs.sample_rate_hz)
        ref_text = zs.transcript or None
        try:
            prompt = encode_reference(voice.model.synth.engine, pcm, sr, ref_text=ref_text, x_vector_only=ref_text is None)
        except TTSError as e:
            raise from_runtime(e, "zero_shot_data") from None
        return voice.model, {"voice": prompt}

    async def _start(self, s: Session, model: Model, submit: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(self.state.executor, s.start, model, submit)

    async def _audio(self, s: Session, enc: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        """Encoded audio as it is generated (empty pieces skipped); an expired deadline or a drain
        that cut the stream ends the call with DEADLINE_EXCEEDED / UNAVAILABLE."""
        try:
            while (chunk := await s.next_chunk()) is not None:
                if data := enc.push(chunk):
                    yield data
            reason = s.finish_reason
            if reason == "deadline":
                raise APIError(503, "the deadline passed before the audio was complete", code="deadline_unreachable")
            if reason == "cancelled" and self.state.draining:
                raise self.state.shutting_down()
            if tail := enc.finish():
                yield tail
        finally:
            enc.close()

    @staticmethod
    async def _read_rest(requests: AsyncIterator[pb.SynthesizeSpeechRequest], pieces: queue.Queue[str | None], room: int, over: asyncio.Event) -> None:
        """Feed the text of the later requests until the stream ends or ``room`` characters are used up."""
        try:
            async for r in requests:
                room -= len(r.text)
                if room < 0:
                    over.set()
                    return
                pieces.put(r.text)
        finally:
            pieces.put(None)


async def _abort(context: grpc.aio.ServicerContext, e: APIError) -> None:
    """End the call with ``e``'s status (a retry hint as ``grpc-retry-pushback-ms``, gRPC's retry pushback)."""
    if e.retry_after_s is not None:
        context.set_trailing_metadata((("grpc-retry-pushback-ms", str(max(1, math.ceil(e.retry_after_s * 1000)))),))
    await context.abort(status_of(e), e.message)

