"""Library API: ``Synthesizer.from_engines(dir).synthesize(text, ...) -> Audio``.

Data flows one way: text -> prompt layout (ids) -> prompt vectors -> frames (codes) -> PCM.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runtime import metrics
from runtime.codec import decode_reference_chunked
from runtime.engine import Engine
from runtime.errors import InputError
from runtime.generate import generate_frames
from runtime.prompt import SPEAKER, PromptLayout, RefFrame, build_prompt, supported_languages
from runtime.sampling import SamplingParams

log = logging.getLogger("qtts.synth")
DEFAULT_MAX_FRAMES = 2048  # 163.8 s; the official default (8192) lets a runaway generation run 11 min


@dataclass
class Audio:
    """A synthesized utterance: ``pcm`` float32 [samples] at ``sample_rate`` Hz, in [-1, 1]."""

    pcm: np.ndarray
    sample_rate: int
    codes: np.ndarray  # int64 [frames, 16]
    finish_reason: str  # eos | max_frames | cancelled
    seed: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds; rtf dimensionless
    request_id: str = ""
    capture: dict[str, list[np.ndarray]] | None = None  # raw logits when synthesize(capture=True)

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


@dataclass
class Request:
    """Everything that defines one utterance (besides the engine)."""

    text: str
    speaker: str | None = None
    language: str | None = None
    instruct: str | None = None
    non_streaming_mode: bool | None = None
    sampling: SamplingParams | None = None
    seed: int | None = None
    max_frames: int | None = None


class Synthesizer:
    """Text -> speech on one engine. One request at a time per instance."""

    def __init__(self, engine: Engine, *, default_max_frames: int = DEFAULT_MAX_FRAMES):
        self.engine = engine
        self.default_max_frames = default_max_frames

    @classmethod
    def from_engines(cls, engine_dir: str | Path, *, provider: str = "cpu", threads: int | None = None, **kw: Any) -> Synthesizer:
        return cls(Engine(engine_dir, provider=provider, threads=threads, **kw))

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
    def layout(self, req: Request) -> PromptLayout:
        if self.model_type == "base":
            raise InputError("voice cloning (Base checkpoints) is not implemented yet: it needs a reference voice")
        return build_prompt(
            self.engine.config,
            self.engine.tokenizer,
            req.text,
            language=req.language,
            speaker=req.speaker,
            instruct=req.instruct,
            non_streaming_mode=req.non_streaming_mode,
        )

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

    # ------------------------------------------------------------------ synthesis
    def synthesize(
        self,
        text: str,
        *,
        speaker: str | None = None,
        language: str | None = None,
        instruct: str | None = None,
        non_streaming_mode: bool | None = None,
        sampling: SamplingParams | None = None,
        seed: int | None = None,
        max_frames: int | None = None,
        cancel: threading.Event | None = None,
        on_frame: Callable[[int, np.ndarray], None] | None = None,
        forced_codes: np.ndarray | None = None,
        capture: bool = False,
    ) -> Audio:
        """Synthesize one utterance. ``seed`` (default: random, reported in ``Audio.seed``) makes
        sampled output reproducible on the same engine and provider."""
        req = Request(text, speaker, language, instruct, non_streaming_mode, sampling, seed, max_frames)
        rid = uuid.uuid4().hex[:12]
        t0 = time.perf_counter()
        layout = self.layout(req)
        prompt, trailing, pad = self.prompt_vectors(layout)
        params = sampling or self.default_sampling()
        seed = int.from_bytes(os.urandom(4), "little") if seed is None else int(seed)
        limit = max_frames or self.default_max_frames
        if limit < 1:
            raise InputError("max_frames must be >= 1")
        t1 = time.perf_counter()
        gen = generate_frames(
            self.engine,
            prompt,
            trailing,
            pad,
            params,
            max_frames=limit,
            rng=np.random.default_rng(seed),
            forced_codes=forced_codes,
            capture=capture,
            cancel=cancel,
            on_frame=on_frame,
        )
        t2 = time.perf_counter()
        pcm = self.decode(gen.codes)
        t3 = time.perf_counter()
        audio = Audio(
            pcm=pcm,
            sample_rate=self.sample_rate,
            codes=gen.codes,
            finish_reason=gen.finish_reason,
            seed=seed,
            request_id=rid,
            timings={
                "prompt_s": t1 - t0,
                "generate_s": t2 - t1,
                "decode_s": t3 - t2,
                "total_s": t3 - t0,
                "time_to_first_audio_s": t3 - t0,  # whole-utterance decode: first sample = last sample
                "frames": float(len(gen.codes)),
                "rtf": (t3 - t0) / max(len(pcm) / self.sample_rate, 1e-9),
            },
        )
        if capture:
            audio.capture = {"talker_logits": gen.talker_logits, "cp_logits": gen.cp_logits}
        metrics.observe_request(audio, self.model_type)
        log.info(
            "synthesized",
            extra={"request_id": rid, "frames": len(gen.codes), "finish_reason": gen.finish_reason, "seconds": round(t3 - t0, 4), "rtf": round(audio.timings["rtf"], 4)},
        )
        return audio

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """codes int64 [frames, 16] -> float32 PCM [frames * 1920] (official 300/25 chunking)."""
        if len(codes) == 0:
            return np.zeros(0, np.float32)
        return decode_reference_chunked(self.engine.sessions["codec_decoder"], codes)

    def iter_chunks(self, text: str, *, chunk_ms: int = 80, **kw: Any) -> Iterator[np.ndarray]:
        """PCM float32 chunks of ``chunk_ms`` (last one shorter). Whole-utterance for now: the
        stateful streaming decoder replaces this with frame-by-frame output."""
        if not 20 <= chunk_ms <= 1000:
            raise InputError("chunk_ms must be in [20, 1000]")
        audio = self.synthesize(text, **kw)
        step = self.sample_rate * chunk_ms // 1000
        for i in range(0, len(audio.pcm), step):
            yield audio.pcm[i : i + step]
