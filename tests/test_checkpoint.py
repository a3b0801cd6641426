"""Checkpoint loading/validation, the config-derived tensor schema, and the random generator."""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qtts.export import random_checkpoint
from qtts.export.checkpoint import GENERATION_DEFAULTS, Checkpoint
from qtts.export.graphs.codec_encoder import MimiEncoderConfig
from qtts.export.random_checkpoint import (
    VARIANTS,
    build_codec_config,
    build_model_config,
    generate_checkpoint,
    random_tensor,
)
from qtts.export.schema import (
    codec_tensor_specs,
    expected_codec_tensors,
    expected_model_tensors,
    param_count,
)
from qtts.runtime.errors import CheckpointError, UnsupportedModelError
from qtts.runtime.model_config import CodecConfig, ModelConfig
from qtts.runtime.safetensors_io import SafetensorsFile, write_safetensors

# Released parameter counts (spec §1.5/§1.6) and tensor counts.
REAL_PARAMS = {
    ("0.6b", "base"): 914_643_008,
    ("0.6b", "custom_voice"): 905_788_672,
    ("1.7b", "custom_voice"): 1_916_676_352,
    ("1.7b", "voice_design"): 1_916_676_352,
    ("1.7b", "base"): 1_928_677_440,
}
CODEC_PARAMS = 170_557_441  # 170.56 M incl. the 32 Mimi `initialized` flags
REF_TINY = Path(os.environ.get("QTTS_REF_TINY_DIR", "/work/ckpt"))  # reference-generated tiny-* dirs


def _clone(src: Path, dst: Path) -> Path:
    """A copy of a model directory whose files are symlinks (replace a file before editing it)."""
    for p in src.rglob("*"):
        q = dst / p.relative_to(src)
        if p.is_dir():
            q.mkdir(parents=True, exist_ok=True)
        else:
            q.parent.mkdir(parents=True, exist_ok=True)
            q.symlink_to(p)
    return dst


def _rewrite_model(d: Path, edit) -> None:
    """Rewrite ``d/model.safetensors`` (BF16) after ``edit(tensors)`` mutates the name->array dict."""
    f = SafetensorsFile(d / "model.safetensors")
    tensors = {n: f[n] for n in f}
    edit(tensors)
    (d / "model.safetensors").unlink()
    write_safetensors(d / "model.safetensors", tensors, dtype="BF16")


def _replace_json(path: Path, edit) -> None:
    obj = json.loads(path.read_text())
    edit(obj)
    path.unlink()
    path.write_text(json.dumps(obj))


# --- schema ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "variant"), sorted(REAL_PARAMS))
def test_schema_param_counts_match_release(size: str, variant: str) -> None:
    model = expected_model_tensors(ModelConfig.parse(build_model_config(size, variant)))
    codec = expected_codec_tensors(CodecConfig.parse(build_codec_config(size)))
    assert param_count(model) == REAL_PARAMS[(size, variant)]
    assert param_count(codec) == CODEC_PARAMS
    assert len(codec) == 496
    assert ("talker.code_predictor.small_to_mtp_projection.weight" in model) == (size == "1.7b")
    assert any(n.startswith("speaker_encoder.") for n in model) == (variant == "base")
    if (size, variant) == ("0.6b", "base"):
        assert len(model) == 478
        assert model["speaker_encoder.fc.weight"] == (1024, 3072, 1)


def test_schema_real_codec_shapes() -> None:
    codec = expected_codec_tensors(CodecConfig.parse(build_codec_config("0.6b")))
    assert codec["decoder.decoder.1.block.1.conv.weight"] == (1536, 768, 16)
    assert codec["decoder.quantizer.rvq_rest.vq.layers.14._codebook.embedding_sum"] == (2048, 256)
    assert codec["encoder.encoder.layers.12.conv.weight"] == (1024, 512, 16)
    assert codec["encoder.downsample.conv.weight"] == (512, 512, 4)
    assert codec["encoder.quantizer.acoustic_residual_vector_quantizer.layers.30.codebook.initialized"] == (1,)


@pytest.mark.skipif(not (REF_TINY / "tiny-base").is_dir(), reason="no reference-generated tiny checkpoints")
@pytest.mark.parametrize("variant", VARIANTS)
def test_schema_matches_reference_tiny_headers(variant: str) -> None:
    d = REF_TINY / f"tiny-{variant}"
    for expected, rel in (
        (expected_model_tensors(ModelConfig.load(d / "config.json")), "model.safetensors"),
        (expected_codec_tensors(CodecConfig.load(d / "speech_tokenizer/config.json")), "speech_tokenizer/model.safetensors"),
    ):
        f = SafetensorsFile(d / rel)
        assert {n: f.shape_of(n) for n in f} == expected


