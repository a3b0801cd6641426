"""Per-span language detection for mixed Russian/English text.

Words take the language of their own script.  Everything else (numbers, symbols) takes the majority
language of its sentence, counted in words (URLs and e-mails ignored, a Latin unit after a number not counted; a Cyrillic word weighs double,
since Latin brand names inside Russian text are far more common than the reverse, except an upper-case acronym
such as ``СБП`` or ``НДС``, which an English sentence quotes as a name; a brand with an inner capital such as ``WhatsApp`` counts for
neither; ties go to Russian), so ``версия iOS 17.2`` reads the number in Russian while ``Python 3.11`` follows
whatever language surrounds it.  Sentences without letters inherit the previous sentence's language,
then the next one's, then the default.
"""

from __future__ import annotations

import re

from .spans import Token

_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?![\s]))*(?:[.!?\n]+|$)")
_CYR = re.compile(r"[а-яёА-ЯЁ]")
_LAT = re.compile(r"[a-zA-Z]")
_CYR_WORD = re.compile(r"[а-яёА-ЯЁ]+")
# A Latin word: a hyphenated compound counts once (Wi-Fi), a unit right after a number not at all (300 Mbps).
_LAT_WORD = re.compile(r"(?<![0-9])(?<![0-9] )[a-zA-Z]+(?:[-'][a-zA-Z]+)*")
_BRAND = re.compile(r"[a-zA-Z][a-z]+[A-Z][a-zA-Z]*")  # WhatsApp, iPhone, YouTube: a name, no evidence of a language
_ELECTRONIC_MARKS = ("@", "://", "www.")


def sentence_languages(text: str, default: str) -> list[tuple[int, str]]:
    """Sorted ``(sentence_end, language)`` pairs covering ``text``."""
    spans: list[tuple[int, str | None]] = []
    for m in _SENTENCE.finditer(text):
        if m.end() == m.start() and m.end() < len(text):
            continue
        s = " ".join(w for w in m.group().split() if not any(mark in w for mark in _ELECTRONIC_MARKS))
        cyr = sum(1 if w.isupper() else 2 for w in _CYR_WORD.findall(s))
        lat = sum(not _BRAND.fullmatch(w) for w in _LAT_WORD.findall(s))
        spans.append((m.end(), "ru" if cyr and cyr >= lat else "en" if lat else None))
        if m.end() >= len(text):
            break
    out: list[tuple[int, str]] = []
    last: str | None = None
    pending: list[int] = []
    for end, lang in spans:
        if lang is None:
            if last is None:
                pending.append(end)
            else:
                out.append((end, last))
            continue
        for p in pending:
            out.append((p, lang))
        pending = []
        out.append((end, lang))
        last = lang
    out.extend((p, default) for p in pending)
    return out or [(len(text), default)]


def word_language(word: str, fallback: str) -> str:
    if _CYR.search(word):
        return "ru"
    if _LAT.search(word):
        return "en"
    return fallback


_SPOKEN_AS_WORDS = frozenset({"word", "punct", "space", "verbatim", "letters"})


def follow_english_words(tokens: list[Token]) -> None:
    """Inside a Russian sentence, a number or abbreviation written right after a lower-case English word, and
    not followed by a Russian word, is read in English with whatever is written tight against it
    (``Shipping takes 10-12 weeks, доставка ...``, ``dial 112, а ...``); after a brand (``Android 15``,
    ``iPhone 16``) or before a Russian word (``Batch size 32–64 работает``) it keeps the sentence's language."""
    n = len(tokens)
    i = 2
    while i < n:
        tok, prev = tokens[i], tokens[i - 2]
        if not (tok.lang == "ru" and tok.cls not in _SPOKEN_AS_WORDS and tokens[i - 1].cls == "space"
                and prev.cls in ("word", "abbreviation") and prev.lang == "en"
                and (prev.text.rstrip(".").islower() or prev.text in ("A", "An", "The"))):
            i += 1
            continue
        end = i
        while end + 1 < n and tokens[end + 1].cls not in ("space", "word") and tokens[end + 1].text not in ",;:!?":
            end += 1
        after = next((t for t in tokens[end + 1:end + 3] if t.cls != "space"), None)
        if after is None or after.cls != "word" or after.lang != "ru":
            for t in tokens[i:end + 1]:
                t.lang = "en"
        i = end + 1


def follow_russian_words(tokens: list[Token]) -> None:
    """Inside an English sentence, a number written right after a Cyrillic word or abbreviation, and not followed
    by an English word, is read in Russian with that abbreviation (``my flat is on the 5th floor, кв. 12``)."""
    for i in range(2, len(tokens)):
        tok, prev = tokens[i], tokens[i - 2]
        if tok.lang == "en" and tok.cls not in _SPOKEN_AS_WORDS and tokens[i - 1].cls == "space" \
                and prev.cls in ("word", "abbreviation") and _CYR.search(prev.text):
            after = next((t for t in tokens[i + 1:i + 3] if t.cls != "space"), None)
            if after is None or after.cls != "word" or after.lang != "en":
                tok.lang = prev.lang = "ru"
