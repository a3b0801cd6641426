"""Autoregressive frame generation: ONE talker-step call per frame, which steps the talker, samples
code 0 and runs the code predictor (spec §3.6-3.7, §4, §5; graph in export/graphs/talker.py); the
prefill call returns frame 0. The host supplies uniforms and text vectors and keeps the KV.

The KV cache is one buffer per layer and request ([1, kv, capacity, hd], capacity = prompt +
max_frames), bound through IOBinding as both past and present: GroupQueryAttention writes the new
positions in place. Frame k's embedding and the repetition mask pass from one call to the next in
bound buffers, so only the 16 codes come back to the host per frame.
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
        engine, forced_codes = self.engine, self.forced_codes
        talker = engine.sessions["talker"]
        cfg = engine.config.talker
        eos, vocab, groups = cfg.codec_ids["eos"], cfg.lm.vocab_size, cfg.num_code_groups
        length, hidden_size = self.prompt.shape
        capacity = length + self.max_frames
        if capacity > cfg.lm.max_positions:
            raise InputError(f"prompt ({length}) + max_frames ({self.max_frames}) exceeds the talker's {cfg.lm.max_positions} positions")

        io = talker.io_binding()
        buffers: list[ort.OrtValue] = []  # every bound buffer must outlive the binding

        def buffer(shape: list[int], dtype: type, value: np.ndarray | None = None, *, device: tuple[str, int] = engine.device) -> ort.OrtValue:
            host = np.zeros(shape, dtype) if value is None else np.array(value, dtype)  # a copy: the buffer owns it
            if device[0] == "cpu":  # numpy-backed: the OrtValue uses (and keeps) this array's memory
                buffers.append(ort.OrtValue.ortvalue_from_numpy(host))
            else:
                buffers.append(ort.OrtValue.ortvalue_from_shape_and_type(shape, dtype, *device))
                buffers[-1].update_inplace(host)
            return buffers[-1]

        # Fixed buffers on the engine's device, updated in place (so every decode call sees the same
        # addresses, as CUDA-graph replay needs): the KV cache per layer, bound as past and present;
        # frame k's embedding and the repetition mask in two copies each, output of one call and
        # input of the next; the per-step inputs; the outputs, copied out after each call.
        n_layers, n_kv, hd = engine.kv_shape
        for i in range(n_layers):
            for kind in ("key", "value"):
                kv = buffer([1, n_kv, capacity, hd], np.float32)
                io.bind_ortvalue_input(f"past_{kind}_{i}", kv)
                io.bind_ortvalue_output(f"present_{kind}_{i}", kv)
        carried = {"frame_embed": [buffer([1, hidden_size], np.float32) for _ in range(2)], "generated": [buffer([1, vocab], bool) for _ in range(2)]}
        outputs = {name: buffer(shape, dtype) for name, shape, dtype in (
            ("codes", [1, groups], np.int64), ("logits", [1, vocab], np.float32), ("cp_logits", [1, groups - 1, cfg.code_predictor.vocab_size], np.float32),
        )}
        for name, value in outputs.items():
            io.bind_ortvalue_output(name, value)
        for name, value in self._feeds().items():
            io.bind_ortvalue_input(name, buffer(list(value.shape), value.dtype.type, value))
        step_inputs = {name: buffer(shape, dtype, device=device) for name, shape, dtype, device in (
            ("step", [1], np.int64, engine.device), ("uniforms", [1, groups], np.float32, engine.device),
            ("forced_codes", [1, groups], np.int64, engine.device), ("seqlens_k", [1], np.int32, engine.device),
            ("total_sequence_length", [], np.int32, ("cpu", 0)),  # GroupQueryAttention reads it on the host
        )}
        for name, value in step_inputs.items():
            io.bind_ortvalue_input(name, value)
        text = buffer([1, 1, hidden_size], np.float32)  # decode calls: the text vector of step k - 1
        io.bind_ortvalue_input("inputs_embeds", buffer([1, length, hidden_size], np.float32, self.prompt[None]))
        unforced = np.full((1, groups), -1, np.int64)
        for k in range(self.max_frames):
            if self.cancel is not None and self.cancel.is_set():
                self.finish_reason = "cancelled"
                return
            for name, pair in carried.items():
                io.bind_ortvalue_input(name, pair[k % 2])
                io.bind_ortvalue_output(name + "_out", pair[1 - k % 2])
            total = length if k == 0 else length + k
            if k == 1:
                io.bind_ortvalue_input("inputs_embeds", text)
            if k >= 1:
                text.update_inplace(np.ascontiguousarray(self.text_at(k - 1)[None, None], np.float32))
            for name, value in (
                ("step", np.array([k], np.int64)),
                ("uniforms", self.rng.random(groups, dtype=np.float32)[None]),
                ("forced_codes", forced_codes[k : k + 1] if forced_codes is not None else unforced),
                ("seqlens_k", np.array([total - 1], np.int32)),
                ("total_sequence_length", np.array(total, np.int32)),
            ):
                step_inputs[name].update_inplace(np.ascontiguousarray(value))
            talker.run_with_iobinding(io)
            values = {name: value.numpy() for name, value in outputs.items() if name == "codes" or self.capture}
            if self.capture:
                self.talker_logits.append(values["logits"][0].copy())
            frame = values["codes"][0].copy()
            if frame[0] == eos:
                self.finish_reason = "eos"
                return
            if self.capture:
                self.cp_logits.append(values["cp_logits"][0].copy())
            self.frames.append(frame)
            yield frame