# --- generator ------------------------------------------------------------------------------------


def test_tiny_checkpoints_validate(tiny_checkpoints: dict[str, Path]) -> None:
    for variant, d in tiny_checkpoints.items():
        ck = Checkpoint.open(d)
        ck.validate()
        assert ck.config.model_type == variant
        assert ck.model_file.dtype_of("talker.codec_head.weight") == "BF16"
        assert ck.codec_file.dtype_of("decoder.pre_conv.conv.weight") == "F32"
        assert ck.generation_config["max_new_tokens"] == 8192
        assert ck.model_tensor("talker.model.norm.weight").dtype == np.float32


def test_same_seed_same_hashes(tiny_checkpoints: dict[str, Path], tmp_path: Path) -> None:
    again = Checkpoint.open(generate_checkpoint(tmp_path / "again", "tiny", "custom_voice", seed=0))
    assert again.file_hashes() == Checkpoint.open(tiny_checkpoints["custom_voice"]).file_hashes()
    other = Checkpoint.open(generate_checkpoint(tmp_path / "other", "tiny", "custom_voice", seed=1))
    h0, h1 = again.file_hashes(), other.file_hashes()
    assert h0["model.safetensors"] != h1["model.safetensors"]
    assert h0["config.json"] == h1["config.json"]
    assert set(h0) >= {"config.json", "vocab.json", "model.safetensors", "speech_tokenizer/model.safetensors"}


def test_variants_share_common_tensors(tiny_checkpoints: dict[str, Path]) -> None:
    cv, base = (Checkpoint.open(tiny_checkpoints[v]) for v in ("custom_voice", "base"))
    common = set(cv.model_file) & set(base.model_file)
    assert len(common) == len(cv.model_file)  # base = custom_voice + speaker encoder
    for name in common:
        assert np.array_equal(cv.model_file.raw(name), base.model_file.raw(name)), name
    assert cv.file_hashes()["speech_tokenizer/model.safetensors"] == base.file_hashes()["speech_tokenizer/model.safetensors"]


def test_init_rules(tiny_checkpoints: dict[str, Path]) -> None:
    ck = Checkpoint.open(tiny_checkpoints["base"])
    emb = ck.model_tensor("talker.model.text_embedding.weight")
    assert abs(emb.std() - 1.0) < 0.01
    w = ck.model_tensor("talker.model.layers.0.mlp.down_proj.weight")  # fan_in 128
    assert abs(w.std() * np.sqrt(128) - 1.0) < 0.1
    assert abs(ck.model_tensor("talker.model.norm.weight").mean() - 1.0) < 0.1
    cb = "decoder.quantizer.rvq_rest.vq.layers.3._codebook"
    usage = ck.codec_tensor(f"{cb}.cluster_usage")
    assert usage.min() >= 0.5 and usage.max() <= 2.0
    decoded = ck.codec_tensor(f"{cb}.embedding_sum") / usage[:, None]
    assert abs(decoded.std() - 1.0) < 0.05
    init = "encoder.quantizer.semantic_residual_vector_quantizer.layers.0.codebook.initialized"
    assert ck.codec_tensor(init).tolist() == [1.0]
    scale = ck.codec_tensor("decoder.pre_transformer.layers.0.mlp_layer_scale.scale")
    assert abs(scale.mean() - 0.1) < 0.02


