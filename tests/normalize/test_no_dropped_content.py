"""No content is dropped: every word of the input is either present in the output or accounted for by a
verbalization span (a span of the offset map that covers it and was spoken as something non-empty: ``г`` ->
``году``, ``10:30`` -> words), on every corpus and on hypothesis-generated text.  (A span is checked as a whole:
a part of one semiotic span that its verbalizer leaves out would not be caught here.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qtts.normalize import NormalizedText, Normalizer, verbalize_en, verbalize_ru
from qtts.normalize.cleanup import clean
from qtts.normalize.evaluate import load_cases
from qtts.normalize.prep import prepare
from qtts.normalize.score_nemo import DEFAULT_DIR
from qtts.normalize.score_nemo import load_cases as load_nemo

NORM = Normalizer()
_WORD = re.compile(r"[^\W_]+")
_PLAIN = {"punct", "verbatim"}


def dropped(result: NormalizedText) -> list[str]:
    """Input words neither in the output nor inside a span that was spoken as something."""
    out_words = {w.lower() for w in _WORD.findall(result.text)}
    missing = []
    for m in _WORD.finditer(result.original):
        over = [s for s in result.spans if s.orig_start < m.end() and s.orig_end > m.start()]
        spoken = any(s.norm_end > s.norm_start and (s.cls not in _PLAIN or s.orig_end - s.orig_start == m.end()
                                                     - m.start()) for s in over)
        if not spoken and m.group().lower() not in out_words:
            missing.append(m.group())
    return missing


def _corpus() -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in Path(__file__).with_name("corpus.tsv").read_text(encoding="utf-8")
            .splitlines() if line and not line.startswith("#")]
    texts = [("auto" if r[0] == "mixed" else r[0], r[2]) for r in rows]
    sets = [load_cases(Path(__file__).with_name(folder)) for folder in ("eval", "eval_fresh", "eval_blind", "eval_blind2", "eval_blind3", "eval_blind4")]
    texts += [("auto" if c.set == "mixed" else c.set, c.text) for cases in sets for c in cases]
    if DEFAULT_DIR.is_dir():
        texts += [(lang, inp) for lang in ("en", "ru") for _, inp, _ in load_nemo(DEFAULT_DIR, lang)]
    return texts


def test_the_check_can_fail() -> None:
    from qtts.normalize import Span
    fake = NormalizedText("hello", [Span("word", 0, 5, 0, 5, "en"), Span("word", 6, 11, 5, 5, "en")], "hello world")
    assert dropped(fake) == ["world"]
    code = NormalizedText("ten thirty", [Span("time", 0, 5, 0, 10, "en"), Span("letters", 6, 9, 10, 10, "en")],
                          "10:30 UTC")
    assert dropped(code) == ["UTC"]


def test_nothing_dropped_on_the_corpora() -> None:
    failures = [(lang, text, dropped(NORM.normalize(text, lang))) for lang, text in _corpus()]
    failures = [f for f in failures if f[2]]
    assert not failures, failures[:10]


RU = ["в", "до", "с", "около", "рис.", "т.е.", "ул.", "г.", "стр.", "крокозябра", "минут", "рублей", "ГБ", "кв.",
      "шт.", "мая", "МСК", "XX", "в.", "-летие", "комнатная"]
EN = ["Dr.", "ext.", "approx.", "No.", "zorblax", "weeks", "PST", "Mon", "II", "World", "War", "St.", "pp.", "kg"]
NUMBERS = st.integers(min_value=0, max_value=10**7).map(str) | st.from_regex(r"[0-9]{1,3}[.,:/–-][0-9]{1,4}",
                                                                              fullmatch=True)
SEP = st.sampled_from([" ", " ", ", ", "-", "–", ". ", ":", "/", " (", ") ", "**", " • "])


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(RU + EN) | NUMBERS | st.text("абвгдеёжзabcxyzQW", min_size=1,
                                                                       max_size=8), min_size=1, max_size=10))
    out = parts[0]
    for p in parts[1:]:
        out += draw(SEP) + p
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(), st.sampled_from(["auto", "ru", "en"]))
def test_nothing_dropped_on_generated_text(text: str, lang: str) -> None:
    assert not dropped(NORM.normalize(text, lang)), (text, NORM.normalize(text, lang).text)


@pytest.mark.parametrize("text", ["Рейс в 10:30 UTC+3 отменён.", "Встреча в 9:15 ВКС, потом прил. Б.",
                                  "Call at 6:00 EST re: zorblax."])
def test_unknown_tokens_after_a_time_survive(text: str) -> None:
    assert not dropped(NORM.normalize(text))


def _fallbacks(text: str, lang: str) -> list[str]:
    """Spans whose verbalizer raised: the pipeline then reads only their digits, so any word inside the span (the
    "month" of ``$9.99/month``) is lost without the span-level check above noticing."""
    tables = {"ru": verbalize_ru.VERBALIZERS, "en": verbalize_en.VERBALIZERS}
    failed = []
    for tok in NORM._analyze(clean(prepare(text)).text, lang):
        if tok.out is None and tok.cls in tables.get(tok.lang, {}):
            try:
                tables[tok.lang][tok.cls](tok)
            except Exception:  # noqa: BLE001 - any error means the digit-only fallback ran
                failed.append(tok.text)
    return failed


def test_no_span_falls_back_to_digits_on_the_corpora() -> None:
    assert _fallbacks("Plans start at $9.99/month.", "en") == []
    failures = [(lang, text, bad) for lang, text in _corpus() if (bad := _fallbacks(text, lang))]
    assert not failures, failures[:10]
