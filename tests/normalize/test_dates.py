"""Dates: "года" after a numeric date with a year, day.month without a year where the context makes it a date,
English weekday and month abbreviations."""

from __future__ import annotations

import pytest

from qtts.normalize import Normalizer

NORM = Normalizer()


@pytest.mark.parametrize(("text", "lang", "want"), [
    ("Занятия начнутся 01.09.2024.", "ru", "Занятия начнутся первого сентября две тысячи двадцать четвёртого года."),
    ("Дата: 2023-11-07.", "ru", "Дата: седьмое ноября две тысячи двадцать третьего года."),
    ("Встреча 3.05 в 9:30.", "ru", "Встреча третьего мая в девять часов тридцать минут."),
    ("Собрание перенесли на 15.04.", "ru", "Собрание перенесли на пятнадцатое апреля."),
    ("Цена 3.05 рубля.", "ru", "Цена три целых пять сотых рубля."),  # no date context: a decimal
    ("Вес — 3.05 кг.", "ru", "Вес — три целых пять сотых килограмма."),  # a unit after it: a decimal
    ("Дедлайн — 15.04, потом отпуск.", "ru", "Дедлайн — пятнадцатое апреля, потом отпуск."),  # after a dash
    ("Отпуск с 3.05 по 10.05.", "ru", "Отпуск с третьего мая по десятое мая."),  # a range of dates
    ("Встреча в воскресенье, 15.07.", "ru", "Встреча в воскресенье, пятнадцатого июля."),  # a weekday before
    ("Встреча 15.07 (пт).", "ru", "Встреча пятнадцатого июля (пятница)."),  # or after
    ("Билеты на 12.07 уже в продаже.", "ru", "Билеты на двенадцатое июля уже в продаже."),  # no noun after it
    ("Цена выросла на 3.05 рубля.", "ru", "Цена выросла на три целых пять сотых рубля."),  # a noun: a decimal
    ("9 мая 1945 года закончилась война.", "ru", "девятого мая тысяча девятьсот сорок пятого года закончилась война."),
    ("Поздравляем с 8 Марта!", "ru", "Поздравляем с восьмым марта!"),  # a holiday written with a capital
    ("Конференция пройдёт 12–13 октября.", "ru", "Конференция пройдёт двенадцатого - тринадцатого октября"),
    ("Это было в ночь с 5 на 6 мая.", "ru", "Это было в ночь с пятого на шестое мая"),
    ("Он жил в 1990-х гг. в Москве.", "ru", "Он жил в тысяча девятьсот девяностых годах в Москве."),  # decade + гг.
    ("День рождения 12.06, приходите!", "ru", "День рождения двенадцатого июня, приходите!"),  # a zero-padded month
    ("Рейс — 14.08 в 06:45.", "ru", "Рейс — четырнадцатого августа в шесть часов сорок пять минут."),  # with its hour
    ("Дедлайн — 15.04, созвон.", "ru", "Дедлайн — пятнадцатое апреля, созвон."),  # (copular: nominative)
    ("Цена 12.06 рубля.", "ru", "Цена двенадцать целых шесть сотых рубля."),  # but a noun after it: a decimal
    ("Набор на 2024/25 учебный год.", "ru", "Набор на две тысячи двадцать четвёртый — двадцать пятый учебный год."),
    ("Занятия в 2024/2025 учебном году.", "ru",
     "Занятия в две тысячи двадцать четвёртом — две тысячи двадцать пятом учебном году."),
    ("The 2024/25 season starts.", "en", "The twenty twenty four twenty five season starts."),
    ("It happened in '99.", "en", "It happened in ninety nine."),  # a year cut to two digits
    ("Class of '05", "en", "Class of oh five"),
    ("Релиз выйдет в Q3 2025.", "auto", "Релиз выйдет в третьем квартале две тысячи двадцать пятого года."),
    ("С 1-го по 5-е включительно.", "ru", "С первого по пятое включительно."),  # days of the month, no month said
    # two zero-padded day.month dates across a dash are a date range, both in the governed case
    ("Вебинар пройдёт 12.10–13.10.", "ru", "Вебинар пройдёт двенадцатого октября - тринадцатого октября."),
    ("Каникулы: 28.12–08.01.", "ru", "Каникулы: двадцать восьмое декабря - восьмое января."),
    ("Курс 92.50–93.10.", "ru",  # no dates: a range of decimals
     "Курс девяносто две целых пятьдесят сотых — девяносто три целых десять сотых."),
    ("Open Mon-Fri.", "en", "Open monday to friday."),
    ("Open Sat & Sun.", "en", "Open saturday and sunday."),
    ("The trip was in Aug 2022.", "en", "The trip was in august twenty twenty two."),
    ("See you on 12/25.", "en", "See you on december twenty fifth."),  # month/day after a word that opens a date
    ("Due by 1/15, thanks.", "en", "Due by january fifteenth, thanks."),
    ("He scored 3/4 of the points.", "en", "He scored three quarters of the points."),  # no such word: a fraction
    # two days joined by и/или share the first day's governor
    ("Посылка придёт между 12 и 14 ноября.", "ru", "Посылка придёт между двенадцатым и четырнадцатым ноября"),
    ("Концерты пройдут 5 и 6 мая.", "ru", "Концерты пройдут пятого и шестого мая"),
    ("Выходные: 1 и 2 января.", "ru", "Выходные: первое и второе января"),
    ("К 10 или 11 марта всё будет готово.", "ru", "К десятому или одиннадцатому марта всё будет готово."),
    # a date set off by commas (or opening the sentence) before a finite verb says when: genitive
    ("Ровно 10 лет назад, 6 декабря 2016 г., открылся наш магазин.", "ru",
     "Ровно десять лет назад, шестого декабря две тысячи шестнадцатого года, открылся наш магазин."),
    ("Вчера, 5 мая, мы ходили в кино.", "ru", "Вчера, пятого мая, мы ходили в кино."),
    ("Сегодня, 5 мая, праздник.", "ru", "Сегодня, пятое мая, праздник."),  # (no verb: nominative)
    # Russian clock times written with a dot, where the minutes are no month and a preposition or a range says so
    ("Встреча в 10.00.", "ru", "Встреча в десять часов."),
    ("Время работы: 9.00–18.00.", "ru", "Время работы: с девяти до восемнадцати."),
    ("Начало в 19.30.", "ru", "Начало в девятнадцать часов тридцать минут."),
    ("Цена выросла в 1.50 раза.", "ru", "Цена выросла в одну целую пятьдесят сотых раза."),  # (a counted noun)
    ("С 10.01 по 20.01 офис закрыт.", "ru", "С десятого января по двадцатое января офис закрыт."),  # after "с DD.MM по"
    ("Иванов И.И., 1990 г.р.", "ru", "Иванов И И, тысяча девятьсот девяностого года рождения"),  # год рождения
    ("Ищу няню для ребёнка 2020 г. р.", "ru", "Ищу няню для ребёнка две тысячи двадцатого года рождения"),
    ("Due Fri 3/15.", "en", "Due friday march fifteenth."),  # month/day after a weekday
    ("Встречаемся в пт 15.03.", "ru", "Встречаемся в пятницу пятнадцатого марта."),  # after "в <weekday>"
    ("Увидимся в субботу 12 октября.", "ru", "Увидимся в субботу двенадцатого октября"),
    # a two-digit year of a numeric date says года too
    ("Срок сдачи — 15.01.25.", "ru", "Срок сдачи — пятнадцатое января двадцать пятого года."),
    # a number before a dash and a date opens a span of days only when it is an earlier day of the month
    ("Релиз iOS 18 — 16.09.2024.", "ru",
     "Релиз iOS восемнадцать - шестнадцатое сентября две тысячи двадцать четвёртого года."),
    ("Сборка 25 — 03.10.2024 вышла.", "ru",
     "Сборка двадцать пять - третье октября две тысячи двадцать четвёртого года вышла."),
    ("В ночь с 5 на 6 мая.", "ru", "В ночь с пятого на шестое мая"),
    # an English day range after a month: the second day is an ordinal too
    ("The event runs Jan 10-12, 2025.", "en", "The event runs january tenth to twelfth, twenty twenty five."),
    ("Sale: Nov 25–30 only.", "en", "Sale: november twenty fifth to thirtieth only."),
    # a range of abbreviated months, with or without a year
    ("The course runs Jan–Mar 2025.", "en", "The course runs january to march twenty twenty five."),
    ("Open Apr-Oct.", "en", "Open april to october."),
    ("Sales in Nov.-Dec. 2024 rose.", "en", "Sales in november to december twenty twenty four rose."),
    # Sat/Sun are weekdays before a date or a clock time, words elsewhere
    ("Party on Sat, Nov 8!", "en", "Party on saturday, november eighth!"),
    ("Open Sun, 10 am to 4 pm.", "en", "Open sunday, ten AM to four PM."),
    ("Sun, sea and sand.", "en", "Sun, sea and sand."),
])
def test_dates(text: str, lang: str, want: str) -> None:
    assert NORM.normalize(text, lang).text == want


def test_numeric_date_keeps_the_reading_without_goda_as_a_candidate() -> None:
    assert "шестое марта две тысячи шестого" in NORM.candidates("06.03.2006", "ru")
