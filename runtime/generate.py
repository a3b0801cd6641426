"""Autoregressive frame generation: ONE talker-step call per frame, which steps the talker, samples
code 0 and runs the code predictor (spec §3.6-3.7, §4, §5; graph in export/graphs/talker.py); the
prefill call returns frame 0. The host supplies uniforms and text vectors and keeps the KV.

KV caches live in one preallocated buffer per request ([L, 1, kv, capacity, hd]); each call reads
``[:P]`` and returns the new positions, which are written in place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np

from runtime.engine import Engine
from runtime.sampling import SamplingParams


class Generation:
    """One utterance's autoregressive decoding; iterating yields each frame (int64 [16]) as it is made.

    prompt f32 [L, H]; ``text_at(k)`` -> f32 [H] is the text vector added at decode step k (the
    trailing text R[k], then tts_pad, spec §3.6; it may block until streamed text arrives).
    ``forced_codes`` [F, 16] teacher-forces every frame (logit capture against a golden run).
    ``cancel`` is checked before every frame. After iteration: ``finish_reason`` (eos | max_frames |
    cancelled), ``codes`` int64 [frames, 16], and with ``capture`` the raw logits. The KV buffers live
    only while iterating.
    """

    def __init__(
        self,
        engine: Engine,
        prompt: np.ndarray,
        text_at: Callable[[int], np.ndarray],
        params: SamplingParams,
        *,
        max_frames: int,
        rng: np.random.Generator,
        forced_codes: np.ndarray | None = None,
        capture: bool = False,
        cancel: threading.Event | None = None,
    ):
        self.engine, self.prompt, self.text_at, self.params = engine, prompt, text_at, params
        self.max_frames = min(max_frames, len(forced_codes)) if forced_codes is not None else max_frames
        self.rng, self.forced_codes, self.capture, self.cancel = rng, forced_codes, capture, cancel
        self.finish_reason = "max_frames"
        self.frames: list[np.ndarray] = []
        self.talker_logits: list[np.ndarray] = []  # raw [V] per call (capture only)
        self.cp_logits: list[np.ndarray] = []  # raw [15, 2048] per frame (capture only)

    @property
    def codes(self) -> np.ndarray:
        return np.stack(self.frames) if self.frames else np.zeros((0, 16), np.int64)

    def _feeds(self) -> dict[str, np.ndarray]:
        """The per-request constant inputs of the talker step: sampling settings."""
        p = self.params
        vocab, cp_vocab = self.engine.config.talker.lm.vocab_size, self.engine.config.talker.code_predictor.vocab_size

        def sampler(prefix: str, do: bool, temperature: float, top_k: int, top_p: float, v: int) -> dict[str, np.ndarray]:
            return {
                prefix + "do_sample": np.array([do]),
                prefix + "temperature": np.array([temperature], np.float32),
                prefix + "top_k": np.array([min(top_k, v) if top_k > 0 else v], np.int64),
                prefix + "top_p": np.array([top_p], np.float32),
            }

        return {
            "repetition_penalty": np.array([p.repetition_penalty], np.float32),
            **sampler("", p.do_sample, p.temperature, p.top_k, p.top_p, vocab),
            **sampler("sub_", p.sub_do_sample, p.sub_temperature, p.sub_top_k, p.sub_top_p, cp_vocab),
        }

    def __iter__(self) -> Iterator[np.ndarray]:
        engine, forced_codes = self.engine, self.forced_codes
        talker = engine.sessions["talker"]
        cfg = engine.config.talker
        eos, vocab, groups = cfg.codec_ids["eos"], cfg.lm.vocab_size, cfg.num_code_groups

        n_layers, n_kv, hd = engine.kv_shape
        length, hidden_size = self.prompt.shape
        past_k = np.zeros((n_layers, 1, n_kv, length + self.max_frames, hd), np.float32)
        past_v = np.zeros_like(past_k)
        carried = {"frame_embed": np.zeros((1, hidden_size), np.float32), "generated": np.zeros((1, vocab), bool)}
        constant = self._feeds()
        unforced = np.full((1, groups), -1, np.int64)
        for k in range(self.max_frames):
            if self.cancel is not None and self.cancel.is_set():
                self.finish_reason = "cancelled"
                return
            x, pos = (self.prompt, 0) if k == 0 else (self.text_at(k - 1)[None], length + k - 1)
            s = x.shape[0]
            codes, frame_embed, generated, logits, cp_logits, nk, nv = talker.run(
                None,
                {
                    "inputs_embeds": x[None].astype(np.float32, copy=False),
                    **carried,
                    "step": np.array([k], np.int64),
                    "uniforms": self.rng.random(groups, dtype=np.float32)[None],
                    "forced_codes": forced_codes[k : k + 1] if forced_codes is not None else unforced,
                    **constant,
                    "attention_mask": np.ones((1, pos + s), np.int64),
                    "position_ids": np.arange(pos, pos + s, dtype=np.int64)[None],
                    "past_key": past_k,
                    "past_value": past_v,
                },
            )
            past_k[:, :, :, pos : pos + s] = nk
            past_v[:, :, :, pos : pos + s] = nv
            carried.update(frame_embed=frame_embed, generated=generated)
            if self.capture:
                self.talker_logits.append(logits[0])
            frame = codes[0]
            if frame[0] == eos:
                self.finish_reason = "eos"
                return
            if self.capture:
                self.cp_logits.append(cp_logits[0])
            self.frames.append(frame)
            yield frame
