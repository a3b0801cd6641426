"""The engines a server runs: one :class:`runtime.synthesizer.Synthesizer` per engine directory.

A request's ``model`` is an engine directory name, or one of OpenAI's model names (which select a
default engine: the first whose model type fits the request's ``task_type``, else the first
engine). ``voice`` resolves per model type (:meth:`Models.voice_options`, shared by every route):
CustomVoice takes a built-in speaker or an OpenAI voice name mapped by [voices]; Base clones from
``ref_audio`` or takes a saved voice name; VoiceDesign ignores it (``instructions`` describe the voice).

Saved voices and keys: with API keys configured, each key owns the voices it uploads
(``POST /v1/audio/voices``), stored under ``<voices_dir>/keys/<first 16 hex of sha256(key name)>/``;
a key sees and uses only its own voices plus the shared ones in ``<voices_dir>`` itself (``tts-run
voices add``, public to every key); another key's voice is unknown to it. An open server (no keys)
has one owner: uploads go to ``<voices_dir>`` with the CLI's voices.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qtts.runtime.audio import load_audio
from qtts.runtime.errors import InputError, VoiceError
from qtts.runtime.synthesizer import Synthesizer
from qtts.runtime.voice import VoicePrompt, encode_reference
from qtts.runtime.voices import VoiceRegistry
from qtts.server.auth import ApiKey
from qtts.server.errors import APIError

log = logging.getLogger("qtts.server")
OPENAI_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")
TASK_TYPES = {"CustomVoice": "custom_voice", "VoiceDesign": "voice_design", "Base": "base"}


@dataclass
class Model:
    """One served engine: its public ``name`` (the directory name) and synthesizer."""

    name: str
    synth: Synthesizer
    created: int


class Models:
    """The served engines, in command-line order (the first is the default)."""

    def __init__(
        self, synths: list[Synthesizer], voice_map: dict[str, str], voices_dir: str | Path, *, per_key: bool, max_upload_bytes: int
    ):
        """``per_key``: every key owns its uploaded voices (False: an open server, one owner);
        ``max_upload_bytes``: the largest reference audio a request may carry."""
        names = [Path(s.engine.dir).name for s in synths]
        if len(set(names)) != len(names):
            raise InputError(f"engine directory names must differ (they are the model names): {', '.join(names)}")
        now = int(time.time())
        self.models = [Model(n, s, now) for n, s in zip(names, synths, strict=True)]
        self.voice_map = {k.lower(): v for k, v in voice_map.items()}
        self.shared = VoiceRegistry(voices_dir)
        self.per_key, self.max_upload_bytes = per_key, max_upload_bytes

    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def select(self, model: str | None, task_type: str | None, wants_clone: bool) -> Model:
        """The engine for ``model`` (404 when unknown) that fits ``task_type`` (400 when it does not)."""
        if task_type is not None and task_type not in TASK_TYPES:
            raise APIError(400, f"task_type must be one of {', '.join(TASK_TYPES)}", param="task_type", code="invalid_value")
        kind = TASK_TYPES.get(task_type or "", "base" if wants_clone else None)
        if model is None or model in OPENAI_MODELS:
            return next((m for m in self.models if m.synth.model_type == kind), self.models[0])
        found = next((m for m in self.models if m.name == model), None)
        if found is None:
            raise APIError(
                404, f"the model {model!r} does not exist; available: {', '.join(self.names() + list(OPENAI_MODELS))}",
                param="model", code="model_not_found",
            )
        if task_type is not None and found.synth.model_type != kind:
            raise APIError(400, f"model {model!r} is a {found.synth.model_type} model, not {task_type}", param="task_type", code="invalid_value")
        return found

    def speaker(self, model: Model, voice: str) -> str:
        """The built-in speaker ``voice`` names on a CustomVoice model (400 naming the choices)."""
        speakers = model.synth.speakers
        name = self.voice_map.get(voice.lower(), voice).lower()
        if name in speakers:
            return name
        mapped = sorted(k for k, v in self.voice_map.items() if v.lower() in speakers)
        raise APIError(
            400, f"unknown voice {voice!r} for model {model.name!r}; available: {', '.join(speakers + mapped)}",
            param="voice", code="invalid_value",
        )

    def clones(self, voice: str | None, key: ApiKey) -> bool:
        """Whether ``voice`` asks for a Base model: a saved voice ``key`` may use that is no built-in
        speaker (so ``tts-1`` with a saved voice's name clones, as vLLM-Omni infers ``task_type``)."""
        if voice is None or any(self.voice_map.get(voice.lower(), voice).lower() in m.synth.speakers for m in self.models):
            return False
        return self.find_saved(voice, key) is not None

    def cloner(self, model: str | None) -> Model:
        """The Base engine that encodes an uploaded voice: ``model`` (404 unknown, 400 not Base), else the
        first Base engine (400 when none is served)."""
        found = self.select(model, None, True)
        if found.synth.model_type != "base":
            served = ", ".join(f"{m.name} ({m.synth.model_type})" for m in self.models)
            raise APIError(400, f"saving a voice needs a Base model (voice cloning); served: {served}", param="model", code="invalid_value")
        return found

    def registry(self, key: ApiKey) -> VoiceRegistry:
        """Where ``key``'s uploaded voices live (the shared directory on an open server)."""
        if not self.per_key:
            return self.shared
        return VoiceRegistry(self.shared.dir / "keys" / hashlib.sha256(key.name.encode()).hexdigest()[:16])

    def registries(self, key: ApiKey) -> list[VoiceRegistry]:
        """The saved voices ``key`` may use, in lookup order: its own, then the shared ones."""
        own = self.registry(key)
        return [own] if own is self.shared else [own, self.shared]

    def find_saved(self, voice: str, key: ApiKey) -> VoiceRegistry | None:
        """The registry of the saved voice ``voice`` that ``key`` may use (None: no such voice)."""
        try:
            return next((r for r in self.registries(key) if r.path(voice).is_file()), None)
        except VoiceError:  # not a valid voice name
            return None

    def saved_voice(self, model: Model, voice: str, key: ApiKey) -> VoicePrompt:
        """The saved voice ``voice`` of ``key`` (or a shared one) for a Base model (400 naming ``key``'s voices)."""
        registry = self.find_saved(voice, key)
        if registry is None:
            known = sorted({v["name"] for r in self.registries(key) for v in r.list()})
            raise APIError(
                400, f"unknown voice {voice!r} (saved voices: {', '.join(known) or 'none'}); or clone from ref_audio (+ ref_text, or x_vector_only_mode)",
                param="voice", code="invalid_value",
            )
        try:
            return registry.load(voice, model.synth.engine)
        except VoiceError as e:
            raise APIError(400, str(e), param="voice", code="invalid_value") from None

    def voice_options(
        self, model: Model, key: ApiKey, voice: str | None, *, ref_audio: str | None = None, ref_text: str | None = None, x_vector_only: bool = False
    ) -> dict[str, Any]:
        """``Synthesizer.submit`` options for a request's voice on ``model``, as ``key`` may use it: a
        built-in ``speaker`` (CustomVoice), a cloned or saved ``voice`` (Base), none (VoiceDesign).
        Blocking (a clone encodes its reference, a saved voice is read from disk): call it in a worker
        thread. APIError 400 (unknown or missing voice), 413 (``ref_audio`` too large)."""
        kind = model.synth.model_type
        if ref_audio is not None and kind != "base":
            raise APIError(400, f"ref_audio needs a Base model; {model.name!r} is {kind}", param="ref_audio", code="invalid_value")
        if kind == "custom_voice":
            if voice is None:
                raise APIError(400, f"voice is required; available: {', '.join(model.synth.speakers)}", param="voice", code="invalid_value")
            return {"speaker": self.speaker(model, voice)}
        if kind == "base":
            if ref_audio is not None:
                return {"voice": self.clone(model, ref_audio, ref_text, x_vector_only)}
            if voice is None:
                raise APIError(400, "a Base model clones a voice: give ref_audio (+ ref_text, or x_vector_only_mode) or a saved voice", param="voice", code="invalid_value")
            return {"voice": self.saved_voice(model, voice, key)}
        return {}  # voice_design: `instructions` describe the voice

    def clone(self, model: Model, ref_audio: str, ref_text: str | None, x_vector_only: bool) -> VoicePrompt:
        """Encode ``ref_audio`` (base64 or a base64 data URL of an audio file) on a Base model."""
        data = ref_audio.partition(",")[2] if ref_audio.startswith("data:") else ref_audio
        if len(data) * 3 // 4 > self.max_upload_bytes:
            raise APIError(413, f"ref_audio is larger than {self.max_upload_bytes / 1e6:g} MB", param="ref_audio", code="request_too_large")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise APIError(400, "ref_audio must be base64 or a data: URL with base64 audio", param="ref_audio", code="invalid_value") from None
        pcm, sr = load_audio(io.BytesIO(raw))
        return encode_reference(model.synth.engine, pcm, sr, ref_text=ref_text, x_vector_only=x_vector_only)

    def warm_up(self, streams: int = 8) -> None:
        """Per engine: one short synthesis (sessions, arenas, the scheduler thread and, for Base, the
        encoders), then ``streams`` at once (at most the scheduler's slots): the second half arrives
        while the first runs, and the later ones ask for fewer frames (they end a few at a time), so
        batched prefills, the lane and the batch sizes up to ``streams`` have run once before the
        first burst of callers (tiny server, C=8 load test: the first 8 requests' TTFA 60 -> 46 ms
        mean). It costs about as much as ``streams`` short requests (0.6B fp32, 2 cores, 8: 8 s, not 0.7 s)."""
        for m in self.models:
            started = time.perf_counter()
            s = m.synth
            options: dict[str, object] = {"seed": 0}
            if s.model_type == "custom_voice":
                options["speaker"] = s.speakers[0]
            elif s.model_type == "base":
                tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(24000) / 24000).astype(np.float32)
                options["voice"] = encode_reference(s.engine, tone, 24000, x_vector_only=True)
            s.synthesize("Hello.", max_frames=2, **options)
            n = min(streams, s.scheduler.max_streams)
            if n > 1:
                frames = [2 + (n - i + 1) // 2 for i in range(n)]
                first = [s.submit("Hello.", max_frames=f, **options) for f in frames[: n // 2]]
                next(first[0], None)
                later = [s.submit("Hello.", max_frames=f, **options) for f in frames[n // 2 :]]
                for stream in first + later:
                    with stream:
                        for _ in stream:
                            pass
            log.info("warmed up", extra={"model": m.name, "seconds": round(time.perf_counter() - started, 3)})
