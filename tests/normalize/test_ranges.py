"""Number ranges with a hyphen or dash: one rule (normalize/ranges.py) read in each language's way."""

from __future__ import annotations

import pytest

from qtts.normalize import Normalizer

NORM = Normalizer()


@pytest.mark.parametrize(("text", "lang", "want"), [
    ("Повторите 4–5 раз.", "ru", "Повторите четыре-пять раз."),
    ("Добавьте 1–2 ложки сахара.", "ru", "Добавьте одну-две ложки сахара."),
    ("Война шла в 1812–1814 годах.", "ru",
     "Война шла в тысяча восемьсот двенадцатом — тысяча восемьсот четырнадцатом годах."),
    ("Первая мировая война 1914–1918 гг.", "ru",
     "Первая мировая война тысяча девятьсот четырнадцатого — тысяча девятьсот восемнадцатого годов."),
    ("Это случилось в XVIII–XIX вв.", "ru", "Это случилось в восемнадцатом-девятнадцатом веках."),
    ("Ответы на с. 5–7.", "ru", "Ответы на страницах пять-семь."),
    ("Recovery takes 10-12 weeks.", "en", "Recovery takes ten to twelve weeks."),
    ("Read pages 10-15.", "en", "Read pages ten to fifteen."),
    ("Humidity is 50–60%.", "en", "Humidity is fifty to sixty percent."),
    ("We work 9–5 on weekdays.", "en", "We work nine to five on weekdays."),  # an en dash between clock hours
    ("Стиль с XV по XVII век.", "ru", "Стиль с пятнадцатого по семнадцатый век."),  # a range spelled with "по"
    # a range of clock times: from one to the other, without "часов"
    ("Перерыв на обед 13:00–14:00.", "ru", "Перерыв на обед с тринадцати до четырнадцати."),
    ("Работаем 9:30 - 18:45.", "ru", "Работаем с девяти тридцати до восемнадцати сорока пяти."),
    # a decimal low end (1,5: полтора before a counted noun); distributive по puts a low end 1 in the dative
    ("Экскурсия длится 1,5–2 часа.", "ru", "Экскурсия длится полтора-два часа."),
    ("Это заняло 1,5-2 месяца.", "ru", "Это заняло полтора-два месяца."),
    ("It takes 1.5-2 hours.", "en", "It takes one point five to two hours."),
    ("Закапывать по 1–2 капли в каждый глаз.", "ru", "Закапывать по одной-две капли в каждый глаз."),
    ("Принимать по 1-2 таблетки.", "ru", "Принимать по одной-две таблетки."),
    ("По 1–3 раза в день.", "ru", "По одному-три раза в день."),
    # a range of thousands: the low end in the scale word's gender
    ("Стоимость 2–3 тыс. рублей.", "ru", "Стоимость две-три тысячи рублей."),
    ("Зарплата 1–2 тыс. руб.", "ru", "Зарплата одна-две тысячи рублей"),
    # an hour before a 12-hour clock time spans to it, across noon too
    ("Lunch is 12-1pm.", "en", "Lunch is twelve to one PM."),
    ("Open 11–2 PM daily.", "en", "Open eleven to two PM daily."),
    ("Open 9-5pm.", "en", "Open nine to five PM."),
    # NeMo's readings where nothing is counted, or the numbers do not increase
    ("from 2-10", "en", "from two - ten"),
    ("2-5", "en", "two - five"),
    ("978-0", "en", "nine hundred and seventy eight - zero"),
])
def test_ranges(text: str, lang: str, want: str) -> None:
    assert NORM.normalize(text, lang).text == want
