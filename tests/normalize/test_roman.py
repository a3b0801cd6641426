"""Roman numerals after names and titles: case and gender from the name (pymorphy3), English regnal vs title
numbers."""

from __future__ import annotations

import pytest

from qtts.normalize import Normalizer

NORM = Normalizer()


@pytest.mark.parametrize(("text", "lang", "want"), [
    ("Это было при Екатерине II.", "ru", "Это было при Екатерине второй."),
    ("Памятник Петру I стоит на площади.", "ru", "Памятник Петру первому стоит на площади."),
    ("Указ Павла I.", "ru", "Указ Павла первого."),
    ("Глава IV называется «Бал».", "ru", "Глава четвёртая называется «Бал»."),
    ("II мировая война", "ru", "вторая мировая война"),
    ("Он награждён орденом III степени.", "ru", "Он награждён орденом третьей степени."),
    ("Henry VIII", "en", "Henry the eighth"),
    ("We watched Rocky II.", "en", "We watched Rocky two."),
    ("World War II", "en", "World War two"),
    ("Henry VIII и Екатерина II", "auto", "Henry the eighth и Екатерина вторая"),
    # a century in the case its preposition governs (a capitalized preposition is no name)
    ("В XIX веке здесь была усадьба.", "ru", "В девятнадцатом веке здесь была усадьба."),
    ("Это XX век.", "ru", "Это двадцатый век."),
    ("Готовимся к XXI веку.", "ru", "Готовимся к двадцать первому веку."),
    ("Стиль с XV по XVII век.", "ru", "Стиль с пятнадцатого по семнадцатый век."),
    ("Так было в XVIII и XIX веках.", "ru", "Так было в восемнадцатом и девятнадцатом веках."),
    # after a part of a period (начало, конец, нач., кон.) a century is genitive singular; the part after the dash
    # takes the first part's case
    ("Это было в кон. XIX — нач. XX вв.", "ru", "Это было в конце девятнадцатого — начале двадцатого веков."),
    ("Стиль кон. XIX — нач. XX вв.", "ru", "Стиль конца девятнадцатого — начала двадцатого веков."),
    ("В конце XIX — начале XX века.", "ru", "В конце девятнадцатого — начале двадцатого века."),
    ("Мода нач. XX в.", "ru", "Мода начала двадцатого века."),
    # "кв." after a numeral is a quarter, after a house number a flat
    ("Сдача объекта — IV кв. 2025 г.", "ru", "Сдача объекта — четвёртый квартал две тысячи двадцать пятого года."),
    ("Рост во II кв. продолжился.", "ru", "Рост во втором квартале продолжился."),
    ("Итоги за 3 кв. готовы.", "ru", "Итоги за третий квартал готовы."),
    ("Адрес: д. 5, кв. 17.", "ru", "Адрес: дом пять, квартира семнадцать."),
    # after its noun, with nothing following, a numeral agrees with that noun
    ("Съезд КПСС XX.", "ru", "Съезд КПСС двадцатый."),
    ("Олимпиада XXII прошла в Сочи.", "ru", "Олимпиада двадцать вторая прошла в Сочи."),
    # before a plural adjective the ordinal is plural too
    ("XXII зимние Олимпийские игры прошли в Сочи.", "ru", "двадцать вторые зимние Олимпийские игры прошли в Сочи."),
    # an ordinal before an adjective in the case the preposition governs among the adjective's own
    ("На XXII Олимпийских играх.", "ru", "На двадцать вторых Олимпийских играх."),
    ("В XXI Московском кинофестивале.", "ru", "В двадцать первом Московском кинофестивале."),
    # after a Latin acronym title a numeral is the title's English number, in a Russian sentence too
    ("Вышел трейлер GTA VI.", "ru", "Вышел трейлер GTA six."),
    ("Вышел трейлер GTA VI на PS5.", "auto", "Вышел трейлер GTA six на PS пять."),
])
def test_roman(text: str, lang: str, want: str) -> None:
    assert NORM.normalize(text, lang).text == want
