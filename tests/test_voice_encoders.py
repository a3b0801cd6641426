"""Voice-clone encoders vs the official implementation's dumps (each golden set's ``vc_*`` cases and
``codec_standalone``; see ``tests/golden_sets.py``), plus the reference-audio loader and resampler."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from qtts.export.checkpoint import Checkpoint
from qtts.export.graphs.codec_encoder import build_codec_encoder
from qtts.export.graphs.speaker_encoder import build_speaker_encoder
from qtts.runtime.audio import check_reference, load_audio, prepare_reference, resample
from qtts.runtime.engine import Engine
from qtts.runtime.errors import InputError, UnsupportedModelError
from qtts.runtime.mel import log_mel
from qtts.runtime.voice import encode_reference
from tests.golden_sets import PROJECT, SHARED_CKPT, golden_dirs

ort = pytest.importorskip("onnxruntime")

MEL_TOL = 1e-4  # abs error of the natural-log mel = relative error of the mel energies
EMB_TOL = 1e-4  # max abs error / max |golden| of the x-vector
SR = 24000


def _session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _rel(a: np.ndarray, ref: np.ndarray) -> float:
    assert a.shape == ref.shape, (a.shape, ref.shape)
    return float(np.abs(a - ref).max() / np.abs(ref).max())


@pytest.fixture(scope="module", params=sorted(golden_dirs()))
def golden(request: pytest.FixtureRequest, tiny_checkpoints: dict[str, Path]) -> tuple[Path, Path]:
    """(golden set dir, its tiny Base checkpoint dir)."""
    ckpt = tiny_checkpoints["base"] if request.param == "project" else SHARED_CKPT / "tiny-base"
    if not (ckpt / "model.safetensors").exists():
        pytest.skip(f"no Base checkpoint for the {request.param} golden set at {ckpt} (make conformance-shared)")
    gdir = golden_dirs()[request.param]
    # the golden runs load the models in float32, so the bf16 checkpoints' encoders ran in f32 as ours do
    assert json.loads((gdir / "manifest.json").read_text(encoding="utf-8"))["dtype"] == "float32"
    return gdir, ckpt


@pytest.fixture(scope="module")
def graphs(golden: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, ort.InferenceSession]:
    ckpt = Checkpoint.open(golden[1])
    out = tmp_path_factory.mktemp("voice")
    build_speaker_encoder(ckpt.model_tensor, ckpt.config.speaker_encoder, out / "speaker_encoder.onnx")
    build_codec_encoder(ckpt.codec_file, ckpt.codec_config, out / "codec_encoder.onnx")
    return {name: _session(out / f"{name}.onnx") for name in ("speaker_encoder", "codec_encoder")}


def _vc_cases(gdir: Path) -> list[Path]:
    cases = sorted(p.parent for p in gdir.glob("vc_*/speaker_mel.npy"))
    assert cases, f"{gdir} has no voice-clone case"
    return cases


def test_log_mel_matches_golden(golden: tuple[Path, Path]) -> None:
    for case in _vc_cases(golden[0]):
        mel = log_mel(np.load(case / "ref_audio.npy"))
        ref = np.load(case / "speaker_mel.npy")
        assert mel.dtype == np.float32 and mel.shape == ref.shape
        assert np.abs(mel - ref).max() <= MEL_TOL, case.name


def test_speaker_encoder_matches_golden(golden: tuple[Path, Path], graphs: dict[str, ort.InferenceSession]) -> None:
    sess = graphs["speaker_encoder"]
    for case in _vc_cases(golden[0]):
        ref = np.load(case / "speaker_embedding.npy")
        for mel in (np.load(case / "speaker_mel.npy"), log_mel(np.load(case / "ref_audio.npy"))):
            (emb,) = sess.run(["embedding"], {"mel": mel[None]})
            assert _rel(emb[0], ref) <= EMB_TOL, case.name


def test_codec_encoder_matches_golden_exactly(golden: tuple[Path, Path], graphs: dict[str, ort.InferenceSession]) -> None:
    sess = graphs["codec_encoder"]
    pairs = [(golden[0] / "codec_standalone" / "enc_input.npy", golden[0] / "codec_standalone" / "enc_codes.npy")]
    pairs += [(c / "ref_audio.npy", c / "ref_codes.npy") for c in _vc_cases(golden[0]) if (c / "ref_codes.npy").exists()]
    assert len(pairs) >= 2
    for pcm_file, codes_file in pairs:
        (codes,) = sess.run(["codes"], {"pcm": np.load(pcm_file)[None]})
        assert codes.dtype == np.int64
        np.testing.assert_array_equal(codes[0], np.load(codes_file), err_msg=str(pcm_file))


def test_speaker_encoder_refuses_other_front_ends(golden: tuple[Path, Path], tmp_path: Path) -> None:
    ckpt = Checkpoint.open(golden[1])
    for change in ({"sample_rate": 16000}, {"mel_dim": 80}):
        cfg = dataclasses.replace(ckpt.config.speaker_encoder, **change)
        with pytest.raises(UnsupportedModelError, match="front end"):
            build_speaker_encoder(ckpt.model_tensor, cfg, tmp_path / "spk.onnx")


def test_codec_encoder_frames_and_batch(graphs: dict[str, ort.InferenceSession]) -> None:
    """ceil(L / 1920) frames for any length; batch items are encoded independently."""
    sess = graphs["codec_encoder"]
    rng = np.random.default_rng(0)
    for n in (1920, 1921, 24000, 31337):
        (codes,) = sess.run(["codes"], {"pcm": (0.1 * rng.standard_normal((1, n))).astype(np.float32)})
        assert codes.shape == (1, -(-n // 1920), 16)
        assert codes.min() >= 0 and codes.max() < 2048
    pcm = (0.1 * rng.standard_normal((2, 30000))).astype(np.float32)
    (both,) = sess.run(["codes"], {"pcm": pcm})
    for i in range(2):
        np.testing.assert_array_equal(both[i], sess.run(["codes"], {"pcm": pcm[i : i + 1]})[0][0])


# ---------------------------------------------------------------------------------------- engines
def test_base_engine_encodes_reference_like_the_golden(tiny_engines: dict[str, Path]) -> None:
    engine = Engine(tiny_engines["base"], threads=2)
    assert {"speaker_encoder", "codec_encoder"} <= set(engine.manifest.graphs) <= set(engine.sessions)
    case = PROJECT / "vc_icl_mixed_greedy"
    prompt = encode_reference(engine, np.load(case / "ref_audio.npy"), SR, ref_text="что сказано")
    assert prompt.icl and prompt.ref_text == "что сказано"
    assert prompt.speaker_embedding.dtype == np.float32 and prompt.speaker_embedding.shape == (engine.hidden_size,)
    assert _rel(prompt.speaker_embedding, np.load(case / "speaker_embedding.npy")) <= EMB_TOL
    np.testing.assert_array_equal(prompt.ref_codes, np.load(case / "ref_codes.npy"))
    # a 16 kHz stereo reference: channel mean, then one resample to 24 kHz for both encoders
    x16 = resample(np.load(case / "ref_audio.npy"), SR, 16000)
    p16 = encode_reference(engine, x16, 16000, x_vector_only=True)
    assert not p16.icl
    with pytest.raises(InputError, match="transcript"):
        encode_reference(engine, x16, 16000, ref_text="  ")
    assert p16.ref_codes.shape == (25, 16)
    stereo = encode_reference(engine, np.stack([1.5 * x16, 0.5 * x16], axis=1), 16000, x_vector_only=True)
    np.testing.assert_array_equal(stereo.ref_codes, p16.ref_codes)
    np.testing.assert_allclose(stereo.speaker_embedding, p16.speaker_embedding, rtol=0, atol=1e-6)


def test_other_engines_have_no_encoders(tiny_engines: dict[str, Path]) -> None:
    for variant in ("custom_voice", "voice_design"):
        engine = Engine(tiny_engines[variant], threads=1)
        assert not {"speaker_encoder", "codec_encoder"} & (set(engine.manifest.graphs) | set(engine.sessions))
        with pytest.raises(InputError, match="cannot clone"):
            encode_reference(engine, np.full(SR * 2, 0.1, np.float32), SR, x_vector_only=True)


# ---------------------------------------------------------------------------------------- audio
def _tone(freq: float, sr: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(sr * seconds)) / sr)).astype(np.float32)


@pytest.mark.parametrize(
    ("fmt", "subtype"), [("WAV", "PCM_16"), ("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")]
)
def test_load_audio_formats_and_mono_mixdown(tmp_path: Path, fmt: str, subtype: str) -> None:
    if fmt not in sf.available_formats():
        pytest.skip(f"this libsndfile ({sf.__libsndfile_version__}) has no {fmt} support")
    left, right = _tone(220.0, 16000, 1.5), _tone(330.0, 16000, 1.5, amp=0.25)
    path = tmp_path / f"ref.{fmt.lower()}"
    sf.write(path, np.stack([left, right], axis=1), 16000, format=fmt, subtype=subtype)
    pcm, sr = load_audio(path)
    assert sr == 16000 and pcm.dtype == np.float32 and pcm.ndim == 1
    mix = (left + right) / 2
    if subtype == "PCM_16":
        assert len(pcm) == len(mix) and np.abs(pcm - mix).max() <= 1e-4
    else:  # lossy codecs: same signal, not the same samples
        n = min(len(pcm), len(mix))
        assert abs(len(pcm) - len(mix)) < 0.05 * len(mix) and np.corrcoef(pcm[:n], mix[:n])[0, 1] > 0.99
    with open(path, "rb") as f:  # file objects work too
        np.testing.assert_array_equal(load_audio(f)[0], pcm)


def test_load_audio_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such audio file"):
        load_audio(tmp_path / "missing.wav")
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio\n" * 20)
    with pytest.raises(InputError, match="cannot read this audio"):
        load_audio(bad)
    with pytest.raises(InputError, match="cannot read this audio"):
        load_audio(io.BytesIO(b"\x00\x01" * 500))


def test_reference_checks() -> None:
    ok = _tone(200.0, SR, 2.0)
    check_reference(ok, SR)
    with pytest.raises(InputError, match="at least 1 s"):
        check_reference(ok[: SR // 2], SR)
    with pytest.raises(InputError, match="at most 30 s"):
        check_reference(np.tile(ok, 16), SR)
    with pytest.raises(InputError, match="silent"):
        check_reference(np.zeros(SR * 2, np.float32), SR)
    with pytest.raises(InputError, match="NaN"):
        check_reference(np.where(np.arange(len(ok)) == 5, np.nan, ok).astype(np.float32), SR)
    with pytest.raises(InputError, match=r"\[samples\]"):
        prepare_reference(np.zeros((2, 3, 4), np.float32), SR)
    # the length check counts seconds at the input rate, not samples
    check_reference(_tone(200.0, 8000, 1.0), 8000)


@pytest.mark.parametrize("sr_in", [8000, 16000, 22050, 44100, 48000])
def test_resampler_keeps_frequency_and_amplitude(sr_in: int) -> None:
    freq, amp, seconds = 437.0, 0.6, 2.0
    y = resample(_tone(freq, sr_in, seconds, amp), sr_in, SR)
    assert y.dtype == np.float32 and len(y) == int(np.ceil(int(sr_in * seconds) * (SR / sr_in)))
    ideal = _tone(freq, SR, seconds, amp)[: len(y)]
    mid = slice(SR // 10, len(y) - SR // 10)  # away from the filter's edge transients
    assert np.abs(y[mid] - ideal[mid]).max() < 2e-3 * amp
    spec = np.abs(np.fft.rfft(y[mid] * np.hanning(len(y[mid]))))
    assert abs(np.argmax(spec) * SR / len(y[mid]) - freq) < 1.0
    assert abs(np.sqrt(2 * np.mean(y[mid] ** 2)) - amp) < 1e-3


def test_resampler_band_limits_and_identity() -> None:
    x = _tone(440.0, SR, 1.0)
    assert np.array_equal(resample(x, SR, SR), x)
    # 11 kHz is above the 8 kHz Nyquist of a 16 kHz target: removed, not aliased to 5 kHz
    y = resample(_tone(11000.0, 48000, 1.0), 48000, 16000)
    assert np.sqrt(np.mean(y[1600:-1600] ** 2)) < 1e-3
    # output length = ceil(n * (24000 / sr)) with the float ratio, as librosa computes it: the exact
    # quotient 119070 * 24000 / 44100 is 64800, the reference (and we) give 64801
    assert len(resample(np.full(119070, 0.1, np.float32), 44100, SR)) == 64801
