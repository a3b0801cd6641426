"""Text normalization front-end (Russian / English) for the Qwen3-TTS runtime.

Turns written text into speakable text: numbers with Russian case/gender agreement, dates, times, money,
units, abbreviations, URLs, phone numbers, roman numerals, mixed RU/EN text.

Pipeline (:class:`Normalizer`): prepare (1:1 character cleanup) -> clean (NFC, look-alike letters, markup, emoji,
punctuation spacing; may delete/insert, offsets kept: :mod:`normalize.cleanup`) -> classify (plugins find semiotic spans,
longest match wins) -> language (per span; Cyrillic/Latin majority of the sentence) -> context (Russian
agreement from the governing preposition and counted noun; English ranges/abbreviations) -> verbalize
(per-language functions) -> join (with an original-to-normalized offset map).

Alternatives: :meth:`Normalizer.candidates` returns the top-1 reading followed by the readings a Russian number
leaves open without context (cases, genders, ordinal readings of a bare number...), like NeMo's non-deterministic
Russian normalizer; a rescorer may pick among them.

Long text: :func:`split_segments` (module :mod:`normalize.segment`) cuts it into sentence/clause segments
with character offsets and a natural pause after each.

Configuration: the ``[normalize]`` section of ``configs/model.toml``, passed as a dict to
:class:`Normalizer` (or the whole parsed file to :func:`from_config`).  Keys, all optional:

``enabled`` (bool, true)
    false returns the text unchanged (after 1:1 cleanup).
``default_language`` ("en" | "ru", "en")
    language for spans whose sentence has no letters when the request says ``lang="auto"``.
``plugins`` (list of names)
    classifier plugins to use, in priority order; default all of: verbatim, electronic, telephone, time,
    date, money, measure, fraction, decimal, ordinal, abbreviation, roman, letters, serial, cardinal.
``disabled`` (list of names)
    plugins to switch off.
``dictionary`` (path or list of paths)
    user pronunciation/abbreviation TOML files; tables ``[en]``, ``[ru]``, ``[any]`` of
    ``"written" = "spoken"``, overriding the built-in ``normalize/data/abbreviations.toml``.
``stress`` ("keep" | "strip" | "acute", "keep")
    Russian stress marks: pass through, remove, or convert ``+`` marks to combining acute (U+0301).
``stress_plus`` (bool, true)
    treat ``+`` right before a vowel as a stress mark.
``max_chars`` (int, 10_000_000)
    longer inputs raise :class:`NormalizationError`.
"""

from __future__ import annotations

from typing import Any

from .cli import cli_main
from .pipeline import Normalizer, load_dictionary
from .segment import Segment, pause_after, split_segments
from .spans import NormalizationError, NormalizedText, Span

__all__ = ["NormalizationError", "NormalizedText", "Normalizer", "Segment", "Span", "cli_main", "from_config",
           "load_dictionary", "normalize_text", "pause_after", "split_segments"]

_default: Normalizer | None = None


def from_config(parsed: dict[str, Any]) -> Normalizer:
    """Build a :class:`Normalizer` from a parsed ``configs/model.toml`` (uses its ``[normalize]`` table)."""
    section = parsed.get("normalize", {})
    if not isinstance(section, dict):
        raise NormalizationError("[normalize] must be a table")
    return Normalizer(section)


def normalize_text(text: str, lang: str = "auto") -> str:
    """Normalize ``text`` with the default configuration."""
    global _default
    if _default is None:
        _default = Normalizer()
    return _default.normalize(text, lang).text
