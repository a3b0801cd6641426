"""Voice registry (``runtime.voices``) and the clone flags of the CLI: saved voices give the same audio
as the reference they were made from; bad names, corrupt files and foreign engines are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from qtts.cli import app
from qtts.export.exporter import export_engine
from qtts.export.random_checkpoint import generate_checkpoint
from qtts.runtime import voices
from qtts.runtime.codec import CodecStream
from qtts.runtime.conformance import synthetic_audio
from qtts.runtime.errors import VoiceError
from qtts.runtime.safetensors_io import SafetensorsFile, write_safetensors
from qtts.runtime.synthesizer import Synthesizer
from qtts.runtime.voice import encode_reference
from qtts.runtime.voices import VoiceRegistry

REF_TEXT = "Это эталонная запись голоса."
TEXT = "Привет! Hello, this is a cloned voice."
REQ = {"seed": 5, "max_frames": 10, "normalize": False, "split": False}
runner = CliRunner()


@pytest.fixture(scope="module")
def base_synth(tiny_engines: dict[str, Path]) -> Synthesizer:
    return Synthesizer.from_engines(tiny_engines["base"], threads=1)


@pytest.fixture(scope="module")
def ref() -> np.ndarray:
    return synthetic_audio(2.5, seed=3)


@pytest.fixture(scope="module")
def other_base_engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Base engine from another checkpoint (seed 1)."""
    root = tmp_path_factory.mktemp("seed1")
    return export_engine(generate_checkpoint(root / "ckpt", "tiny", "base", seed=1), root / "engine")


def _rewrite(path: Path, edit) -> None:
    """Apply ``edit(header dict)`` to a voice file and re-seal it with a valid checksum."""
    f = SafetensorsFile(path)
    tensors = {k: f[k] for k in f}
    header = json.loads(f.metadata["header"])
    edit(header)
    text = json.dumps(header, ensure_ascii=False, sort_keys=True)
    write_safetensors(path, tensors, metadata={"header": text, "sha256": voices._checksum(text, tensors)})


def test_registry_round_trip(base_synth: Synthesizer, ref: np.ndarray, tmp_path: Path) -> None:
    reg = VoiceRegistry(tmp_path / "v")
    assert reg.list() == []
    engine = base_synth.engine
    reg.add("anna", engine, ref, 24000, ref_text=REF_TEXT)
    reg.add("x_vec-1", engine, ref, 24000, x_vector_only=True)
    listed = {v["name"]: v for v in reg.list()}
    assert list(listed) == ["anna", "x_vec-1"]
    assert listed["anna"]["mode"] == "icl" and listed["x_vec-1"]["mode"] == "x_vector_only"
    assert listed["anna"]["ref_seconds"] == 2.5 and listed["anna"]["created"].endswith("Z")

    for name, kw in (("anna", {"ref_text": REF_TEXT}), ("x_vec-1", {"x_vector_only": True})):
        direct = encode_reference(engine, ref, 24000, **kw)
        saved = reg.load(name, engine)
        assert np.array_equal(saved.speaker_embedding, direct.speaker_embedding) and saved.speaker_embedding.dtype == np.float32
        assert np.array_equal(saved.ref_codes, direct.ref_codes) and saved.ref_codes.dtype == np.int64
        assert saved.ref_text == direct.ref_text
        assert (saved.primed is not None) == direct.icl
        for chunking in (False, True):
            a = base_synth.synthesize(TEXT, voice=saved, reference_chunking=chunking, **REQ)
            b = base_synth.synthesize(TEXT, voice=direct, reference_chunking=chunking, **REQ)
            assert np.array_equal(a.codes, b.codes) and np.array_equal(a.pcm, b.pcm) and len(a.codes) == 10
        streamed = [np.concatenate(list(base_synth.stream(TEXT, voice=v, chunk_ms=40, **REQ))) for v in (saved, direct)]
        assert np.array_equal(*streamed) and len(streamed[0]) == len(a.pcm)

    reg.remove("anna")
    assert [v["name"] for v in reg.list()] == ["x_vec-1"]
    with pytest.raises(VoiceError, match="unknown voice 'anna'.*x_vec-1"):
        reg.load("anna", engine)
    with pytest.raises(VoiceError, match="unknown voice"):
        reg.remove("anna")


