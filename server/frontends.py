"""What the gRPC (Riva) and Wyoming front ends share with the HTTP server: the voice catalog, voice
and language resolution, and :class:`Session` (one live stream counted in the server's in-flight
requests, drain, key limits and metrics, labelled by protocol).

Voices are named ``<model>.<voice>`` (a built-in speaker of a CustomVoice engine, a saved voice for
a Base engine); a bare speaker or saved-voice name picks the first engine that has it. Languages are
BCP-47 codes (``en-US``, ``ru-RU``; only the language part is matched) or the engine's names
(``english``), ``auto`` or empty = detect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram

from qtts.runtime.errors import TTSError
from qtts.runtime.metrics import REGISTRY, TTFA
from qtts.runtime.stream import AudioStream
from qtts.server.auth import PRIORITIES, ApiKey, Lease
from qtts.server.engines import Model
from qtts.server.errors import APIError, from_runtime

if TYPE_CHECKING:
    from qtts.server.app import ServerState

log = logging.getLogger("qtts.server")

REQUESTS = Counter(
    "qtts_frontend_requests", "gRPC (Riva) and Wyoming requests by protocol, method and status", ["protocol", "method", "status"],
    registry=REGISTRY,
)
IN_FLIGHT = Gauge("qtts_frontend_in_flight", "gRPC and Wyoming streams being served", ["protocol"], registry=REGISTRY)
FRONTEND_TTFA = Histogram(
    "qtts_frontend_ttfa_seconds", "Request arrival to the first audio sent, by protocol", ["protocol"],
    buckets=TTFA._upper_bounds[:-1], registry=REGISTRY,
)

LANGUAGE_CODES = {
    "english": "en-US", "russian": "ru-RU", "chinese": "zh-CN", "japanese": "ja-JP", "korean": "ko-KR", "german": "de-DE",
    "french": "fr-FR", "spanish": "es-ES", "italian": "it-IT", "portuguese": "pt-BR",
}
"""Engine language name -> the BCP-47 code the front ends advertise."""


@dataclass(frozen=True)
class Voice:
    """One selectable voice: ``name`` on ``model`` ("" = a VoiceDesign engine: ``instruct`` describes it)."""

    model: Model
    name: str

    @property
    def id(self) -> str:
        return f"{self.model.name}.{self.name}" if self.name else self.model.name

    @property
    def languages(self) -> list[str]:
        """BCP-47 codes of the engine's languages (``auto`` left out)."""
        return [LANGUAGE_CODES.get(lang, lang) for lang in self.model.synth.languages if lang != "auto"]


def catalog(state: ServerState, key: ApiKey) -> list[Voice]:
    """Every speaker, saved voice ``key`` may use (on each Base engine it fits) and VoiceDesign engine, in engine order."""
    saved = [v for r in state.models.registries(key) for v in r.list()]
    out: list[Voice] = []
    for m in state.models.models:
        kind = m.synth.model_type
        if kind == "custom_voice":
            out += [Voice(m, s) for s in m.synth.speakers]
        elif kind == "base":
            width = m.synth.engine.hidden_size
            names = sorted({v["name"] for v in saved if v.get("model_type") == "base" and v.get("hidden_size") == width})
            out += [Voice(m, n) for n in names]
        else:
            out.append(Voice(m, ""))
    return out


def find_voice(state: ServerState, key: ApiKey, name: str, *, clone: bool = False) -> Voice:
    """The voice ``name`` (``model.voice``, a bare voice, a model name, or "" = the default: the first
    Base engine when cloning, else the first voice); APIError 400 naming the choices."""
    voices = catalog(state, key)
    if not name:
        base = next((m for m in state.models.models if m.synth.model_type == "base"), None)
        if clone and base is not None:
            return Voice(base, "")
        if voices:
            return voices[0]
    else:
        for v in voices:
            if name.lower() in (v.id.lower(), v.name.lower()):
                return v
        model = next((m for m in state.models.models if m.name == name), None)
        if model is not None and (clone or model.synth.model_type == "voice_design"):
            return Voice(model, "")
    if clone and name:
        raise APIError(400, f"cloning needs a Base engine; {name!r} is not one", param="voice_name", code="invalid_value")
    raise APIError(
        400, f"unknown voice {name!r}; available: {', '.join(v.id for v in voices) or '(none: clone a voice)'}",
        param="voice_name", code="invalid_value",
    )


