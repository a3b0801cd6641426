"""Sampling parameters (spec §5). The sampling itself runs inside the talker step graph
(export/graphs/sampling.py) with uniforms from the request's RNG."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from qtts.runtime.errors import InputError

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
