"""ElevenLabs-compatible WebSocket ``/v1/text-to-speech/{voice_id}/stream-input``.

What the ``elevenlabs`` SDK (``text_to_speech.convert_realtime``) and the agent frameworks built on
this protocol send and expect:

- Query: ``output_format`` (``pcm_8000`` ... ``pcm_48000``: raw PCM s16le mono, resampled from 24 kHz
  by soxr; ElevenLabs' default ``mp3_44100_128`` and the other mp3/ulaw/opus formats are refused),
  ``model_id`` (an engine name; ElevenLabs' own ``eleven_*`` ids select the default engine),
  ``inactivity_timeout`` (seconds, default 20, at most 180), ``seed``, ``language_code`` (passed as
  the language). Other ElevenLabs parameters (``auto_mode``, ``sync_alignment``, ...) are accepted and
  ignored.
- Key: the ``xi-api-key`` or ``Authorization: Bearer`` header, or in the first message
  (``xi-api-key``, ``xi_api_key`` or ``authorization``).
- Client messages: first ``{"text": " ", "voice_settings"?, "generation_config"?}``; then
  ``{"text": "piece ", "flush"?: bool, "try_trigger_generation"?: bool}``; ``{"text": ""}`` ends the input
  (the audio plays out, then ``{"isFinal": true}`` and close 1000). ``voice_id`` names the voice like
  the HTTP ``voice`` field (built-in speaker, OpenAI voice name, saved voice).
- Text streams into the engine as it arrives (no ``chunk_length_schedule`` buffering: the engine's
  text-in path starts as soon as the first word is stable); ``flush: true`` ends the current utterance
  (its last word is spoken now) and text after it starts the next one, played after it.
  ``voice_settings.speed`` (0.7-1.2) stretches the audio keeping its pitch; the other voice settings
  have no Qwen3-TTS meaning and are ignored.
- Server messages: ``{"audio": "<base64 PCM>", "isFinal": null, "normalizedAlignment": null,
  "alignment": null}`` (no alignment is computed), finally ``{"isFinal": true}``. Every error ends the
  session: ``{"message", "error": code, "code": close code}``, then close 1008 (1011 on a server fault).
"""

from __future__ import annotations

import asyncio
import base64
import json
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket

from qtts.server.auth import bearer
from qtts.server.errors import APIError
from qtts.server.speech_ws import Close, Session, Utterance, Voice, resolve_voice

router = APIRouter()
PCM_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
DEFAULT_FORMAT = "mp3_44100_128"  # ElevenLabs' default: not produced here, so a client must ask for pcm_*
IDLE_S, MAX_IDLE_S = 20, 180  # ElevenLabs' inactivity_timeout default and maximum


def output_rate(output_format: str) -> int:
    """Sample rate of a ``pcm_<rate>`` ``output_format``; APIError 400 for any other format."""
    kind, _, rate = output_format.partition("_")
    if kind == "pcm" and rate.isdigit() and int(rate) in PCM_RATES:
        return int(rate)
    supported = ", ".join(f"pcm_{r}" for r in PCM_RATES)
    raise APIError(400, f"output_format {output_format!r} is not supported; supported: {supported}", param="output_format", code="invalid_value")


def _number(params: Any, name: str, lo: int, hi: int, default: int | None) -> int | None:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        raise APIError(400, f"{name} must be an integer in [{lo}, {hi}]", param=name, code="invalid_value")
    return int(raw)


class ElevenLabsSession(Session):
    """One ``stream-input`` socket (module docstring)."""

    route = "/v1/text-to-speech/{voice_id}/stream-input"

    def __init__(self, ws: WebSocket, voice_id: str):
        params = ws.query_params
        self.voice_id = voice_id
        self.setup_error: APIError | None = None
        try:
            idle = _number(params, "inactivity_timeout", 1, MAX_IDLE_S, IDLE_S)
        except APIError as e:
            idle, self.setup_error = IDLE_S, e
        super().__init__(ws, float(idle or IDLE_S))
        self.voice: Voice | None = None  # set by the first message
        self.current: Utterance | None = None  # receiving text (None after a flush)

    async def handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            raise Close(1008, APIError(400, "malformed JSON message", code="invalid_json")) from None
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            raise Close(1008, APIError(400, "every message needs a string 'text'", param="text", code="invalid_value"))
        try:
            if self.voice is None:
                await self._open(message)
                if message["text"] and not message["text"].strip():  # the initial " "
                    return
            await self._text(message["text"], bool(message.get("flush")))
        except APIError as e:
            raise Close(1011 if e.status >= 500 and e.status != 503 else 1008, e) from None

    async def _open(self, first: dict[str, Any]) -> None:
        """The first message: the key (unless a header had it), then the voice, format and model."""
        if self.key is None:
            token = next((first[k] for k in ("xi-api-key", "xi_api_key", "authorization") if isinstance(first.get(k), str)), None)
            self.key = self.ws.state.key = self.state.keys.check(bearer(token))
        if self.setup_error is not None:
            raise self.setup_error
        params = self.ws.query_params
        rate = output_rate(params.get("output_format", DEFAULT_FORMAT))
        seed = _number(params, "seed", 0, 2**32 - 1, None)
        model = params.get("model_id")
        settings = first.get("voice_settings") or {}
        speed = settings.get("speed") if isinstance(settings, dict) else None
        if speed is not None and (not isinstance(speed, int | float) or not 0.7 <= speed <= 1.2):
            raise APIError(400, "voice_settings.speed must be in [0.7, 1.2]", param="voice_settings.speed", code="invalid_value")
        engine, options = await asyncio.get_running_loop().run_in_executor(self.state.executor, partial(
            resolve_voice, self.state, self.key, None if model is None or model.startswith("eleven_") else model, self.voice_id,
            language=params.get("language_code"), seed=seed,
        ))
        self.voice = Voice(engine, options, self.state.settings.server.chunk_ms, float(speed or 1.0), rate)
        self.ws.state.model = engine.name

    async def _text(self, text: str, flush: bool) -> None:
        if text == "":  # end of input: play everything out, then isFinal and close
            if self.current is not None:
                self.current.done()
            await self._play_out()
            raise self.fatal or Close(1000)
        if self.current is None and text.strip():
            self.current = self.begin(self.voice)
        if self.current is not None:
            self.check_length(self.current, text)
            self.current.push(text)
            if flush:
                self.current.done()
                self.current = None

    async def _play_out(self) -> None:
        """Wait for every utterance to finish, then send ``isFinal`` (unless one failed)."""
        pending = [u.task for u in self.utterances if u.task is not None]
        if pending:
            await asyncio.wait(pending)
        if self.fatal is None:
            await self.send_json({"isFinal": True})

    async def resolve(self, utt: Utterance) -> Voice:
        assert self.voice is not None
        return self.voice

    async def audio(self, utt: Utterance, data: bytes) -> None:
        await self.send_json({"audio": base64.b64encode(data).decode(), "isFinal": None, "normalizedAlignment": None, "alignment": None})

    async def audio_done(self, utt: Utterance, finish_reason: str, error: APIError | None) -> None:
        if error is not None and self.fatal is None:
            self.fatal = Close(1011 if error.status >= 500 and error.status != 503 else 1008, error)

    def error_message(self, error: APIError, close_code: int | None) -> dict[str, Any]:
        return {"message": error.message, "error": error.code, "code": close_code}


@router.websocket("/v1/text-to-speech/{voice_id}/stream-input")
async def stream_input(ws: WebSocket, voice_id: str) -> None:
    """ElevenLabs' text-in streaming socket (module docstring)."""
    await ElevenLabsSession(ws, voice_id).serve()
