"""Alternative readings of one Russian token, for :meth:`normalize.Normalizer.candidates`.

The deterministic pipeline picks one case/gender/number for every number from its context; where the input
leaves that open (a bare ``1996``, ``31 руб.``, ``3-е``) NeMo's non-deterministic Russian normalizer lists every
reading instead.  :func:`variants` yields copies of a token with other ``case``/``gender``/``plural``/``animate``
values or reading flags (cardinal <-> ordinal, "одна тысяча", digit by digit, colloquial clock times), which the
ordinary verbalizers of :mod:`normalize.verbalize_ru` then render, most plausible first (the same kind of
reading as the chosen one, then the other kind, then the rarer styles).

Only what the context left open varies (see :mod:`normalize.agreement_ru`): a governing preposition limits
the cases (``allowed``), and a counted or qualified noun whose form the number must agree with fixes the
reading up to the cases that form allows (``fixed``: "5 книг" -> "пять книг" or "пяти книг", "21 книгу" -> only
"двадцать одну книгу").  Other neighbours are not looked at, so in a longer text an alternative may still
clash with a word further away.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from . import ru_numbers as ru
from .agreement_ru import SUFFIX_READINGS
from .spans import Token

CASES = ("nom", "gen", "acc", "dat", "ins", "prep")
_GENDERS = ("m", "f", "n")
_CASE_ONLY = {"decimal", "fraction", "measure", "money", "date"}
VARIABLE = frozenset({"cardinal", "roman", "ordinal", "time"} | _CASE_ONLY)


def _copy(tok: Token, fields: dict[str, Any] | None = None, **attrs: Any) -> Token:
    return replace(tok, fields={**tok.fields, **(fields or {})}, out=None, **attrs)


def _cases(tok: Token) -> list[str]:
    allowed = tok.fields.get("allowed")
    return [c for c in CASES if not allowed or c in allowed or c == tok.case]


def _genders(tok: Token) -> list[str]:
    first = tok.gender or "m"
    return [first] + [g for g in _GENDERS if g != first]


def _number_readings(tok: Token, flag: str) -> Iterator[Token]:
    """Cardinal and ordinal readings of a cardinal/roman token (``flag`` is its ordinal field); the kind the
    pipeline chose comes first."""
    cases = _cases(tok)
    cardinal = [_copy(tok, {flag: False}, case=c, gender=g, animate=a, plural=False)
                for g in _genders(tok) for c in cases for a in (False, True) if not a or c == "acc"]
    ordinal = [_copy(tok, {flag: True}, case=c, gender=g, plural=False) for g in _genders(tok) for c in cases]
    ordinal += [_copy(tok, {flag: True}, case=c, gender="m", plural=True) for c in cases]
    yield from (ordinal + cardinal) if tok.fields.get(flag) else (cardinal + ordinal)


def _suffixed_ordinal(tok: Token) -> Iterator[Token]:
    """``3-е``, ``5-ти``, ``2-х``: the ordinal readings the suffix allows, then the cardinal ones whose last
    word ends in the suffix (``2-х`` -> "двух", ``7-ми`` -> "семи")."""
    suf = tok.fields.get("suf", "")
    cases = _cases(tok)
    opts = SUFFIX_READINGS.get(suf)
    if opts is None:
        opts = [(c, g, False) for g in _GENDERS for c in CASES] + [(c, "m", True) for c in CASES]
    ordinal = [_copy(tok, {"as_cardinal": False}, case=c, gender=g, plural=p) for c, g, p in opts if c in cases]
    cardinal = []
    digits = tok.fields.get("int", "")
    if suf and digits.isdigit() and len(digits) <= 36:
        n = int(digits)
        cardinal = [_copy(tok, {"as_cardinal": True}, case=c) for c in cases
                    if ru.cardinal(n, c).replace("ё", "е").endswith(suf)]
    yield from (cardinal + ordinal) if tok.fields.get("as_cardinal") else (ordinal + cardinal)


def variants(tok: Token) -> Iterator[Token]:
    """Alternative readings of a Russian token as modified copies (may repeat the chosen one; the caller
    drops readings whose text it has already seen)."""
    f = tok.fields
    if tok.cls not in VARIABLE or tok.out is not None or f.get("version"):
        return
    if "fixed" in f:  # an agreeing noun: only the cases its form allows
        yield from (_copy(tok, case=c, plural=p) for c, p in f["fixed"])
        return
    if tok.cls in _CASE_ONLY:
        yield from (_copy(tok, case=c) for c in _cases(tok))
        if tok.cls == "date" and f.get("numeric"):  # "06.03.2006" read without "года" too
            yield from (_copy(tok, {"bare": True}, case=c) for c in _cases(tok))
    elif tok.cls == "time":
        yield from (_copy(tok, case=c) for c in _cases(tok))
        yield from (_copy(tok, {"style": s}) for s in ("and", "zero"))
        if "allowed" not in f:  # "без пятнадцати шесть" takes no preposition
            yield from (_copy(tok, {"style": s}, case="nom") for s in ("colloquial", "colloquial_short"))
    elif tok.cls == "ordinal":
        yield from _suffixed_ordinal(tok)
    elif tok.cls == "roman":
        yield from _number_readings(tok, "ordinal")
    else:  # cardinal
        yield from _number_readings(tok, "ordinal")
        digits = f.get("int", "")
        if len(digits) == 4 and digits.startswith("1"):
            yield from (_copy(tok, {"ordinal": False, "one_thousand": True}, case=c, gender="m") for c in _cases(tok))
        if len(digits) >= 2 and not f.get("grouped"):
            yield _copy(tok, {"ordinal": False, "spell": True})
