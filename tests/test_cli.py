"""The `tts-run` CLI: outputs, one-line errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_synth_writes_wav_flac_and_raw(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    eng = str(tiny_engines["custom_voice"])
    common = ["--engines", eng, "--speaker", "ryan", "--seed", "3", "--max-frames", "5", "--threads", "1"]
    r = run("synth", "Привет, мир!", *common, "-o", str(tmp_path / "a.wav"))
    assert r.exit_code == 0, r.output
    pcm, sr = sf.read(tmp_path / "a.wav", dtype="int16")
    assert sr == 24000 and len(pcm) == 5 * 1920
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
    assert sf.info(str(out)).frames == 3 * 1920


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


@pytest.mark.parametrize("verb", ["stream", "serve"])
def test_unimplemented_verbs_exit_2(verb: str) -> None:
    r = run(verb)
    assert r.exit_code == 2 and "not implemented yet" in r.output


def test_info_and_voices(tiny_engines: dict[str, Path]) -> None:
    r = run("info", "--engines", str(tiny_engines["custom_voice"]), "--verify")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["model_type"] == "custom_voice" and info["hashes_verified"] is True
    assert "CPUExecutionProvider" in info["available_providers"]
    r = run("voices", "--engines", str(tiny_engines["custom_voice"]))
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
