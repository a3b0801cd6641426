"""Russian noun paradigms, prepositions and month names used by the agreement stage.

A paradigm is 12 forms: singular then plural, each ``nom gen dat acc ins prep``.  Regular nouns are
generated from a stem and a declension class; irregular slots are overridden explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .morph_ru import noun_paradigm
from .ru_numbers import CASES
from .spans import Token

_ENDINGS = {
    "m": ("", "а", "у", "", "ом", "е", "ы", "ов", "ам", "ы", "ами", "ах"),
    "ms": ("ь", "я", "ю", "ь", "ём", "е", "и", "ей", "ям", "и", "ями", "ях"),
    "f": ("а", "ы", "е", "у", "ой", "е", "ы", "", "ам", "ы", "ами", "ах"),
    "fs": ("я", "и", "е", "ю", "ей", "е", "и", "ь", "ям", "и", "ями", "ях"),
    "n": ("о", "а", "у", "о", "ом", "е", "а", "", "ам", "а", "ами", "ах"),
}


@dataclass(frozen=True, slots=True)
class Noun:
    lemma: str
    gender: str
    animate: bool
    forms: tuple[str, ...]

    def form(self, case: str, plural: bool) -> str:
        if self.animate and case == "acc":
            case = "gen"
        return self.forms[CASES.index(case) + (6 if plural else 0)]


def _paradigm(stem: str, decl: str, overrides: str) -> tuple[str, ...]:
    if decl == "inv":
        return (stem,) * 12
    forms = []
    for end in _ENDINGS[decl]:
        if stem[-1] in "кгхжшчщ" and end.startswith("ы"):
            end = "и" + end[1:]
        forms.append(stem + end)
    for item in overrides.split():
        slot, form = item.split("=")
        forms[int(slot)] = form
    return tuple(forms)


# lemma, stem, declension, gender, animate, overrides ("slot=form"; slots 0-5 singular, 6-11 plural)
_NOUNS = """
год год m m 0 5=году 6=годы 7=лет 9=годы
месяц месяц m m 0 4=месяцем 7=месяцев
день д m m 0 0=день 1=дня 2=дню 3=день 4=днём 5=дне 6=дни 7=дней 8=дням 9=дни 10=днями 11=днях
неделя недел fs f 0
час час m m 0
минута минут f f 0
секунда секунд f f 0
миллисекунда миллисекунд f f 0
век век m m 0 6=века 9=века
раз раз m m 0 7=раз
человек человек m m 1 6=люди 7=человек 8=людям 9=людей 10=людьми 11=людях
ребёнок ребёнок m m 1 1=ребёнка 2=ребёнку 4=ребёнком 5=ребёнке 6=дети 7=детей 8=детям 9=детей 10=детьми 11=детях
студент студент m m 1
друг друг m m 1 6=друзья 7=друзей 8=друзьям 9=друзей 10=друзьями 11=друзьях
сотрудник сотрудник m m 1
участник участник m m 1
пользователь пользовател ms m 1
кот кот m m 1
мальчик мальчик m m 1
девочка девочк f f 1 7=девочек
женщина женщин f f 1
кошка кошк f f 1 7=кошек
собака собак f f 1
машина машин f f 0
комната комнат f f 0
книга книг f f 0
страница страниц f f 0 4=страницей
глава глав f f 0
статья стат fs f 0 0=статья 1=статьи 2=статье 3=статью 4=статьёй 5=статье 6=статьи 7=статей 8=статьям 9=статьи 10=статьями 11=статьях
задача задач f f 0 4=задачей
копейка копейк f f 0 4=копейкой 7=копеек
штука штук f f 0
тонна тонн f f 0
квартира квартир f f 0
квартал квартал m m 0
ложка ложк f f 0 4=ложкой 7=ложек
мегапиксель мегапиксел ms m 0
улица улиц f f 0 4=улицей
страна стран f f 0
миля мил fs f 0
рубль рубл ms m 0
юань юан ms m 0
доллар доллар m m 0
цент цент m m 0
евро евро inv m 0
фунт фунт m m 0
пенс пенс m m 0
пункт пункт m m 0
процент процент m m 0
градус градус m m 0
метр метр m m 0
километр километр m m 0
сантиметр сантиметр m m 0
миллиметр миллиметр m m 0
дециметр дециметр m m 0
микрометр микрометр m m 0
нанометр нанометр m m 0
грамм грамм m m 0
килограмм килограмм m m 0
миллиграмм миллиграмм m m 0
литр литр m m 0
миллилитр миллилитр m m 0
гектар гектар m m 0
фут фут m m 0
дюйм дюйм m m 0
бит бит m m 0
байт байт m m 0
килобайт килобайт m m 0
мегабайт мегабайт m m 0
гигабайт гигабайт m m 0
терабайт терабайт m m 0
вольт вольт m m 0 7=вольт
ватт ватт m m 0 7=ватт
киловатт киловатт m m 0 7=киловатт
мегаватт мегаватт m m 0 7=мегаватт
ампер ампер m m 0 7=ампер
герц герц m m 0 7=герц
килогерц килогерц m m 0 7=килогерц
мегагерц мегагерц m m 0 7=мегагерц
гигагерц гигагерц m m 0 7=гигагерц
пиксель пиксел ms m 0
киловатт-час киловатт-час m m 0
ватт-час ватт-час m m 0
миллиампер-час миллиампер-час m m 0
паскаль паскал ms m 0 4=паскалем
килопаскаль килопаскал ms m 0 4=килопаскалем
мегапаскаль мегапаскал ms m 0 4=мегапаскалем
мегабит мегабит m m 0 7=мегабит
гигабит гигабит m m 0 7=гигабит
килобит килобит m m 0 7=килобит
сила сил f f 0
кадр кадр m m 0
балл балл m m 0
этаж этаж m m 0 4=этажом 7=этажей
дом дом m m 0 6=дома 9=дома
том том m m 0 6=тома 9=тома
класс класс m m 0
курс курс m m 0
шаг шаг m m 0
вопрос вопрос m m 0
место мест n n 0
слово слов n n 0
очко очк n n 0 6=очки 7=очков 9=очки
тысяча тысяч f f 0 4=тысячей
миллион миллион m m 0
миллиард миллиард m m 0
триллион триллион m m 0
"""

NOUNS: dict[str, Noun] = {}
FORMS: dict[str, list[tuple[Noun, str, bool]]] = {}
for _line in _NOUNS.strip().splitlines():
    _lemma, _stem, _decl, _gender, _anim, *_over = _line.split()
    _noun = Noun(_lemma, _gender, _anim == "1", _paradigm(_stem, _decl, " ".join(_over)))
    NOUNS[_noun.lemma] = _noun
    for _i, _form in enumerate(_noun.forms):
        _entry = (_noun, CASES[_i % 6], _i >= 6)
        FORMS.setdefault(_form, []).append(_entry)
        if _form.replace("ё", "е") != _form:
            FORMS.setdefault(_form.replace("ё", "е"), []).append(_entry)



@lru_cache(maxsize=1024)
def ru_noun(lemma: str) -> Noun:
    """The paradigm of the noun ``lemma``: from the table above, else from pymorphy3 (``миллимоль``, ``сотка``)."""
    if lemma in NOUNS:
        return NOUNS[lemma]
    found = noun_paradigm(lemma)
    if found is None:
        raise KeyError(lemma)
    _, gender, animate, forms, _ = found
    return Noun(lemma, gender, animate, forms)


# Preposition -> cases it governs, most likely first.
PREPOSITIONS: dict[str, tuple[str, ...]] = {}
for _cases, _words in {
    ("gen",): "до от из у около после для без кроме вокруг против среди вместо возле мимо ради свыше "
              "более менее больше меньше порядка около из-за из-под начиная",
    ("gen", "ins", "acc"): "с со",
    ("dat",): "к ко благодаря согласно навстречу",
    ("dat", "acc", "prep"): "по",
    ("prep",): "о об обо при",
    ("acc", "prep"): "в во на",
    ("acc", "ins"): "за под",
    ("ins",): "над перед между",
    ("acc",): "через про сквозь спустя",
}.items():
    for _w in _words.split():
        PREPOSITIONS[_w] = _cases

MONTHS_GEN = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
              "октября", "ноября", "декабря"]
MONTH_BY_NAME: dict[str, int] = {}
for _i, _m in enumerate(MONTHS_GEN, 1):
    MONTH_BY_NAME[_m] = _i
for _i, _abbr in enumerate(["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"], 1):
    MONTH_BY_NAME.setdefault(_abbr, _i)
MONTH_BY_NAME.update({"февр": 2, "сент": 9, "нояб": 11, "дек": 12})


def analyze(word: str) -> list[tuple[Noun, str, bool]]:
    """Possible (noun, case, plural) readings of a word form: from the paradigms above, else from pymorphy3
    when the word's most likely reading is a noun (``потоками``, ``тетрадей``)."""
    low = word.lower()
    return FORMS.get(low) or _morph_readings(low)


