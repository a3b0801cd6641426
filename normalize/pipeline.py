"""The normalization pipeline: prepare -> clean -> classify -> language -> context -> verbalize -> join."""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import candidates_ru, verbalize_en, verbalize_ru
from .agreement_ru import RussianAgreement
from .classify import Plugin, default_plugins, match_word
from .cleanup import Cleaned, clean
from .context_en import EnglishContext, resolve_roman
from .language import follow_english_words, follow_russian_words, sentence_languages, word_language
from .prep import ZERO_WIDTH, prepare
from .spans import NormalizationError, NormalizedText, Span, Token
from .units import CURRENCY_CODES

_DATA = Path(__file__).parent / "data"
_CONFIG_KEYS = {"enabled", "default_language", "plugins", "disabled", "dictionary", "stress", "stress_plus",
                "max_chars"}
_STRESS_VOWELS = "аеёиоуыэюяАЕЁИОУЫЭЮЯaeiouyAEIOUY"
_PLUS_STRESS = re.compile(r"\+(?=[" + _STRESS_VOWELS + "])")
_SPACE = re.compile(r"[\s" + ZERO_WIDTH + "]+")
_CURRENCY_CODES = frozenset(CURRENCY_CODES)
_SPOKEN_EDGE = re.compile(r"\w")
_PLAIN = {"word", "punct", "verbatim"}
_CLAUSE_END = set(".,;:!?)]}»")
_OPENING = set("([{«<\"'`-/$‘“„#@+")
# Abbreviations that precede a name or a number: their dot never ends a sentence ("Dr. Smith").
_TITLES = frozenset({"Dr.", "Mr.", "Mrs.", "Ms.", "Prof.", "St.", "Mt.", "No.", "no.", "Gen.", "Capt.", "Sgt.", "Rev.",
                     "Gov.", "a.k.a.", "p.", "pp.", "Fig.", "fig.", "ext.", "Ext.", "Apt.", "apt.",
                     "Hon.", "Sen.", "Rep.", "Lt.", "Col.", "Ft.", "Sec.", "г-н", "г-жа", "ул.", "им.", "проф.", "акад.", "доц.", "ген.",
                     "св.", "пр.", "просп.", "пер.", "пл.", "наб.", "тов.", "см.", "См.", "ср.", "Ср.", "рис.", "табл.",
                     "пос.", "д.", "корп.", "кв.", "каб.", "стр.", "гл.", "п.", "ст.", "тел.", "доб.", "зам.", "зав.",
                     "с.", "кат.", "эт.", "оф.", "ч.", "пп.", "абз.", "разд.", "т.", "изд.", "и.о.", "прибл.", "мкр.", "пгт.", "под.",
                     "м.", "р.", "о.", "оз.", "к.", "дер.", "бул.", "пом.", "комн.", "ауд.", "влад.", "вл.", "респ.", "мл.",
                     "мин.", "макс.", "тех.", "техн.", "гос.", "мед.", "канд.", "нач.", "пред.", "рук.", "инж.",
                     "засл.", "нар.", "ред.", "сост.", "туп.", "гр.", "прим.", "отд.", "кон.", "сер.", "пол."})
_SENTENCE_START = re.compile(r"\s+[\"'«“„(\[]*[A-ZА-ЯЁ](?![A-ZА-ЯЁ])")  # an acronym need not open one
CANDIDATE_LIMIT = 64


def _dot_ends_sentence(tok: Token, text: str) -> bool:
    """Whether the dot closing ``tok`` (an abbreviation, a unit, a currency: "руб.", "т.д.", "etc.") is also
    the sentence's full stop: a capitalized word follows and it is not a title or initials.  (At the end of the text the
    dot is dropped: nothing follows that it would separate.)"""
    last = tok.text.split()[-1]
    if not tok.text.endswith(".") or tok.cls in _PLAIN or tok.cls == "letters" or last in _TITLES \
            or last.lower() in _TITLES:
        return False
    return bool(_SENTENCE_START.match(text, tok.end))


def load_dictionary(path: str | Path) -> dict[str, dict[str, str]]:
    """Read a pronunciation/abbreviation TOML file: tables ``en``, ``ru``, ``any`` of "written" = "spoken"."""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise NormalizationError(f"cannot read dictionary {path}: {e}") from e
    out: dict[str, dict[str, str]] = {}
    for lang, table in raw.items():
        if lang not in ("en", "ru", "any") or not isinstance(table, dict):
            raise NormalizationError(f"dictionary {path}: unknown table [{lang}] (use en, ru or any)")
        out[lang] = {str(k): str(v) for k, v in table.items()}
    return out


