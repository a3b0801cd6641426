"""End-to-end behaviour of export + runtime on the project's random tiny model (no golden needed)."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from qtts.export.exporter import export_engine
from qtts.runtime.errors import EngineError, ExportError, InputError, ProviderError
from qtts.runtime.synthesizer import Synthesizer

TEXT = "Привет, мир! Hello, world."


def test_same_seed_same_audio_other_seed_other_codes(cv_synth: Synthesizer) -> None:
    a = cv_synth.synthesize(TEXT, speaker="ryan", seed=7, max_frames=12)
    b = cv_synth.synthesize(TEXT, speaker="ryan", seed=7, max_frames=12)
    c = cv_synth.synthesize(TEXT, speaker="ryan", seed=8, max_frames=12)
    assert np.array_equal(a.codes, b.codes) and np.array_equal(a.pcm, b.pcm)
    assert not np.array_equal(a.codes, c.codes)
    assert a.seed == 7 and a.pcm.dtype == np.float32 and a.sample_rate == 24000


def test_audio_shape_codes_range_and_finish_reason(cv_synth: Synthesizer) -> None:
    audio = cv_synth.synthesize(TEXT, speaker="vivian", language="russian", seed=1, max_frames=9)
    assert audio.codes.shape == (9, 16) and audio.codes.dtype == np.int64
    assert audio.codes.min() >= 0 and audio.codes.max() < 2048
    assert len(audio.pcm) == 9 * 1920 + 120  # + the 5 ms end ramp; no pause: the frame limit ends the request
    assert audio.segments == [{"text": "Привет, мир!", "source": (0, 12), "frames": 9, "finish_reason": "max_frames"}]
    assert audio.finish_reason == "max_frames"
    assert np.abs(audio.pcm).max() <= 1.0 and audio.pcm.std() > 1e-3
    assert {"time_to_first_audio_s", "rtf", "generate_s", "decode_s"} <= set(audio.timings)


def test_segments_map_back_to_the_users_text(tiny_engines: dict[str, Path]) -> None:
    """Normalized, split segments keep the [start, end) of the user's text they were made from;
    the normalizer is the one given (model.toml's [normalize] in the CLI)."""
    from qtts.normalize import Normalizer

    text = "Я купил 21 книгу за 1 250 руб.  Hello, Dr. Smith, it's 5 pm!"
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1)
    plan = synth.plan(synth.request(text, speaker="ryan"))
    assert [text[a:b] for a, b in (seg.source for seg in plan)] == ["Я купил 21 книгу за 1 250 руб.", "Hello, Dr. Smith, it's 5 pm!"]
    assert plan[0].text == "Я купил двадцать одну книгу за тысячу двести пятьдесят рублей."
    assert not any(ch.isdigit() for seg in plan for ch in seg.text)
    plain = Synthesizer(synth.engine, normalizer=Normalizer({"disabled": ["money"]}))
    assert "руб." in plain.plan(plain.request(text, speaker="ryan"))[0].text


def test_greedy_is_deterministic_without_seed(cv_synth: Synthesizer) -> None:
    params = cv_synth.default_sampling().greedy()
    a = cv_synth.synthesize(TEXT, speaker="aiden", sampling=params, max_frames=6)
    b = cv_synth.synthesize(TEXT, speaker="aiden", sampling=params, max_frames=6)
    assert np.array_equal(a.codes, b.codes)


def test_cancel_stops_generation(cv_synth: Synthesizer) -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def on_frame(k: int, _codes: np.ndarray) -> None:
        seen.append(k)
        if k == 2:
            cancel.set()

    audio = cv_synth.synthesize(TEXT, speaker="ryan", seed=0, max_frames=50, cancel=cancel, on_frame=on_frame)
    assert audio.finish_reason == "cancelled"
    assert len(audio.codes) == 3 == len(seen)


def test_teacher_forcing_reproduces_free_run_logits(cv_synth: Synthesizer) -> None:
    params = cv_synth.default_sampling().greedy()
    free = cv_synth.synthesize(TEXT, speaker="ryan", sampling=params, max_frames=5, capture=True, split=False)
    forced = cv_synth.synthesize(TEXT, speaker="ryan", sampling=params, max_frames=5, forced_codes=free.codes, capture=True, split=False)
    assert np.array_equal(free.codes, forced.codes)
    np.testing.assert_array_equal(np.stack(free.capture["talker_logits"]), np.stack(forced.capture["talker_logits"]))
    # greedy code-predictor codes are the argmax of the logits the graph reports
    cp = np.stack(free.capture["cp_logits"])  # [frames, 15, 2048]
    assert np.array_equal(cp.argmax(-1), free.codes[:, 1:])


