"""Codec decoder graph vs the official decoder's dump (``codec_standalone`` of each golden set,
see ``tests/golden_sets.py``; the shared set is skipped when its checkpoints are not built)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from export.config import CodecConfig
from export.graphs.codec_decoder import build_codec_decoder
from export.safetensors_io import SafetensorsFile
from runtime.codec import decode, decode_reference_chunked
from tests.golden_sets import SHARED_CKPT, golden_dirs

ort = pytest.importorskip("onnxruntime")

TOL = 1e-4


@pytest.fixture(scope="module", params=sorted(golden_dirs()))
def golden_set(request: pytest.FixtureRequest, tiny_checkpoints: dict[str, Path]) -> tuple[Path, Path]:
    """(codec checkpoint dir, codec_standalone golden dir) of one golden set."""
    ckpt = tiny_checkpoints["custom_voice"] if request.param == "project" else SHARED_CKPT / "tiny-custom_voice"
    if not (ckpt / "speech_tokenizer" / "model.safetensors").exists():
        pytest.skip(f"no checkpoint for the {request.param} golden set at {ckpt} (make conformance-shared)")
    return ckpt / "speech_tokenizer", golden_dirs()[request.param] / "codec_standalone"


@pytest.fixture(scope="module")
def ckpt_dir(golden_set: tuple[Path, Path]) -> Path:
    return golden_set[0]


@pytest.fixture(scope="module")
def golden_dir(golden_set: tuple[Path, Path]) -> Path:
    return golden_set[1]


def _session(path: Path, **kw) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"], **kw)


@pytest.fixture(scope="module")
def graphs(ckpt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cfg = CodecConfig.load(ckpt_dir / "config.json").decoder
    st = SafetensorsFile(ckpt_dir / "model.safetensors")
    weights = {k: st[k] for k in st if k.startswith("decoder.")}
    out = tmp_path_factory.mktemp("codec")
    paths = {"plain": out / "codec_decoder.onnx", "debug": out / "codec_decoder_debug.onnx"}
    build_codec_decoder(weights, cfg, paths["plain"])
    build_codec_decoder(weights, cfg, paths["debug"], debug=True)
    return paths


def _err(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max())


def test_decode_T40(graphs: dict[str, Path], golden_dir: Path) -> None:
    codes = np.load(golden_dir / "codes_T40.npy")
    pcm = decode(_session(graphs["plain"]), codes)
    assert pcm.dtype == np.float32
    assert _err(pcm, np.load(golden_dir / "pcm_T40.npy")) <= TOL


def test_decode_T330_chunked(graphs: dict[str, Path], golden_dir: Path) -> None:
    codes = np.load(golden_dir / "codes_T330.npy")
    pcm = decode_reference_chunked(_session(graphs["plain"]), codes)
    assert _err(pcm, np.load(golden_dir / "pcm_T330.npy")) <= TOL


def test_intermediates_T40(graphs: dict[str, Path], golden_dir: Path) -> None:
    # ORT's EliminateIdentity pass breaks graphs with several intermediate outputs: keep it off here.
    sess = _session(graphs["debug"], disabled_optimizers=["EliminateIdentity"])
    codes = np.load(golden_dir / "codes_T40.npy")
    outs = sess.run(None, {"codes": codes[None]})
    names = [o.name for o in sess.get_outputs()]
    for name, value in zip(names, outs, strict=True):
        if name != "pcm":
            assert _err(value[0], np.load(golden_dir / f"T40_{name}.npy")) <= TOL, name


def test_padding_and_chunking(graphs: dict[str, Path]) -> None:
    """-1 padded frames are cut; T <= chunk equals a single decode; chunk boundaries follow the reference."""
    sess = _session(graphs["plain"])
    codes = np.random.default_rng(0).integers(0, 2048, size=(40, 16), dtype=np.int64)
    full = decode(sess, codes)
    spf = len(full) // len(codes)
    padded = np.concatenate([codes, -np.ones((5, codes.shape[1]), np.int64)])
    np.testing.assert_array_equal(decode(sess, padded), full)
    np.testing.assert_array_equal(decode_reference_chunked(sess, padded), full)
    chunked = decode_reference_chunked(sess, codes, chunk=16, left_context=4)
    ref = [
        decode(sess, codes[:16]),
        decode(sess, codes[12:32])[4 * spf :],
        decode(sess, codes[28:40])[4 * spf :],
    ]
    np.testing.assert_array_equal(chunked, np.concatenate(ref))
    assert decode(sess, codes[:0]).shape == (0,)