class Normalizer:
    """Deterministic RU/EN text normalizer.  ``config`` is the ``[normalize]`` section (see package docs)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        cfg = dict(config or {})
        unknown = set(cfg) - _CONFIG_KEYS
        if unknown:
            raise NormalizationError(f"unknown [normalize] keys: {sorted(unknown)}")
        self.enabled = bool(cfg.get("enabled", True))
        self.default_language = cfg.get("default_language", "en")
        if self.default_language not in ("en", "ru"):
            raise NormalizationError("default_language must be 'en' or 'ru'")
        self.stress = cfg.get("stress", "keep")
        if self.stress not in ("keep", "strip", "acute"):
            raise NormalizationError("stress must be 'keep', 'strip' or 'acute'")
        self.stress_plus = bool(cfg.get("stress_plus", True))
        self.max_chars = int(cfg.get("max_chars", 10_000_000))
        dictionary = load_dictionary(_DATA / "abbreviations.toml")
        paths = cfg.get("dictionary") or []
        for path in [paths] if isinstance(paths, str) else paths:
            for lang, table in load_dictionary(path).items():
                dictionary.setdefault(lang, {}).update(table)
        plugins = {p.name: p for p in default_plugins(dictionary)}
        order = list(cfg.get("plugins") or plugins)
        bad = [n for n in [*order, *cfg.get("disabled", [])] if n not in plugins]
        if bad:
            raise NormalizationError(f"unknown plugins {bad}; available: {sorted(plugins)}")
        disabled = set(cfg.get("disabled", []))
        self.plugins: list[Plugin] = [plugins[n] for n in order if n not in disabled]
        self._by_start = {c: [p for p in self.plugins if c in p.starts] for c in "das'"}
        self._word_plugins = [p for p in self._by_start["a"] if p.name in ("abbreviation", "letters", "roman", "date")]
        self._agreement = RussianAgreement()
        self._english = EnglishContext()

    # -- stages ---------------------------------------------------------------------------------------
    def tokenize(self, text: str, lang: str) -> list[Token]:
        """Split prepared text into whitespace, classified spans, words and punctuation."""
        fixed = lang if lang != "auto" else None
        sentences = sentence_languages(text, self.default_language) if fixed is None else [(len(text), fixed)]
        tokens: list[Token] = []
        pos, n, s_idx = 0, len(text), 0
        while pos < n:
            while sentences[s_idx][0] <= pos and s_idx + 1 < len(sentences):
                s_idx += 1
            here = sentences[s_idx][1]
            ch = text[pos]
            if ch.isspace() or ch == ZERO_WIDTH:
                m = _SPACE.match(text, pos)
                end = m.end() if m else pos + 1
                tokens.append(Token("space", pos, end, text[pos:end], lang=here))
                pos = end
                continue
            best: Token | None = None
            if ch.isalpha():
                wend = match_word(text, pos)
                plain = (wend < n and text[wend] in " \n,;!?»)\"" or wend == n) and \
                    text[pos:wend] not in _CURRENCY_CODES  # "USD 50": the money plugin starts at a word
                candidates = self._word_plugins if plain else self._by_start["a"]
            else:
                candidates = self._by_start["d" if "0" <= ch <= "9" else "'" if ch == "'" else "s"]
                wend = pos
            for plugin in candidates:
                try:
                    tok = plugin.match(text, pos, here)
                except Exception:  # noqa: BLE001 - a plugin bug must not abort the request; skip the plugin
                    tok = None
                if tok is not None and tok.end > pos and (best is None or tok.end > best.end or (
                        tok.end == best.end and tok.cls == "abbreviation")):  # a dictionary entry is explicit
                    best = tok
            if best is None or (wend > best.end):
                if wend > pos:
                    best = Token("word", pos, wend, text[pos:wend])
                else:
                    best = Token("punct", pos, pos + 1, ch)
            best.lang = fixed or (word_language(best.text, here) if best.cls in ("word", "letters") else best.lang or here)
            tokens.append(best)
            pos = best.end
        return tokens

    def _word(self, tok: Token) -> str:
        text = tok.text
        if self.stress == "keep":
            return text
        if self.stress_plus:
            text = _PLUS_STRESS.sub("\u0301" if self.stress == "acute" else "", text)
            if self.stress == "acute":
                text = re.sub("\u0301([" + _STRESS_VOWELS + "])", "\\1\u0301", text)
        return text.replace("\u0301", "") if self.stress == "strip" else text

    def _verbalize(self, tok: Token) -> str:
        if tok.out is not None:
            return tok.out
        if tok.cls in ("word", "punct", "verbatim"):
            if tok.cls == "word" and tok.lang == "ru" and len(tok.text) == 1 and tok.text.isascii():
                return verbalize_ru.latin_word(tok.text)
            return self._word(tok) if tok.cls == "word" else tok.text
        table: dict[str, Callable[[Token], str]] = (
            verbalize_ru.VERBALIZERS if tok.lang == "ru" else verbalize_en.VERBALIZERS)
        try:
            return table[tok.cls](tok)
        except Exception:  # noqa: BLE001 - a verbalizer bug must degrade to a plain reading, never a crash
            digits = re.sub(r"[^0-9]", " ", tok.text).split()
            speak = verbalize_ru.ru.digits if tok.lang == "ru" else verbalize_en.en.digits
            return " ".join(speak(d) for d in digits) or tok.text

    # -- public ---------------------------------------------------------------------------------------
    def normalize(self, text: str, lang: str = "auto") -> NormalizedText:
        """Normalize ``text``; ``lang`` is ``"auto"``, ``"ru"`` or ``"en"``."""
        prepared = self._prepare(text, lang)
        if not self.enabled:
            return NormalizedText(prepared, [], text)
        cleaned = clean(prepared)
        return self._join(self._analyze(cleaned.text, lang), cleaned, text)

    def candidates(self, text: str, lang: str = "auto", limit: int = CANDIDATE_LIMIT) -> list[str]:
        """Possible readings of ``text``: ``normalize(text).text`` first, then alternatives where the written
        form leaves the reading open, in the spirit of NeMo's ``normalize_with_audio`` (a rescorer, e.g. ASR on
        the synthesized audio, may pick among them).

        Alternatives come from Russian number-bearing spans only (cardinal, ordinal, roman, decimal, fraction,
        measure, money, date, time): the other cases, genders and number, cardinal <-> ordinal, "одна тысяча"
        for 1xxx, digit by digit, colloquial clock times (see :mod:`normalize.candidates_ru`).  What the context
        fixed is kept (a governing preposition's cases; an agreeing noun's form: ``21 книгу`` has no
        alternative); other neighbours are not checked.  English and plain words have no alternatives.

        Several such spans: when the product of their alternative counts (each plus one for its chosen reading)
        fits in ``limit``, every combination is returned, fewest changed spans first, then most plausible, then
        earliest; otherwise one span is varied at a time, round robin in text order (each span's first
        alternative, then each span's second...).  At most ``limit`` strings (``limit >= 1``), no duplicates,
        deterministic order; the cost is about one ``normalize`` plus the text length times ``limit``.
        """
        if not isinstance(limit, int) or limit < 1:
            raise NormalizationError(f"limit must be a positive int, got {limit!r}")
        prepared = self._prepare(text, lang)
        if not self.enabled:
            return [prepared]
        cleaned = clean(prepared)
        tokens = self._analyze(cleaned.text, lang)
        top = self._join(tokens, cleaned, text)
        if limit == 1:
            return [top.text]
        slots = [(tok, span) for tok, span in zip([t for t in tokens if t.cls != "space"], top.spans, strict=True)
                 if tok.lang == "ru" and tok.cls in candidates_ru.VARIABLE and tok.out is None]
        base = top.text
        cache: dict[int, list[str]] = {}

        def alts(i: int) -> list[str]:
            if i not in cache:
                cache[i] = self._alternatives(*slots[i], base, cleaned.text)
            return cache[i]

        picks: list[tuple[tuple[int, str], ...]] = []  # each: (slot, replacement) pairs
        product, k = 1, 0
        while k < len(slots) and product <= limit:
            product *= 1 + len(alts(k))
            k += 1
        if product <= limit:
            lists = [[(i, a) for a in alts(i)] for i in range(len(slots)) if alts(i)]
            combos = list(itertools.product(*[[None, *lst] for lst in lists]))
            rank = [{a: r for r, a in enumerate(lst, 1)} for lst in lists]
            combos.sort(key=lambda c: (sum(x is not None for x in c),
                                       sum(rank[j][x] for j, x in enumerate(c) if x is not None),
                                       [j for j, x in enumerate(c) if x is not None]))
            picks = [tuple(x for x in c if x is not None) for c in combos[1:]]
        else:
            r = 0
            while len(picks) < limit - 1:
                found = False
                for i in range(len(slots)):
                    if r < len(alts(i)):
                        found = True
                        picks.append(((i, alts(i)[r]),))
                        if len(picks) >= limit - 1:
                            break
                if not found:
                    break
                r += 1
        out, seen = [base], {base}
        for pick in picks:
            s = base
            for i, piece in sorted(pick, key=lambda p: -slots[p[0]][1].norm_start):
                span = slots[i][1]
                s = s[:span.norm_start] + piece + s[span.norm_end:]
            if s not in seen:
                seen.add(s)
                out.append(s)
            if len(out) >= limit:
                break
        return out

    def _alternatives(self, tok: Token, span: Span, base: str, cleaned: str) -> list[str]:
        """Replacement texts for ``base[span.norm_start:span.norm_end]`` from the token's other readings
        (empty when the chosen reading cannot be located there exactly); ``cleaned`` is the analyzed text."""
        top = self._spoken(tok, cleaned)
        seg = base[span.norm_start:span.norm_end]
        strip = (lambda s: s.rstrip(" ")) if seg == top.rstrip(" ") else (lambda s: s.strip(" "))
        if strip(top) != seg:
            return []
        out: list[str] = []
        seen = {seg}
        for variant in candidates_ru.variants(tok):
            piece = strip(self._spoken(variant, cleaned))
            if piece and piece not in seen:
                seen.add(piece)
                out.append(piece)
        return out

    def _prepare(self, text: str, lang: str) -> str:
        """Check the arguments and apply the 1:1 character cleanup."""
        if not isinstance(text, str):
            raise NormalizationError(f"text must be str, got {type(text).__name__}")
        if lang not in ("auto", "ru", "en"):
            raise NormalizationError(f"lang must be 'auto', 'ru' or 'en', got {lang!r}")
        if len(text) > self.max_chars:
            raise NormalizationError(f"input of {len(text)} characters exceeds max_chars={self.max_chars}")
        return prepare(text)

    def _analyze(self, prepared: str, lang: str) -> list[Token]:
        """Tokens of prepared text with their context filled in (everything but the join)."""
        tokens = self.tokenize(prepared, lang)
        follow_english_words(tokens)
        follow_russian_words(tokens)
        resolve_roman(tokens)
        self._agreement.apply(tokens)
        self._english.apply(tokens)
        return tokens

    def _spoken(self, tok: Token, cleaned: str) -> str:
        """Verbalized token, with a full stop when its own dot also ends the sentence (``cleaned``: the analyzed
        text, which token offsets index)."""
        out = self._verbalize(tok)
        if _dot_ends_sentence(tok, cleaned) and not out.rstrip(" ").endswith((".", "!", "?", "…")):
            out = out.rstrip(" ") + "."
        return out

    @staticmethod
    def _needs_space(prev: Token, tok: Token, out: str, last: str, before: Token | None = None) -> bool:
        """Whether two tokens written without a space between them need one once spoken (``before`` is the
        token written right before ``prev``)."""
        if prev.cls == "punct" and prev.text in _CLAUSE_END and tok.cls == "word" and before is not None \
                and before.cls not in _PLAIN:
            return True  # "12,again" -> "twelve, again"; "(1)Hello" -> "(one) Hello"
        if prev.cls in _PLAIN and tok.cls in _PLAIN:
            return prev.cls == "verbatim" and tok.cls == "verbatim"
        if prev.cls == "verbatim" or tok.cls == "verbatim":
            return True
        if not _SPOKEN_EDGE.search(out):  # an expansion that is itself punctuation (`` -> ")
            return False
        if prev.cls == "punct" and prev.text not in _OPENING and prev.out != "-":
            return True
        return bool(_SPOKEN_EDGE.match(out[0]) and _SPOKEN_EDGE.match(last))

    def _join(self, tokens: list[Token], cleaned: Cleaned, original: str) -> NormalizedText:
        """Spoken text of ``tokens`` (offsets into ``cleaned.text``) with spans mapped back to ``original``."""
        buf: list[str] = []
        spans: list[Span] = []
        length, last = 0, ""
        prev: Token | None = None
        before: Token | None = None
        for tok in tokens:
            if tok.cls == "space":
                if last and last not in " \n":
                    last = "\n" if "\n" in tok.text else " "
                    buf.append(last)
                    length += 1
                prev = before = None
                continue
            out = self._spoken(tok, cleaned.text)
            if last in ("", " ", "\n"):
                out = out.lstrip(" ")
            elif prev is not None and out and self._needs_space(prev, tok, out, last, before):
                buf.append(" ")
                length += 1
            spans.append(Span(tok.cls, *cleaned.original(tok.start, tok.end), length, length + len(out.rstrip(" ")), tok.lang, tok.case))
            if out:
                buf.append(out)
                length += len(out)
                last = out[-1]
            before, prev = prev, tok
        return NormalizedText("".join(buf).rstrip(), spans, original)
