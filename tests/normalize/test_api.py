"""Public API, configuration, dictionaries, offsets, CLI and safety behaviour."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from qtts import normalize
from qtts.normalize import NormalizationError, Normalizer, cli_main, from_config, normalize_text


def test_issue_examples() -> None:
    n = Normalizer()
    assert n.normalize("в 5 часов", "ru").text == "в пять часов"
    assert n.normalize("до 3 км", "ru").text == "до трёх километров"
    assert n.normalize("с 1990 по 2000 год", "ru").text == "с тысяча девятьсот девяностого по двухтысячный год"
    assert n.normalize("21 книгу", "ru").text == "двадцать одну книгу"
    assert n.normalize("1 мая 2024 г.", "ru").text == "первое мая две тысячи двадцать четвёртого года"
    assert normalize_text("$1.5M", "en") == "one point five million dollars"
    assert normalize_text("версия iOS 17.2") == "версия iOS семнадцать точка два"
    assert normalize_text("146\u00a0447\u2009424", "ru") == (
        "сто сорок шесть миллионов четыреста сорок семь тысяч четыреста двадцать четыре")


def test_spans_map_offsets() -> None:
    text = "Цена 5 $ и 21 книгу"
    res = Normalizer().normalize(text, "ru")
    for span in res.spans:
        assert res.original[span.orig_start:span.orig_end]
        assert 0 <= span.norm_start <= span.norm_end <= len(res.text)
    money = next(s for s in res.spans if s.cls == "money")
    assert text[money.orig_start:money.orig_end] == "5 $"
    assert res.text[money.norm_start:money.norm_end] == "пять долларов"
    card = next(s for s in res.spans if s.cls == "cardinal")
    assert (card.case, card.lang) == ("acc", "ru")


def test_yo_and_stress() -> None:
    assert normalize_text("ёлка «ёлочки»", "ru") == "ёлка «ёлочки»"
    assert Normalizer({"stress": "strip"}).normalize("вод+а зам\u0301ок", "ru").text == "вода замок"
    assert Normalizer({"stress": "acute"}).normalize("вод+а", "ru").text == "вода\u0301"
    assert Normalizer().normalize("вод+а", "ru").text == "вод+а"


def test_config_plugins_and_dictionary(tmp_path: Path) -> None:
    d = tmp_path / "dict.toml"
    d.write_text('[ru]\n"ИИ" = "искусственный интеллект"\n[en]\n"TTS" = "text to speech"\n', encoding="utf-8")
    n = from_config({"normalize": {"dictionary": str(d), "disabled": ["roman"]}})
    assert n.normalize("ИИ", "ru").text == "искусственный интеллект"
    assert n.normalize("TTS rocks", "en").text == "text to speech rocks"
    assert n.normalize("Chapter IV", "en").text == "Chapter IV"
    assert [p.name for p in Normalizer({"plugins": ["cardinal"]}).plugins] == ["cardinal"]
    assert Normalizer({"enabled": False}).normalize("5").text == "5"
    for bad in ({"nope": 1}, {"plugins": ["x"]}, {"stress": "?"}, {"default_language": "de"},
                {"dictionary": str(tmp_path / "missing.toml")}):
        with pytest.raises(NormalizationError):
            Normalizer(bad)


def test_typed_errors() -> None:
    n = Normalizer({"max_chars": 10})
    with pytest.raises(NormalizationError):
        n.normalize("x" * 11)
    with pytest.raises(NormalizationError):
        n.normalize(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(NormalizationError):
        n.normalize("x", "de")
    assert issubclass(NormalizationError, ValueError)


@pytest.mark.parametrize("text", [
    "\x00\x01\x1b[31m12\x7f 5", "\ud800 unpaired \udfff 3", "😀 5 👍🏽", "9" * 200, "-" * 50 + "5",
    "\u202e\u200b\u200d7\u2060", "MMMCMXCIX", "a" * 300 + "@" + "b" * 300, "1/0", "0/0 00:00 99:99",
    "…‥ 1⁄2 ² ³ ٣ ४", "$", "₽", "г.", "1-й-2-я",
])
def test_any_input_gives_output(text: str) -> None:
    out = Normalizer().normalize(text).text
    out.encode("utf-8")
    assert "\n" not in out


def test_megabyte_of_digits_is_fast() -> None:
    start = time.perf_counter()
    out = Normalizer().normalize("7" * 1_000_000, "en").text
    assert time.perf_counter() - start < 5
    assert out.startswith("seven seven") and not any(c.isdigit() for c in out)


def test_cli_one_line_per_input() -> None:
    buf = io.StringIO()
    lines = ["в 5 часов\n", "\n", "Jan 5, 2024\n", "x\x00y\r\n"]
    assert cli_main(lines, "auto", False, buf) == 0
    assert buf.getvalue().splitlines() == ["в пять часов", "", "january fifth, twenty twenty four", "x y"]
    buf = io.StringIO()
    cli_main(["21 книгу"], "ru", True, buf)
    out = buf.getvalue().splitlines()
    assert out[0] == "двадцать одну книгу" and '"case": "acc"' in out[1]
    assert cli_main(["x"], "de", False, io.StringIO()) == 2


def test_package_docstring_documents_config_keys() -> None:
    for key in ("enabled", "default_language", "plugins", "disabled", "dictionary", "stress", "stress_plus",
                "max_chars"):
        assert f"``{key}``" in (normalize.__doc__ or "")