def test_saved_decoder_state_replaces_the_reference_decode(base_synth: Synthesizer, ref: np.ndarray, tmp_path: Path) -> None:
    reg = VoiceRegistry(tmp_path)
    voice = reg.add("v", base_synth.engine, ref, 24000, ref_text=REF_TEXT)
    session = base_synth.engine.sessions["codec_decoder"]
    fresh = CodecStream(session)
    audio = fresh.prime(voice.ref_codes)
    resumed = CodecStream(session)
    tail = reg.load("v", base_synth.engine).prime(resumed)
    assert resumed.frames == fresh.frames == len(voice.ref_codes)
    for name in ("conv", "key", "value"):
        assert np.array_equal(getattr(resumed.state, name), getattr(fresh.state, name))
    assert np.array_equal(tail, audio[-1920:])
    # where reference chunking restarts inside the reference frames, the saved state does not apply
    short = CodecStream(session, reference_chunking=True, chunk=10, context=2)
    assert not short.resume(voice.primed.state, voice.ref_codes) and short.frames == 0
    assert np.array_equal(voice.prime(short), CodecStream(session, reference_chunking=True, chunk=10, context=2).prime(voice.ref_codes))


def test_names_are_validated(base_synth: Synthesizer, ref: np.ndarray, tmp_path: Path) -> None:
    reg = VoiceRegistry(tmp_path)
    for bad in ("", "../evil", "a/b", "a\\b", "a b", ".hidden", "-x", "é", "x" * 65):
        with pytest.raises(VoiceError, match="bad voice name"):
            reg.add(bad, base_synth.engine, ref, 24000, x_vector_only=True)
        with pytest.raises(VoiceError, match="bad voice name"):
            reg.load(bad, base_synth.engine)
    assert list(tmp_path.iterdir()) == []
    reg.add("Same_1", base_synth.engine, ref, 24000, x_vector_only=True)
    with pytest.raises(VoiceError, match="already exists"):
        reg.add("Same_1", base_synth.engine, ref, 24000, ref_text=REF_TEXT)
    reg.add("Same_1", base_synth.engine, ref, 24000, ref_text=REF_TEXT, overwrite=True)
    assert reg.load("Same_1", base_synth.engine).icl


def test_corrupt_and_truncated_files(base_synth: Synthesizer, ref: np.ndarray, tmp_path: Path) -> None:
    reg = VoiceRegistry(tmp_path)
    reg.add("v", base_synth.engine, ref, 24000, ref_text=REF_TEXT)
    path = reg.path("v")
    good = path.read_bytes()
    flipped = bytearray(good)
    flipped[-100] ^= 0x01  # one bit of the payload
    path.write_bytes(bytes(flipped))
    with pytest.raises(VoiceError, match="checksum"):
        reg.load("v", base_synth.engine)
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(VoiceError, match="not a readable voice file.*truncated"):
        reg.load("v", base_synth.engine)
    path.write_bytes(b"RIFF....WAVEfmt not a voice")
    with pytest.raises(VoiceError, match="not a readable voice file"):
        reg.load("v", base_synth.engine)
    assert "error" in reg.list()[0]  # listed, flagged, not fatal
    path.write_bytes(good)
    _rewrite(path, lambda h: h.update(version=99))
    with pytest.raises(VoiceError, match="format version 99"):
        reg.load("v", base_synth.engine)


def test_voice_from_another_checkpoint_or_engine_version(
    base_synth: Synthesizer, ref: np.ndarray, tiny_engines: dict[str, Path], other_base_engine: Path, tmp_path: Path
) -> None:
    reg = VoiceRegistry(tmp_path)
    reg.add("v", base_synth.engine, ref, 24000, ref_text=REF_TEXT)
    other = Synthesizer.from_engines(other_base_engine, threads=1)
    with pytest.raises(VoiceError, match="another checkpoint.*model.safetensors"):
        reg.load("v", other.engine)
    cv = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1)
    with pytest.raises(VoiceError, match="made for a base model"):
        reg.load("v", cv.engine)
    _rewrite(reg.path("v"), lambda h: h["engine"].update(exporter_fingerprint="0123456789abcdef"))
    with pytest.raises(VoiceError, match="another engine version.*exporter_fingerprint"):
        reg.load("v", base_synth.engine)


# ---------------------------------------------------------------------------------------- CLI
def cli(*args: str):
    return runner.invoke(app, list(args))


