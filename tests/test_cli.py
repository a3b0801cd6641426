"""The `tts-run` CLI: outputs, one-line errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from qtts.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_synth_writes_wav_flac_and_raw(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    eng = str(tiny_engines["custom_voice"])
    common = ["--engines", eng, "--speaker", "ryan", "--seed", "3", "--max-frames", "5", "--threads", "1"]
    r = run("synth", "Привет, мир!", *common, "-o", str(tmp_path / "a.wav"))
    assert r.exit_code == 0, r.output
    pcm, sr = sf.read(tmp_path / "a.wav", dtype="int16")
    assert sr == 24000 and len(pcm) == 5 * 1920 + 120  # + the 5 ms end ramp
    assert run("synth", "Привет, мир!", *common, "-o", str(tmp_path / "a.flac")).exit_code == 0
    assert sf.info(str(tmp_path / "a.flac")).format == "FLAC"
    (tmp_path / "t.txt").write_text("Привет, мир!", encoding="utf-8")
    r = run("synth", "--text-file", str(tmp_path / "t.txt"), *common, "-o", str(tmp_path / "a.raw"))
    assert r.exit_code == 0, r.output
    raw = np.frombuffer((tmp_path / "a.raw").read_bytes(), "<i2")
    assert np.array_equal(raw, pcm) and np.abs(pcm).max() > 100  # same seed -> same samples in every format


def test_synth_reads_stdin(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "s.wav"
    r = run("synth", "--engines", str(tiny_engines["custom_voice"]), "--speaker", "ryan", "--max-frames", "3", "-o", str(out), input="Hello!\n")
    assert r.exit_code == 0, r.output
    assert sf.info(str(out)).frames == 3 * 1920 + 120


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["synth", "Привет", "--speaker", "bob"], "unknown speaker 'bob'"),
        (["synth", "Привет", "--speaker", "ryan", "--language", "elvish"], "language"),
        (["synth", "   ", "--speaker", "ryan"], "empty"),
        (["synth", "Привет", "--speaker", "ryan", "--top-p", "0"], "top_p"),
        (["synth", "Привет", "--speaker", "ryan", "--format", "mp3", "-o", "x.mp3"], "audio format"),
    ],
)
def test_bad_input_is_one_line_error(tiny_engines: dict[str, Path], args: list[str], message: str) -> None:
    r = run(*args, "--engines", str(tiny_engines["custom_voice"]))
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_missing_engine_dir(tmp_path: Path) -> None:
    r = run("synth", "Привет", "--engines", str(tmp_path / "none"))
    assert r.exit_code == 1 and "does not exist" in r.output
    r = run("info", "--engines", str(tmp_path / "none"))
    assert r.exit_code == 1 and r.output.startswith("error:")


def test_export_bad_checkpoint_is_one_line_error(tmp_path: Path) -> None:
    r = run("export", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "e"))
    assert r.exit_code == 1 and r.output.strip().startswith("error:")


def test_serve_missing_engine_is_one_line_error(tmp_path: Path) -> None:
    r = run("serve", "--engines", str(tmp_path / "none"))
    assert r.exit_code == 1 and r.output.strip().startswith("error:") and "does not exist" in r.output


def test_info_and_voices(tiny_engines: dict[str, Path]) -> None:
    r = run("info", "--engines", str(tiny_engines["custom_voice"]), "--verify")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["model_type"] == "custom_voice" and info["hashes_verified"] is True
    assert "CPUExecutionProvider" in info["available_providers"]
    r = run("voices", "list", "--engines", str(tiny_engines["custom_voice"]))
    v = json.loads(r.output)
    assert "ryan" in v["speakers"] and "russian" in v["languages"] and "auto" in v["languages"]
    assert not any("dialect" in lang for lang in v["languages"])


def test_conformance_skips_modes_the_engine_cannot_serve(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    cases = [
        {"name": "cv", "mode": "custom_voice", "speaker": "Ryan", "language": "Russian", "text": "Привет!", "greedy": True, "max_new_tokens": 4},
        {"name": "vd", "mode": "voice_design", "instruct": "calm", "language": "English", "text": "Hi.", "max_new_tokens": 4},
    ]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    r = run("conformance", "--engines", str(tiny_engines["custom_voice"]), "--cases", str(tmp_path / "cases.json"), "--out", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["cases"]["vd"]["status"] == "skipped" and "voice_design" in report["cases"]["vd"]["reason"]
    codes = np.load(tmp_path / "out" / "cv" / "codes.npy")
    assert codes.shape == (3, 16) and codes.dtype == np.int64  # max_new_tokens 4 -> 3 frames, as official
    assert np.load(tmp_path / "out" / "cv" / "pcm.npy").shape == (3 * 1920,)


def test_normalize_writes_one_line_per_input_line() -> None:
    r = run("normalize", "--lang", "ru", input="в 5 часов\n\nдо 3 км\n")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == ["в пять часов", "", "до трёх километров"]


def test_stream_writes_the_synth_samples_as_s16le(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    common = ["--engines", str(tiny_engines["custom_voice"]), "--speaker", "ryan", "--seed", "4", "--max-frames", "6", "--threads", "1", "--no-split"]
    r = run("synth", "Привет, мир!", *common, "-o", str(tmp_path / "a.raw"))
    assert r.exit_code == 0, r.output
    s = run("stream", "Привет, мир!", *common, "--chunk-ms", "20")
    assert s.exit_code == 0, s.output
    streamed = np.frombuffer(s.stdout_bytes, "<i2")
    whole = np.frombuffer((tmp_path / "a.raw").read_bytes(), "<i2")
    assert len(streamed) == len(whole) == 6 * 1920 + 120  # + the 5 ms end ramp
    assert np.abs(streamed.astype(int) - whole).max() <= 1


def test_codec_decode_chunkings_agree(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    codes = np.random.default_rng(0).integers(0, 2048, size=(30, 16), dtype=np.int64)
    np.save(tmp_path / "codes.npy", codes)
    eng = ["--engines", str(tiny_engines["custom_voice"]), "--codes", str(tmp_path / "codes.npy")]
    outs = {}
    for name, extra in {"full": [], "rand": ["--random-chunks", "3"], "ms": ["--chunk-ms", "20"], "ref": ["--reference-chunking"]}.items():
        r = run("codec-decode", *eng, "--out", str(tmp_path / f"{name}.npy"), *extra)
        assert r.exit_code == 0, r.output
        outs[name] = np.load(tmp_path / f"{name}.npy")
    assert outs["full"].shape == (30 * 1920,) and outs["full"].dtype == np.float32
    for name in ("rand", "ms", "ref"):
        assert np.abs(outs[name] - outs["full"]).max() <= 1 / 32768, name
    np.save(tmp_path / "bad.npy", codes[:, :8])
    r = run("codec-decode", *eng[:2], "--codes", str(tmp_path / "bad.npy"), "--out", str(tmp_path / "x.npy"))
    assert r.exit_code == 1 and "[frames, 16]" in r.output
