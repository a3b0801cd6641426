"""Engine: the ONNX Runtime sessions of one exported engine directory, plus its model facts.

Directory layout (written by ``export``): ``manifest.json``, ``config.json``,
``generation_config.json``, tokenizer files, ``embed.onnx``, ``talker.onnx`` (the per-frame step,
code predictor included), ``codec_decoder.onnx`` (each with a ``.onnx.data`` weight file); Base
engines also hold ``speaker_encoder.onnx`` and ``codec_encoder.onnx`` (voice cloning, ``runtime.voice``).
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from qtts.runtime.errors import EngineError, ProviderError
from qtts.runtime.manifest import Manifest, check
from qtts.runtime.model_config import ModelConfig
from qtts.runtime.threads import started_by
from qtts.runtime.tokenizer import TextTokenizer

GRAPHS = ("embed", "talker", "codec_decoder")
OPTIONAL_GRAPHS = ("speaker_encoder", "codec_encoder")  # loaded when the manifest lists them (Base)
_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}
# a graph input's ORT type -> host storage: numpy dtype, ONNX element type to wrap it as (None: numpy's own;
# bfloat16, which numpy lacks, is held as its uint16 bit patterns)
_STORAGE = {"tensor(float)": (np.dtype(np.float32), None), "tensor(float16)": (np.dtype(np.float16), None), "tensor(bfloat16)": (np.dtype(np.uint16), 16)}


def input_storage(session: ort.InferenceSession, name: str) -> tuple[np.dtype, int | None]:
    """Host storage of the float input ``name`` of ``session`` (fp16/bf16 profiles: export.half)."""
    return _STORAGE[next(i.type for i in session.get_inputs() if i.name == name)]


def resolve_providers(provider: str, device_id: int = 0, *, gpu_mem_limit_mb: int = 0, cache_dir: Path | None = None) -> list[Any]:
    """Map ``cpu|cuda|tensorrt|auto`` to an ORT provider list.

    An explicit GPU provider that this onnxruntime build lacks is an error (ORT would otherwise
    fall back to the CPU silently); ``auto`` takes the best available and warns when that is the CPU.
    GPU providers get ``device_id``, the arena limit ``gpu_mem_limit_mb`` (0: none) and, for
    TensorRT, an engine cache under ``cache_dir``; the CUDA EP follows TensorRT for the nodes it
    cannot take (GroupQueryAttention and other contrib ops), then the CPU.
    """
    available = ort.get_available_providers()
    if provider == "auto":
        for name in ("cuda", "cpu"):
            if _PROVIDERS[name] in available:
                if name == "cpu":
                    warnings.warn("no GPU execution provider available; running on the CPU", stacklevel=2)
                return resolve_providers(name, device_id, gpu_mem_limit_mb=gpu_mem_limit_mb, cache_dir=cache_dir)
    if provider not in _PROVIDERS:
        raise ProviderError(f"unknown provider {provider!r} (choose cpu, cuda, tensorrt or auto)")
    ep = _PROVIDERS[provider]
    if ep not in available:
        raise ProviderError(f"provider {provider!r} is not available in this onnxruntime build (available: {', '.join(available)})")
    if provider == "cpu":
        return [ep]
    if device_id < 0:
        raise ProviderError(f"device_id must be >= 0, got {device_id}")
    cuda: dict[str, str] = {"device_id": str(device_id)}
    if gpu_mem_limit_mb > 0:
        cuda["gpu_mem_limit"] = str(gpu_mem_limit_mb * 2**20)
    chain: list[Any] = [(_PROVIDERS["cuda"], cuda)]
    if provider == "tensorrt":
        trt = {"device_id": str(device_id), "trt_engine_cache_enable": "1", "trt_timing_cache_enable": "1"}
        if cache_dir is not None:
            trt["trt_engine_cache_path"] = trt["trt_timing_cache_path"] = str(cache_dir)
        chain.insert(0, (ep, trt))
    return [*chain, "CPUExecutionProvider"]


def preload_gpu_libraries() -> None:
    """Load the CUDA/cuDNN libraries pip installed (nvidia-* wheels, or torch's) before the first GPU
    session, so onnxruntime-gpu finds them without LD_LIBRARY_PATH (``onnxruntime.preload_dlls``,
    ORT >= 1.21; a no-op where it does not exist or finds nothing)."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        # OSError: the system loader may still find them; a session that cannot load says so
        with warnings.catch_warnings(), contextlib.suppress(OSError):
            warnings.simplefilter("ignore")
            preload()


def check_placement(session: ort.InferenceSession, providers: list[Any], path: Path) -> None:
    """Raise when ORT dropped the requested GPU provider for this session (it falls back to the CPU
    with only a log line when the CUDA libraries fail to load)."""
    first = providers[0] if isinstance(providers[0], str) else providers[0][0]
    if first != "CPUExecutionProvider" and first not in session.get_providers():
        raise ProviderError(
            f"{path.name}: onnxruntime could not use {first} (it fell back to {session.get_providers()[0]}); "
            "check the CUDA 13 / cuDNN 9 libraries (pip install '.[gpu]') or run with --provider cpu"
        )


class Engine:
    """Loaded sessions and model facts. Thread-compatible, not thread-safe (one request at a time)."""

    def __init__(
        self,
        engine_dir: str | Path,
        *,
        provider: str = "cpu",
        threads: int | None = None,
        device_id: int = 0,
        gpu_mem_limit_mb: int = 0,
        verify_hashes: bool = False,
        tokenizer_regex: str = "official",
    ):
        self.dir = Path(engine_dir)
        self.manifest: Manifest = check(self.dir, verify_hashes=verify_hashes)
        self.config = ModelConfig.load(self.dir / "config.json")
        self.generation_config: dict[str, Any] = json.loads((self.dir / "generation_config.json").read_text(encoding="utf-8"))
        self.tokenizer = TextTokenizer.from_dir(self.dir, regex=tokenizer_regex)
        self.providers = resolve_providers(provider, device_id, gpu_mem_limit_mb=gpu_mem_limit_mb, cache_dir=self.dir / "trt_cache")
        self.device = ("cpu", 0) if self.providers == ["CPUExecutionProvider"] else ("cuda", device_id)  # where step buffers live
        if self.device[0] == "cuda":
            preload_gpu_libraries()
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = threads or int(os.environ.get("QTTS_THREADS", 0)) or 0
        opts.inter_op_num_threads = 1
        # no busy-waiting after a call: a spinning talker pool took the cores from the codec call after it
        # (measured on 2 cores, 0.6B fp32, interleaved rounds: streaming/whole RTF 1.10 -> 1.00, whole unchanged)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._options = opts
        self.sessions: dict[str, ort.InferenceSession] = {}
        self.session_threads: dict[str, set[int]] = {}  # graph -> native ids of its session's intra-op pool threads
        optional = [g for g in OPTIONAL_GRAPHS if g in self.manifest.graphs]
        for name in (*GRAPHS, *optional):
            self.sessions[name], self.session_threads[name] = started_by(lambda name=name: self._load(name))
        lm = self.config.talker.lm
        self.hidden_size = lm.hidden_size
        self.kv_shape = (lm.num_layers, *next(i.shape for i in self.sessions["talker"].get_inputs() if i.name == "past_key_0")[1::2])  # (layers, kv heads, the graph's KV head size)
        self.sample_rate = 24000

    def _load(self, name: str) -> ort.InferenceSession:
        path = self.dir / f"{name}.onnx"
        if name not in self.manifest.graphs or not path.is_file():
            raise EngineError(f"{self.dir}: graph {name}.onnx is missing")
        try:
            session = ort.InferenceSession(str(path), self._options, providers=self.providers)
        except Exception as e:  # ORT raises its own exception types; make them one-line engine errors
            raise EngineError(f"{path}: onnxruntime could not load the graph: {e}") from None
        check_placement(session, self.providers, path)
        return session

    def session_copies(self, names: tuple[str, ...]) -> dict[str, ort.InferenceSession]:
        """Second sessions of the graphs ``names``, with their own weights and thread pools (the
        realtime lane's: runtime.scheduler); they cost :meth:`graph_bytes` more memory."""
        return {name: self._load(name) for name in names}

    def graph_bytes(self, names: tuple[str, ...]) -> int:
        """Bytes of the graphs ``names`` and their weight files on disk (about what a session holds)."""
        files = [self.dir / f"{n}.onnx{ext}" for n in names for ext in ("", ".data")]
        return sum(f.stat().st_size for f in files if f.is_file())

    @property
    def provider(self) -> str:
        return self.sessions["talker"].get_providers()[0]

    def embed(self, text_ids: np.ndarray, codec_ids: np.ndarray, frame_codes: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """text_ids [N], codec_ids [M], frame_codes [F,16] (int64) -> ([N,H], [M,H], [F,H]) float32."""
        frames = np.zeros((0, 16), np.int64) if frame_codes is None else frame_codes
        return tuple(
            self.sessions["embed"].run(
                None,
                {
                    "text_ids": np.asarray(text_ids, np.int64),
                    "codec_ids": np.asarray(codec_ids, np.int64),
                    "frame_codes": np.asarray(frames, np.int64),
                },
            )
        )
