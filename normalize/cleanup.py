"""Cleanup before classification, with an offset map: it may delete, insert and recompose characters.

Passes, in order (each one only where its trigger characters occur):

0. Zero-width characters removed (U+200B, and what :mod:`normalize.prep` maps onto it: U+200C, U+200D, U+2060,
   U+FEFF, the soft hyphen U+00AD): they split words (``Ски\u200bдки`` -> ``Скидки``) but are never read.
1. NFC: a letter followed by combining marks is recomposed (decomposed ``ё``, ``é``, ``ï``); a mark with no
   precomposed form (a stress acute on a Russian vowel) stays for the ``stress`` setting to handle.
2. Look-alike letters: inside one letter run that mixes Latin and Cyrillic, the minority script's look-alikes
   are rewritten into the majority script (``Москвa`` -> ``Москва``, ``Hellо`` -> ``Hello``); a digit 0 inside a
   Cyrillic word becomes the letter О where that makes a known word (``Эт0`` -> ``Это``).
3. Markup removed: ``#`` headings, ``>`` quotes and list bullets at a line start (a numbered item's ``1)`` becomes
   ``1.``), inline bullets, paired ``**``/``__``/
   ``*``/``_``/``~~`` emphasis, single backticks around a phrase (around one word only in a line with Cyrillic:
   an English `` `word` `` is a quotation), emoji (with their joiners).
4. Punctuation spacing: a ``, ; : ! ?`` written against the next word moves to the previous one (``Zoom ,в``
   -> ``Zoom, в``), a spaced ``!``/``?`` closing a sentence (or ``.`` closing a line) joins its word (``хорошо !`` -> ``хорошо!``); a missing space after ``, ; : ! ? .`` is added where the neighbours show a new word starts
   (``Total:5``, ``10:00,не``, ``Done!Next``, ``end.The``); ``Hi,no`` and a spaced `` , `` stay as written.

:class:`Cleaned` carries the text and, per character, the ``[start, end)`` of the user's characters it came
from (an inserted space has an empty range at the next character), so spans map back to the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .morph_ru import is_known
from .prep import ZERO_WIDTH

Edit = tuple[int, int, str]  # replace text[start:end] with the string

_COMBINING = re.compile(r"[^\u0300-\u036f][\u0300-\u036f]+")
_LATIN_TO_CYR = dict(zip("aceopxyACEHKMOPTXYB", "асеорхуАСЕНКМОРТХУВ", strict=True))
# A Latin letter typed for the Cyrillic one it sounds like (``Pривет``: П, not the look-alike Р); tried only when
# the look-alike reading is not a dictionary word.
_LATIN_SOUND = {"P": "П", "p": "п", "B": "Б", "H": "Х"}
_CYR_TO_LAT = dict(zip("асеорхуАСЕНКМОРТХУВіјѕІЈЅ", "aceopxyACEHKMOPTXYBijsIJS", strict=True))
_LETTERS = re.compile(r"[^\W\d_]+")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_HAS_CYR = re.compile(r"[а-яёА-ЯЁіјѕІЈЅ]")
_EMOJI_CHARS = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u231a\u231b\u23e9-\u23fa"
_EMOJI = re.compile(r"[ \t]*[" + _EMOJI_CHARS + r"](?:[" + _EMOJI_CHARS + r"\ufe0f\u200b\u20e3])*")
_LINE_MARK = re.compile(r"^[ \t]*(?:#{1,6}|>{1,3}|[-*•▪●◦‣·])[ \t]+", re.M)  # headings, quotes, bullets
_NUMBERED = re.compile(r"^[ \t]*[0-9]{1,2}(\))[ \t]+", re.M)  # "1) Купить хлеб": a list item's number
_BULLET = re.compile(r"[•▪●◦‣][ \t]*")
_EMPHASIS = re.compile(r"(?<![\w*~`])(\*{1,3}|_{1,3}|~~|`)(?=[^\s*_~`])([^\n]{0,200}?[^\s*_~`])\1(?![\w*~`])")
_SPACE_BEFORE = re.compile(r"[ \t]+(?=[,;:!?][^\W_])")
_SPACE_BEFORE_END = re.compile(r"(?<=[^\W_])[ \t]+(?=[!?]+(?:[ \t\n\"'»)]|$)|\.[ \t]*(?:\n|$))")  # "Всё хорошо !", "стало 10 ."
_ZERO_IN_WORD = re.compile(r"[а-яёА-ЯЁ]*(?:[а-яёА-ЯЁ]0|0[а-яёА-ЯЁ])[а-яёА-ЯЁ0]*")  # "Эт0", "0шибка"
_SPACE_AFTER = re.compile(r"[,;:!?.](?=[^\W_])")
_LOWER_END = re.compile(r"[a-zа-яё]{2}$")
_MIXED = re.compile(r"[a-zA-Z][а-яёА-ЯЁіјѕІЈЅ]|[а-яёА-ЯЁіјѕІЈЅ][a-zA-Z]")
_TRIGGER = re.compile(r"[#>*_~`•▪●◦‣·\-0-9)]|[ \t][,;:!?.]|[,;:!?.][^\s]|[^\x00-\x7f]")


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Cleaned text; ``starts[i]``/``ends[i]`` bound the original characters that became ``text[i]``."""

    text: str
    starts: list[int]
    ends: list[int]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of cleaned ``text[start:end]`` (``end > start``)."""
        return self.starts[start], self.ends[end - 1]


def _apply(c: Cleaned, edits: Iterator[Edit]) -> Cleaned:
    """Apply non-overlapping edits given in text order; a same-length edit maps character to character, a
    longer or shorter one spreads the replaced range over its new characters."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for s, e, new in edits:
        out.append(c.text[last:s])
        starts.extend(c.starts[last:s])
        ends.extend(c.ends[last:s])
        if len(new) == e - s:
            starts.extend(c.starts[s:e])
            ends.extend(c.ends[s:e])
        elif new:
            lo = c.starts[s] if s < len(c.text) else (c.ends[-1] if c.ends else 0)
            hi = c.ends[e - 1] if s < e else lo
            starts.extend([lo] * len(new))
            ends.extend([hi] * len(new))
        out.append(new)
        last = e
    if last == 0 and not out:
        return c
    out.append(c.text[last:])
    starts.extend(c.starts[last:])
    ends.extend(c.ends[last:])
    return Cleaned("".join(out), starts, ends)