def test_cli_voice_round_trip(tiny_engines: dict[str, Path], ref: np.ndarray, tmp_path: Path) -> None:
    eng, vdir = str(tiny_engines["base"]), str(tmp_path / "voices")
    wav = tmp_path / "ref.wav"
    sf.write(wav, ref, 24000, subtype="FLOAT")
    r = cli("voices", "add", "me", "--ref-audio", str(wav), "--ref-text", REF_TEXT, "--engines", eng, "--voices-dir", vdir)
    assert r.exit_code == 0, r.output
    assert "saved voice 'me' (icl" in r.output
    listed = json.loads(cli("voices", "list", "--engines", eng, "--voices-dir", vdir).output)
    assert listed["model_type"] == "base" and listed["speakers"] == [] and "russian" in listed["languages"]
    assert [(v["name"], v["mode"], v["ref_seconds"]) for v in listed["voices"]] == [("me", "icl", 2.5)]

    common = ["Привет, мир!", "--engines", eng, "--voices-dir", vdir, "--seed", "2", "--max-frames", "6", "--no-split", "--fade-ms", "0", "--quiet"]
    by_name = cli("synth", *common, "--voice", "me", "-o", str(tmp_path / "a.wav"))
    direct = cli("synth", *common, "--ref-audio", str(wav), "--ref-text", REF_TEXT, "-o", str(tmp_path / "b.wav"))
    assert by_name.exit_code == 0 and direct.exit_code == 0, by_name.output + direct.output
    a, b = sf.read(tmp_path / "a.wav", dtype="int16")[0], sf.read(tmp_path / "b.wav", dtype="int16")[0]
    assert len(a) == 6 * 1920 and np.array_equal(a, b) and np.abs(a).max() > 100
    streamed = [runner.invoke(app, ["stream", *common, *flags]) for flags in (["--voice", "me"], ["--ref-audio", str(wav), "--ref-text", REF_TEXT])]
    assert all(s.exit_code == 0 for s in streamed), streamed[0].output + streamed[1].output
    assert streamed[0].stdout_bytes == streamed[1].stdout_bytes and len(streamed[0].stdout_bytes) == 2 * len(a)

    r = cli("voices", "remove", "me", "--voices-dir", vdir)
    assert r.exit_code == 0 and "removed voice 'me'" in r.output
    assert json.loads(cli("voices", "list", "--engines", eng, "--voices-dir", vdir).output)["voices"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--voice", "me", "--ref-audio", "{wav}", "--ref-text", "hi"], "either --voice"),
        (["--ref-audio", "{wav}"], "needs --ref-text"),
        (["--ref-audio", "{wav}", "--ref-text", "  "], "or use --x-vector-only"),
        (["--ref-audio", "{wav}", "--ref-text", "hi", "--x-vector-only"], "drop --ref-text"),
        (["--ref-text", "hi"], "need --ref-audio"),
        (["--voice", "me", "--x-vector-only"], "go with --ref-audio"),
        (["--voice", "nobody"], "unknown voice 'nobody'"),
        (["--voice", "../x"], "bad voice name"),
        (["--ref-audio", "{dir}/missing.wav", "--x-vector-only"], "no such audio file"),
        ([], "a Base model clones a voice: give --ref-audio"),
    ],
)
def test_cli_clone_flag_errors(tiny_engines: dict[str, Path], ref: np.ndarray, tmp_path: Path, args: list[str], message: str) -> None:
    wav = tmp_path / "ref.wav"
    sf.write(wav, ref, 24000)
    args = [a.replace("{wav}", str(wav)).replace("{dir}", str(tmp_path)) for a in args]
    r = cli("synth", "Привет", "--engines", str(tiny_engines["base"]), "--voices-dir", str(tmp_path / "v"), *args)
    lines = r.output.strip().splitlines()
    assert r.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], r.output


def test_cli_voices_add_and_remove_errors(tiny_engines: dict[str, Path], ref: np.ndarray, tmp_path: Path) -> None:
    wav, vdir = tmp_path / "ref.wav", str(tmp_path / "v")
    sf.write(wav, ref, 24000)
    add = ["voices", "add", "v", "--ref-audio", str(wav), "--x-vector-only", "--voices-dir", vdir]
    r = cli(*add, "--engines", str(tiny_engines["custom_voice"]))
    assert r.exit_code == 1 and "cannot clone a voice" in r.output
    assert cli(*add, "--engines", str(tiny_engines["base"])).exit_code == 0
    r = cli(*add, "--engines", str(tiny_engines["base"]))
    assert r.exit_code == 1 and "already exists" in r.output and "--force" in r.output
    assert cli(*add, "--engines", str(tiny_engines["base"]), "--force").exit_code == 0
    r = cli("voices", "remove", "nobody", "--voices-dir", vdir)
    assert r.exit_code == 1 and r.output.startswith("error: unknown voice 'nobody'")