def test_chunking_does_not_change_values(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = next(s for s in codec_tensor_specs(CodecConfig.parse(build_codec_config("tiny"))) if s.role == "weight")
    whole = random_tensor(spec, seed=3)
    monkeypatch.setattr(random_checkpoint, "_CHUNK", 7)
    assert np.array_equal(random_tensor(spec, seed=3), whole)


def test_f32_and_progress(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    d = generate_checkpoint(tmp_path / "f32", "tiny", "voice_design", dtype="f32", progress=lambda *a: calls.append(a))
    ck = Checkpoint.open(d)
    ck.validate()
    assert ck.model_file.dtype_of("talker.codec_head.weight") == "F32"
    assert json.loads((d / "config.json").read_text())["torch_dtype"] == "float32"
    assert len(calls) == len(ck.model_file) + len(ck.codec_file)
    assert calls[-1][1] == calls[-1][2] == param_count(expected_model_tensors(ck.config)) + param_count(
        expected_codec_tensors(ck.codec_config)
    )


def test_tiny_hd24_shapes(tiny_hd24_checkpoints: dict[str, Path]) -> None:
    """The tiny-hd24 checkpoints validate and have the head sizes the size promises."""
    for variant, d in tiny_hd24_checkpoints.items():
        ck = Checkpoint.open(d)
        ck.validate()
        lm, cp, dec = ck.config.talker.lm, ck.config.talker.code_predictor, ck.codec_config.decoder
        assert (lm.head_dim, lm.num_heads, lm.num_kv_heads) == (24, 4, 2)
        assert cp.head_dim == 20 and cp.num_heads == cp.num_kv_heads
        assert cp.hidden_size != lm.hidden_size
        assert "talker.code_predictor.small_to_mtp_projection.weight" in ck.model_file
        assert dec.head_dim == 24 and ck.codec_config.encoder["head_dim"] == 24
        assert ck.config.model_type == variant


def _model_config(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    raw = build_model_config("tiny", "base")
    edit(raw["talker_config"])
    return raw


def _codec_config(part: str, **change: int) -> dict[str, Any]:
    raw = build_codec_config("tiny")
    raw[part].update(change)
    return raw


@pytest.mark.parametrize(
    ("parse", "message"),
    [
        (lambda: ModelConfig.parse(_model_config(lambda t: t.update(head_dim=23))), r"talker_config: head_dim 23 must be positive and even"),
        (lambda: ModelConfig.parse(_model_config(lambda t: t["code_predictor_config"].update(head_dim=9))), r"code_predictor_config: head_dim 9 must be"),
        (lambda: ModelConfig.parse(_model_config(lambda t: t.update(num_key_value_heads=0))), r"num_key_value_heads 0 must be positive"),
        (lambda: CodecConfig.parse(_codec_config("decoder_config", head_dim=15)), r"decoder_config: head_dim 15 must be positive and even"),
        (lambda: CodecConfig.parse(_codec_config("decoder_config", num_key_value_heads=1)), r"decoder_config: grouped-query attention is not supported"),
        (lambda: MimiEncoderConfig.parse(CodecConfig.parse(_codec_config("encoder_config", head_dim=25))), r"encoder_config: head_dim 25 must be"),
    ],
)
def test_unsupported_attention_shapes_are_refused(parse: Callable[[], object], message: str) -> None:
    """Head shapes no graph (or the official code) can run are refused with the offending key;
    any even head_dim is accepted."""
    with pytest.raises(UnsupportedModelError, match=message):
        parse()


def test_export_refuses_an_odd_head_dim(clone: Path, tmp_path: Path) -> None:
    from qtts.export.exporter import export_engine

    _replace_json(clone / "config.json", lambda c: c["talker_config"].update(head_dim=23))
    with pytest.raises(UnsupportedModelError, match=r"head_dim 23 must be positive and even"):
        export_engine(clone, tmp_path / "engine")


def test_bad_size_variant_dtype(tmp_path: Path) -> None:
    for kwargs in ({"size": "3b"}, {"variant": "music"}, {"dtype": "fp8"}):
        args = {"size": "tiny", "variant": "base", **kwargs}
        with pytest.raises(ValueError):
            generate_checkpoint(tmp_path / "x", **args)


# --- validation failures --------------------------------------------------------------------------


@pytest.fixture
def clone(tiny_checkpoints: dict[str, Path], tmp_path: Path) -> Path:
    return _clone(tiny_checkpoints["base"], tmp_path / "ckpt")


def test_missing_tensor(clone: Path) -> None:
    _rewrite_model(clone, lambda t: t.pop("speaker_encoder.fc.bias"))
    with pytest.raises(CheckpointError, match=r"model\.safetensors: missing tensor 'speaker_encoder\.fc\.bias'"):
        Checkpoint.open(clone).validate()


def test_extra_tensor(clone: Path) -> None:
    _rewrite_model(clone, lambda t: t.update({"talker.extra.weight": np.zeros((2, 2), np.float32)}))
    with pytest.raises(CheckpointError, match=r"model\.safetensors: unexpected tensor 'talker\.extra\.weight'"):
        Checkpoint.open(clone).validate()


def test_misshaped_tensor(clone: Path) -> None:
    _rewrite_model(clone, lambda t: t.update({"talker.codec_head.weight": np.zeros((3072, 63), np.float32)}))
    with pytest.raises(CheckpointError, match=r"'talker\.codec_head\.weight' has shape \(3072, 63\), expected \(3072, 64\)"):
        Checkpoint.open(clone).validate()


def test_many_problems_are_counted(clone: Path) -> None:
    _rewrite_model(clone, lambda t: [t.pop(n) for n in [n for n in t if n.startswith("speaker_encoder.")]])
    with pytest.raises(CheckpointError, match=r"76 tensor problem\(s\): .*\.\.\. and 71 more"):
        Checkpoint.open(clone).validate()


def test_truncated_model_file(clone: Path) -> None:
    data = (clone / "model.safetensors").read_bytes()
    (clone / "model.safetensors").unlink()
    (clone / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"model\.safetensors: truncated"):
        Checkpoint.open(clone)


def test_corrupt_header(clone: Path) -> None:
    path = clone / "speech_tokenizer" / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[8:16] = b"\xff\xfe{oops "
    path.unlink()
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"speech_tokenizer/model\.safetensors: corrupt safetensors header"):
        Checkpoint.open(clone)


def test_unsupported_model_type(clone: Path) -> None:
    _replace_json(clone / "config.json", lambda c: c.update(tts_model_type="music"))
    with pytest.raises(UnsupportedModelError, match=r"config\.json.*unsupported tts_model_type 'music'"):
        Checkpoint.open(clone)


def test_missing_config(clone: Path) -> None:
    (clone / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"missing config\.json"):
        Checkpoint.open(clone)


def test_missing_speech_tokenizer_dir(clone: Path) -> None:
    shutil.rmtree(clone / "speech_tokenizer")
    with pytest.raises(CheckpointError, match=r"missing speech_tokenizer/ directory"):
        Checkpoint.open(clone)


def test_missing_tokenizer_file(clone: Path) -> None:
    (clone / "merges.txt").unlink()
    with pytest.raises(CheckpointError, match=r"missing merges\.txt"):
        Checkpoint.open(clone)


def test_generation_config_required_and_defaults(clone: Path) -> None:
    _replace_json(clone / "generation_config.json", lambda g: g.pop("max_new_tokens"))
    gen = Checkpoint.open(clone).generation_config
    assert gen["max_new_tokens"] == GENERATION_DEFAULTS["max_new_tokens"] == 2048
    assert gen["temperature"] == 0.9
    (clone / "generation_config.json").unlink()
    with pytest.raises(CheckpointError, match=r"missing generation_config\.json"):
        Checkpoint.open(clone)


def test_unknown_tensor_accessor(tiny_checkpoints: dict[str, Path]) -> None:
    with pytest.raises(CheckpointError, match=r"no tensor 'nope' in speech_tokenizer/model\.safetensors"):
        Checkpoint.open(tiny_checkpoints["custom_voice"]).codec_tensor("nope")


# --- hub ids --------------------------------------------------------------------------------------


def test_hub_id_without_huggingface_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails
    with pytest.raises(CheckpointError, match="huggingface_hub is not installed"):
        Checkpoint.open("Qwen/Qwen3-TTS-12Hz-0.6B-CustomVoice")


def test_hub_id_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def snapshot_download(repo_id: str, revision: str | None = None) -> str:
        raise OSError(f"offline mode is enabled, {repo_id} is not cached")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=snapshot_download))
    with pytest.raises(CheckpointError, match=r"could not be downloaded .*offline mode is enabled"):
        Checkpoint.open("Qwen/Qwen3-TTS-12Hz-0.6B-CustomVoice")


def test_hub_id_download(monkeypatch: pytest.MonkeyPatch, tiny_checkpoints: dict[str, Path], tmp_path: Path) -> None:
    calls = []

    def snapshot_download(repo_id: str, revision: str | None = None) -> str:
        calls.append((repo_id, revision))
        return str(tiny_checkpoints["voice_design"])

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=snapshot_download))
    ck = Checkpoint.open("Qwen/Qwen3-TTS-12Hz-1.7B-VoiceDesign", revision="main")
    assert calls == [("Qwen/Qwen3-TTS-12Hz-1.7B-VoiceDesign", "main")]
    assert ck.config.model_type == "voice_design"


def test_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="not a directory"):
        Checkpoint.open(tmp_path / "file")
    with pytest.raises(CheckpointError, match="no such model directory"):
        Checkpoint.open(tmp_path / "a" / "b" / "c")


def test_header_length_field_too_large(clone: Path) -> None:
    path = clone / "model.safetensors"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(struct.pack("<Q", len(data)) + data[8:])
    with pytest.raises(CheckpointError, match=r"model\.safetensors: truncated or not a safetensors file"):
        Checkpoint.open(clone)
