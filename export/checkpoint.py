"""Open and validate a Qwen3-TTS 12 Hz model directory (local path or Hugging Face hub id).

Layout (spec §1.1)::

    config.json  generation_config.json  vocab.json  merges.txt  tokenizer_config.json
    model.safetensors                       talker + code predictor (+ speaker encoder), BF16
    speech_tokenizer/config.json            codec config
    speech_tokenizer/model.safetensors      codec encoder + decoder, F32
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from qtts.export.schema import expected_codec_tensors, expected_model_tensors
from qtts.runtime.errors import CheckpointError
from qtts.runtime.manifest import sha256_file
from qtts.runtime.model_config import CodecConfig, ModelConfig, read_json
from qtts.runtime.safetensors_io import SafetensorsFile

MODEL_FILE = "model.safetensors"
CODEC_DIR = "speech_tokenizer"
CODEC_FILE = f"{CODEC_DIR}/model.safetensors"
TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer_config.json")
# Files that determine an engine's behaviour (hashed into its manifest); optional ones may be absent.
_HASHED_FILES = (
    "config.json", "generation_config.json", *TOKENIZER_FILES, "preprocessor_config.json",
    MODEL_FILE, f"{CODEC_DIR}/config.json", f"{CODEC_DIR}/preprocessor_config.json", CODEC_FILE,
)
# The wrapper's hard defaults, used for keys missing from generation_config.json (spec §5.1).
GENERATION_DEFAULTS: dict[str, Any] = {
    "do_sample": True, "temperature": 0.9, "top_k": 50, "top_p": 1.0, "repetition_penalty": 1.05,
    "subtalker_dosample": True, "subtalker_temperature": 0.9, "subtalker_top_k": 50,
    "subtalker_top_p": 1.0, "max_new_tokens": 2048,
}
_FLOAT_DTYPES = ("BF16", "F16", "F32")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MAX_REPORTED = 5


class Checkpoint:
    """A model directory with parsed configs and memory-mapped weight files.

    Attributes: ``root``, ``config`` (ModelConfig), ``codec_config`` (CodecConfig),
    ``generation_config`` (dict: the file's values over ``GENERATION_DEFAULTS``),
    ``model_file`` / ``codec_file`` (SafetensorsFile).
    """

    def __init__(
        self,
        root: Path,
        config: ModelConfig,
        codec_config: CodecConfig,
        generation_config: dict[str, Any],
        model_file: SafetensorsFile,
        codec_file: SafetensorsFile,
    ):
        self.root = root
        self.config = config
        self.codec_config = codec_config
        self.generation_config = generation_config
        self.model_file = model_file
        self.codec_file = codec_file

    @classmethod
    def open(cls, source: str | Path, revision: str | None = None) -> Checkpoint:
        """Open a local model directory, or download a hub id such as
        ``Qwen/Qwen3-TTS-12Hz-0.6B-CustomVoice`` (needs ``huggingface_hub``).

        Parses the configs and safetensors headers (a truncated file or corrupt header fails
        here); call ``validate()`` to check the tensor inventory.
        """
        root = resolve_model_dir(source, revision)
        config = ModelConfig.load(_require(root, "config.json"))
        for name in TOKENIZER_FILES:
            _require(root, name)
        if not (root / CODEC_DIR).is_dir():
            raise CheckpointError(f"{root}: missing {CODEC_DIR}/ directory (the codec)")
        codec_config = CodecConfig.load(_require(root, f"{CODEC_DIR}/config.json"))
        gen = read_json(_require(root, "generation_config.json"))
        model_file = SafetensorsFile(_require(root, MODEL_FILE))
        codec_file = SafetensorsFile(_require(root, CODEC_FILE))
        return cls(root, config, codec_config, {**GENERATION_DEFAULTS, **gen}, model_file, codec_file)

    def validate(self) -> None:
        """Check every tensor name, shape and dtype of both weight files against the schema.

        Raises CheckpointError listing the first few problems (file and tensor named) and their count.
        """
        problems = _check(MODEL_FILE, self.model_file, expected_model_tensors(self.config))
        problems += _check(CODEC_FILE, self.codec_file, expected_codec_tensors(self.codec_config))
        if problems:
            shown = "; ".join(problems[:_MAX_REPORTED])
            more = f"; ... and {len(problems) - _MAX_REPORTED} more" if len(problems) > _MAX_REPORTED else ""
            raise CheckpointError(f"{self.root}: {len(problems)} tensor problem(s): {shown}{more}")

    def model_tensor(self, name: str) -> np.ndarray:
        """A ``model.safetensors`` tensor as float32 (BF16 widened exactly)."""
        return _tensor(self.model_file, MODEL_FILE, name)

    def codec_tensor(self, name: str) -> np.ndarray:
        """A ``speech_tokenizer/model.safetensors`` tensor as float32."""
        return _tensor(self.codec_file, CODEC_FILE, name)

    def file_hashes(self) -> dict[str, str]:
        """sha256 of every file that determines an engine's behaviour: {relative path: hex digest}."""
        return {rel: sha256_file(self.root / rel) for rel in _HASHED_FILES if (self.root / rel).is_file()}


def resolve_model_dir(source: str | Path, revision: str | None = None) -> Path:
    """A local directory as is; otherwise an ``owner/name`` hub id via ``snapshot_download``."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    if path.exists():
        raise CheckpointError(f"{path}: not a directory (expected a model directory)")
    if not _HUB_ID.match(str(source)):
        raise CheckpointError(f"{source}: no such model directory")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise CheckpointError(
            f"{source}: not a local directory, and huggingface_hub is not installed to download it "
            "(pip install 'qwen3-tts-runtime[hub]', or download the model and pass its directory)"
        ) from None
    try:
        return Path(snapshot_download(repo_id=str(source), revision=revision))
    except Exception as e:  # network, auth, offline mode, unknown repo: all end the same way
        raise CheckpointError(
            f"{source}: not a local directory and could not be downloaded from the Hugging Face Hub "
            f"({type(e).__name__}: {e}); if offline, download it first and pass its directory"
        ) from e


def _require(root: Path, rel: str) -> Path:
    path = root / rel
    if not path.is_file():
        raise CheckpointError(f"{root}: missing {rel}")
    return path


def _check(rel: str, f: SafetensorsFile, expected: dict[str, tuple[int, ...]]) -> list[str]:
    present = set(f)  # (`name in f` would read the tensor: Mapping.__contains__ calls __getitem__)
    problems = [f"{rel}: missing tensor {n!r} (expected shape {s})" for n, s in expected.items() if n not in present]
    for name in f:
        if name not in expected:
            problems.append(f"{rel}: unexpected tensor {name!r}")
        elif f.shape_of(name) != expected[name]:
            problems.append(f"{rel}: tensor {name!r} has shape {f.shape_of(name)}, expected {expected[name]}")
        elif f.dtype_of(name) not in _FLOAT_DTYPES:
            problems.append(f"{rel}: tensor {name!r} has dtype {f.dtype_of(name)}, expected one of {_FLOAT_DTYPES}")
    return problems


def _tensor(f: SafetensorsFile, rel: str, name: str) -> np.ndarray:
    try:
        return np.asarray(f[name], dtype=np.float32)
    except KeyError:
        raise CheckpointError(f"{f.path}: no tensor {name!r} in {rel}") from None