def _nfc(text: str) -> Iterator[Edit]:
    for m in _COMBINING.finditer(text):
        composed = unicodedata.normalize("NFC", m.group())
        if composed != m.group():
            yield m.start(), m.end(), composed


def _lookalikes(text: str) -> Iterator[Edit]:
    done = 0
    for t in _MIXED.finditer(text):
        if t.start() < done:
            continue
        start = t.start()
        while start > 0 and (text[start - 1].isalpha()):
            start -= 1
        m = _LETTERS.match(text, start)
        if m is None:
            continue
        done = m.end()
        word = m.group()
        lat = sum("a" <= ch.lower() <= "z" for ch in word)
        cyr = sum(ch in _CYR_TO_LAT or "а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in word)
        if lat + cyr != len(word):
            continue
        to_cyr = all(ch in _LATIN_TO_CYR for ch in word if ch.isascii())
        to_lat = all(ch in _CYR_TO_LAT for ch in word if not ch.isascii())
        if to_cyr and (cyr >= lat or not to_lat):
            yield m.start(), m.end(), _as_cyrillic(word)
        elif to_lat:
            yield m.start(), m.end(), "".join(_CYR_TO_LAT.get(ch, ch) for ch in word)


def _zeros(text: str) -> Iterator[Edit]:
    """A digit 0 typed for the letter О inside a Cyrillic word, where the letter makes a known word."""
    for m in _ZERO_IN_WORD.finditer(text):
        if m.start() and text[m.start() - 1].isalnum() or m.end() < len(text) and text[m.end()].isalnum():
            continue  # part of a code ("тест20", "А0123")
        word = m.group()
        caps = word.replace("0", "").isupper()
        fixed = "".join(("О" if caps or i == 0 else "о") if ch == "0" else ch for i, ch in enumerate(word))
        if is_known(fixed):
            yield m.start(), m.end(), fixed


def _as_cyrillic(word: str) -> str:
    """``word`` with its Latin letters in Cyrillic: look-alikes, or sound-alikes where only they make a word."""
    lookalike = "".join(_LATIN_TO_CYR.get(ch, ch) for ch in word)
    sounds = [i for i, ch in enumerate(word) if ch in _LATIN_SOUND]
    if not sounds or len(sounds) > 3 or is_known(lookalike):
        return lookalike
    for mask in range(1, 1 << len(sounds)):
        chars = list(lookalike)
        for bit, i in enumerate(sounds):
            if mask >> bit & 1:
                chars[i] = _LATIN_SOUND[word[i]]
        if is_known(candidate := "".join(chars)):
            return candidate
    return lookalike


def _delete(rx: re.Pattern[str]) -> Callable[[str], Iterator[Edit]]:
    def edits(text: str) -> Iterator[Edit]:
        for m in rx.finditer(text):
            yield m.start(), m.end(), ""
    return edits


def _emphasis(text: str) -> Iterator[Edit]:
    for m in _EMPHASIS.finditer(text):
        mark = len(m.group(1))
        if m.group(1) == "`" and " " not in m.group(2) and not _in_cyrillic_line(text, m.start()):
            continue  # an English `word` in backticks is a quotation, kept as written
        yield m.start(), m.start() + mark, ""
        yield m.end() - mark, m.end(), ""


def _in_cyrillic_line(text: str, pos: int) -> bool:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return bool(_HAS_CYR.search(text, start, len(text) if end < 0 else end))


def _emoji(text: str) -> Iterator[Edit]:
    for m in _EMOJI.finditer(text):
        yield m.start(), m.end(), " " if m.start() > 0 and text[m.start() - 1] not in " \t\n" and \
            m.end() < len(text) and text[m.end()].isalnum() else ""


def _space_before(text: str) -> Iterator[Edit]:
    for m in _SPACE_BEFORE.finditer(text):
        prev = text[m.start() - 1] if m.start() else " "
        if (prev.isalnum() or prev in "%)]»") and (text[m.end()] != ":" or prev.isalpha()):
            yield m.start(), m.end(), ""
            yield m.end() + 1, m.end() + 1, " "


def _numbered(text: str) -> Iterator[Edit]:
    for m in _NUMBERED.finditer(text):
        yield m.start(1), m.end(1), "."  # "1) Купить": read like "1. Купить", the number and a pause


def _space_before_end(text: str) -> Iterator[Edit]:
    for m in _SPACE_BEFORE_END.finditer(text):
        yield m.start(), m.end(), ""


def _space_after(text: str) -> Iterator[Edit]:
    for m in _SPACE_AFTER.finditer(text):
        p, mark, nxt = m.start(), m.group(), text[m.end()]
        prev = text[p - 1] if p else " "
        if mark in ",;:" and prev.isalpha() and nxt.isdigit() or mark in ",;" and (prev.isdigit() or prev == "%") \
                and nxt.isalpha() or mark in "!?" and (prev.isalnum() or prev in "%!?") and nxt.isupper() \
                or mark == "." and nxt.isupper() and _LOWER_END.search(text, max(0, p - 2), p) is not None \
                and m.end() + 1 < len(text) and text[m.end() + 1].islower():
            yield m.end(), m.end(), " "


_PASSES: tuple[tuple[Callable[[str], bool], Callable[[str], Iterator[Edit]]], ...] = (
    (lambda t: ZERO_WIDTH in t, _delete(re.compile(ZERO_WIDTH + "+"))),
    (lambda t: not t.isascii(), _nfc),
    (lambda t: bool(_HAS_LATIN.search(t) and _HAS_CYR.search(t)), _lookalikes),
    (lambda t: "0" in t and bool(_HAS_CYR.search(t)), _zeros),
    (lambda t: True, _delete(_LINE_MARK)),
    (lambda t: ")" in t, _numbered),
    (lambda t: not t.isascii(), _delete(_BULLET)),
    (lambda t: True, _emphasis),
    (lambda t: not t.isascii(), _emoji),
    (lambda t: True, _space_before),
    (lambda t: " !" in t or " ?" in t or " ." in t, _space_before_end),
    (lambda t: True, _space_after),
)


def clean(text: str) -> Cleaned:
    """Run the passes of the module docstring over ``text`` (already 1:1 prepared)."""
    c = Cleaned(text, list(range(len(text))), list(range(1, len(text) + 1)))
    if not _TRIGGER.search(text):
        return c
    for applies, edits in _PASSES:
        if applies(c.text):
            c = _apply(c, edits(c.text))
    return c
