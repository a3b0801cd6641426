"""Sentence and clause segmentation of long text for synthesis, with a natural pause after each segment.

:func:`split_segments` cuts text into :class:`Segment` pieces with character offsets into the input:

1. **Sentences** end at ``.``, ``!``, ``?``, ``…`` and their runs (``?!``, ``...``), together with any closing
   quotes or brackets right after them (``"Stop."``, ``(see above.)``), when whitespace or the end of the
   text follows and the next word does not start with a lower-case letter (``«Куда?» — спросил он`` is one
   sentence).  A dot never ends a sentence inside a number (``3.14``, ``12:30``: no whitespace follows),
   after a known abbreviation (``т.е.``, ``т. д.``, ``г.``, ``ул.``, ``Dr.``, ``Mr.``, ``e.g.``), after a dotted
   acronym (``U.S.``), after a single letter (initials: ``А. С. Пушкин``, ``J. R. R. Tolkien``), or after a
   bare list number (``1.``).  URLs and e-mails contain no dot followed by whitespace, so they stay whole.
2. **Lines**: a blank line always ends a segment (a paragraph); a single line break does too unless the next
   line starts with a lower-case letter or the line ends with a comma or hyphen (hard-wrapped text).
3. **Long sentences** (over ``max_chars``) are cut at the last clause mark that fits (``;``, ``:``, ``—``, ``–``,
   a spaced hyphen, preferred when past half the limit, else ``,``), and as a last resort at the last space
   that fits (not one between digit groups such as ``1 250``).  A piece with no such point stays longer than
   ``max_chars``.

Every segment's ``text`` is ``input[start:end]``, is non-empty and carries no surrounding whitespace; the
text between consecutive segments is whitespace only.  ``pause_ms`` (see :func:`pause_after`) is the silence
to insert after the segment: longest after a paragraph, then after a sentence (``?`` and ``…`` a little longer
than ``.``), a line break, a clause mark, a forced split at a space; 0 after the last segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLOSERS = "\"'»”’)]}"
_OPENERS = "\"'«“„‘([{—–-"
_TERMINAL = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*")
_NEWLINES = re.compile(r"\n\s*")
_INITIAL = re.compile(r"[^\W\d_]\.")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.){2,}")
_LIST_MARKER = re.compile(r"[(\[]?(?:[0-9]{1,3}|[IVXLC]{1,5})[.)]")
_CLAUSE = re.compile(r"[;:,](?=\s)|\s[—–-](?=\s)")
_STRONG = set(";:—–-")

# Abbreviations whose dot never ends a sentence (compared in lower case, without leading brackets/quotes).
_COMMON = {"см.", "ср.", "англ.", "лат.", "e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "ca.", "no.", "nos.",
           "p.", "pp.", "vol.", "fig.", "ch.", "art.", "sec.", "min.", "max."}
_RU_ABBR = {"т.", "д.", "п.", "г.", "гг.", "в.", "вв.", "ул.", "пр.", "просп.", "пер.", "пл.", "наб.", "ш.",
            "кв.", "корп.", "стр.", "обл.", "р-н.", "пос.", "дер.", "им.", "проф.", "акад.", "доц.", "ген.",
            "гл.", "рис.", "табл.", "ст.", "ч.", "напр.", "прим.", "др.", "тыс.", "млн.", "млрд.", "трлн.",
            "руб.", "коп.", "долл.", "ок.", "тел.", "изд.", "вып.", "лит.", "рус.", "нем.", "франц.", "греч.",
            "мин.", "сек.", "мес.", "нед.", "зам.", "зав.", "св.", "б.", "м.", "ж.", "с.", "т.е.", "т.к.",
            "т.н.", "т.д.", "т.п.", "н.э.", "г-н.", "г-жа.", "мкр.", "пгт.", "под."}
_EN_ABBR = {"mr.", "mrs.", "ms.", "dr.", "prof.", "sr.", "jr.", "st.", "mt.", "ft.", "inc.", "ltd.", "co.",
            "corp.", "dept.", "univ.", "gen.", "gov.", "sen.", "rep.", "rev.", "hon.", "sgt.", "capt.", "col.",
            "lt.", "maj.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.",
            "nov.", "dec.", "mon.", "tue.", "tues.", "wed.", "thu.", "thur.", "thurs.", "fri.", "sat.", "sun.",
            "al.", "est.", "avg.", "ave.", "blvd.", "rd.", "hwy.", "a.m.", "p.m.", "u.s.", "u.k.", "ph.d."}
_ABBREVIATIONS = {None: _COMMON | _RU_ABBR | _EN_ABBR, "ru": _COMMON | _RU_ABBR, "en": _COMMON | _EN_ABBR}

# Silence after a segment, by how it ended.
_PAUSES = {"paragraph": 750, "sentence": 500, "line": 400, "clause": 250, "space": 80, "end": 0}


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of the input: ``text == input[start:end]``; ``boundary`` says how it ended (``paragraph``,
    ``sentence``, ``line``, ``clause``, ``space`` or ``end``) and ``pause_ms`` the silence that should follow."""

    text: str
    start: int
    end: int
    boundary: str
    pause_ms: int


def pause_after(text: str, boundary: str) -> int:
    """Natural pause in milliseconds after a segment ``text`` that ended at a ``boundary`` of that kind."""
    if boundary not in _PAUSES:
        raise ValueError(f"unknown boundary {boundary!r}; expected one of {sorted(_PAUSES)}")
    base = _PAUSES[boundary]
    tail = text.rstrip(_CLOSERS + " ")
    if boundary == "sentence":
        if tail.endswith(("…", "...")):
            return base + 150
        if tail.endswith("?"):
            return base + 50
    elif boundary == "clause":
        if tail.endswith((";", ":")):
            return base + 100
        if tail.endswith(("—", "–", "-")):
            return base + 50
        if tail.endswith(","):
            return base - 50
    return base


