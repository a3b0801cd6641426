"""TextTokenizer: ids identical to the official processor (both pre-tokenizer regexes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qtts.runtime.errors import InputError, TTSError
from qtts.runtime.tokenizer import TextTokenizer
from tests.golden_sets import case_dirs, case_id, golden_dirs

ASSETS = Path(__file__).resolve().parents[1] / "export" / "assets" / "tokenizer"
CASES = case_dirs()
TOKENIZER_CASES = {name: d / "tokenizer" / "tokenizer_cases.json" for name, d in golden_dirs().items()}


@pytest.fixture(scope="module")
def tok() -> TextTokenizer:
    return TextTokenizer.from_dir(ASSETS)


@pytest.fixture(scope="module")
def tok_qwen() -> TextTokenizer:
    return TextTokenizer.from_dir(ASSETS, regex="qwen2")


# ---- no golden set needed --------------------------------------------------------------------------


def test_spec_example(tok: TextTokenizer) -> None:
    ids = [151644, 77091, 198, 9707, 1052, 11, 4238, 13, 151645, 198, 151644, 77091, 198]
    assert tok.encode("<|im_start|>assistant\nHello there, friend.<|im_end|>\n<|im_start|>assistant\n") == ids
    assert tok.target_ids("Hello there, friend.") == ([151644, 77091, 198], [9707, 1052, 11, 4238, 13])


def test_regex_variants_differ_on_mixed_case(tok: TextTokenizer, tok_qwen: TextTokenizer) -> None:
    assert tok.encode(" McDonald's iPhone") == [4483, 18234, 594, 600, 6939]
    assert tok_qwen.encode(" McDonald's iPhone") == [30914, 594, 12167]
    ru = [53645, 26991, 8178, 11, 137144, 0]
    assert tok.encode("Привет, мир!") == tok_qwen.encode("Привет, мир!") == ru


def test_added_tokens_literal(tok: TextTokenizer) -> None:
    tts = [151671, 151672, 151673, 151669]
    assert tok.encode("<tts_pad><tts_text_bos><tts_text_eod><|audio_start|>") == tts
    assert tok.encode("<|endoftext|><think><|audio_pad|>") == [151643, 151667, 151675]


def test_nfc(tok: TextTokenizer) -> None:
    assert tok.encode("e\u0301") == tok.encode("\u00e9")


def test_newline_prefixed_text_quirk(tok: TextTokenizer) -> None:
    # the leading "\n" merges into the role's "\n" ("ĊĊ" = 271): role changes, body loses the newline
    assert tok.target_ids("\nHello") == ([151644, 77091, 271], [9707])
    assert tok.target_ids("Hello\n").body == [9707, 198]


def test_ref_and_instruct_ids(tok: TextTokenizer) -> None:
    assert tok.ref_ids("Hello there, friend.") == [9707, 1052, 11, 4238, 13]
    assert tok.instruct_ids("Hello") == [151644, 872, 198, 9707, 151645, 198]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_rejected(tok: TextTokenizer, text: str) -> None:
    with pytest.raises(InputError):
        tok.target_ids(text)
    with pytest.raises(InputError):
        tok.ref_ids(text)


def test_empty_instruct_rejected(tok: TextTokenizer) -> None:
    with pytest.raises(InputError):
        tok.instruct_ids("")


def test_bad_regex_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="regex"):
        TextTokenizer.from_dir(ASSETS, regex="mistral")
    shutil.copy(ASSETS / "vocab.json", tmp_path / "vocab.json")
    with pytest.raises(TTSError, match="merges.txt"):
        TextTokenizer.from_dir(tmp_path)


# ---- golden set ------------------------------------------------------------------------------------

def _npy(path: Path) -> list[int]:
    return [int(i) for i in np.load(path)]


@pytest.mark.parametrize("case_dir", CASES, ids=[case_id(p) for p in CASES])
def test_golden_case_ids(case_dir: Path, tok: TextTokenizer, tok_qwen: TextTokenizer) -> None:
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))["case"]
    ids = _npy(case_dir / "text_ids.npy")
    assert tok.target_ids(case["text"]) == (ids[:3], ids[3:-5])
    assert tok.encode(f"<|im_start|>assistant\n{case['text']}<|im_end|>\n<|im_start|>assistant\n") == ids
    qwen = _npy(case_dir / "text_ids_qwen_regex.npy")
    assert tok_qwen.target_ids(case["text"]) == (qwen[:3], qwen[3:-5])
    if (case_dir / "instruct_ids.npy").exists():
        assert tok.instruct_ids(case["instruct"]) == _npy(case_dir / "instruct_ids.npy")
    if (case_dir / "ref_text_ids.npy").exists():
        ref = _npy(case_dir / "ref_text_ids.npy")
        assert tok.ref_ids(case["ref_text"]) == ref[3:-2]
        assert tok.encode(f"<|im_start|>assistant\n{case['ref_text']}<|im_end|>\n") == ref


@pytest.mark.parametrize("name", sorted(TOKENIZER_CASES))
def test_golden_tokenizer_cases(name: str, tok: TextTokenizer, tok_qwen: TextTokenizer) -> None:
    data = json.loads(TOKENIZER_CASES[name].read_text(encoding="utf-8"))
    assert data["cases"]
    for c in data["cases"]:
        assert tok.encode(c["text"]) == c["ids"], c["text"]
        assert tok_qwen.encode(c["text"]) == c["ids_qwen_regex"], c["text"]
