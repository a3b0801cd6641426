"""Score the normalizer on NeMo's text-normalization test files; prints per-class accuracy as JSON.

Usage: ``python -m normalize.score_nemo [NEMO_DIR] [--failures]``.  EN lines are ``input~expected``,
RU lines ``expected~input``; ``*normalize_with_audio*`` files hold blocks (``~INPUT`` then acceptable
outputs).  Repeated inputs in one file are one case with all their readings: Russian lines (NeMo's
Russian tests are non-deterministic) and the audio blocks of both languages (each block lists a subset of
the acceptable outputs).  Comparison is exact after whitespace normalization; Russian also folds ё to е
because the NeMo expectations never use ё.

English is scored like NeMo scores it: the one (top-1) output must be an acceptable one.  Russian is scored
both ways: ``accuracy`` is NeMo's own Russian criterion (an acceptable output is among
:meth:`Normalizer.candidates` with the default limit: a bare ``1996`` or ``31 руб.`` has no context that fixes
its case, gender or cardinal/ordinal reading), ``accuracy_top1`` requires our top-1 output to be acceptable.

Cases listed in ``tests/normalize/nemo_<lang>_excluded.tsv`` (typos, ungrammatical or self-contradictory
expectations, each with its reason) are not scored; the ``*_all_cases`` rates are over every case.
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


def _rate(hit: int, total: int) -> float:
    return round(hit / total, 4) if total else 0.0


def score(root: Path = DEFAULT_DIR, normalizer: Normalizer | None = None) -> dict[str, object]:
    norm = normalizer or Normalizer()
    report: dict[str, object] = {}
    failures: list[dict[str, str]] = []
    for lang in ("en", "ru"):
        excluded = load_excluded(EXCLUDED[lang])
        per: dict[str, list[int]] = {}  # class -> [candidate hits, top-1 hits, cases]
        every = [0, 0, 0]
        for cls, inp, outs in load_cases(root, lang):
            want = {_norm(o, lang) for o in outs}
            top1 = _norm(norm.normalize(inp, lang).text, lang)
            ok1 = top1 in want
            ok = ok1 if lang == "en" else any(_norm(c, lang) in want for c in norm.candidates(inp, lang))
            for row in (every, *([] if (cls, inp) in excluded else [per.setdefault(cls, [0, 0, 0])])):
                row[0] += ok
                row[1] += ok1
                row[2] += 1
            if not ok and (cls, inp) not in excluded:
                failures.append({"lang": lang, "class": cls, "input": inp, "got": top1, "expected": outs[0]})
        hit, hit1, total = (sum(v[i] for v in per.values()) for i in range(3))
        entry: dict[str, object] = {"accuracy": _rate(hit, total), "passed": hit, "total": total,
                                    "excluded": every[2] - total, "accuracy_all_cases": _rate(every[0], every[2])}
        if lang == "ru":
            entry.update({"criterion": "expected among candidates (NeMo's Russian criterion)",
                          "accuracy_top1": _rate(hit1, total), "passed_top1": hit1,
                          "accuracy_top1_all_cases": _rate(every[1], every[2])})
        else:
            entry["criterion"] = "top-1 output exact"
        entry["per_class"] = {k: _rate(v[0], v[2]) for k, v in sorted(per.items())}
        if lang == "ru":
            entry["per_class_top1"] = {k: _rate(v[1], v[2]) for k, v in sorted(per.items())}
        report[lang] = entry
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
