"""Sampling parameters and the talker's logits pipeline (spec §5), on the host in numpy.

The code predictor samples inside its graph (uniforms from the same RNG stream); the talker's
3072 logits are processed here: repetition penalty over generated code-0 ids, EOS blocked for the
first ``min_frames`` steps, control ids suppressed, then argmax or temperature/top-k/top-p draw.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from runtime.errors import InputError

# generation_config.json keys -> SamplingParams fields (the wrapper's names)
_GEN_KEYS = {
    "do_sample": "do_sample",
    "temperature": "temperature",
    "top_k": "top_k",
    "top_p": "top_p",
    "repetition_penalty": "repetition_penalty",
    "subtalker_dosample": "sub_do_sample",
    "subtalker_temperature": "sub_temperature",
    "subtalker_top_k": "sub_top_k",
    "subtalker_top_p": "sub_top_p",
}


@dataclass(frozen=True)
class SamplingParams:
    """Talker (``*``) and code-predictor (``sub_*``) sampling; defaults = released generation_config."""

    do_sample: bool = True
    temperature: float = 0.9
    top_k: int = 50
    top_p: float = 1.0
    repetition_penalty: float = 1.05
    sub_do_sample: bool = True
    sub_temperature: float = 0.9
    sub_top_k: int = 50
    sub_top_p: float = 1.0

    def __post_init__(self) -> None:
        for pre in ("", "sub_"):
            if getattr(self, pre + "temperature") <= 0:
                raise InputError(f"{pre}temperature must be > 0")
            if getattr(self, pre + "top_k") < 0:
                raise InputError(f"{pre}top_k must be >= 0 (0 = off)")
            if not 0 < getattr(self, pre + "top_p") <= 1:
                raise InputError(f"{pre}top_p must be in (0, 1]")
        if self.repetition_penalty <= 0:
            raise InputError("repetition_penalty must be > 0")

    @classmethod
    def from_generation_config(cls, gen: dict[str, Any], **overrides: Any) -> SamplingParams:
        base = {f: gen[k] for k, f in _GEN_KEYS.items() if k in gen}
        base.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = set(base) - known
        if unknown:
            raise InputError(f"unknown sampling parameters: {sorted(unknown)}")
        return cls(**base)

    def greedy(self) -> SamplingParams:
        """Same penalties, argmax for both talker and code predictor."""
        return replace(self, do_sample=False, sub_do_sample=False)


def process_talker_logits(
    logits: np.ndarray, generated: np.ndarray, step: int, *, penalty: float, eos: int, min_frames: int, suppress: np.ndarray
) -> np.ndarray:
    """logits f32 [V] (raw), generated bool [V] (code-0 ids emitted so far) -> processed f32 [V]."""
    x = logits.astype(np.float32, copy=True)
    if penalty != 1.0 and generated.any():
        sel = x[generated]
        x[generated] = np.where(sel > 0, sel / np.float32(penalty), sel * np.float32(penalty))
    if step < min_frames:
        x[eos] = -np.inf
    x[suppress] = -np.inf
    return x


def choose(logits: np.ndarray, u: float, *, do_sample: bool, temperature: float, top_k: int, top_p: float) -> int:
    """Greedy argmax (first index on ties) or inverse-CDF draw with uniform ``u`` in [0, 1)."""
    if not do_sample:
        return int(np.argmax(logits))
    x = logits / np.float32(temperature)
    if 0 < top_k < x.size:
        kth = np.partition(x, -top_k)[-top_k]
        x = np.where(x < kth, -np.inf, x)
    p = np.exp(x - x.max())
    p /= p.sum()
    if top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        before = np.cumsum(p[order]) - p[order]
        drop = order[before >= top_p]
        p[drop] = 0
        p /= p.sum()
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), x.size - 1))
