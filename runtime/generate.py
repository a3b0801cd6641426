"""Autoregressive frame generation: talker prefill, then per frame one code-predictor call and
one talker decode step (spec §3.6-3.7, §4, §5).

KV caches live in one preallocated buffer per request ([L, 1, kv, capacity, hd]); each talker call
reads ``[:P]`` and returns the new positions, which are written in place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np

from runtime.engine import Engine
from runtime.sampling import SamplingParams, choose, process_talker_logits

MIN_FRAMES = 2  # EOS is blocked for the first two code-0 samples


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

    def __iter__(self) -> Iterator[np.ndarray]:
        engine, params, forced_codes = self.engine, self.params, self.forced_codes
        talker, cp = engine.sessions["talker"], engine.sessions["code_predictor"]
        cfg = engine.config.talker
        eos = cfg.codec_ids["eos"]
        vocab = cfg.lm.vocab_size
        suppress = np.zeros(vocab, bool)
        suppress[vocab - 1024 :] = True
        suppress[eos] = False
        groups = cfg.num_code_groups - 1

        n_layers, n_kv, hd = engine.kv_shape
        length = self.prompt.shape[0]
        past_k = np.zeros((n_layers, 1, n_kv, length + self.max_frames, hd), np.float32)
        past_v = np.zeros_like(past_k)

        def step(x: np.ndarray, pos: int) -> tuple[np.ndarray, np.ndarray]:
            s = x.shape[0]
            logits, hidden, nk, nv = talker.run(
                None,
                {
                    "inputs_embeds": x[None].astype(np.float32, copy=False),
                    "attention_mask": np.ones((1, pos + s), np.int64),
                    "position_ids": np.arange(pos, pos + s, dtype=np.int64)[None],
                    "past_key": past_k,
                    "past_value": past_v,
                },
            )
            past_k[:, :, :, pos : pos + s] = nk
            past_v[:, :, :, pos : pos + s] = nv
            return logits[0], hidden

        sub = {
            "temperature": np.array([params.sub_temperature if params.sub_do_sample else 1.0], np.float32),
            "top_k": np.array([min(params.sub_top_k or 2048, 2048) if params.sub_do_sample else 1], np.int64),
            "top_p": np.array([params.sub_top_p if params.sub_do_sample else 1.0], np.float32),
        }
        generated = np.zeros(vocab, bool)
        logits, hidden = step(self.prompt, 0)
        for k in range(self.max_frames):
            if self.cancel is not None and self.cancel.is_set():
                self.finish_reason = "cancelled"
                return
            if self.capture:
                self.talker_logits.append(logits.copy())
            processed = process_talker_logits(
                logits, generated, k, penalty=params.repetition_penalty, eos=eos, min_frames=MIN_FRAMES, suppress=suppress
            )
            u = self.rng.random(1 + groups, dtype=np.float32)
            if forced_codes is not None:
                code0 = int(forced_codes[k, 0])
            else:
                code0 = choose(processed, float(u[0]), do_sample=params.do_sample, temperature=params.temperature, top_k=params.top_k, top_p=params.top_p)
            if code0 == eos:
                self.finish_reason = "eos"
                return
            generated[code0] = True
            forced = forced_codes[k : k + 1, 1:] if forced_codes is not None else np.full((1, groups), -1, np.int64)
            rest, frame_embed, cp_logits = cp.run(
                None,
                {"hidden": hidden, "code0": np.array([code0], np.int64), "uniforms": u[None, 1:], "forced_codes": forced, **sub},
            )
            if self.capture:
                self.cp_logits.append(cp_logits[0])
            frame = np.concatenate([[code0], rest[0]]).astype(np.int64)
            self.frames.append(frame)
            yield frame
            if k + 1 == self.max_frames:
                return
            x = frame_embed + self.text_at(k)
            logits, hidden = step(x, length + k)
