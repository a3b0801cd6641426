"""The cleanup stage: what it repairs, what it leaves alone, and its offset map back to the user's text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qtts.normalize import Normalizer
from qtts.normalize.cleanup import clean

NORM = Normalizer()
LOOKALIKES = [{"a", "а"}, {"o", "о"}, {"p", "р"}, {"P", "Р"}, {"P", "П"}]


@pytest.mark.parametrize(("text", "want"), [
    ("Москв\u0061 и \u0063тол", "Москва и стол"),  # Latin look-alikes inside Cyrillic words
    ("Hell\u043e, T\u0435xas", "Hello, Texas"),  # and the reverse
    ("\u0050ривет", "Привет"),  # the look-alike Р makes no word; the sound-alike П does
    ("е\u0308лка cafe\u0301", "ёлка café"),  # NFC
    ("вода\u0301", "вода\u0301"),  # a stress mark has no composed form: left to the stress setting
    ("**Скидка** _важно_ ~~1000~~", "Скидка важно 1000"),
    ("### Итоги\n• 3 яблока\n- 2 eggs", "Итоги\n3 яблока\n2 eggs"),
    ("Привет 👋 до встречи 🎉!", "Привет до встречи!"),
    ("Ошибка `404` и `npm install`", "Ошибка 404 и npm install"),
    ("Zoom ,в 12:00,не Total:5 Done!Next end.The", "Zoom, в 12:00, не Total: 5 Done! Next end. The"),
    ("Ски\u200bдки", "Скидки"),  # zero-width characters inside a word are dropped, not read as a space
    ("Всё хорошо ! Правда ?! Да", "Всё хорошо! Правда?! Да"),  # a spaced closing mark joins its word
    ("Ура!!!Победа", "Ура!!! Победа"),
    ("Было 5 ,стало 10 .", "Было 5, стало 10."),  # a spaced full stop closing the sentence joins too
    ("Эт0 0шибка, ОК0ННЫЕ рамы", "Это Ошибка, ОКОННЫЕ рамы"),  # a zero typed for О inside a Cyrillic word
    ("> Цитата\n>> ответ", "Цитата\nответ"),  # quote marks at a line start
    ("Список:\n1) Хлеб\n  2) Молоко", "Список:\n1. Хлеб\n  2. Молоко"),  # a numbered item's bracket: a full stop
])
def test_repairs(text: str, want: str) -> None:
    assert clean(text).text == want


@pytest.mark.parametrize("text", [
    "snake_case_var", "5 * 3 * 2", "a `quote` example", "$5 , each", "Hi,no,yes", "3,14 и 10:30",
    "http://example.com/a?b=C", "``quoted''", "iPhone", "Код А0123 и тест20", "0,5 л", "5 > 3",
    "Ответ (см. пункт 1) верен", "f(x) = 2)",
])
def test_leaves_alone(text: str) -> None:
    assert clean(text).text == text


def test_zero_width_characters_join_the_word_and_map_back() -> None:
    text = "Ски\u200bдки до 50%"
    res = NORM.normalize(text, "ru")
    assert res.text == "Скидки до пятидесяти процентов"
    word = res.spans[0]
    assert (word.orig_start, word.orig_end, res.text[word.norm_start:word.norm_end]) == (0, 7, "Скидки")
    other = NORM.normalize("дос\u00adтавка in\u200cter\u200dnet \ufeffword\u2060s", "auto")
    assert other.text == "доставка internet words"


def test_offsets_point_back_to_the_user_text() -> None:
    text = "**Скидка** 20%!Ура"
    res = NORM.normalize(text, "ru")
    word = next(s for s in res.spans if s.cls == "word")
    assert text[word.orig_start:word.orig_end] == "Скидка"
    assert res.text.startswith("Скидка двадцать процентов! Ура")
    last = res.spans[-1]
    assert text[last.orig_start:last.orig_end] == "Ура"
    composed = NORM.normalize("е\u0308лка", "ru")
    assert (composed.text, composed.spans[0].orig_end) == ("ёлка", 5)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ,.:!*_~`#•-\nРрPоo5\u0301\u0308👋")), max_size=60))
def test_map_is_monotone_and_covers_kept_characters(text: str) -> None:
    c = clean(text)
    assert len(c.starts) == len(c.ends) == len(c.text)
    assert all(0 <= s <= e <= len(text) for s, e in zip(c.starts, c.ends, strict=True))
    assert c.starts == sorted(c.starts)
    for ch, s, e in zip(c.text, c.starts, c.ends, strict=True):
        if e - s == 1 and ch.isalnum() and text[s].isalnum():
            assert ch == text[s] or {ch, text[s]} in LOOKALIKES
