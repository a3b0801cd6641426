"""Codec decoder graph vs the official decoder's dump (``codec_standalone`` of each golden set,
see ``tests/golden_sets.py``; the shared set is skipped when its checkpoints are not built)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qtts.export.graphs.codec_decoder import build_codec_decoder
from qtts.runtime.codec import (
    SAMPLES_PER_FRAME,
    CodecStream,
    DecoderState,
    decode,
    decode_batch,
    random_chunk_sizes,
)
from qtts.runtime.model_config import CodecConfig
from qtts.runtime.safetensors_io import SafetensorsFile
from tests.golden_sets import SHARED_CKPT, golden_dirs

ort = pytest.importorskip("onnxruntime")

TOL = 1e-4
LSB = 1 / 32768  # one step of 16-bit PCM: the bound for "same signal" under different call chunkings


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
    pcm = decode(_session(graphs["plain"]), codes, reference_chunking=True)
    assert _err(pcm, np.load(golden_dir / "pcm_T330.npy")) <= TOL


def test_intermediates_T40(graphs: dict[str, Path], golden_dir: Path) -> None:
    # ORT's EliminateIdentity pass breaks graphs with several intermediate outputs: keep it off here.
    sess = _session(graphs["debug"], disabled_optimizers=["EliminateIdentity"])
    codes = np.load(golden_dir / "codes_T40.npy")
    st = DecoderState.fresh(sess)
    feeds = {"state": st.conv, "past_key": st.key, "past_value": st.value, "offset": np.zeros(1, np.int64)}
    outs = sess.run(None, {"codes": codes[None], **feeds})
    names = [o.name for o in sess.get_outputs()]
    for name, value in zip(names, outs, strict=True):
        if name not in ("pcm", "new_state", "new_key", "new_value"):
            assert _err(value[0], np.load(golden_dir / f"T40_{name}.npy")) <= TOL, name


def test_padding_and_chunking(graphs: dict[str, Path]) -> None:
    """-1 padded frames are cut; T <= chunk equals a single decode; chunk boundaries follow the reference."""
    sess = _session(graphs["plain"])
    codes = np.random.default_rng(0).integers(0, 2048, size=(40, 16), dtype=np.int64)
    full = decode(sess, codes)
    spf = len(full) // len(codes)
    padded = np.concatenate([codes, -np.ones((5, codes.shape[1]), np.int64)])
    np.testing.assert_array_equal(decode(sess, padded), full)
    assert _err(decode(sess, padded, reference_chunking=True), full) <= LSB
    stream = CodecStream(sess, reference_chunking=True, chunk=16, context=4)
    chunked = np.concatenate([stream.push(codes[i : i + 7]) for i in range(0, 40, 7)])
    ref = [decode(sess, codes[:16]), decode(sess, codes[12:32])[4 * spf :], decode(sess, codes[28:40])[4 * spf :]]
    assert _err(chunked, np.concatenate(ref)) <= LSB
    assert decode(sess, codes[:0]).shape == (0,)


@pytest.mark.parametrize("frames", [1, 7, 73, 150, 400])
def test_stream_equals_full_decode(graphs: dict[str, Path], frames: int) -> None:
    """Any chunking of a stream (1..25 frames per push) gives the full decode to <= 1 LSB of s16 PCM."""
    sess = _session(graphs["plain"])
    rng = np.random.default_rng(frames)
    codes = rng.integers(0, 2048, size=(frames, 16), dtype=np.int64)
    full = decode(sess, codes)
    for trial in range(2):
        sizes = random_chunk_sizes(rng, frames) if trial else [1] * frames
        got = np.concatenate(CodecStream(sess).push_chunks(codes, sizes))
        assert got.shape == full.shape
        assert _err(got, full) <= LSB, f"chunks {sizes[:8]}...: max error {_err(got, full):.3g}"


def test_reference_chunking_stream_any_chunking(graphs: dict[str, Path]) -> None:
    """Reference chunking is a property of frame positions, not of how frames are pushed."""
    sess = _session(graphs["plain"])
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 2048, size=(700, 16), dtype=np.int64)
    whole = decode(sess, codes, reference_chunking=True)
    pieces = CodecStream(sess, reference_chunking=True).push_chunks(codes, random_chunk_sizes(rng, len(codes)))
    assert _err(np.concatenate(pieces), whole) <= LSB
    # and it is not the full-context decode beyond 300 frames (the reference differs there)
    assert _err(whole, decode(sess, codes)) > LSB


def test_prime_and_copy(graphs: dict[str, Path]) -> None:
    """Priming with reference frames = decoding ref ++ new jointly and dropping the ref audio."""
    sess = _session(graphs["plain"])
    codes = np.random.default_rng(2).integers(0, 2048, size=(30, 16), dtype=np.int64)
    joint = decode(sess, codes)
    primed = CodecStream(sess)
    primed.prime(codes[:12])
    spf = len(joint) // 30
    for stream in (primed.copy(), primed.copy()):  # copies are independent
        assert _err(stream.push(codes[12:]), joint[12 * spf :]) <= LSB
    assert primed.frames == 12


def _primed_states(sess: ort.InferenceSession, codes: np.ndarray, history: tuple[int, ...]) -> list[DecoderState]:
    """Row r's state after decoding its first history[r] frames alone (codes [B, T, Q])."""
    states = []
    for row, h in zip(codes, history, strict=True):
        stream = CodecStream(sess)
        stream.push(row[:h])
        states.append(stream.state)
    return states


