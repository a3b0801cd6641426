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
])
def test_roman(text: str, lang: str, want: str) -> None:
    assert NORM.normalize(text, lang).text == want
