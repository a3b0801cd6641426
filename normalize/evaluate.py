"""Held-out evaluation on everyday text (``tests/normalize/eval/{ru,en,mixed}.tsv``), per category.

``python -m normalize.evaluate [--dir PATH] [--failures] [--json]`` scores our normalizer on every case and, where the
dev-only ``ru-normalizr`` package is installed (``pip install -e '.[eval]'``), that normalizer on the Russian
cases, by the same rule.

Comparison rule (:func:`fold`): an output is right when, after folding, it equals one of the case's
acceptable readings folded the same way.  Folding lower-cases, maps ``ё`` to ``е``, turns sentence punctuation
(``. , ; : ! ? …``, quotes, brackets, hyphens and dashes) into spaces and collapses whitespace.  It does **not**
apply Unicode normalization and does not remove other symbols, so markup (``*``, ``_``, ``#``, bullets),
emoji, decomposed letters and look-alike letters from the other script count as errors.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "tests" / "normalize" / "eval"
SETS = ("ru", "en", "mixed")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_PUNCT = re.compile(r"[.,;:!?…\"'«»„“”‘’()\[\]{}\-–—]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation sentence: its set (``ru``/``en``/``mixed``), category, input and acceptable readings."""

    set: str
    category: str
    text: str
    readings: tuple[str, ...]


def _unescape(s: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)


def load_cases(folder: Path = DEFAULT_DIR) -> list[Case]:
    """All cases of the three sets, in file order."""
    cases = []
    for name in SETS:
        for n, line in enumerate((folder / f"{name}.tsv").read_text(encoding="utf-8").splitlines(), 1):
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise ValueError(f"{name}.tsv:{n}: expected 3 tab-separated columns, got {len(parts)}")
            readings = tuple(_unescape(r.strip()) for r in parts[2].split(" | "))
            cases.append(Case(name, parts[0], _unescape(parts[1]), readings))
    return cases


def fold(text: str) -> str:
    """The comparison form described in the module docstring."""
    text = text.lower().replace("ё", "е")
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def correct(output: str, case: Case) -> bool:
    return fold(output) in {fold(r) for r in case.readings}


def ours() -> Callable[[str, str], str]:
    """Our normalizer; ``mixed`` cases run with ``lang="auto"``, the others with their language forced."""
    from .pipeline import Normalizer

    norm = Normalizer()
    return lambda text, subset: norm.normalize(text, "auto" if subset == "mixed" else subset).text


def ru_normalizr() -> Callable[[str, str], str] | None:
    """``ru_normalizr.normalize`` with its default options, or None when the package is not installed."""
    try:
        import ru_normalizr as rn  # dev-only comparison (the ``eval`` extra), never a runtime dependency
    except ImportError:
        return None
    return lambda text, subset: rn.normalize(text)


def score(system: Callable[[str, str], str], cases: list[Case]) -> dict[str, object]:
    """Per-set and per-(set, category) ``[right, total]`` counts and the failing cases."""
    by_set: dict[str, list[int]] = {}
    by_cat: dict[str, list[int]] = {}
    failures = []
    for case in cases:
        out = system(case.text, case.set)
        ok = correct(out, case)
        for table, key in ((by_set, case.set), (by_cat, f"{case.set}/{case.category}")):
            table.setdefault(key, [0, 0])
            table[key][0] += ok
            table[key][1] += 1
        if not ok:
            failures.append({"set": case.set, "category": case.category, "input": case.text, "output": out,
                             "expected": case.readings[0]})
    return {"sets": by_set, "categories": by_cat, "failures": failures}


def accuracy(counts: list[int]) -> float:
    return counts[0] / counts[1] if counts[1] else 0.0


def report(folder: Path = DEFAULT_DIR) -> dict[str, dict[str, object]]:
    """Scores of our normalizer on all cases and of ru-normalizr (when installed) on the Russian ones."""
    cases = load_cases(folder)
    out = {"ours": score(ours(), cases)}
    other = ru_normalizr()
    if other is not None:
        out["ru-normalizr"] = score(other, [c for c in cases if c.set == "ru"])
    return out


def _table(rep: dict[str, dict[str, object]]) -> str:
    mine, other = rep["ours"], rep.get("ru-normalizr")
    rows = ["| set / category | n | ours | ru-normalizr |", "|---|---|---|---|"]
    keys = [*SETS, *sorted(mine["categories"])]  # type: ignore[arg-type]
    for key in keys:
        table = "sets" if key in SETS else "categories"
        right, total = mine[table][key]  # type: ignore[index]
        theirs = other[table].get(key) if other is not None else None  # type: ignore[union-attr,index]
        cell = f"{100 * accuracy(theirs):.1f}%" if theirs else "-"
        rows.append(f"| {key} | {total} | {100 * right / total:.1f}% | {cell} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    folder = Path(argv[argv.index("--dir") + 1]) if "--dir" in argv else DEFAULT_DIR
    rep = report(folder)
    if "--json" in argv:
        print(json.dumps({k: {"sets": v["sets"], "categories": v["categories"]} for k, v in rep.items()},
                         ensure_ascii=False, indent=1))
    else:
        print(_table(rep))
    if "--failures" in argv:
        for name, result in rep.items():
            for f in result["failures"]:  # type: ignore[attr-defined]
                print(f"[{name}] {f['set']}/{f['category']}: {f['input']!r}\n    got  {f['output']!r}\n"
                      f"    want {f['expected']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