@lru_cache(maxsize=16384)
def _morph_readings(word: str) -> list[tuple[Noun, str, bool]]:
    if not any("а" <= c <= "я" or c == "ё" for c in word):
        return []
    found = noun_paradigm(word)
    if found is None:
        return []
    lemma, gender, animate, forms, readings = found
    noun = Noun(lemma, gender, animate, forms)
    return [(noun, case, plural) for case, plural in readings]


# Parts of a period a century number follows in the genitive ("в кон. XIX — нач. XX вв.": конце девятнадцатого),
# in every case form, and their abbreviations.
PERIOD_HEADS = frozenset(f"{stem}{end}" for stem, ends in (
    ("начал", ("о", "а", "е", "у", "ом")), ("кон", ("ец", "ца", "це", "цу", "цом")),
    ("середин", ("а", "ы", "е", "у", "ой")), ("половин", ("а", "ы", "е", "у", "ой")), ("рубеж", ("", "а", "е", "ом")),
) for end in ends) | {"нач.", "кон.", "сер.", "пол."}

# Abbreviations read differently right after a number: "IV кв." is a quarter ("кв. 17": a flat).
AFTER_NUMBER = {"кв.": "квартал"}


def noun_text(tok: Token) -> str:
    """The word a counted-noun candidate reads as: a word's text, or a one-word abbreviation's expansion
    (``кв.`` -> ``квартал`` after a number); empty for anything else."""
    if tok.cls == "word":
        return tok.text
    if tok.cls == "abbreviation":
        value = tok.out or str(tok.fields["value"])
        return "" if " " in value else value
    return ""


def known(noun: Noun) -> bool:
    """Whether ``noun`` is one of the built-in paradigms (not one read from pymorphy3)."""
    return NOUNS.get(noun.lemma) is noun
