"""Library API: ``Synthesizer.from_engines(dir)``, then ``synthesize(text) -> Audio``,
``stream(text) -> AudioStream`` (PCM chunks as frames are generated), ``stream_text(pieces)``
(text-in streaming) or ``submit(text, priority=..., deadline=...)`` from any number of threads.

A thin convenience over the pipeline: planning (runtime.plan: normalize, split, prompt; in the
caller's thread) -> the engine's scheduler (runtime.scheduler: one thread batches every live
request's talker steps and codec calls) -> the request's :class:`AudioStream`. ``synthesize`` is
the concatenation of a stream that decodes each segment at its end.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qtts.runtime import metrics
from qtts.runtime.codec import CodecStream, decode
from qtts.runtime.engine import Engine
from qtts.runtime.errors import InputError, TTSError
from qtts.runtime.plan import (
    DEFAULT_MAX_FRAMES,
    NORMALIZE_LANGS,
    Job,
    Request,
    Segment,
    TextVectors,
    layout,
    plan_segments,
    prompt_vectors,
    segment_job,
    text_vectors,
)
from qtts.runtime.prompt import PromptLayout, supported_languages
from qtts.runtime.sampling import SamplingParams
from qtts.runtime.scheduler import Scheduler, SchedulerConfig
from qtts.runtime.stream import AudioStream, StreamStats
from qtts.runtime.textfeed import TextFeed

if TYPE_CHECKING:
    from qtts.normalize import Normalizer

log = logging.getLogger("qtts.synth")
FIRST_CHUNK_FRAMES = (1, 25)  # a request's choice of frames in its first chunk: 80 ms to 2 s (vLLM-Omni's steady chunk)


def _check_delivery(chunk_ms: float, decode_frames: int, first_chunk_frames: int | None = None) -> None:
    if not 20 <= chunk_ms <= 1000:
        raise InputError("chunk_ms must be in [20, 1000]")
    if decode_frames < 1:
        raise InputError("decode_frames must be >= 1")
    lo, hi = FIRST_CHUNK_FRAMES
    if first_chunk_frames is not None and not lo <= first_chunk_frames <= hi:
        raise InputError(f"first_chunk_frames must be in [{lo}, {hi}]")


__all__ = ["Audio", "Request", "Synthesizer"]


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



class Synthesizer:
    """Text -> speech on one engine; thread-safe: any number of callers share its scheduler."""

    def __init__(
        self,
        engine: Engine,
        *,
        default_max_frames: int = DEFAULT_MAX_FRAMES,
        normalizer: Normalizer | None = None,
        scheduler: SchedulerConfig | None = None,
    ):
        self.engine = engine
        self.default_max_frames = default_max_frames
        self._normalizer = normalizer
        self._scheduler_config = scheduler
        self._scheduler: Scheduler | None = None
        self._closed = False
        self._lock = threading.Lock()

    @property
    def normalizer(self) -> Normalizer:
        """The text normalizer (default configuration unless one was given, e.g. from model.toml)."""
        if self._normalizer is None:
            from qtts.normalize import Normalizer

            self._normalizer = Normalizer()
        return self._normalizer

    @property
    def scheduler(self) -> Scheduler:
        """The engine's scheduler, started on first use."""
        with self._lock:
            if self._closed:
                raise TTSError("this Synthesizer is closed")
            if self._scheduler is None:
                self._scheduler = Scheduler(self.engine, self._scheduler_config)
            return self._scheduler

    def close(self) -> None:
        """Cancel running requests and stop the scheduler thread; later requests are refused."""
        with self._lock:
            self._closed = True
            if self._scheduler is not None:
                self._scheduler.close()
                self._scheduler = None

    @classmethod
    def from_engines(
        cls,
        engine_dir: str | Path,
        *,
        provider: str = "cpu",
        threads: int | None = None,
        normalizer: Normalizer | None = None,
        scheduler: SchedulerConfig | None = None,
        **kw: Any,
    ) -> Synthesizer:
        """Load an engine directory (``kw``: :class:`runtime.engine.Engine` options)."""
        return cls(Engine(engine_dir, provider=provider, threads=threads, **kw), normalizer=normalizer, scheduler=scheduler)

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

    # ------------------------------------------------------------------ planning (runtime.plan)
    def request(self, text: str, **options: Any) -> Request:
        """A validated :class:`Request` (options: its fields)."""
        return Request(text, **options)

    def layout(self, req: Request, text: str | None = None, body_ids: list[int] | None = None) -> PromptLayout:
        return layout(self.engine, req, text, body_ids)

    def plan(self, req: Request) -> list[Segment]:
        return plan_segments(self.engine, req, lambda: self.normalizer)

    def prompt_vectors(self, lay: PromptLayout, speaker_vec: np.ndarray | None = None, ref_codes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return prompt_vectors(self.engine, lay, speaker_vec, ref_codes)

    def job(self, req: Request, plan: list[Segment] | None = None, **delivery: Any) -> Job:
        """The scheduler's job for ``req`` (``delivery``: the chunking fields of :class:`Job`)."""
        plan = self.plan(req) if plan is None else plan
        codec = CodecStream(self.engine.sessions["codec_decoder"], reference_chunking=req.reference_chunking)
        ref_tail = req.voice.prime(codec) if req.voice is not None else None  # in the caller's thread, not the scheduler's
        return Job(
            segments=[segment_job(self.engine, seg, req.voice) for seg in plan],
            codec=codec,
            ref_tail=ref_tail,
            params=req.sampling or self.default_sampling(),
            seed=self._seed(req.seed),
            max_frames=req.max_frames or self.default_max_frames,
            fade=int(req.fade_ms * self.sample_rate / 1000),
            voice=req.voice,
            reference_chunking=req.reference_chunking,
            request_id=uuid.uuid4().hex[:12],
            text_chars=len(req.text),
            **delivery,
        )

    @staticmethod
    def _seed(seed: int | None) -> int:
        return int.from_bytes(os.urandom(4), "little") if seed is None else int(seed)

    # ------------------------------------------------------------------ synthesis
    def submit(
        self,
        text: str,
        *,
        priority: str = "standard",
        deadline: float | None = None,
        chunk_ms: float = 40,
        decode_frames: int = 1,
        max_buffered: int = 8,
        first_chunk_frames: int | None = None,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        **options: Any,
    ) -> AudioStream:
        """Queue a streaming request (thread-safe) and return its :class:`AudioStream` of PCM
        chunks of ``chunk_ms`` (the last one shorter). ``priority``: realtime | standard | batch;
        ``deadline``: seconds from now (refused now if its first audio cannot come in time; ends
        with finish reason ``deadline`` when it passes). The first chunk holds ``first_chunk_frames``
        frames (1-25; default: 1 at low load, up to 8 as load rises); the codec decodes 1 frame per
        call up to frame 8, then 2, 4, 8 (by frame index only, so the PCM never depends on timing
        or load; at least ``decode_frames``). At most ``max_buffered`` chunks wait for the consumer
        (back-pressure pauses only this request).
        Bad input raises InputError here; overload raises OverloadError (with ``retry_after_s``).
        ``on_frame(k, codes16)`` runs in the scheduler thread after each frame: keep it short."""
        _check_delivery(chunk_ms, decode_frames, first_chunk_frames)
        job = self.job(
            self.request(text, **options), chunk=round(chunk_ms * self.sample_rate / 1000), first_chunk=first_chunk_frames, decode_frames=decode_frames, on_frame=on_frame
        )
        stream = AudioStream(max_buffered=max_buffered, on_finish=self._observe_stream(job.request_id))
        return self.scheduler.submit(job, stream, priority=priority, deadline=deadline)

    stream = submit  # the single-caller name

    def _observe_stream(self, rid: str) -> Callable[[StreamStats], None]:
        def finished(stats: StreamStats) -> None:
            metrics.observe_stream(stats, self.model_type, self.sample_rate)
            log.info("streamed", extra={"request_id": rid, "frames": stats.frames, "finish_reason": stats.finish_reason, "ttfa_s": stats.time_to_first_audio})

        return finished

    def synthesize(
        self,
        text: str,
        *,
        cancel: threading.Event | None = None,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        forced_codes: np.ndarray | None = None,
        capture: bool = False,
        priority: str = "standard",
        **options: Any,
    ) -> Audio:
        """Synthesize a whole text (options: the fields of :class:`Request`). ``seed`` (default:
        random, reported in ``Audio.seed``) makes sampled output reproducible on the same engine and
        provider, alone or beside other requests. ``forced_codes``/``capture`` (teacher forcing,
        logits) need a single segment."""
        req = self.request(text, **options)
        plan = self.plan(req)
        if (forced_codes is not None or capture) and len(plan) > 1:
            raise InputError("forced_codes/capture need a single segment (split=False)")
        job = self.job(req, plan, first_frames=0, decode_frames=None, forced_codes=forced_codes, capture=capture, on_frame=on_frame)
        stream = AudioStream(max_buffered=1 << 30, cancel=cancel)
        started = time.perf_counter()
        pieces = list(self.scheduler.submit(job, stream, priority=priority))
        stats = stream.stats
        pcm = np.concatenate([np.zeros(0, np.float32), *pieces])
        total = time.perf_counter() - started
        audio = Audio(
            pcm=pcm,
            sample_rate=self.sample_rate,
            codes=np.concatenate([np.zeros((0, 16), np.int64), *stats.codes]),
            finish_reason=stats.finish_reason,
            seed=job.seed,
            request_id=job.request_id,
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
        metrics.observe_request(self.model_type, audio.finish_reason, len(audio.codes), audio.duration, total, audio.timings["rtf"])
        log.info(
            "synthesized",
            extra={"request_id": job.request_id, "frames": stats.frames, "segments": len(plan), "finish_reason": audio.finish_reason, "seconds": round(total, 4), "rtf": round(audio.timings["rtf"], 4)},
        )
        return audio

    def text_in_request(self, **options: Any) -> Request:
        """The request :meth:`stream_text` makes of ``options`` (streaming text geometry, one segment),
        checked now: a bad speaker, language or instruct raises before any text arrives."""
        req = self.request("(streamed text)", **options, non_streaming_mode=False, split=False)
        self.layout(req, "a")
        return req

    def stream_text(
        self,
        pieces: Iterable[str],
        *,
        chunk_ms: float = 40,
        decode_frames: int = 1,
        max_buffered: int = 8,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        priority: str = "standard",
        first_chunk_frames: int | None = None,
        **options: Any,
    ) -> AudioStream:
        """Text-in streaming: like :meth:`stream`, but the text arrives as an iterator of pieces (e.g.
        an LLM's tokens), pulled by a feeder thread. Uses the official streaming text geometry (one
        text token per frame, spec §3.5-3.6): the request is submitted once the first token is
        stable, and its stream pauses (without holding others back) when it needs a token that has
        not arrived. Not split into segments; normalization works per clause."""
        _check_delivery(chunk_ms, decode_frames, first_chunk_frames)
        req = self.text_in_request(**options)
        lang = NORMALIZE_LANGS.get((req.language or "auto").lower())
        normalize = None
        if req.normalize and lang is not None:
            normalize = lambda text: self.normalizer.normalize(text, lang).text  # noqa: E731
        stream = AudioStream(max_buffered=max_buffered, on_finish=self._observe_stream("text-in"))
        threading.Thread(  # holds the stream weakly: dropping it cancels the request
            target=self._feed_text,
            args=(iter(pieces), req, normalize, weakref.ref(stream), stream.cancel_event, round(chunk_ms * self.sample_rate / 1000), first_chunk_frames, decode_frames, on_frame, priority),
            name="tts-text-feed", daemon=True,
        ).start()
        return stream

    def _feed_text(
        self, text_iter: Any, req: Request, normalize: Callable[[str], str] | None, stream_ref: Callable[[], AudioStream | None],
        cancel: threading.Event, chunk: int, first_chunk: int | None, decode_frames: int, on_frame: Callable[[int, np.ndarray], None] | None, priority: str,
    ) -> None:
        """Feeder thread of :meth:`stream_text`: submit once the first token is stable, then turn
        arriving text into text vectors until the text ends or the request is cancelled. An error
        (bad text, a failing iterator, a refusal) reaches the consumer and cancels the request."""
        submitted = False
        try:
            feed = TextFeed(self.engine.tokenizer, normalize)
            ids: list[int] = []
            while not ids and not feed.finished and not cancel.is_set():
                piece = next(text_iter, None)
                ids += feed.finish() if piece is None else feed.push(piece)
            stream = stream_ref()
            if cancel.is_set() or stream is None:  # closed or dropped before it started
                if stream is not None:
                    stream.end()
                return
            if not ids:
                raise InputError("streamed text was empty")
            seg = Segment(feed.text, self.layout(req, feed.text, body_ids=ids[:1]), None, 0, (0, 0))
            job = self.job(req, [seg], chunk=chunk, first_chunk=first_chunk, decode_frames=decode_frames, on_frame=on_frame)
            (eos,) = text_vectors(self.engine, [self.engine.config.token_ids["tts_eos"]])
            job.text = vectors = TextVectors(eos, job.segments[0].pad)
            vectors.extend(text_vectors(self.engine, ids[1:]), finished=feed.finished)
            self.scheduler.submit(job, stream, priority=priority)
            submitted = True
            del stream
            while not feed.finished and not cancel.is_set():
                piece = next(text_iter, None)
                new = feed.finish() if piece is None else feed.push(piece)
                vectors.extend(text_vectors(self.engine, new), finished=feed.finished)
        except Exception as e:  # reaches the consumer, like any synthesis error
            stream = stream_ref()
            if stream is not None:
                stream.end(e)  # the first end() counts: the scheduler's later one is ignored
            if submitted:
                cancel.set()  # the scheduler frees the slot

    def decode(self, codes: np.ndarray, *, reference_chunking: bool = False) -> np.ndarray:
        """codes int64 [frames, 16] -> float32 PCM [frames * 1920] (full context, or the official 300/25)."""
        return decode(self.engine.sessions["codec_decoder"], codes, reference_chunking=reference_chunking)