def _next_char(text: str, pos: int) -> str:
    """First character after ``pos`` that is not whitespace or an opening quote, bracket or dash."""
    n = len(text)
    while pos < n and (text[pos].isspace() or text[pos] in _OPENERS):
        pos += 1
    return text[pos] if pos < n else ""


def _skip_space(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos].isspace():
        pos += 1
    return pos


def _strip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _is_abbreviation(text: str, dot: int, start: int, abbreviations: set[str]) -> bool:
    """Whether the dot at ``dot`` closes an abbreviation, an initial, a dotted acronym or a list number."""
    ws = dot - 1
    while ws >= start and not text[ws].isspace():
        ws -= 1
    word = text[ws + 1:dot + 1].lstrip(_OPENERS)
    if word.lower() in abbreviations or _DOTTED.fullmatch(word):
        return True
    if _INITIAL.fullmatch(word):  # an initial, or a one-letter abbreviation ("с.", "г."); not "I." or "я."
        return word[0] not in "Iя" and (word[0].isupper() or word[0] != "я")
    window = max(start, dot - 12)  # a list marker ("12.", "(iv)") is short: look back a few characters only
    newline = text.rfind("\n", window, dot)
    if newline < 0 and window > start:
        return False
    return bool(_LIST_MARKER.fullmatch(text[max(window, newline + 1):dot + 1].strip()))


def _sentence_ends(text: str, abbreviations: set[str]) -> dict[int, str]:
    """End offsets of sentence and line segments, mapped to the kind of boundary."""
    ends: dict[int, str] = {}
    start = 0
    for m in _TERMINAL.finditer(text):
        stop = m.end()
        if stop < len(text) and not text[stop].isspace():
            continue
        nxt = _next_char(text, stop)
        if nxt.isalpha() and nxt.islower():
            continue
        if m.group().rstrip(_CLOSERS) == "." and _is_abbreviation(text, m.start(), start, abbreviations):
            continue
        ends[stop] = "sentence"
        start = stop
    for m in _NEWLINES.finditer(text):  # each whitespace run with a line break, once
        para = m.group().count("\n") > 1
        before = _strip_end(text, max(0, m.start() - 4096), m.start())
        if before == 0 or before in ends or m.end() == len(text):
            if para and before in ends:
                ends[before] = "paragraph"
            continue
        if not para:
            nxt = _next_char(text, m.end())
            if (nxt.isalpha() and nxt.islower()) or text[before - 1] in ",-":
                continue
        ends[before] = "paragraph" if para else "line"
    return ends


def _cut(text: str, start: int, end: int, max_chars: int) -> int | None:
    """Best offset in (start, end) to cut a piece longer than ``max_chars``, or None when there is none."""
    limit = start + max_chars
    best = strong = None
    for m in _CLAUSE.finditer(text, start, min(end, limit + 1)):
        cut = m.end()
        if cut > limit:
            break
        if cut - start < 1 or not text[start:cut].strip():
            continue
        best = cut
        if m.group().strip() in _STRONG:
            strong = cut
    if strong is not None and strong - start >= max_chars // 2:
        return strong
    if best is not None:
        return best
    for pos in range(min(limit, end - 1), start, -1):
        if text[pos].isspace() and not text[pos - 1].isspace() and not (
                text[pos - 1].isdigit() and pos + 1 < end and text[pos + 1].isdigit()):
            return pos
    return None


def split_segments(text: str, *, max_chars: int = 200, language: str | None = None) -> list[Segment]:
    """Split ``text`` into sentence/clause segments of at most ``max_chars`` characters where possible.

    ``language`` (``"ru"``, ``"en"``, or None/``"auto"`` for both) selects the abbreviation list.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be >= 1")
    if language == "auto":
        language = None
    if language not in _ABBREVIATIONS:
        raise ValueError(f"language must be 'ru', 'en', 'auto' or None, got {language!r}")
    ends = _sentence_ends(text, _ABBREVIATIONS[language])
    pieces: list[tuple[int, int, str]] = []
    start = 0
    for stop in [*sorted(ends), len(text)]:
        lo = _skip_space(text, start, stop)
        hi = _strip_end(text, lo, stop)
        start = stop
        if lo >= hi:
            continue
        kind = ends.get(stop, "end")
        while hi - lo > max_chars:
            cut = _cut(text, lo, hi, max_chars)
            if cut is None:
                break
            left_end = _strip_end(text, lo, cut)
            pieces.append((lo, left_end, "clause" if text[left_end - 1] in ";:,—–-" else "space"))
            lo = _skip_space(text, cut, hi)
        pieces.append((lo, hi, kind))
    pieces = _merge_symbol_only(text, pieces, max_chars)
    out = []
    for k, (lo, hi, kind) in enumerate(pieces):
        if k == len(pieces) - 1:
            kind = "end"
        elif kind == "end":
            kind = "sentence"
        out.append(Segment(text[lo:hi], lo, hi, kind, pause_after(text[lo:hi], kind)))
    return out


def _merge_symbol_only(text: str, pieces: list[tuple[int, int, str]], max_chars: int) -> list[tuple[int, int, str]]:
    """Attach pieces without any letter or digit (``"…"``, ``"—"``) to the previous piece when it fits."""
    merged: list[tuple[int, int, str]] = []
    for lo, hi, kind in pieces:
        if merged and not any(c.isalnum() for c in text[lo:hi]) and hi - merged[-1][0] <= max_chars:
            merged[-1] = (merged[-1][0], hi, kind)
        else:
            merged.append((lo, hi, kind))
    return merged
