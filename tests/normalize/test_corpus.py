"""The committed normalization corpus (tests/normalize/corpus.tsv) must pass 100%."""

from __future__ import annotations

from pathlib import Path

import pytest

from qtts.normalize import Normalizer

CORPUS = Path(__file__).with_name("corpus.tsv")
ROWS = [line.split("\t") for line in CORPUS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")]
NORMALIZER = Normalizer()


def test_corpus_size() -> None:
    sets = [r[0] for r in ROWS]
    assert sets.count("ru") >= 300 and sets.count("en") >= 200 and sets.count("mixed") >= 100
    classes = {r[1] for r in ROWS}
    assert {"cardinal", "ordinal", "decimal", "fraction", "money", "measure", "date", "time", "telephone",
            "electronic", "roman", "abbreviation", "letters", "serial", "word"} <= classes


@pytest.mark.parametrize(("subset", "cls", "text", "expected"), ROWS, ids=[f"{r[0]}:{r[2][:30]}" for r in ROWS])
def test_corpus_case(subset: str, cls: str, text: str, expected: str) -> None:
    lang = "auto" if subset == "mixed" else subset
    assert NORMALIZER.normalize(text, lang).text == expected
