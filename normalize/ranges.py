"""Numeric ranges written with a hyphen or dash, one rule for both languages: ``4–5``, ``10-12``, ``1812–1814``,
``1960-80``, ``XVIII–XIX``, ``50–60-х``, ``50–60%``.

A range is a dash written tight between two numbers whose values increase (a two-digit end after a four-digit
start continues its century; an hour before a 12-hour clock time may pass noon: ``12-1pm``).  Russian reads both ends in the case and gender the context gives the second
(:mod:`normalize.agreement_ru`); English reads the dash as "to" when the range counts something
(:mod:`normalize.context_en`).
"""

from __future__ import annotations

from .spans import Token

DASHES = frozenset({"-", "–", "—"})
_ENDS = frozenset({"cardinal", "ordinal", "roman", "measure", "money", "decimal", "time"})


def _value(tok: Token) -> float | None:
    if tok.cls == "decimal" and tok.fields.get("frac"):  # "1,5–2 часа"
        whole, frac = str(tok.fields.get("int", "")), str(tok.fields.get("frac", ""))
        ok = whole.isdigit() and frac.isdigit() and len(whole) <= 12 and not tok.fields.get("q") and not tok.fields.get("sign")
        return float(f"{whole}.{frac}") if ok else None
    if tok.cls == "roman":
        return int(tok.fields["value"])
    if tok.cls == "time":
        return int(tok.fields["h"]) if tok.fields.get("ap") else None  # "7–9 PM"
    digits = str(tok.fields.get("int", ""))
    if not digits.isdigit() or len(digits) > 12 or tok.fields.get("sign") or tok.fields.get("lo"):
        return None
    return int(digits)


def range_ends(tokens: list[Token], i: int) -> tuple[Token, Token] | None:
    """``(low, high)`` when ``tokens[i]`` is the dash of a range (see module docstring), else None."""
    dash = tokens[i]
    if dash.cls != "punct" or dash.text not in DASHES or i == 0 or i + 1 >= len(tokens):
        return None
    lo, hi = tokens[i - 1], tokens[i + 1]
    if lo.cls not in ("cardinal", "roman", "decimal") or hi.cls not in _ENDS or (lo.cls == "roman") != (hi.cls == "roman"):
        return None
    a, b = _value(lo), _value(hi)
    if a is None or b is None or lo.lang != hi.lang:
        return None
    if hi.cls == "time" and lo.cls == "cardinal" and 1 <= a <= 12:
        return lo, hi  # "12-1pm", "11–2 PM": a clock span may pass noon
    if b <= a and not (lo.cls != "decimal" and len(str(a)) == 4 and len(str(b)) == 2 and b > a % 100):
        return None
    return lo, hi
