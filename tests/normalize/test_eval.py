"""The held-out everyday evaluation (tests/normalize/eval/*.tsv): its shape, and floors on our own scores.

The floors sit just under the measured rates (``python -m normalize.evaluate`` prints them, with ru-normalizr
alongside when the dev-only ``eval`` extra is installed) so that a regression fails; ru-normalizr is not scored
here (not installed in CI).
"""

from __future__ import annotations

import pytest

from qtts.normalize.evaluate import SETS, accuracy, fold, load_cases, ours, score

CASES = load_cases()
FLOORS = {"ru": 0.99, "en": 0.965, "mixed": 0.94}  # measured 0.997 (321/322), 0.970 (196/202), 0.943 (99/105)


def test_size_and_shape() -> None:
    sets = [c.set for c in CASES]
    assert sets.count("ru") >= 300 and sets.count("en") >= 200 and sets.count("mixed") >= 100
    for subset in SETS:
        assert len({c.category for c in CASES if c.set == subset}) >= 8
    assert all(c.readings and all(r.strip() for r in c.readings) for c in CASES)
    assert len({(c.set, c.text) for c in CASES}) == len(CASES)  # no duplicate inputs


def test_fold_is_the_stated_rule() -> None:
    assert fold("Всё, т.е. «ТО»!  ") == fold("все т е то")
    assert fold("четыре–пять") == fold("четыре пять")
    assert fold("**скидка**") != fold("скидка")  # markup is not punctuation
    assert fold("cafe\u0301") != fold("caf\u00e9")  # no Unicode normalization in the comparison


@pytest.fixture(scope="module")
def result() -> dict[str, object]:
    return score(ours(), CASES)


@pytest.mark.parametrize("subset", SETS)
def test_our_scores_do_not_regress(result: dict[str, object], subset: str) -> None:
    got = accuracy(result["sets"][subset])  # type: ignore[index]
    assert got >= FLOORS[subset], (subset, got)
