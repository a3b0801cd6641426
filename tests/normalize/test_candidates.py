"""Normalizer.candidates: the top-1 reading first, then the readings the input leaves open."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qtts.normalize import NormalizationError, Normalizer
from qtts.normalize.pipeline import CANDIDATE_LIMIT

NORM = Normalizer()
CORPUS = Path(__file__).parent / "corpus.tsv"


def _corpus() -> list[tuple[str, str]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            kind, _, text, _ = line.split("\t")
            rows.append((text, "auto" if kind == "mixed" else kind))
    return rows


def test_top1_first_equals_normalize_on_corpus() -> None:
    for text, lang in _corpus():
        cands = NORM.candidates(text, lang)
        assert cands[0] == NORM.normalize(text, lang).text, text
        assert len(cands) == len(set(cands)) <= CANDIDATE_LIMIT, text
        assert cands == NORM.candidates(text, lang)  # deterministic


def test_bare_numbers_get_their_open_readings() -> None:
    cands = NORM.candidates("1996", "ru")
    assert cands[0] == "тысяча девятьсот девяносто шесть"
    assert "тысяча девятьсот девяносто шестого" in cands  # ordinal genitive ("1996 года")
    assert "тысяча девятьсот девяносто шестом" in cands
    assert "одна тысяча девятьсот девяносто шесть" in cands
    assert "тысячи девятисот девяноста шести" in cands
    assert "тридцати одного рубля" in NORM.candidates("31 руб.", "ru")
    assert "третье" in NORM.candidates("3-е", "ru")
    assert "третьих" in NORM.candidates("3-х", "ru")
    assert "первого января две тысячи двадцать четвёртого года" in NORM.candidates("1 января 2024 г.", "ru")
    assert "без пятнадцати минут шесть" in NORM.candidates("05:45", "ru")
    assert "семь минут девятого" in NORM.candidates("08:07", "ru")
    assert "два б три четыре" in NORM.candidates("2-б-34", "ru")


def test_context_fixes_what_it_can() -> None:
    assert NORM.candidates("21 книгу", "ru") == ["двадцать одну книгу"]  # the noun form fixes case and gender
    assert NORM.candidates("5 книг", "ru") == ["пять книг", "пяти книг"]  # "книг" fits nominative and genitive
    assert NORM.candidates("до 3 км", "ru") == ["до трёх километров"]  # "до" takes the genitive only
    assert NORM.candidates("в 1996 году", "ru")[0] == "в тысяча девятьсот девяносто шестом году"


def test_no_numbers_no_alternatives() -> None:
    for text, lang in [("Привет, мир!", "ru"), ("Hello, world.", "en"), ("I have 5 apples", "en"), ("", "auto")]:
        assert NORM.candidates(text, lang) == [NORM.normalize(text, lang).text]
    assert Normalizer({"enabled": False}).candidates("5 книг") == ["5 книг"]


def test_limit_caps_many_numbers() -> None:
    text = " ".join(str(i) for i in range(1, 300))
    cands = NORM.candidates(text, "ru")
    assert len(cands) == CANDIDATE_LIMIT == len(set(cands))
    assert cands[0] == NORM.normalize(text, "ru").text
    assert len(NORM.candidates(text, "ru", limit=7)) == 7
    assert NORM.candidates(text, "ru", limit=1) == [cands[0]]
    for bad in (0, -1, 2.5):
        with pytest.raises(NormalizationError):
            NORM.candidates("5", "ru", limit=bad)  # type: ignore[arg-type]


def test_small_products_are_complete() -> None:
    # "5 и 3" with a large limit: every combination fits; the single changes come before the double ones
    cands = NORM.candidates("5 и 3", "ru", limit=1000)
    top = cands[0].split()
    changed = [sum(a != b for a, b in zip(c.split(), top, strict=True)) for c in cands[1:]]
    assert changed == sorted(changed) and changed[0] == 1 and changed[-1] == 2
    assert "пяти и трёх" in cands
    assert len(cands) == len(NORM.candidates("5", "ru")) * len(NORM.candidates("3", "ru"))
    assert NORM.candidates("3-х и 3-е", "ru") == ["трёх и третьи", "третьих и третьи", "трёх и третье",
                                                  "третьих и третье"]


def test_long_text_is_linear() -> None:
    chunk = "В 1996 году 5 книг стоили 31 руб., а 3-е издание вышло 1 мая 2024 г. в 05:45. "

    def cost(text: str) -> float:  # best of 3: robust to a loaded machine
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            NORM.candidates(text, "ru")
            runs.append(time.perf_counter() - start)
        return min(runs)

    small, large = cost(chunk * 100), cost(chunk * 800)
    assert large / max(small, 1e-4) < 8 * 4  # 8x the input: quadratic behaviour would give ~64x
    assert large < 10
