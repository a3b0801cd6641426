"""qtts: Qwen3-TTS inference without torch (ONNX Runtime). The repository root is this package.

Public API (imported on first use, so ``import qtts.normalize`` does not load ONNX Runtime)::

    from qtts import Synthesizer
    synth = Synthesizer.from_engines("engines/0.6b-custom_voice")
    audio = synth.synthesize("Привет!", speaker="ryan")

Subpackages: ``qtts.runtime`` (engine, scheduler, streaming), ``qtts.normalize`` (RU/EN text
normalization), ``qtts.export`` (safetensors -> ONNX engines; needs the ``export`` extra),
``qtts.server`` (HTTP/WebSocket/gRPC/Wyoming front ends; the ``server`` extra).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC = {
    "Synthesizer": "qtts.runtime.synthesizer",
    "Audio": "qtts.runtime.synthesizer",
    "AudioStream": "qtts.runtime.stream",
    "Normalizer": "qtts.normalize",
    "TTSError": "qtts.runtime.errors",
    "InputError": "qtts.runtime.errors",
    "EngineError": "qtts.runtime.errors",
    "OverloadError": "qtts.runtime.errors",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'qtts' has no attribute {name!r}")