def test_sampled_codes_stay_in_top_k(cv_synth: Synthesizer) -> None:
    params = cv_synth.default_sampling(sub_top_k=3, sub_temperature=5.0)
    audio = cv_synth.synthesize(TEXT, speaker="ryan", sampling=params, seed=3, max_frames=6, capture=True, split=False)
    cp = np.stack(audio.capture["cp_logits"])
    top3 = np.argsort(-cp, axis=-1)[..., :3]
    assert (top3 == audio.codes[:, 1:, None]).any(-1).all()
    assert not np.array_equal(cp.argmax(-1), audio.codes[:, 1:])  # temperature 5 over 90 draws is not greedy


def test_bad_requests_are_input_errors(cv_synth: Synthesizer) -> None:
    with pytest.raises(InputError, match="unknown speaker"):
        cv_synth.synthesize(TEXT, speaker="nobody")
    with pytest.raises(InputError, match="language"):
        cv_synth.synthesize(TEXT, speaker="ryan", language="klingon")
    with pytest.raises(InputError, match="empty"):
        cv_synth.synthesize("   ", speaker="ryan")
    with pytest.raises(InputError, match="max_frames"):
        cv_synth.synthesize(TEXT, speaker="ryan", max_frames=-1)
    with pytest.raises(InputError, match="temperature"):
        cv_synth.default_sampling(temperature=0)


def test_voice_design_and_base_engines(tiny_engines: dict[str, Path]) -> None:
    vd = Synthesizer.from_engines(tiny_engines["voice_design"], threads=1)
    a = vd.synthesize(TEXT, instruct="A calm, low voice.", seed=0, max_frames=4)
    b = vd.synthesize(TEXT, instruct="", seed=0, max_frames=4)  # empty instruct: no instruction segment
    assert a.codes.shape == b.codes.shape == (4, 16)
    base = Synthesizer.from_engines(tiny_engines["base"], threads=1)
    with pytest.raises(InputError, match="clones a voice"):
        base.synthesize(TEXT)
    with pytest.raises(InputError, match="needs a Base model"):
        vd.synthesize(TEXT, voice=object())


def _copy_engine(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "engine"
    shutil.copytree(src, dst)
    return dst


def test_engine_refuses_changed_or_foreign_files(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    eng = _copy_engine(tiny_engines["custom_voice"], tmp_path)
    with open(eng / "talker.onnx.data", "ab") as f:
        f.write(b"\0")
    with pytest.raises(EngineError, match="talker.onnx.data"):
        Synthesizer.from_engines(eng)


def test_engine_refuses_other_code_version(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    eng = _copy_engine(tiny_engines["custom_voice"], tmp_path)
    m = json.loads((eng / "manifest.json").read_text())
    m["exporter_fingerprint"] = "0" * 16
    (eng / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(EngineError, match="another code version"):
        Synthesizer.from_engines(eng)


def test_engine_hash_verification_and_missing_pieces(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    eng = _copy_engine(tiny_engines["custom_voice"], tmp_path)
    data = bytearray((eng / "embed.onnx.data").read_bytes())
    data[100] ^= 0xFF  # same size, different content
    (eng / "embed.onnx.data").write_bytes(bytes(data))
    Synthesizer.from_engines(eng)  # sizes match: the fast check passes
    with pytest.raises(EngineError, match="hash"):
        Synthesizer.from_engines(eng, verify_hashes=True)
    (eng / "codec_decoder.onnx").unlink()
    with pytest.raises(EngineError, match="missing"):
        Synthesizer.from_engines(eng)
    with pytest.raises(EngineError, match="does not exist"):
        Synthesizer.from_engines(tmp_path / "nowhere")
    (eng / "manifest.json").unlink()
    with pytest.raises(EngineError, match="no manifest"):
        Synthesizer.from_engines(eng)


def test_export_is_cached_and_refuses_foreign_target(tiny_checkpoints: dict[str, Path], tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    eng = tiny_engines["custom_voice"]
    before = (eng / "manifest.json").stat().st_mtime_ns
    export_engine(tiny_checkpoints["custom_voice"], eng)  # same files, same code: nothing rebuilt
    assert (eng / "manifest.json").stat().st_mtime_ns == before
    foreign = tmp_path / "not-an-engine"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(ExportError, match="not an engine"):
        export_engine(tiny_checkpoints["custom_voice"], foreign)
    assert (foreign / "precious.txt").read_text() == "keep me"
    with pytest.raises(ExportError, match="profile"):
        export_engine(tiny_checkpoints["custom_voice"], tmp_path / "x", profile="int3")


def test_provider_selection(tiny_engines: dict[str, Path]) -> None:
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(ProviderError, match="not available"):
            Synthesizer.from_engines(tiny_engines["custom_voice"], provider="cuda")
    with pytest.raises(ProviderError, match="unknown provider"):
        Synthesizer.from_engines(tiny_engines["custom_voice"], provider="tpu")