@pytest.mark.parametrize("history", [(0, 7, 73), (73,), (5, 0, 5, 130)])
@pytest.mark.parametrize("n", [1, 4])
def test_decode_batch_rows_at_different_offsets(graphs: dict[str, Path], history: tuple[int, ...], n: int) -> None:
    """Rows at different frame offsets decoded in one call equal each row decoded alone (pcm and the
    written-back state), and each row continued alone afterwards still equals its full decode."""
    sess = _session(graphs["plain"])
    total = max(history) + n + 9
    codes = np.random.default_rng(n + len(history)).integers(0, 2048, size=(len(history), total, 16), dtype=np.int64)
    batched = _primed_states(sess, codes, history)
    alone = [st.copy() for st in batched]
    step = np.stack([row[h : h + n] for row, h in zip(codes, history, strict=True)])
    pcm = decode_batch(sess, batched, step)
    assert pcm.shape == (len(history), n * SAMPLES_PER_FRAME) and pcm.dtype == np.float32
    for r, (st_b, st_a) in enumerate(zip(batched, alone, strict=True)):
        assert _err(pcm[r], decode_batch(sess, [st_a], step[r : r + 1])[0]) <= LSB / 16
        assert st_b.frames == st_a.frames == history[r] + n
        for got, want in ((st_b.conv, st_a.conv), (st_b.key, st_a.key), (st_b.value, st_a.value)):
            assert got.flags.c_contiguous and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)  # float rounding of batched GEMMs
        stream = CodecStream(sess)  # continue alone from the batched state: the rest of the full decode
        assert stream.resume(st_b, codes[r, : history[r] + n])
        rest = stream.push(codes[r, history[r] + n :])
        full = decode(sess, codes[r])
        assert _err(np.concatenate([pcm[r], rest]), full[history[r] * SAMPLES_PER_FRAME :]) <= LSB


def test_push_batch_reference_chunking(graphs: dict[str, Path]) -> None:
    """push_batch equals pushing each stream alone: full-context and reference-chunked streams mixed,
    one at a chunk boundary (restarts, then joins the call), one whose chunk ends inside the step."""
    sess = _session(graphs["plain"])
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 2048, size=(4, 40, 16), dtype=np.int64)
    history, n = (15, 16, 9, 30), 3

    def streams() -> list[CodecStream]:
        out = [CodecStream(sess, reference_chunking=i < 3, chunk=16, context=4) for i in range(4)]
        for s, row, h in zip(out, codes, history, strict=True):
            s.push(row[:h])
        return out

    batched, alone = streams(), streams()
    pcm = CodecStream.push_batch(batched, np.stack([row[h : h + n] for row, h in zip(codes, history, strict=True)]))
    for r, (b, a) in enumerate(zip(batched, alone, strict=True)):
        assert _err(pcm[r], a.push(codes[r, history[r] : history[r] + n])) <= LSB / 16
        assert b.frames == a.frames and np.array_equal(b._recent, a._recent)
        assert _err(b.push(codes[r, history[r] + n :]), a.push(codes[r, history[r] + n :])) <= LSB


def test_decode_batch_rejects_mismatched_rows(graphs: dict[str, Path]) -> None:
    sess = _session(graphs["plain"])
    st = DecoderState.fresh(sess)
    codes = np.zeros((2, 1, 16), np.int64)
    for states, rows in (([st], codes), ([st, st], codes), ([], codes[:0])):  # count, repeated, empty
        with pytest.raises(ValueError, match="distinct state"):
            decode_batch(sess, states, rows)
    with pytest.raises(ValueError, match="integer array"):
        decode_batch(sess, [st], codes[0])
    assert decode_batch(sess, [st, DecoderState.fresh(sess)], codes[:, :0]).shape == (2, 0)
    assert st.frames == 0
