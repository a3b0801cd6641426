"""Regression guard on NeMo's public test data (skipped when the data folder is absent).

Both languages meet the acceptance bar (>= 95% English, >= 90% Russian, exact match after whitespace
normalization) on the cases not listed in ``nemo_<lang>_excluded.tsv``.  English is scored on the top-1 output.
Russian is scored by NeMo's own (non-deterministic) criterion, the expected reading among
``Normalizer.candidates`` (``accuracy``), and the top-1 output is guarded separately (``accuracy_top1``); the
Russian exclusion list holds only wrong expectations (typos, ungrammatical or self-contradictory ones), not
context-free alternatives.  The floors sit just under the measured rates so that a regression fails.  The raw
rates over every case are guarded too, so that growing an exclusion list cannot hide one.  Run
``python -m normalize.score_nemo --failures`` for the per-class report.
"""

from __future__ import annotations

import pytest

from qtts.normalize.score_nemo import DEFAULT_DIR, EXCLUDED, load_cases, load_excluded, score

pytestmark = pytest.mark.skipif(not DEFAULT_DIR.is_dir(), reason="NeMo test data not available")


@pytest.fixture(scope="module")
def report() -> dict[str, dict[str, float]]:
    return score()  # type: ignore[return-value]


def test_english_meets_acceptance(report: dict[str, dict[str, float]]) -> None:
    assert report["en"]["accuracy"] >= 0.955  # measured 0.9615 (524/545)
    assert report["en"]["accuracy_all_cases"] >= 0.925  # measured 0.9291 (524/564)


def test_russian_meets_acceptance(report: dict[str, dict[str, float]]) -> None:
    assert report["ru"]["accuracy"] >= 0.99  # measured 0.9938 (160/161): expected among the candidates
    assert report["ru"]["accuracy_all_cases"] >= 0.925  # measured 0.9302 (160/172)
    # our single reading: measured 0.7764 (125/161); 127 before issue 12 says "года" after a numeric date with a
    # year, which NeMo's 06.03.2006 and 2/3/1906 expect without (the reading without is still a candidate)
    assert report["ru"]["accuracy_top1"] >= 0.77
    assert report["ru"]["accuracy_top1_all_cases"] >= 0.72  # measured 0.7267 (125/172)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_exclusions_are_few_and_real(lang: str) -> None:
    excluded = load_excluded(EXCLUDED[lang])
    cases = {(cls, inp) for cls, inp, _ in load_cases(DEFAULT_DIR, lang)}
    assert excluded <= cases  # every listed case exists (no stale entries)
    assert len(excluded) <= {"en": 19, "ru": 11}[lang]
    for line in EXCLUDED[lang].read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert len(line.split("\t")) == 3 and len(line.split("\t")[2]) > 20  # a reason on every line
