"""Data types shared by the pipeline: classified tokens, output spans and the typed error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class NormalizationError(ValueError):
    """Raised for input the normalizer refuses (wrong type, over the configured size limit, bad config)."""


@dataclass(slots=True)
class Token:
    """One semiotic span found by a classifier plugin.

    ``cls`` is the semiotic class (``cardinal``, ``date``, ``word``...), ``fields`` the parsed parts the
    verbalizer needs.  ``lang``, ``case``, ``gender``, ``animate`` and ``plural`` are filled by the
    language and agreement stages.
    """

    cls: str
    start: int
    end: int
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    lang: str = ""
    case: str = ""
    gender: str = ""
    animate: bool = False
    plural: bool = False
    out: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """Mapping of one original span to its normalized text."""

    cls: str
    orig_start: int
    orig_end: int
    norm_start: int
    norm_end: int
    lang: str
    case: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"class": self.cls, "orig": [self.orig_start, self.orig_end],
                "norm": [self.norm_start, self.norm_end], "lang": self.lang, "case": self.case}


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Result of :meth:`normalize.Normalizer.normalize`."""

    text: str
    spans: list[Span]
    original: str

    def __str__(self) -> str:
        return self.text

    def original_range(self, start: int, end: int) -> tuple[int, int]:
        """The part of the user's text that became ``text[start:end]``: from the first to the last
        original character of the spans that overlap it; ``(start, end)`` when none does (normalization off)."""
        hit = [s for s in self.spans if s.norm_start < end and s.norm_end > start]
        if not hit:
            return start, end
        return min(s.orig_start for s in hit), max(s.orig_end for s in hit)
