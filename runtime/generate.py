"""Autoregressive frame generation: ONE talker-step call per frame, which steps the talker, samples
code 0 and runs the code predictor (spec §3.6-3.7, §4, §5; graph in export/graphs/talker.py); the
prefill call returns frame 0. The host supplies uniforms and text vectors and keeps the KV.

The KV cache is one buffer per layer and request ([1, kv, capacity, hd], capacity = prompt +
max_frames), bound through IOBinding as both past and present: GroupQueryAttention writes the new
positions in place. Frame k's embedding and the repetition mask pass from one call to the next in
bound buffers, so only the 16 codes come back to the host per frame (:class:`TalkerStep`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np
import onnxruntime as ort

from runtime.engine import Engine
from runtime.errors import InputError
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
        cfg = self.engine.config.talker
        eos, groups = cfg.codec_ids["eos"], cfg.num_code_groups
        length = self.prompt.shape[0]
        if length + self.max_frames > cfg.lm.max_positions:
            raise InputError(f"prompt ({length}) + max_frames ({self.max_frames}) exceeds the talker's {cfg.lm.max_positions} positions")
        step = TalkerStep(self.engine, self.prompt, length + self.max_frames, self._feeds())
        unforced = np.full((1, groups), -1, np.int64)
        for k in range(self.max_frames):
            if self.cancel is not None and self.cancel.is_set():
                self.finish_reason = "cancelled"
                return
            codes, logits, cp_logits = step.run(
                k,
                None if k == 0 else self.text_at(k - 1),
                self.rng.random(groups, dtype=np.float32)[None],
                self.forced_codes[k : k + 1] if self.forced_codes is not None else unforced,
                copy_logits=self.capture,
            )
            if self.capture:
                self.talker_logits.append(logits)
            if codes[0] == eos:
                self.finish_reason = "eos"
                return
            if self.capture:
                self.cp_logits.append(cp_logits)
            self.frames.append(codes)
            yield codes


class TalkerStep:
    """The talker step graph of one request behind an IOBinding over fixed buffers on the engine's
    device, updated in place, so every decode call binds the same addresses (as CUDA-graph replay
    needs): the KV cache per layer ([1, kv, capacity, hd], bound as past and present); frame k's
    embedding and the repetition mask in two copies each (output of one call, input of the next);
    the per-step inputs; the outputs, copied to the host after each call. Call k = 0 is the prefill
    on ``prompt`` f32 [L, H]."""

    def __init__(self, engine: Engine, prompt: np.ndarray, capacity: int, feeds: dict[str, np.ndarray]):
        cfg = engine.config.talker
        self.session, self.device, self.length = engine.sessions["talker"], engine.device, prompt.shape[0]
        vocab, groups, hidden = cfg.lm.vocab_size, cfg.num_code_groups, prompt.shape[1]
        self.io = io = self.session.io_binding()
        self._keep: list[ort.OrtValue] = []  # a bound buffer must outlive the binding
        n_layers, n_kv, hd = engine.kv_shape
        for i in range(n_layers):
            for kind in ("key", "value"):
                kv = self._buffer([1, n_kv, capacity, hd], np.float32)
                io.bind_ortvalue_input(f"past_{kind}_{i}", kv)
                io.bind_ortvalue_output(f"present_{kind}_{i}", kv)
        self.carried = {"frame_embed": [self._buffer([1, hidden], np.float32) for _ in range(2)], "generated": [self._buffer([1, vocab], bool) for _ in range(2)]}
        self.outputs = {name: self._buffer(shape, dtype) for name, shape, dtype in (
            ("codes", [1, groups], np.int64), ("logits", [1, vocab], np.float32), ("cp_logits", [1, groups - 1, cfg.code_predictor.vocab_size], np.float32),
        )}
        for name, value in self.outputs.items():
            io.bind_ortvalue_output(name, value)
        for name, value in feeds.items():
            io.bind_ortvalue_input(name, self._buffer(list(value.shape), value.dtype.type, value))
        self.inputs = {name: self._buffer(shape, dtype, device=device) for name, shape, dtype, device in (
            ("step", [1], np.int64, self.device), ("uniforms", [1, groups], np.float32, self.device),
            ("forced_codes", [1, groups], np.int64, self.device), ("seqlens_k", [1], np.int32, self.device),
            ("total_sequence_length", [], np.int32, ("cpu", 0)),  # GroupQueryAttention reads it on the host
        )}
        for name, value in self.inputs.items():
            io.bind_ortvalue_input(name, value)
        self.text = self._buffer([1, 1, hidden], np.float32)  # decode calls: the text vector of step k - 1
        io.bind_ortvalue_input("inputs_embeds", self._buffer([1, self.length, hidden], np.float32, prompt[None]))

    def _buffer(self, shape: list[int], dtype: type, value: np.ndarray | None = None, *, device: tuple[str, int] | None = None) -> ort.OrtValue:
        device = device or self.device
        host = np.zeros(shape, dtype) if value is None else np.array(value, dtype)  # a copy: the buffer owns it
        if device[0] == "cpu":  # numpy-backed: the OrtValue uses (and keeps) this array's memory
            buf = ort.OrtValue.ortvalue_from_numpy(host)
        else:
            buf = ort.OrtValue.ortvalue_from_shape_and_type(shape, dtype, *device)
            buf.update_inplace(host)
        self._keep.append(buf)
        return buf

    def run(
        self, k: int, text: np.ndarray | None, uniforms: np.ndarray, forced: np.ndarray, *, copy_logits: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Call k: ``text`` f32 [H] (step k - 1's text vector; None for the prefill), ``uniforms`` f32
        [1, 16], ``forced`` i64 [1, 16] -> (codes i64 [16], raw talker logits [V] and code-predictor
        logits [15, 2048] when ``copy_logits``)."""
        io = self.io
        for name, pair in self.carried.items():
            io.bind_ortvalue_input(name, pair[k % 2])
            io.bind_ortvalue_output(name + "_out", pair[1 - k % 2])
        if text is not None:
            if k == 1:
                io.bind_ortvalue_input("inputs_embeds", self.text)
            self.text.update_inplace(np.ascontiguousarray(text[None, None], np.float32))
        total = self.length + k
        for name, value in (
            ("step", np.array([k], np.int64)),
            ("uniforms", uniforms),
            ("forced_codes", forced),
            ("seqlens_k", np.array([total - 1], np.int32)),
            ("total_sequence_length", np.array(total, np.int32)),
        ):
            self.inputs[name].update_inplace(np.ascontiguousarray(value))
        self.session.run_with_iobinding(io)
        codes = self.outputs["codes"].numpy()[0].copy()
        if not copy_logits:
            return codes, None, None
        return codes, self.outputs["logits"].numpy()[0].copy(), self.outputs["cp_logits"].numpy()[0].copy()