def engine_language(model: Model, code: str) -> str | None:
    """The engine's language for a BCP-47 code or engine name (None = auto); APIError 400 when unsupported."""
    if not code or code.lower() in ("auto", "multi"):
        return None
    names = model.synth.languages
    if code.lower() in names:
        return code.lower()
    primary = code.replace("_", "-").split("-")[0].lower()
    for lang in names:
        if LANGUAGE_CODES.get(lang, "").split("-")[0].lower() == primary:
            return lang
    codes = [LANGUAGE_CODES.get(n, n) for n in names]
    raise APIError(400, f"language {code!r} is not supported by {model.name!r}; supported: {', '.join(codes)}", param="language_code", code="invalid_value")


def voice_options(state: ServerState, key: ApiKey, voice: Voice) -> dict[str, Any]:
    """``submit`` options for a catalog voice (blocking: a saved voice is read from disk)."""
    if voice.model.synth.model_type == "base" and not voice.name:
        raise APIError(400, f"{voice.model.name!r} clones voices: send reference audio or name a saved voice", param="voice_name", code="invalid_value")
    return state.models.voice_options(voice.model, key, voice.name or None)


def extras(values: dict[str, str], key: ApiKey) -> dict[str, Any]:
    """Our request extras from string key/values (``instruct``, ``seed``, ``priority`` at most the key's class)."""
    out: dict[str, Any] = {"priority": key.priority}
    if values.get("instruct"):
        out["instruct"] = values["instruct"]
    if values.get("seed"):
        try:
            out["seed"] = int(values["seed"])
        except ValueError:
            raise APIError(400, f"seed must be an integer, got {values['seed']!r}", param="seed", code="invalid_value") from None
    wanted = values.get("priority")
    if wanted:
        if wanted not in PRIORITIES:
            raise APIError(400, f"priority must be one of {', '.join(PRIORITIES)}", param="priority", code="invalid_value")
        out["priority"] = PRIORITIES[max(PRIORITIES.index(wanted), PRIORITIES.index(key.priority))]
    return out


@dataclass(eq=False)  # hashed by identity: it sits in state.streams
class Session:
    """One front-end request: counted in ``state.in_flight`` (the drain waits for it), its stream in
    ``state.streams`` (the drain cancels it), the key's lease held; one metric sample and one log
    line at the end. Open with :meth:`open` (refuses while draining or warming up)."""

    state: ServerState
    protocol: str
    method: str
    key: ApiKey
    lease: Lease | None = None
    stream: AudioStream | None = None
    started: float = field(default_factory=time.perf_counter)
    ttfa_s: float | None = None
    status: str = "ok"
    model: str | None = None

    @classmethod
    def open(cls, state: ServerState, protocol: str, method: str, key: ApiKey) -> Session:
        """Admit ``key``'s request (its limits, the server state); APIError 429/503 otherwise."""
        state.check_serving()
        s = cls(state, protocol, method, key)
        s.lease = state.limiter.acquire(key)
        state.in_flight += 1
        IN_FLIGHT.labels(protocol).inc()
        return s

    def start(self, model: Model, submit: Callable[[], AudioStream]) -> AudioStream:
        """Run ``submit`` (blocking; worker thread) and register its stream; runtime errors become APIError."""
        self.model = model.name
        try:
            self.stream = submit()
        except TTSError as e:
            raise from_runtime(e) from None
        self.state.streams.add(self)  # type: ignore[arg-type]  # the drain needs only .stream
        return self.stream

    async def next_chunk(self) -> Any:
        """The stream's next PCM chunk float32 [n] (None at its end); records the time to first audio."""
        assert self.stream is not None
        await self.stream.ready()
        chunk = next(self.stream, None)
        if chunk is not None and self.ttfa_s is None:
            self.ttfa_s = time.perf_counter() - self.started
            FRONTEND_TTFA.labels(self.protocol).observe(self.ttfa_s)
        return chunk

    def close(self) -> None:
        """End the request (idempotent; on the event loop): the stream is closed in a worker thread,
        which frees the scheduler slot within one step, then the lease is released."""
        if self.lease is None:
            return
        lease, self.lease = self.lease, None
        self.state.in_flight -= 1
        IN_FLIGHT.labels(self.protocol).dec()
        self.state.streams.discard(self)  # type: ignore[arg-type]
        stream = self.stream

        def finish() -> None:
            if stream is not None:
                stream.close()
            lease.release()

        self.state.executor.submit(finish)
        REQUESTS.labels(self.protocol, self.method, self.status).inc()
        log.info(
            "request",
            extra={
                "protocol": self.protocol, "method": self.method, "key": self.key.name, "status": self.status, "model": self.model,
                "ttfa_s": None if self.ttfa_s is None else round(self.ttfa_s, 4),
                "finish_reason": stream.stats.finish_reason if stream is not None else None,
                "seconds": round(time.perf_counter() - self.started, 4),
            },
        )

    @property
    def finish_reason(self) -> str | None:
        return self.stream.stats.finish_reason if self.stream is not None else None
