"""Per-span language detection for mixed Russian/English text.

Words take the language of their own script.  Everything else (numbers, symbols) takes the majority
language of its sentence, counted in words (URLs and e-mails ignored; a Cyrillic word weighs double,
since Latin brand names inside Russian text are far more common than the reverse; ties go to Russian), so ``версия iOS 17.2`` reads the number in Russian while ``Python 3.11`` follows
whatever language surrounds it.  Sentences without letters inherit the previous sentence's language,
then the next one's, then the default.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?![\s]))*(?:[.!?\n]+|$)")
_CYR = re.compile(r"[а-яёА-ЯЁ]")
_LAT = re.compile(r"[a-zA-Z]")
_CYR_WORD = re.compile(r"[а-яёА-ЯЁ]+")
_LAT_WORD = re.compile(r"[a-zA-Z]+")
_ELECTRONIC_MARKS = ("@", "://", "www.")


def sentence_languages(text: str, default: str) -> list[tuple[int, str]]:
    """Sorted ``(sentence_end, language)`` pairs covering ``text``."""
    spans: list[tuple[int, str | None]] = []
    for m in _SENTENCE.finditer(text):
        if m.end() == m.start() and m.end() < len(text):
            continue
        s = " ".join(w for w in m.group().split() if not any(mark in w for mark in _ELECTRONIC_MARKS))
        cyr, lat = 2 * len(_CYR_WORD.findall(s)), len(_LAT_WORD.findall(s))
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
