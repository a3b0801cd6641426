"""Score the normalizer on NeMo's text-normalization test files; prints per-class accuracy as JSON.

Usage: ``python -m normalize.score_nemo [NEMO_DIR] [--failures]``.  EN lines are ``input~expected``,
RU lines ``expected~input``; ``*normalize_with_audio*`` files hold blocks (``~INPUT`` then acceptable
outputs).  Repeated inputs in one file are one case with all their readings: Russian lines (NeMo's
Russian tests are non-deterministic) and the audio blocks of both languages (each block lists a subset of
the acceptable outputs).  Comparison is exact after whitespace normalization; Russian also folds ё to е
because the NeMo expectations never use ё.  Cases listed in ``tests/normalize/nemo_<lang>_excluded.tsv``
(typos, ungrammatical or self-contradictory expectations, each with its reason) are not scored;
``accuracy_all_cases`` is the raw rate over every case.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .pipeline import Normalizer

DEFAULT_DIR = Path("/work/shared/normalization/nemo")
_TESTS = Path(__file__).resolve().parent.parent / "tests" / "normalize"
EXCLUDED = {lang: _TESTS / f"nemo_{lang}_excluded.tsv" for lang in ("en", "ru")}


def _norm(s: str, lang: str) -> str:
    s = " ".join(s.split())
    return s.replace("ё", "е").replace("Ё", "Е") if lang == "ru" else s


def load_cases(root: Path, lang: str) -> list[tuple[str, str, list[str]]]:
    """(class, input, acceptable outputs) for every case of one language."""
    cases = []
    for path in sorted((root / lang).glob("test_cases_*.txt")):
        cls = path.stem.removeprefix("test_cases_")
        lines = path.read_text(encoding="utf-8").splitlines()
        if "normalize_with_audio" in cls:
            current: tuple[str, list[str]] | None = None
            for line in lines:
                if line.startswith("~"):
                    if current:
                        cases.append((cls, current[0], current[1]))
                    current = (line[1:], [])
                elif current is not None:
                    current[1].append(line)
            if current:
                cases.append((cls, current[0], current[1]))
            merged: dict[str, list[str]] = {}  # repeated inputs: one case with all their readings
            for _, inp, outs in [c for c in cases if c[0] == cls]:
                merged.setdefault(inp, []).extend(outs)
            cases = [c for c in cases if c[0] != cls] + [(cls, i, o) for i, o in merged.items()]
            continue
        grouped: dict[str, list[str]] = {}
        for line in lines:
            if "~" not in line:
                continue
            left, right = line.split("~", 1)
            inp, exp = (left, right) if lang == "en" else (right, left)
            if not (inp.strip() or exp.strip()):
                continue
            if lang == "en":
                cases.append((cls, inp, [exp]))
            else:
                grouped.setdefault(inp, []).append(exp)
        cases.extend((cls, inp, outs) for inp, outs in grouped.items())
    return cases


def load_excluded(path: Path) -> set[tuple[str, str]]:
    """(class, input) pairs listed in an exclusion file (``class<TAB>input<TAB>reason`` lines)."""
    out = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                cls, inp, *_ = line.split("\t")
                out.add((cls, inp))
    return out


def score(root: Path = DEFAULT_DIR, normalizer: Normalizer | None = None) -> dict[str, object]:
    norm = normalizer or Normalizer()
    report: dict[str, object] = {}
    failures: list[dict[str, str]] = []
    for lang in ("en", "ru"):
        excluded = load_excluded(EXCLUDED[lang])
        per: dict[str, list[int]] = {}
        skipped = strict_hit = strict_total = 0
        for cls, inp, outs in load_cases(root, lang):
            got = _norm(norm.normalize(inp, lang).text, lang)
            ok = any(got == _norm(o, lang) for o in outs)
            strict_hit += ok
            strict_total += 1
            if (cls, inp) in excluded:
                skipped += 1
                continue
            per.setdefault(cls, [0, 0])
            per[cls][0] += ok
            per[cls][1] += 1
            if not ok:
                failures.append({"lang": lang, "class": cls, "input": inp, "got": got, "expected": outs[0]})
        hit, total = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
        report[lang] = {"accuracy": round(hit / total, 4), "passed": hit, "total": total, "excluded": skipped,
                      "accuracy_all_cases": round(strict_hit / strict_total, 4),
                        "per_class": {k: round(v[0] / v[1], 3) for k, v in sorted(per.items())}}
    report["failures"] = failures
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(next((a for a in args if not a.startswith("--")), DEFAULT_DIR))
    report = score(root)
    if "--failures" not in args:
        report.pop("failures")
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
