"""The hand-written everyday evaluations (tests/normalize/<folder>/{ru,en,mixed}.tsv): their shape, and floors.

Six sets, each written per category from issue 12's category list, never by pasting the normalizer's output:

- ``eval``: the first set, tuned on from the start.
- ``eval_fresh``: written 2026-12-06 blind to the normalizer; a development set since the same day (its failures
  were read to pick the classes to fix, with general rules, never a changed expected reading).
- ``eval_blind``: written blind on 2026-12-06 and scored once at RU 92.5 / EN 90.3 / mixed 90.4 (ru-normalizr 75.8
  on RU); a development set since.

- ``eval_blind2``: written blind on 2026-12-06 (its author read none of the normalizer, its tests or the other
  sets, and ran no normalizer) and scored once at RU 92.9 / EN 98.5 / mixed 94.4 (ru-normalizr 76.8 on RU); a
  development set since (its failures were read to pick the classes to fix).

- ``eval_blind3``: written blind, scored once at RU 97.4 / EN 95.7 / mixed 92.4 (ru-normalizr 78.6 on RU), then a
  development set.

- ``eval_blind4``: the held-out set, 320 / 212 / 107 cases written blind on 2026-12-06 (the first 231 / 141 / 71
  while the last round of fixes was made from eval_blind3, the rest after it), scored once at RU 96.9 / EN 98.6 /
  mixed 94.4 (ru-normalizr 76.2 on RU; the code of that morning 93.8 / 97.6 / 93.5); its failures have not been
  read.

So the first five overstate what unseen text gets: only a set scored once before anyone reads its failures is an honest
number.  Each set must parse (three tab-separated columns, a known
category, non-empty readings, no unexpanded ``{a|b}`` alternation, no duplicate input), hold a minimum number of
cases per language, and keep our scores above a floor just under the measured rates, so that a regression fails.
``python -m qtts.normalize.evaluate --dir tests/normalize/<folder> [--failures]`` prints the per-category table,
with ru-normalizr alongside when the dev-only ``eval`` extra is installed (it is not scored here).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from qtts.normalize.evaluate import SETS, Case, accuracy, correct, fold, load_cases, ours, score

HERE = Path(__file__).resolve().parent
CATEGORIES = {"abbreviation", "agreement", "date", "range", "compound", "roman", "phone", "format", "cleanup",
              "passthrough", "money"}


@dataclass(frozen=True)
class EvalSet:
    folder: str
    min_sizes: dict[str, int]  # set -> minimum number of cases
    floors: dict[str, float]  # set -> minimum accuracy


EVAL_SETS = [
    # measured 1.0 (322/322), 0.970 (196/202), 0.943 (99/105)
    EvalSet("eval", {"ru": 300, "en": 200, "mixed": 100}, {"ru": 0.995, "en": 0.965, "mixed": 0.94}),
    # measured 0.996 (222/223), 0.970 (128/132), 1.0 (51/51)
    EvalSet("eval_fresh", {"ru": 150, "en": 100, "mixed": 50}, {"ru": 0.99, "en": 0.965, "mixed": 0.98}),
    # measured 0.992 (238/240), 0.974 (150/154), 0.986 (72/73)
    EvalSet("eval_blind", {"ru": 200, "en": 150, "mixed": 70}, {"ru": 0.99, "en": 0.97, "mixed": 0.98}),
    # measured 0.996 (223/224), 0.992 (130/131), 0.986 (70/71); scored blind once at 0.929 / 0.985 / 0.944
    EvalSet("eval_blind2", {"ru": 200, "en": 120, "mixed": 70}, {"ru": 0.99, "en": 0.985, "mixed": 0.98}),
    # measured 0.991 (227/229), 0.993 (138/139), 0.970 (64/66); scored blind once at 0.974 / 0.957 / 0.924
    EvalSet("eval_blind3", {"ru": 200, "en": 120, "mixed": 60}, {"ru": 0.985, "en": 0.99, "mixed": 0.96}),
    # measured 0.969 (310/320), 0.986 (209/212), 0.944 (101/107): held out, scored once
    EvalSet("eval_blind4", {"ru": 300, "en": 200, "mixed": 100}, {"ru": 0.96, "en": 0.98, "mixed": 0.93}),
]
IDS = [s.folder for s in EVAL_SETS]


@pytest.fixture(scope="module")
def normalize() -> object:
    return ours()


@pytest.mark.parametrize("spec", EVAL_SETS, ids=IDS)
def test_files_parse(spec: EvalSet) -> None:
    for name in SETS:
        path = HERE / spec.folder / f"{name}.tsv"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            assert len(parts) == 3, (path, n, line)
            assert parts[0] in CATEGORIES, (path, n, parts[0])
            assert parts[1].strip(), (path, n)
            assert all(r.strip() for r in parts[2].split(" | ")), (path, n)
            assert "{" not in parts[2] and "}" not in parts[2], (path, n)  # no unexpanded alternation


@pytest.mark.parametrize("spec", EVAL_SETS, ids=IDS)
def test_size_and_shape(spec: EvalSet) -> None:
    cases = load_cases(HERE / spec.folder)
    for subset in SETS:
        assert sum(c.set == subset for c in cases) >= spec.min_sizes[subset], subset
        assert len({c.category for c in cases if c.set == subset}) >= 8, subset
    assert len({(c.set, c.text) for c in cases}) == len(cases)  # no duplicate inputs


def test_fold_is_the_stated_rule() -> None:
    assert fold("Всё, т.е. «ТО»!  ") == fold("все т е то")
    assert fold("четыре–пять") == fold("четыре пять")
    assert fold("**скидка**") != fold("скидка")  # markup is not punctuation
    assert fold("cafe\u0301") != fold("caf\u00e9")  # no Unicode normalization in the comparison
    case = Case("ru", "range", "4–5 раз", ("четыре-пять раз", "от четырёх до пяти раз"))
    assert correct("Четыре — пять раз.", case) and correct("от четырех до пяти раз", case)
    assert not correct("четыре раз", case)


@pytest.mark.parametrize("spec", EVAL_SETS, ids=IDS)
def test_our_scores_do_not_regress(spec: EvalSet, normalize: object) -> None:
    result = score(normalize, load_cases(HERE / spec.folder))  # type: ignore[arg-type]
    got = {subset: accuracy(result["sets"][subset]) for subset in SETS}  # type: ignore[index]
    assert all(got[s] >= spec.floors[s] for s in SETS), (spec.folder, got)
