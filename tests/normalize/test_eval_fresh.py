"""The fresh held-out evaluation (tests/normalize/eval_fresh/*.tsv), written 2026-12-06 blind to the normalizer.

Checks that the files parse (three columns, known categories, non-empty readings, no duplicate inputs) and
puts a floor about three points under our measured scores so that a regression fails.  Nobody tuned the
normalizer on this set; keep it that way (improving the normalizer while reading its failures here turns it
into a second tuning corpus).  ``python -m normalize.evaluate --dir tests/normalize/eval_fresh`` prints the
table, with ru-normalizr alongside when the dev-only ``eval`` extra is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qtts.normalize.evaluate import SETS, accuracy, load_cases, ours, score

FOLDER = Path(__file__).resolve().parent / "eval_fresh"
CATEGORIES = {"abbreviation", "agreement", "date", "range", "compound", "roman", "phone", "format", "cleanup",
              "passthrough", "money"}
CASES = load_cases(FOLDER)
FLOORS = {"ru": 0.84, "en": 0.87, "mixed": 0.81}  # measured 0.874 (195/223), 0.902 (119/132), 0.843 (43/51)


def test_files_parse() -> None:
    for name in SETS:
        for n, line in enumerate((FOLDER / f"{name}.tsv").read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("#"):
                continue
            parts = line.split("\t")
            assert len(parts) == 3, (name, n, line)
            assert parts[0] in CATEGORIES, (name, n, parts[0])
            assert parts[1].strip(), (name, n)
            assert all(r.strip() for r in parts[2].split(" | ")), (name, n)
            assert "{" not in parts[2] and "}" not in parts[2], (name, n)  # no unexpanded alternation


def test_size_and_shape() -> None:
    sets = [c.set for c in CASES]
    assert sets.count("ru") >= 150 and sets.count("en") >= 100 and sets.count("mixed") >= 50
    assert all(c.category in CATEGORIES and c.readings for c in CASES)
    assert len({(c.set, c.text) for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def result() -> dict[str, object]:
    return score(ours(), CASES)


@pytest.mark.parametrize("subset", SETS)
def test_our_scores_do_not_regress(result: dict[str, object], subset: str) -> None:
    got = accuracy(result["sets"][subset])  # type: ignore[index]
    assert got >= FLOORS[subset], (subset, got)
