"""Library API: ``Synthesizer.from_engines(dir)``, then ``synthesize(text) -> Audio`` or
``stream(text) -> AudioStream`` (PCM chunks as frames are generated).

Data flows one way: text -> normalized text -> segments -> prompt layout (ids) -> prompt vectors ->
frames (codes) -> PCM (stateful codec stream) -> joined, chunked PCM. ``synthesize`` is the
concatenation of ``stream``: the same pipeline, decoded per segment instead of per frame.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from runtime import metrics
from runtime.codec import SAMPLES_PER_FRAME, CodecStream, decode
from runtime.engine import Engine
from runtime.errors import InputError
from runtime.generate import Generation
from runtime.prompt import SPEAKER, PromptLayout, RefFrame, build_prompt, supported_languages
from runtime.sampling import SamplingParams
from runtime.stream import AudioStream, Chunker, SegmentJoiner, StreamStats
from runtime.textfeed import TextFeed
from runtime.voice import VoicePrompt

if TYPE_CHECKING:
    from normalize import Normalizer

log = logging.getLogger("qtts.synth")
DEFAULT_MAX_FRAMES = 2048  # 163.8 s; the official default (8192) lets a runaway generation run 11 min
# Per-segment frame budget when text is split: BUDGET_BASE + BUDGET_PER_TOKEN * text tokens frames.
# Speech runs ~2-3 frames per text token (RU/EN); 8 leaves 3x headroom for slow speech, while a
# generation that never emits EOS (~0.3-0.5% of them, a known model failure) stops early.
BUDGET_BASE, BUDGET_PER_TOKEN = 25, 8
NORMALIZE_LANGS = {"russian": "ru", "english": "en", "auto": "auto"}


@dataclass
class Audio:
    """A synthesized utterance: ``pcm`` float32 [samples] at ``sample_rate`` Hz, in [-1, 1]."""

    pcm: np.ndarray
    sample_rate: int
    codes: np.ndarray  # int64 [frames, 16], all segments
    finish_reason: str  # eos | max_frames | frame_budget | cancelled (first non-eos segment)
    seed: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds; rtf dimensionless
    request_id: str = ""
    capture: dict[str, list[np.ndarray]] | None = None  # raw logits when synthesize(capture=True)
    segments: list[dict[str, Any]] = field(default_factory=list)  # text, frames, finish_reason each

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


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


def _icl_extra(m: int, g: int, spf: int = SAMPLES_PER_FRAME) -> int:
    """Reference-audio samples the official ICL trim keeps: it cuts int(M / (M + G) * n) samples of
    the joint decode of n = (M + G) * spf (float64, spec §6.3), which can be one short of M * spf."""
    return m * spf - int(m / (m + g) * ((m + g) * spf))


@dataclass
class _Segment:
    text: str  # normalized text spoken
    layout: PromptLayout
    budget: int | None  # frames allowed for this segment (runaway guard); None: only max_frames
    pause: int  # samples of silence after it
    source: tuple[int, int]  # [start, end) of the user's text it came from


class Synthesizer:
    """Text -> speech on one engine. One request at a time per instance."""

    def __init__(self, engine: Engine, *, default_max_frames: int = DEFAULT_MAX_FRAMES, normalizer: Normalizer | None = None):
        self.engine = engine
        self.default_max_frames = default_max_frames
        self._normalizer = normalizer

    @property
    def normalizer(self) -> Normalizer:
        """The text normalizer (default configuration unless one was given, e.g. from model.toml)."""
        if self._normalizer is None:
            from normalize import Normalizer

            self._normalizer = Normalizer()
        return self._normalizer

    @classmethod
    def from_engines(
        cls, engine_dir: str | Path, *, provider: str = "cpu", threads: int | None = None, normalizer: Normalizer | None = None, **kw: Any
    ) -> Synthesizer:
        """Load an engine directory (``kw``: :class:`runtime.engine.Engine` options)."""
        return cls(Engine(engine_dir, provider=provider, threads=threads, **kw), normalizer=normalizer)

    # ------------------------------------------------------------------ model facts
    @property
    def model_type(self) -> str:
        return self.engine.config.model_type

    @property
    def speakers(self) -> list[str]:
        return sorted(self.engine.config.talker.speakers)

    @property
    def languages(self) -> list[str]:
        return supported_languages(self.engine.config)

    @property
    def sample_rate(self) -> int:
        return self.engine.sample_rate

    def default_sampling(self, **overrides: Any) -> SamplingParams:
        return SamplingParams.from_generation_config(self.engine.generation_config, **overrides)

    # ------------------------------------------------------------------ pipeline stages
    def request(self, text: str, **options: Any) -> Request:
        """A validated :class:`Request` (options: its fields)."""
        req = Request(text, **options)
        if req.max_frames is not None and req.max_frames < 1:
            raise InputError("max_frames must be >= 1")
        if not 0 <= req.fade_ms <= 50:
            raise InputError("fade_ms must be in [0, 50]")
        if req.max_segment_chars < 20:
            raise InputError("max_segment_chars must be >= 20")
        return req

    def layout(self, req: Request, text: str | None = None, body_ids: list[int] | None = None) -> PromptLayout:
        voice = req.voice
        clone: dict[str, Any] = {}
        if self.model_type == "base":
            if voice is None:
                raise InputError("a Base model clones a voice: give a reference (ref audio + text) or a saved voice")
            clone = {"x_vector_only_mode": not voice.icl, "ref_text": voice.ref_text, "ref_frames": len(voice.ref_codes) if voice.icl else 0}
        elif voice is not None:
            raise InputError(f"voice cloning needs a Base model (this model is {self.model_type})")
        return build_prompt(
            self.engine.config,
            self.engine.tokenizer,
            req.text if text is None else text,
            language=req.language,
            speaker=req.speaker,
            instruct=req.instruct,
            non_streaming_mode=req.non_streaming_mode,
            body_ids=body_ids,
            **clone,
        )

    def plan(self, req: Request) -> list[_Segment]:
        """Normalize, split and lay out every segment up front, so bad input fails before any audio."""
        if not req.text.strip():
            raise InputError("text is empty")
        text = req.text
        lang = NORMALIZE_LANGS.get((req.language or "auto").lower())
        norm = None
        if req.normalize and lang is not None:
            from normalize import NormalizationError

            try:
                norm = self.normalizer.normalize(text, lang)
            except NormalizationError as e:
                raise InputError(f"text normalization failed: {e}") from None
            text = norm.text
        if not req.split:
            return [_Segment(text, self.layout(req, text), None, 0, (0, len(req.text)))]
        from normalize.segment import split_segments

        pieces = split_segments(text, max_chars=req.max_segment_chars, language=lang if lang != "auto" else None)
        plan = []
        for i, piece in enumerate(pieces):
            layout = self.layout(req, piece.text)
            budget = BUDGET_BASE + BUDGET_PER_TOKEN * len(self.engine.tokenizer.target_ids(piece.text))
            pause = 0 if i == len(pieces) - 1 else int(piece.pause_ms * self.sample_rate / 1000)
            source = norm.original_range(piece.start, piece.end) if norm is not None else (piece.start, piece.end)
            plan.append(_Segment(piece.text, layout, budget, pause, source))
        if not plan:
            raise InputError("text has nothing to speak")
        return plan

    def prompt_vectors(
        self, layout: PromptLayout, speaker_vec: np.ndarray | None = None, ref_codes: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """layout -> (prompt f32 [L, H], trailing f32 [R, H], tts_pad vector f32 [H])."""
        rows = layout.rows
        pad_id = self.engine.config.token_ids["tts_pad"]
        text_ids = [r.text for r in rows if r.text is not None] + layout.trailing_text_ids + [pad_id]
        codec_ids = [r.codec for r in rows if isinstance(r.codec, int)]
        t, c, f = self.engine.embed(np.array(text_ids, np.int64), np.array(codec_ids, np.int64), ref_codes)
        out = np.zeros((len(rows), self.engine.hidden_size), np.float32)
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
        n_trail = len(layout.trailing_text_ids)
        return out, t[ti : ti + n_trail], t[-1]

    def _pcm(
        self,
        req: Request,
        plan: list[_Segment],
        stats: StreamStats,
        *,
        cancel: threading.Event | None,
        first_frames: int,
        every: int | None,
        seed: int,
        forced_codes: np.ndarray | None = None,
        capture: bool = False,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        text_at: Callable[[int], np.ndarray] | None = None,
    ) -> Iterator[np.ndarray]:
        """The pipeline: PCM pieces float32, in order. The codec decodes the first ``first_frames``
        frames of each segment as soon as they exist, then every ``every`` frames (None: at the
        segment's end). ``stats`` receives per-segment codes and finish reasons."""
        params = req.sampling or self.default_sampling()
        rng = np.random.default_rng(seed)
        joiner = SegmentJoiner(int(req.fade_ms * self.sample_rate / 1000))
        voice = req.voice
        codec0 = CodecStream(self.engine.sessions["codec_decoder"], reference_chunking=req.reference_chunking)
        ref_tail = voice.prime(codec0) if voice is not None else None  # ICL: reference frames first, spec §6.3
        limit = req.max_frames or self.default_max_frames  # for the whole request
        frame_no = 0
        for seg in plan:
            remaining = limit - frame_no
            if remaining <= 0:
                stats.finish_reasons.append("max_frames")
                return
            guarded = seg.budget is not None and seg.budget < remaining
            prompt, trailing, pad = self.prompt_vectors(
                seg.layout,
                voice.speaker_embedding if voice is not None else None,
                voice.ref_codes if ref_tail is not None else None,
            )
            at = text_at or (lambda k, trailing=trailing, pad=pad: trailing[k] if k < len(trailing) else pad)
            gen = Generation(
                self.engine, prompt, at, params,
                max_frames=seg.budget if guarded else remaining, rng=rng, forced_codes=forced_codes, capture=capture, cancel=cancel,
            )
            codec = codec0.copy()
            joiner.begin()
            pending: list[np.ndarray] = []

            def decoded(frames: list[np.ndarray], codec: CodecStream = codec) -> np.ndarray:
                t = time.perf_counter()
                pcm = codec.push(np.stack(frames))
                stats.decode_s += time.perf_counter() - t
                return pcm

            t0 = time.perf_counter()
            for frame in gen:
                stats.generate_s += time.perf_counter() - t0
                if on_frame is not None:
                    on_frame(frame_no, frame)
                frame_no += 1
                pending.append(frame)
                n = len(gen.frames)
                if n <= first_frames or (every is not None and len(pending) >= every):
                    yield joiner.push(decoded(pending))
                    pending = []
                t0 = time.perf_counter()
            stats.generate_s += time.perf_counter() - t0
            if pending:
                pcm = decoded(pending)
                if ref_tail is not None and req.reference_chunking and len(pending) == len(gen.frames):
                    pcm = np.concatenate([ref_tail[len(ref_tail) - _icl_extra(len(voice.ref_codes), len(pending)) :], pcm])
                yield joiner.push(pcm)
            reason = "frame_budget" if guarded and gen.finish_reason == "max_frames" else gen.finish_reason
            stats.finish_reasons.append(reason)
            stats.codes.append(gen.codes)
            stats.frames += len(gen.frames)
            if capture:
                stats.info["capture"] = {"talker_logits": gen.talker_logits, "cp_logits": gen.cp_logits}
            if reason == "cancelled":
                return
            nothing_follows = seg is plan[-1] or frame_no >= limit
            tail = joiner.end(0 if nothing_follows else seg.pause)
            stats.join_samples += len(tail)
            if len(tail):
                yield tail

    @staticmethod
    def _seed(seed: int | None) -> int:
        return int.from_bytes(os.urandom(4), "little") if seed is None else int(seed)

    # ------------------------------------------------------------------ synthesis
    def synthesize(
        self,
        text: str,
        *,
        cancel: threading.Event | None = None,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        forced_codes: np.ndarray | None = None,
        capture: bool = False,
        **options: Any,
    ) -> Audio:
        """Synthesize a whole text (options: the fields of :class:`Request`). ``seed`` (default:
        random, reported in ``Audio.seed``) makes sampled output reproducible on the same engine and
        provider. ``forced_codes``/``capture`` (teacher forcing, logits) need a single segment."""
        req = self.request(text, **options)
        rid = uuid.uuid4().hex[:12]
        stats = StreamStats()
        plan = self.plan(req)
        if (forced_codes is not None or capture) and len(plan) > 1:
            raise InputError("forced_codes/capture need a single segment (split=False)")
        seed = self._seed(req.seed)
        pieces = self._pcm(
            req, plan, stats, cancel=cancel, first_frames=0, every=None, seed=seed,
            forced_codes=forced_codes, capture=capture, on_frame=on_frame,
        )
        pcm = np.concatenate([np.zeros(0, np.float32), *pieces])
        total = time.perf_counter() - stats.started
        audio = Audio(
            pcm=pcm,
            sample_rate=self.sample_rate,
            codes=np.concatenate([np.zeros((0, 16), np.int64), *stats.codes]),
            finish_reason=stats.finish_reason,
            seed=seed,
            request_id=rid,
            timings={
                "total_s": total,
                "time_to_first_audio_s": total,  # whole-utterance call: first sample = last sample
                "generate_s": stats.generate_s,
                "decode_s": stats.decode_s,
                "frames": float(stats.frames),
                "rtf": total / max(len(pcm) / self.sample_rate, 1e-9),
            },
            capture=stats.info.get("capture"),
            segments=[
                {"text": seg.text, "source": seg.source, "frames": len(c), "finish_reason": r}
                for seg, c, r in zip(plan, stats.codes, stats.finish_reasons, strict=False)
            ],
        )
        metrics.observe_request(audio, self.model_type)
        log.info(
            "synthesized",
            extra={"request_id": rid, "frames": stats.frames, "segments": len(plan), "finish_reason": audio.finish_reason, "seconds": round(total, 4), "rtf": round(audio.timings["rtf"], 4)},
        )
        return audio

    def stream(
        self,
        text: str,
        *,
        chunk_ms: float = 40,
        decode_frames: int = 1,
        max_buffered: int = 8,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        **options: Any,
    ) -> AudioStream:
        """Start synthesizing and return an :class:`AudioStream` of PCM chunks of ``chunk_ms`` (the
        last one shorter). The first frame is decoded alone; later frames in groups of
        ``decode_frames``. At most ``max_buffered`` chunks wait for the consumer (back-pressure).
        Bad input raises here, before the stream starts. Concatenated chunks equal ``synthesize``.
        ``on_frame(k, codes16)`` runs in the producer thread after each generated frame."""
        if not 20 <= chunk_ms <= 1000:
            raise InputError("chunk_ms must be in [20, 1000]")
        if decode_frames < 1:
            raise InputError("decode_frames must be >= 1")
        req = self.request(text, **options)
        plan = self.plan(req)
        seed = self._seed(req.seed)
        chunk = round(chunk_ms * self.sample_rate / 1000)
        rid = uuid.uuid4().hex[:12]

        def make(cancel: threading.Event, stats: StreamStats) -> Generator[np.ndarray, None, None]:
            stats.info.update(seed=seed, request_id=rid, segments=[seg.text for seg in plan])
            chunker = Chunker(chunk)
            for piece in self._pcm(req, plan, stats, cancel=cancel, first_frames=1, every=decode_frames, seed=seed, on_frame=on_frame):
                yield from chunker.push(piece)
            yield from chunker.flush()

        def finished(stats: StreamStats) -> None:
            metrics.observe_stream(stats, self.model_type, self.sample_rate)
            log.info(
                "streamed",
                extra={"request_id": rid, "frames": stats.frames, "finish_reason": stats.finish_reason, "ttfa_s": stats.time_to_first_audio},
            )

        return AudioStream(make, max_buffered=max_buffered, on_finish=finished)

    def stream_text(
        self,
        pieces: Iterable[str],
        *,
        chunk_ms: float = 40,
        decode_frames: int = 1,
        max_buffered: int = 8,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        **options: Any,
    ) -> AudioStream:
        """Text-in streaming: like :meth:`stream`, but the text arrives as an iterator of pieces (e.g.
        an LLM's tokens), pulled lazily. Uses the official streaming text geometry (one text token
        per frame, spec §3.5-3.6): generation starts once the first token is stable and waits when
        it needs a token that has not arrived. Not split into segments; normalization works per clause.
        """
        if not 20 <= chunk_ms <= 1000:
            raise InputError("chunk_ms must be in [20, 1000]")
        req = self.request("(streamed text)", **options, non_streaming_mode=False, split=False)
        self.layout(req, "a")  # speaker / language / instruct errors surface now, not mid-stream
        seed = self._seed(req.seed)
        lang = NORMALIZE_LANGS.get((req.language or "auto").lower())
        normalize = None
        if req.normalize and lang is not None:
            normalize = lambda text: self.normalizer.normalize(text, lang).text  # noqa: E731
        chunk = round(chunk_ms * self.sample_rate / 1000)
        text_iter = iter(pieces)

        def make(cancel: threading.Event, stats: StreamStats) -> Generator[np.ndarray, None, None]:
            feed = TextFeed(self.engine.tokenizer, normalize)
            ids: list[int] = []
            while not ids and not feed.finished:  # the prefill needs the first stable token
                piece = next(text_iter, None)
                ids += feed.finish() if piece is None else feed.push(piece)
            if not ids:
                raise InputError("streamed text was empty")
            layout = self.layout(req, feed.text, body_ids=ids[:1])
            prompt, _, pad = self.prompt_vectors(layout)
            eos, = self.engine.embed(np.array([self.engine.config.token_ids["tts_eos"]], np.int64), np.zeros(0, np.int64))[:1]
            vectors = [*self._text_vectors(ids[1:])]

            def text_at(k: int) -> np.ndarray:
                while k >= len(vectors) and not feed.finished and not cancel.is_set():
                    piece = next(text_iter, None)
                    vectors.extend(self._text_vectors(feed.finish() if piece is None else feed.push(piece)))
                if k < len(vectors):
                    return vectors[k]
                return eos[0] if k == len(vectors) else pad

            stats.info.update(seed=seed)
            plan = [_Segment(feed.text, layout, None, 0, (0, 0))]
            chunker = Chunker(chunk)
            for piece in self._pcm(req, plan, stats, cancel=cancel, first_frames=1, every=decode_frames, seed=seed, on_frame=on_frame, text_at=text_at):
                yield from chunker.push(piece)
            yield from chunker.flush()

        return AudioStream(make, max_buffered=max_buffered)

    def _text_vectors(self, ids: list[int]) -> list[np.ndarray]:
        if not ids:
            return []
        t, _, _ = self.engine.embed(np.array(ids, np.int64), np.zeros(0, np.int64))
        return list(t)

    def decode(self, codes: np.ndarray, *, reference_chunking: bool = False) -> np.ndarray:
        """codes int64 [frames, 16] -> float32 PCM [frames * 1920] (full context, or the official 300/25)."""
        return decode(self.engine.sessions["codec_decoder"], codes, reference_chunking=reference_chunking)
