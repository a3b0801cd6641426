"""Property tests: idempotence, no digits left, linear time."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qtts.normalize import Normalizer

NORM = Normalizer()
RU_WORDS = ["в", "до", "с", "по", "книга", "часов", "год", "км", "рублей", "мая", "тест", "и", "на", "о", "к"]
EN_WORDS = ["in", "the", "book", "at", "from", "to", "kg", "May", "dollars", "and", "of", "pm", "km"]
NUMBERS = st.integers(min_value=-10**15, max_value=10**15).map(str) | st.from_regex(r"[0-9]{1,40}", fullmatch=True) \
    | st.from_regex(r"[0-9]{1,6}[.,][0-9]{1,6}", fullmatch=True)
TOKENS = st.lists(st.sampled_from(RU_WORDS + EN_WORDS) | NUMBERS, min_size=1, max_size=12)
SEPARATORS = st.sampled_from([" ", "  ", ", ", " - ", "-", "/", ":", ".", "%", "$", ""])


@st.composite
def words_and_numbers(draw: st.DrawFn) -> str:
    toks = draw(TOKENS)
    out = toks[0]
    for t in toks[1:]:
        out += draw(SEPARATORS) + t
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words_and_numbers(), st.sampled_from(["auto", "ru", "en"]))
def test_no_digits_left(text: str, lang: str) -> None:
    out = NORM.normalize(text, lang).text
    assert not any("0" <= c <= "9" for c in out), (text, out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words_and_numbers(), st.sampled_from(["auto", "ru", "en"]))
@example("в в в в в в в-0/в в", "en")  # a slash after a hyphenated, already spoken number stays a slash
@example("в 0.in/in", "auto")  # a slash between English words is read in English in a Russian sentence too
@example("in.in.0", "en")
@example("в/in/in", "auto")  # a slash between a Russian and an English word does not follow the sentence  # a dotted name before ".0" is a name in the first pass too
@example("в 0.in.and", "auto")  # a dotted name after a number inside one run is found there too
@example("в в в в в в в 0-in.in", "auto")  # a dotted name after "0-" is found in the first pass too
@example("в 0 .in.in", "auto")  # a spaced dot before a word is no sentence end to join
def test_idempotent_on_normalized_text(text: str, lang: str) -> None:
    once = NORM.normalize(text, lang).text
    assert NORM.normalize(once, lang).text == once


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    NORM.normalize(text)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words_and_numbers())
def test_linear_time(chunk: str) -> None:
    chunk += " "
    small, large = chunk * 200, chunk * 1600

    def cost(text: str) -> float:  # best of 3: robust to a loaded machine
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            NORM.normalize(text)
            runs.append(time.perf_counter() - start)
        return min(runs)

    ratio = cost(large) / max(cost(small), 1e-4)
    assert ratio < 8 * 4, ratio  # 8x the input: quadratic behaviour would give ~64x
