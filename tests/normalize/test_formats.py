"""Everyday formats: fractions as quantities, NxN, versions, compound units, service numbers, '#' before a number."""

from __future__ import annotations

import pytest

from qtts.normalize import Normalizer

NORM = Normalizer()


@pytest.mark.parametrize(("text", "lang", "want"), [
    ("Добавьте 3/4 стакана муки.", "ru", "Добавьте три четверти стакана муки."),
    ("Положите 1/2 чайной ложки соли.", "ru", "Положите половину чайной ложки соли."),
    ("1/2", "ru", "одна вторая"),  # nothing counted: the fraction itself
    ("Add 1/2 tsp of salt.", "en", "Add half a teaspoon of salt."),
    ("Играем 2x2 во дворе.", "ru", "Играем два на два во дворе."),
    ("We played 2x2 volleyball.", "en", "We played two by two volleyball."),
    ("2x8", "en", "two x eight"),  # NeMo's reading of a bare product
    ("Скачайте v2.3.1 с сайта.", "auto", "Скачайте версию два точка три точка один с сайта."),
    ("Доклад по ГОСТ 7.0.5.", "ru", "Доклад по ГОСТ семь точка ноль точка пять."),
    ("Это Ubuntu 22.04 LTS.", "auto", "Это Ubuntu двадцать два точка ноль четыре LTS."),
    ("Расход 100 кВт·ч в месяц.", "ru", "Расход сто киловатт-часов в месяц."),
    ("Скорость до 300 Мбит/с.", "ru", "Скорость до трёхсот мегабит в секунду."),
    ("Ноутбук с 32 ГБ памяти.", "ru", "Ноутбук с тридцатью двумя гигабайтами памяти."),
    ("In an emergency, call 911.", "en", "In an emergency, call nine one one."),
    ("Room 911", "en", "Room nine hundred and eleven"),
    ("He is #1 in sales.", "en", "He is number one in sales."),
    ("Рейс прибывает в 14:20 UTC.", "ru", "Рейс прибывает в четырнадцать часов двадцать минут UTC."),
])
def test_formats(text: str, lang: str, want: str) -> None:
    assert NORM.normalize(text, lang).text == want
