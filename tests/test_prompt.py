"""Prefill layout: golden prefill_layout.json equality and the prompt rules of spec §3.5 / §6."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qtts.export.random_checkpoint import build_model_config
from qtts.runtime.errors import InputError
from qtts.runtime.model_config import ModelConfig
from qtts.runtime.prompt import SPEAKER, PromptLayout, RefFrame, Row, build_prompt, supported_languages
from qtts.runtime.tokenizer import TextTokenizer
from tests.golden_sets import MODE_TO_VARIANT, case_dirs, case_id

ASSETS = Path(__file__).resolve().parents[1] / "export" / "assets" / "tokenizer"
CASES = case_dirs()

PAD, BOS, EOS = 151671, 151672, 151673
ROLE = [Row(151644, None), Row(77091, None), Row(198, None)]
HELLO = [9707, 1052, 11, 4238, 13]  # "Hello there, friend."


@pytest.fixture(scope="module")
def tok() -> TextTokenizer:
    return TextTokenizer.from_dir(ASSETS)


def make_config(model_type: str, model_size: str = "1b7") -> ModelConfig:
    """Small config with the released codec/language/speaker ids (spec §3.4, §6.1)."""
    lm = {
        "hidden_act": "silu",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1e6,
    }
    langs = {"chinese": 2055, "english": 2050, "german": 2053, "russian": 2069}
    talker: dict[str, Any] = {
        **lm,
        "vocab_size": 3072,
        "num_code_groups": 16,
        "text_hidden_size": 32,
        "text_vocab_size": 151936,
        "code_predictor_config": {**lm, "vocab_size": 2048, "num_code_groups": 16},
        "codec_pad_id": 2148,
        "codec_bos_id": 2149,
        "codec_eos_token_id": 2150,
        "codec_think_id": 2154,
        "codec_nothink_id": 2155,
        "codec_think_bos_id": 2156,
        "codec_think_eos_id": 2157,
        "codec_language_id": langs,
    }
    raw: dict[str, Any] = {
        "model_type": "qwen3_tts",
        "tts_model_type": model_type,
        "tts_model_size": model_size,
        "talker_config": talker,
        "im_start_token_id": 151644,
        "im_end_token_id": 151645,
        "assistant_token_id": 77091,
        "tts_pad_token_id": PAD,
        "tts_bos_token_id": BOS,
        "tts_eos_token_id": EOS,
    }
    if model_type == "custom_voice":
        langs.update({"beijing_dialect": 2074, "sichuan_dialect": 2062})
        talker["spk_id"] = {"vivian": 3065, "dylan": [2878], "eric": 2875}
        talker["spk_is_dialect"] = {"vivian": False, "dylan": "beijing_dialect", "eric": "sichuan_dialect"}
    if model_type == "base":
        raw["speaker_encoder_config"] = {"enc_dim": 64}
    return ModelConfig.parse(raw, "test-config")


def header(codec: list[Any]) -> list[Row]:
    """Rows of the codec control header: tts_pad + codec ..., last one tts_bos + codec pad."""
    return [*ROLE, *(Row(PAD, c) for c in codec), Row(BOS, 2148)]


# ---- no golden set needed --------------------------------------------------------------------------


def test_spec_worked_example(tok: TextTokenizer) -> None:
    cfg = make_config("custom_voice")
    lay = build_prompt(cfg, tok, "Hello there, friend.", language="English", speaker="Vivian")
    body = [Row(t, 2148) for t in [*HELLO, EOS]]
    assert lay == PromptLayout(header([2154, 2156, 2050, 2157, 3065]) + body + [Row(PAD, 2149)], [])
    stream = build_prompt(
        cfg, tok, "Hello there, friend.", language="english", speaker="vivian", non_streaming_mode=False
    )
    assert stream.rows == header([2154, 2156, 2050, 2157, 3065]) + [Row(HELLO[0], 2149)]
    assert stream.trailing_text_ids == [*HELLO[1:], EOS]


def test_auto_language_nothink(tok: TextTokenizer) -> None:
    lay = build_prompt(make_config("custom_voice"), tok, "Hello there, friend.", speaker="VIVIAN")
    assert lay.rows[:8] == header([2155, 2156, 2157, 3065])


@pytest.mark.parametrize(
    ("speaker", "language", "lang_codec"),
    [
        ("dylan", "auto", [2154, 2156, 2074, 2157]),
        ("Dylan", "Chinese", [2154, 2156, 2074, 2157]),
        ("eric", None, [2154, 2156, 2062, 2157]),
        ("dylan", "english", [2154, 2156, 2050, 2157]),
        ("vivian", "chinese", [2154, 2156, 2055, 2157]),
    ],
)
def test_dialect_rule(tok: TextTokenizer, speaker: str, language: str | None, lang_codec: list[int]) -> None:
    cfg = make_config("custom_voice")
    lay = build_prompt(cfg, tok, "你好", language=language, speaker=speaker)
    assert lay.rows[: len(ROLE) + 6] == header([*lang_codec, cfg.talker.speakers[speaker.lower()]])


def test_dialects_not_selectable(tok: TextTokenizer) -> None:
    cfg = make_config("custom_voice")
    assert supported_languages(cfg) == ["auto", "chinese", "english", "german", "russian"]
    with pytest.raises(InputError, match="auto, chinese, english"):
        build_prompt(cfg, tok, "Hi", language="beijing_dialect", speaker="vivian")


def test_unknown_language_and_speaker(tok: TextTokenizer) -> None:
    cfg = make_config("custom_voice")
    with pytest.raises(InputError, match="klingon.*auto, chinese, english, german, russian"):
        build_prompt(cfg, tok, "Hi", language="Klingon", speaker="vivian")
    with pytest.raises(InputError, match="Bob.*dylan, eric, vivian"):
        build_prompt(cfg, tok, "Hi", speaker="Bob")
    with pytest.raises(InputError, match="dylan, eric, vivian"):
        build_prompt(cfg, tok, "Hi")
    with pytest.raises(InputError, match="speaker"):
        build_prompt(make_config("voice_design"), tok, "Hi", speaker="vivian")


@pytest.mark.parametrize("text", ["", "  \n "])
def test_empty_text(tok: TextTokenizer, text: str) -> None:
    with pytest.raises(InputError):
        build_prompt(make_config("voice_design"), tok, text, instruct="calm")


def test_newline_prefixed_text(tok: TextTokenizer) -> None:
    lay = build_prompt(make_config("voice_design"), tok, "\nHello there, friend.", language="english")
    assert lay.rows[:3] == [Row(151644, None), Row(77091, None), Row(271, None)]
    assert [r.text for r in lay.rows[8:-2]] == HELLO


def test_instruct(tok: TextTokenizer) -> None:
    instr = [Row(t, None) for t in tok.instruct_ids("Speak slowly.")]
    vd = make_config("voice_design")
    base = build_prompt(vd, tok, "Hello there, friend.", language="english")
    assert build_prompt(vd, tok, "Hello there, friend.", language="english", instruct="") == base
    assert base.rows[:8] == header([2154, 2156, 2050, 2157])
    with_instr = build_prompt(vd, tok, "Hello there, friend.", language="english", instruct="Speak slowly.")
    assert with_instr.rows == instr + base.rows
    cv = build_prompt(make_config("custom_voice"), tok, "Hi", speaker="vivian", instruct="Speak slowly.")
    assert cv.rows[: len(instr)] == instr
    small = make_config("custom_voice", "0b6")  # the official 0.6B CustomVoice wrapper drops instruct
    assert build_prompt(small, tok, "Hi", speaker="vivian", instruct="Speak slowly.") == build_prompt(
        small, tok, "Hi", speaker="vivian"
    )
    with pytest.raises(InputError, match="instruct"):
        build_prompt(make_config("base"), tok, "Hi", instruct="calm", x_vector_only_mode=True)


def test_xvector_clone(tok: TextTokenizer) -> None:
    cfg = make_config("base")
    lay = build_prompt(cfg, tok, "Hello there, friend.", x_vector_only_mode=True)
    assert lay.rows == header([2155, 2156, 2157, SPEAKER]) + [Row(HELLO[0], 2149)]
    assert lay.trailing_text_ids == [*HELLO[1:], EOS]
    ns = build_prompt(cfg, tok, "Hello there, friend.", x_vector_only_mode=True, non_streaming_mode=True)
    assert ns.rows[-1] == Row(PAD, 2149) and ns.trailing_text_ids == []


@pytest.mark.parametrize("frames", [2, 8, 9, 20])
def test_icl_geometries(tok: TextTokenizer, frames: int) -> None:
    cfg = make_config("base")
    ref = tok.ref_ids("Hi.")
    xs = ref + HELLO + [EOS]  # T1 = 8
    ys = [2149] + [RefFrame(j) for j in range(frames)]  # T2 = frames + 1
    head = header([2154, 2156, 2050, 2157, SPEAKER])
    kw = {"language": "English", "ref_text": "Hi.", "ref_frames": frames}
    lay = build_prompt(cfg, tok, "Hello there, friend.", **kw)
    if len(xs) > len(ys):
        assert lay.rows == head + [Row(x, y) for x, y in zip(xs, ys, strict=False)]
        assert lay.trailing_text_ids == xs[len(ys) :]
    else:
        padded = xs + [PAD] * (len(ys) - len(xs))
        assert lay.rows == head + [Row(x, y) for x, y in zip(padded, ys, strict=True)]
        assert lay.trailing_text_ids == []
    ns = build_prompt(cfg, tok, "Hello there, friend.", non_streaming_mode=True, **kw)
    assert ns.rows == head + [Row(x, 2148) for x in xs] + [Row(PAD, y) for y in ys]
    assert ns.trailing_text_ids == []


def test_icl_needs_reference(tok: TextTokenizer) -> None:
    cfg = make_config("base")
    with pytest.raises(InputError, match="ref_text"):
        build_prompt(cfg, tok, "Hi", ref_frames=5)
    with pytest.raises(InputError, match="ref_frames"):
        build_prompt(cfg, tok, "Hi", ref_text="Hello")
    with pytest.raises(InputError, match="Base"):
        build_prompt(make_config("custom_voice"), tok, "Hi", speaker="vivian", ref_text="Hello", ref_frames=3)


# ---- golden set ------------------------------------------------------------------------------------


def _row(r: dict[str, Any]) -> Row:
    codec = r["codec"]
    return Row(r["text"], RefFrame(codec["ref_frame"]) if isinstance(codec, dict) else codec)


@pytest.mark.parametrize("case_dir", CASES, ids=[case_id(p) for p in CASES])
def test_golden_layout(case_dir: Path, tok: TextTokenizer) -> None:
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))["case"]
    cfg = ModelConfig.parse(build_model_config("tiny", MODE_TO_VARIANT[case["mode"]]))
    kw: dict[str, Any] = {}
    if case["mode"] == "voice_clone":
        ref_codes = case_dir / "ref_codes.npy"
        kw = {
            "x_vector_only_mode": case.get("x_vector_only_mode", False),
            "ref_text": case.get("ref_text"),
            "ref_frames": len(np.load(ref_codes)) if ref_codes.exists() else 0,
        }
    lay = build_prompt(
        cfg,
        tok,
        case["text"],
        language=case.get("language"),
        speaker=case.get("speaker"),
        instruct=case.get("instruct"),
        non_streaming_mode=case.get("non_streaming_mode"),
        **kw,
    )
    want = json.loads((case_dir / "prefill_layout.json").read_text(encoding="utf-8"))
    assert lay.rows == [_row(r) for r in want["rows"]]
    assert lay.trailing_text_ids == want["trailing_text_ids"]
