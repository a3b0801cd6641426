"""Execution-provider selection and the guard against ORT's silent CPU fallback (no GPU needed:
the GPU builds' provider lists are simulated; the fallback itself is ORT's real behaviour)."""

from __future__ import annotations

import warnings
from pathlib import Path

import onnxruntime as ort
import pytest

from qtts.runtime import engine as engine_mod
from qtts.runtime.engine import Engine, resolve_providers
from qtts.runtime.errors import ProviderError

GPU_BUILD = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]


@pytest.fixture
def gpu_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend this onnxruntime is the GPU build (its sessions still only have the CPU)."""
    monkeypatch.setattr(ort, "get_available_providers", lambda: list(GPU_BUILD))


def test_gpu_provider_chains(gpu_build: None, tmp_path: Path) -> None:
    cuda = resolve_providers("cuda", 1, gpu_mem_limit_mb=512)
    assert cuda == [("CUDAExecutionProvider", {"device_id": "1", "gpu_mem_limit": str(512 * 2**20)}), "CPUExecutionProvider"]
    trt = resolve_providers("tensorrt", 0, cache_dir=tmp_path)
    assert [p if isinstance(p, str) else p[0] for p in trt] == GPU_BUILD
    assert trt[0][1]["trt_engine_cache_path"] == str(tmp_path) and trt[0][1]["trt_engine_cache_enable"] == "1"
    assert "gpu_mem_limit" not in trt[1][1]
    assert resolve_providers("auto")[0][0] == "CUDAExecutionProvider"  # TensorRT only when asked for
    with pytest.raises(ProviderError, match="device_id"):
        resolve_providers("cuda", -1)


def test_auto_falls_back_to_cpu_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.warns(UserWarning, match="running on the CPU"):
        assert resolve_providers("auto") == ["CPUExecutionProvider"]
    with pytest.raises(ProviderError, match="not available"):
        resolve_providers("cuda")


def test_explicit_gpu_that_falls_back_is_an_error(gpu_build: None, tiny_engines: dict[str, Path]) -> None:
    """ORT answers a GPU provider it cannot load with a CPU session and a log line; the engine refuses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ProviderError, match="could not use CUDAExecutionProvider"):
            Engine(tiny_engines["custom_voice"], provider="cuda", threads=1)


def test_gpu_libraries_are_preloaded_once_per_gpu_engine(gpu_build: None, tiny_engines: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(engine_mod, "preload_gpu_libraries", lambda: calls.append(1))
    Engine(tiny_engines["custom_voice"], provider="cpu", threads=1)
    assert calls == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ProviderError):
            Engine(tiny_engines["custom_voice"], provider="cuda", threads=1)
    assert calls == [1]
