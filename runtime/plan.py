"""Planning: a request -> the :class:`Job` the scheduler runs (pure per request; fails fast).

text -> normalized text (RU/EN) -> segments (sentences/clauses, pauses) -> prompt layout (ids, spec
§3.5/§6.3) -> prompt vectors (the embed graph) -> Job. Every error the user can cause surfaces here,
before any audio. Nothing here touches the talker or the codec.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qtts.runtime.codec import SAMPLES_PER_FRAME, CodecStream
from qtts.runtime.engine import Engine
from qtts.runtime.errors import InputError
from qtts.runtime.prompt import SPEAKER, PromptLayout, RefFrame, build_prompt
from qtts.runtime.sampling import SamplingParams
from qtts.runtime.voice import VoicePrompt

if TYPE_CHECKING:
    from qtts.normalize import Normalizer

DEFAULT_MAX_FRAMES = 2048  # 163.8 s; the official default (8192) lets a runaway generation run 11 min
# Per-segment frame budget when text is split: BUDGET_BASE + BUDGET_PER_TOKEN * text tokens frames.
# Speech runs ~2-3 frames per text token (RU/EN); 8 leaves 3x headroom for slow speech, while a
# generation that never emits EOS (~0.3-0.5% of them, a known model failure) stops early.
BUDGET_BASE, BUDGET_PER_TOKEN = 25, 8
NORMALIZE_LANGS = {"russian": "ru", "english": "en", "auto": "auto"}


@dataclass
class Request:
    """Everything that defines one utterance (besides the engine).

    ``normalize`` verbalizes numbers, dates, ... (RU/EN); ``split`` cuts long text into sentences and
    clauses, synthesized in order with pauses; ``fade_ms`` is the join ramp (module runtime.stream);
    ``reference_chunking`` decodes with the official 300/25-frame restarts. All four off = exactly
    the official pipeline (what conformance runs).
    """

    text: str
    speaker: str | None = None
    language: str | None = None
    instruct: str | None = None
    non_streaming_mode: bool | None = None
    sampling: SamplingParams | None = None
    seed: int | None = None
    max_frames: int | None = None
    normalize: bool = True
    split: bool = True
    fade_ms: float = 5.0
    reference_chunking: bool = False
    max_segment_chars: int = 200
    voice: VoicePrompt | None = None  # Base (voice clone) engines: the cloned voice

    def __post_init__(self) -> None:
        if self.max_frames is not None and self.max_frames < 1:
            raise InputError("max_frames must be >= 1")
        if self.seed is not None and self.seed < 0:
            raise InputError("seed must be >= 0")
        if not 0 <= self.fade_ms <= 50:
            raise InputError("fade_ms must be in [0, 50]")
        if self.max_segment_chars < 20:
            raise InputError("max_segment_chars must be >= 20")


@dataclass
class Segment:
    """One planned segment: ``text`` spoken (normalized), its prompt ``layout``, ``budget`` frames
    allowed (runaway guard; None: only the request's limit), ``pause`` samples of silence after it,
    ``source`` [start, end) of the user's text it came from."""

    text: str
    layout: PromptLayout
    budget: int | None
    pause: int
    source: tuple[int, int]


@dataclass
class SegmentJob:
    """A segment with its vectors: ``prompt`` f32 [L, H], ``trailing`` f32 [R, H] (text vectors
    added at decode steps 1..R), ``pad`` f32 [H] (added after them)."""

    text: str
    prompt: np.ndarray
    trailing: np.ndarray
    pad: np.ndarray
    budget: int | None
    pause: int
    source: tuple[int, int]


class TextVectors:
    """Text-in streaming: the text vectors of decode steps as they become known (thread-safe).
    ``vector(j)`` is the j-th vector, ``eos`` right after the last, then ``pad``; None while the
    text that decides it has not arrived."""

    def __init__(self, eos: np.ndarray, pad: np.ndarray):
        self.eos, self.pad = eos, pad
        self.on_extend: Callable[[], None] | None = None  # the scheduler's wake-up
        self._vectors: list[np.ndarray] = []
        self._finished = False
        self._lock = threading.Lock()

    def extend(self, vectors: list[np.ndarray], *, finished: bool = False) -> None:
        with self._lock:
            self._vectors.extend(vectors)
            self._finished = self._finished or finished
        if self.on_extend is not None:
            self.on_extend()

    def vector(self, j: int) -> np.ndarray | None:
        with self._lock:
            if j < len(self._vectors):
                return self._vectors[j]
            if not self._finished:
                return None
            return self.eos if j == len(self._vectors) else self.pad


@dataclass
class Job:
    """What the scheduler runs for one request: its segments and how to deliver them.

    ``codec``: the codec stream every segment starts from (fresh, or primed with an ICL voice's
    reference frames: ``ref_tail`` is the end of their audio, spec §6.3); ``chunk``: samples per
    delivered chunk (0: pieces as decoded); ``first_chunk``: frames the first delivered audio waits
    for (None: by load, runtime.policy.first_chunk_frames); ``first_frames``: frames of each segment
    decoded as soon as made, then every ``decode_frames`` (None: at the segment's end); ``forced_codes`` [F, 16]
    teacher-force frames; ``capture`` keeps raw logits; ``text``: streamed text vectors (text-in
    streaming; then the segment's ``trailing`` is unused)."""

    segments: list[SegmentJob]
    codec: CodecStream
    params: SamplingParams
    seed: int
    max_frames: int
    fade: int
    chunk: int = 0
    first_chunk: int | None = None
    first_frames: int = 1
    decode_frames: int | None = 1
    voice: VoicePrompt | None = None
    ref_tail: np.ndarray | None = None
    reference_chunking: bool = False
    forced_codes: np.ndarray | None = None
    capture: bool = False
    text: TextVectors | None = None
    on_frame: Callable[[int, np.ndarray], None] | None = None
    request_id: str = ""
    text_chars: int = 0  # the user's text (admission limits)


def icl_extra(m: int, g: int, spf: int = SAMPLES_PER_FRAME) -> int:
    """Reference-audio samples the official ICL trim keeps: it cuts int(M / (M + G) * n) samples of
    the joint decode of n = (M + G) * spf (float64, spec §6.3), which can be one short of M * spf."""
    return m * spf - int(m / (m + g) * ((m + g) * spf))


def layout(engine: Engine, req: Request, text: str | None = None, body_ids: list[int] | None = None) -> PromptLayout:
    """The prompt layout of ``text`` (default: the request's) under the request's voice settings."""
    voice, model_type = req.voice, engine.config.model_type
    clone: dict[str, Any] = {}
    if model_type == "base":
        if voice is None:
            raise InputError("a Base model clones a voice: give a reference (ref audio + text) or a saved voice")
        clone = {"x_vector_only_mode": not voice.icl, "ref_text": voice.ref_text, "ref_frames": len(voice.ref_codes) if voice.icl else 0}
    elif voice is not None:
        raise InputError(f"voice cloning needs a Base model (this model is {model_type})")
    return build_prompt(
        engine.config, engine.tokenizer, req.text if text is None else text,
        language=req.language, speaker=req.speaker, instruct=req.instruct, non_streaming_mode=req.non_streaming_mode, body_ids=body_ids, **clone,
    )


def plan_segments(engine: Engine, req: Request, normalizer: Callable[[], Normalizer]) -> list[Segment]:
    """Normalize, split and lay out every segment up front, so bad input fails before any audio."""
    if not req.text.strip():
        raise InputError("text is empty")
    text = req.text
    lang = NORMALIZE_LANGS.get((req.language or "auto").lower())
    norm = None
    if req.normalize and lang is not None:
        from qtts.normalize import NormalizationError

        try:
            norm = normalizer().normalize(text, lang)
        except NormalizationError as e:
            raise InputError(f"text normalization failed: {e}") from None
        text = norm.text
    if not req.split:
        return [Segment(text, layout(engine, req, text), None, 0, (0, len(req.text)))]
    from qtts.normalize.segment import split_segments

    pieces = split_segments(text, max_chars=req.max_segment_chars, language=lang if lang != "auto" else None)
    plan = []
    for i, piece in enumerate(pieces):
        budget = BUDGET_BASE + BUDGET_PER_TOKEN * len(engine.tokenizer.target_ids(piece.text))
        pause = 0 if i == len(pieces) - 1 else int(piece.pause_ms * engine.sample_rate / 1000)
        source = norm.original_range(piece.start, piece.end) if norm is not None else (piece.start, piece.end)
        plan.append(Segment(piece.text, layout(engine, req, piece.text), budget, pause, source))
    if not plan:
        raise InputError("text has nothing to speak")
    return plan


def prompt_vectors(
    engine: Engine, lay: PromptLayout, speaker_vec: np.ndarray | None = None, ref_codes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """layout -> (prompt f32 [L, H], trailing f32 [R, H], tts_pad vector f32 [H])."""
    rows = lay.rows
    pad_id = engine.config.token_ids["tts_pad"]
    text_ids = [r.text for r in rows if r.text is not None] + lay.trailing_text_ids + [pad_id]
    codec_ids = [r.codec for r in rows if isinstance(r.codec, int)]
    t, c, f = engine.embed(np.array(text_ids, np.int64), np.array(codec_ids, np.int64), ref_codes)
    out = np.zeros((len(rows), engine.hidden_size), np.float32)
    ti = ci = 0
    for i, r in enumerate(rows):
        if r.text is not None:
            out[i] = t[ti]
            ti += 1
        if isinstance(r.codec, int):
            out[i] += c[ci]
            ci += 1
        elif r.codec == SPEAKER:
            if speaker_vec is None:
                raise InputError("this prompt needs a speaker vector (voice clone)")
            out[i] += speaker_vec
        elif isinstance(r.codec, RefFrame):
            out[i] += f[r.codec.j]
    n_trail = len(lay.trailing_text_ids)
    return out, t[ti : ti + n_trail], t[-1]


def segment_job(engine: Engine, seg: Segment, voice: VoicePrompt | None) -> SegmentJob:
    """A planned segment with its prompt vectors (speaker embedding and reference frames of a voice)."""
    prompt, trailing, pad = prompt_vectors(
        engine, seg.layout, voice.speaker_embedding if voice is not None else None, voice.ref_codes if voice is not None and voice.icl else None
    )
    return SegmentJob(seg.text, prompt, trailing, pad, seg.budget, seg.pause, seg.source)


def text_vectors(engine: Engine, ids: list[int]) -> list[np.ndarray]:
    """Text vectors f32 [H] of token ids (text-in streaming)."""
    if not ids:
        return []
    t, _, _ = engine.embed(np.array(ids, np.int64), np.zeros(0, np.int64))
    return list(t)
