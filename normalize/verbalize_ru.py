"""Russian verbalizers: render tokens using the case/gender chosen by :mod:`normalize.agreement_ru`."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import ru_numbers as ru
from .morph_ru import inflect_phrase
from .ru_lexicon import MONTHS_GEN, ru_noun
from .spans import Token
from .units import CURRENCIES, QUANTITY_RU, RU_MONEY_PER, RU_UNITS, SCALE_RU

_DIGIT_LIMIT = 36
_DENOMINATORS = ["", "десят", "сот", "тысячн", "десятитысячн", "стотысячн", "миллионн", "десятимиллионн",
                 "стомиллионн", "миллиардн"]
LATIN_NAMES = {"a": "эй", "b": "би", "c": "си", "d": "ди", "e": "и", "f": "эф", "g": "джи", "h": "эйч",
               "i": "ай", "j": "джей", "k": "кей", "l": "эл", "m": "эм", "n": "эн", "o": "оу", "p": "пи",
               "q": "кью", "r": "ар", "s": "эс", "t": "ти", "u": "ю", "v": "ви", "w": "дабл ю", "x": "икс",
               "y": "уай", "z": "зед"}
_E_WORDS = {"gmail": "джи мейл", "hotmail": "хот мейл", "com": "ком", "ru": "ру", "org": "орг", "net": "нет",
            "www": "дабл ю дабл ю дабл ю", "http": "эйч ти ти пи", "https": "эйч ти ти пи эс", "yandex": "яндекс",
            "mail": "мейл", "yahoo": "яху", "outlook": "аутлук"}
_E_SYMBOLS = {".": "точка", "@": "собака", "/": "слэш", ":": "двоеточие", "-": "тире", "_": "нижнее подчёркивание",
              "&": "амперсанд", "?": "вопросительный знак", "=": "равно", "#": "решётка", "%": "процент",
              "+": "плюс", "~": "тильда"}


def integer(digits: str, case: str = "nom", gender: str = "m", animate: bool = False,
            one_thousand: bool = False) -> str:
    stripped = digits.lstrip("0") or "0"
    if len(stripped) > _DIGIT_LIMIT:
        return ru.digits(digits)
    return ru.cardinal(int(stripped), case, gender, animate, one_thousand)


def _agree_adj(stem: str, n: int, case: str) -> str:
    """Feminine adjective ("целая", "десятая") counted by n in a phrase of case ``case``."""
    if n % 10 == 1 and n % 100 != 11:
        return ru.adjective(stem, case, "f")
    return ru.adjective(stem, "gen" if case in ("nom", "acc") else case, "f", plural=True)


def decimal_words(int_digits: str, frac: str, case: str) -> str:
    """"одна целая две десятых" in any case."""
    whole = int(int_digits.lstrip("0") or "0") if len(int_digits) <= _DIGIT_LIMIT else None
    if whole is None or len(frac) >= len(_DENOMINATORS):
        return integer(int_digits, case) + " запятая " + ru.digits(frac)
    num = int(frac)
    return " ".join([
        ru.cardinal(whole, case, "f"), _agree_adj("цел", whole, case),
        ru.cardinal(num, case, "f"), _agree_adj(_DENOMINATORS[len(frac)], num, case),
    ])


def _noun_phrase(lemma: str, n: int | None, case: str, adj: str = "") -> str:
    """Form of a counted noun (with an optional adjective) after the number n (None: genitive singular)."""
    noun = ru_noun(lemma)
    if n is None:
        ncase, plural = "gen", False
    else:
        ncase, plural = ru.noun_number(n, case)
    words = noun.form(ncase, plural)
    if adj:
        if n is not None and case in ("nom", "acc") and ncase == "gen" and not plural:
            a = ru.adjective(adj, "gen" if noun.gender != "f" else case, noun.gender, plural=True)
        else:
            a = ru.adjective(adj, ncase, noun.gender, plural)
        words = a + " " + words
    return words


def _amount(f: dict[str, object], case: str, gender: str, counted: bool = False) -> tuple[str, int | None, bool]:
    """Spoken amount, the integer that governs the noun (None for fractional amounts), and scale flag;
    ``counted``: a noun follows, so 1,5 is "полтора"/"полторы" (genitive singular noun, like other decimals)."""
    q = str(f.get("q") or "")
    int_digits, frac = str(f.get("int") or ""), str(f.get("frac") or "")
    if counted and int_digits == "1" and frac == "5" and not q and not f.get("fnum") and case in ("nom", "acc"):
        return "полторы" if gender == "f" else "полтора", None, False
    if f.get("sesqui"):  # "около 1,5 часа": полутора, its noun in the plural (agreement_ru)
        return "полутора", None, False
    if f.get("fnum"):
        part = _part(int(str(f["fnum"])), int(str(f["fden"])), case) if counted and not int_digits else None
        return part or fraction_words(int_digits, str(f["fnum"]), str(f["fden"]), case), None, False
    if q:
        scale = SCALE_RU[QUANTITY_RU[q]]
        if int_digits == "1" and frac == "5":  # "1,5 млн": полтора миллиона, около полутора миллионов
            if case in ("nom", "acc"):
                return ("полторы" if ru_noun(scale).gender == "f" else "полтора") + " " + _noun_phrase(scale, 2, case), \
                    None, True
            return "полутора " + _noun_phrase(scale, 5, case), None, True
        gov = None if frac else int(int_digits or "0")
        words = decimal_words(int_digits or "0", frac, case) if frac else integer(int_digits, case, ru_noun(scale).gender)
        return words + " " + _noun_phrase(scale, gov, case), None, True
    if frac:
        return decimal_words(int_digits or "0", frac, case), None, False
    n = int(int_digits.lstrip("0") or "0") if len(int_digits) <= _DIGIT_LIMIT else None
    return integer(int_digits or "0", case, gender), n, False


def fraction_words(whole: str, num: str, den: str, case: str) -> str:
    n, d = int(num), int(den)
    head = ""
    if whole:
        w = int(whole)
        head = ru.cardinal(w, case, "f") + " " + _agree_adj("цел", w, case) + " "
    if n % 10 == 1 and n % 100 != 11:
        den_words = ru.ordinal(d, case, "f")
    else:
        den_words = ru.ordinal(d, "gen" if case in ("nom", "acc") else case, "f", plural=True)
    return head + ru.cardinal(n, case, "f") + " " + den_words


# The last word of a number counting a plurale tantum, by case: "один" -> "одни", "три" -> "трое".
_COLLECTIVE = {("nom", "один"): "одни", ("acc", "один"): "одни", ("gen", "одного"): "одних",
               ("dat", "одному"): "одним", ("ins", "одним"): "одними", ("prep", "одном"): "одних",
               ("nom", "два"): "двое", ("acc", "два"): "двое", ("nom", "три"): "трое", ("acc", "три"): "трое",
               ("nom", "четыре"): "четверо", ("acc", "четыре"): "четверо"}


def cardinal(tok: Token) -> str:
    """Cardinal or (``ordinal`` field) ordinal reading; ``spell`` reads the digits one by one, ``one_thousand``
    says "одна тысяча" (both set only by :mod:`normalize.candidates_ru`)."""
    f = tok.fields
    sign = "минус " if f.get("sign") else ""
    if f.get("spell"):
        return sign + ru.digits(f["int"])
    if f.get("ordinal"):
        digits = f["int"].lstrip("0") or "0"
        return sign + ru.ordinal(int(digits), tok.case or "nom", tok.gender or "m", tok.plural)
    words = integer(f["int"], tok.case or "nom", tok.gender or "m", tok.animate, bool(f.get("one_thousand")))
    if f.get("collective"):  # a plurale tantum: "одни сутки", "трое суток", "одних суток"
        head, _, last = words.rpartition(" ")
        words = head + (" " if head else "") + _COLLECTIVE.get((tok.case or "nom", last), last)
    return sign + words


def decimal(tok: Token) -> str:
    f = tok.fields
    sign = "минус " if f.get("sign") else ""
    if f.get("version"):
        parts = tok.text.lstrip("-vV").split(".")
        words = " точка ".join(ru.digits(p) if p.startswith("0") and len(p) > 1 else integer(p) for p in parts)
        return sign + (inflect_phrase("версия", tok.case or "nom") + " " if f.get("v_word") else "") + words
    words, _, _ = _amount(f, tok.case or "nom", tok.gender or "f", counted=bool(f.get("counted")))
    return sign + words


def ordinal(tok: Token) -> str:
    digits = tok.fields["int"]
    if len(digits) > _DIGIT_LIMIT:
        return ru.digits(digits)
    n = int(digits)
    if tok.fields.get("as_cardinal"):
        return ru.cardinal(n, tok.case or "gen")
    return ru.ordinal(n, tok.case or "nom", tok.gender or "m", tok.plural)


_PART_NOUNS = {2: "половина", 3: "треть", 4: "четверть"}
_PERIODS = {"секунда", "минута", "час", "день", "неделя", "месяц", "год"}


def fraction(tok: Token) -> str:
    """A fraction before a noun is a quantity (``3/4 стакана`` -> три четверти, ``1/2 ложки`` -> половина)."""
    f = tok.fields
    case = tok.case or "nom"
    if f.get("schedule"):  # "график 2/2": два через два
        return integer(f["num"]) + " через " + integer(f["den"], "acc")
    if f.get("out_of"):  # "оценка 9/10": девять из десяти
        return integer(f["num"]) + " из " + integer(f["den"], "gen")
    if f.get("ratio"):  # "120/80": сто двадцать на восемьдесят
        return integer(f["num"], case) + " на " + integer(f["den"], "acc")
    if f.get("years"):  # "2024/25 учебный год": две тысячи двадцать четвёртый — двадцать пятый
        gender = tok.gender or "m"
        return ru.ordinal(int(f["num"]), case, gender) + " — " + ru.ordinal(int(f["den"]), case, gender)
    part = _part(int(f["num"]), int(f["den"]), case) if f.get("quantity") and not f["whole"] else None
    return part or fraction_words(f["whole"], f["num"], f["den"], case)


def _part(n: int, d: int, case: str) -> str | None:
    """A fraction of something counted, as a noun: ``1/2`` -> половина, ``3/4`` -> три четверти (nominative or
    accusative only; None where the fraction words are read instead)."""
    if d not in _PART_NOUNS or not 0 < n < d or case not in ("nom", "acc"):
        return None
    noun = _PART_NOUNS[d]
    return inflect_phrase(noun, case) if n == 1 else ru.cardinal(n, case, "f") + " " + inflect_phrase(noun, "gen")


def measure(tok: Token) -> str:
    f = tok.fields
    case = tok.case or "nom"
    parts = []
    adj, lemma, tail = RU_UNITS[f["unit"]] if f.get("unit") else ("", "", "")
    gender = ru_noun(lemma).gender if lemma else "m"
    if "dims" in f:  # "3×4 м": три на четыре метра (the last side counts the unit)
        sides = [_amount(d, case if k == 0 else "acc", gender, counted=True) for k, d in enumerate(f["dims"])]
        n = sides[-1][1]
        return " на ".join(w for w, _, _ in sides) + " " + _noun_phrase(lemma, n, "acc" if len(sides) > 1 else case,
                                                                          adj) + tail
    if f.get("lo"):
        lo = f["lo"]
        lo_f = {"int": re.sub(r"[^0-9]", "", lo.split(",")[0]), "frac": lo.split(",")[1] if "," in lo else ""}
        parts.append(_amount(lo_f, case, gender)[0] + " -")
    words, n, scaled = _amount(f, case, gender, counted=bool(lemma))
    if lemma == "сутки" and n is not None and case in ("nom", "acc") and n % 10 in (1, 2, 3, 4) \
            and n % 100 not in (11, 12, 13, 14):  # a plurale tantum: "1 сут.": одни сутки, "3 сут.": трое суток
        head, _, last = words.rpartition(" ")
        return (head + " " if head else "") + _COLLECTIVE.get((case, last), last) + (" сутки" if n % 10 == 1 else " суток")
    parts.append(("минус " if f.get("sign") else "") + words)
    if lemma:
        parts.append(_noun_phrase(lemma, (5 if case in ("nom", "acc") else 2) if scaled else n, case, adj) + tail)
    if f.get("per"):
        per_adj, per_lemma, _ = RU_UNITS[f["per"]]
        if f.get("per_n"):  # "л/100 км": на сто километров
            k = int(str(f["per_n"]))
            parts.append("на " + integer(str(k), "acc", ru_noun(per_lemma).gender) + " "
                         + _noun_phrase(per_lemma, k, "acc", per_adj))
        else:  # "кг/м³": на кубический метр; a period takes "в": "л/мин" в минуту
            parts.append(("в " if per_lemma in _PERIODS else "на ") + _noun_phrase(per_lemma, 1, "acc", per_adj))
    return " ".join(parts)


def money(tok: Token) -> str:
    f = tok.fields
    case = tok.case or "nom"
    major, minor = CURRENCIES[f["cur"]][4:6]
    major = major or "доллар"
    gender = ru_noun(major).gender
    frac = f["frac"]
    if f.get("sep") in (".", ",") and minor and len(frac) == 2 and not f.get("q"):
        f = dict(f, frac="", minor=frac.lstrip("0") or "")
    words, n, scaled = _amount(f, case, gender)
    parts = [words, _noun_phrase(major, (5 if case in ("nom", "acc") else 2) if scaled else n, case)]
    if f.get("minor") and minor:
        m = int(f["minor"])
        parts += [ru.cardinal(m, case, ru_noun(minor).gender), _noun_phrase(minor, m, case)]
    if "США" in tok.text:
        parts.append("сэ шэ а")
    if f.get("per"):
        parts.append(RU_MONEY_PER[f["per"]])
    return " ".join(parts)


def time(tok: Token) -> str:
    """Clock time.  The ``style`` field (set only by :mod:`normalize.candidates_ru`) picks an alternative
    reading: ``and`` ("два часа и три минуты"), ``zero`` ("один час ноль минут"), ``colloquial``
    ("семь минут девятого", "половина девятого", "без пятнадцати минут шесть") or ``colloquial_short``
    (the same without "минут" after "без")."""
    f = tok.fields
    case = tok.case or "nom"
    style = f.get("style", "")
    h, m = f["h"], f["m"]
    if f.get("ap"):  # "7 pm" in Russian speech: the 24-hour clock (девятнадцать часов)
        h = h % 12 + (12 if f["ap"] == "PM" else 0)
    if style.startswith("colloquial") and m and not f["s"]:
        nxt = h % 12 + 1
        if m < 30:
            return ru.cardinal(m, "nom", "f") + " " + _noun_phrase("минута", m, "nom") + " " + ru.ordinal(nxt, "gen")
        if m == 30:
            return "половина " + ru.ordinal(nxt, "gen")
        left = 60 - m
        noun = "" if style == "colloquial_short" else " " + _noun_phrase("минута", left, "gen")
        return "без " + ru.cardinal(left, "gen", "f") + noun + " " + ("час" if nxt == 1 else ru.cardinal(nxt))
    if f.get("short"):  # a time range: "с тринадцати до четырнадцати тридцати"
        words = ru.cardinal(h, case) + (" " + (ru.cardinal(m, case, "f") if m >= 10 else "ноль " + ru.cardinal(m))
                                        if m else "")
        return ("с " if f.get("from") else "") + words
    parts = [ru.cardinal(h, case), _noun_phrase("час", h, case)]
    if m or f["s"] or style == "zero":
        parts += ["и"] if style == "and" else []
        parts += [ru.cardinal(m, case, "f"), _noun_phrase("минута", m, case)]
    if f["s"]:
        parts += [ru.cardinal(f["s"], case, "f"), _noun_phrase("секунда", f["s"], case)]
    if f.get("tz"):
        parts.append(f["tz"])  # "14:20 UTC": the zone is kept, never dropped
    return " ".join(parts)


def _year(y: str, case: str) -> str:
    n = int(y)
    return ("ноль " if len(y) == 2 and y.startswith("0") else "") + ru.ordinal(n, case)


def date(tok: Token) -> str:
    f = tok.fields
    if "decade" in f:
        return integer(f["decade"])
    case = tok.case or "nom"
    if "quarter" in f:  # "Q1 2025": первый квартал две тысячи двадцать пятого года
        return f"{ru.ordinal(int(f['quarter']), case)} {inflect_phrase('квартал', case)} {_year(f['y'], 'gen')} года"
    parts = [ru.ordinal(int(f["d"]), case, "n"), MONTHS_GEN[int(f["m"]) - 1]]
    if f.get("y"):
        parts.append(_year(f["y"], "gen"))
        g = f.get("g", "")
        if g:
            parts.append("году" if g == "году" else "года")
        elif f.get("numeric") and not f.get("bare"):
            parts.append("года")  # "01.09.2024": первое сентября две тысячи двадцать четвёртого года; "15.01.25" too
    return " ".join(parts)


def telephone(tok: Token) -> str:
    f = tok.fields
    if "ip" in f:
        return " точка ".join(integer(g) if not g.startswith("0") or g == "0" else ru.digits(g) for g in f["ip"])
    parts = []
    if f.get("plus"):
        plus = f["plus"]
        parts.append(("плюс " if plus.startswith("+") else "") + integer(plus.lstrip("+")))
    for g in f["groups"]:
        pieces = [g] if len(g) <= 3 or re.fullmatch(r"[1-9]000", g) else \
            [g[:2 + len(g) % 2]] + [g[i:i + 2] for i in range(2 + len(g) % 2, len(g), 2)]  # "2000": две тысячи
        parts += [ru.digits(p) if p.startswith("0") else integer(p) for p in pieces]  # "7946": семьдесят девять сорок шесть
    return " ".join(parts)


def latin_word(word: str) -> str:
    """Latin chunk inside Russian speech: known words, short chunks spelled, others left as they are."""
    low = word.lower()
    if low in _E_WORDS:
        return _E_WORDS[low]
    if len(low) <= 3 and low.isascii():
        return " ".join(LATIN_NAMES.get(c, c) for c in low)
    return word


def electronic(tok: Token) -> str:
    out = []
    for c in re.findall(r"[0-9]+|[^\W\d_]+|.", tok.text):
        if c.isdigit():
            out.append(ru.digits(c))
        elif c.isalpha():
            out.append(latin_word(c) if c.isascii() else c)
        elif c in _E_SYMBOLS:
            out.append(_E_SYMBOLS[c])
        elif not c.isspace():
            out.append(c)
    return " ".join(out)


def roman(tok: Token) -> str:
    value = tok.fields["value"]
    if tok.fields.get("ordinal"):
        return ru.ordinal(value, tok.case or "nom", tok.gender or "m", tok.plural)
    return ru.cardinal(value, tok.case or "nom", tok.gender or "m")


def serial(tok: Token) -> str:
    if tok.fields.get("by"):
        a, b = tok.fields["parts"][::2]
        return integer(a) + " на " + integer(b, "acc")  # "2x2": два на два; "1920×1080": на тысячу восемьдесят
    out = []
    for p in tok.fields["parts"]:
        if p.isdigit():
            out.append(ru.digits(p) if p.startswith("0") or len(p) > 4 else integer(p))
        else:
            out.append(latin_word(p) if p.isascii() and len(p) == 1 else p)
    return " ".join(out)


def compound(tok: Token) -> str:
    """``3-комнатная`` -> ``трёхкомнатная``; ``ъ`` after a consonant before a iotated vowel (``четырёхъядерный``),
    ``дву`` before ``кратн`` (``двукратный``), ``полутора`` for 1,5 (``полуторалитровая``)."""
    digits, word = tok.fields["int"], tok.fields["word"]
    if digits == "1.5":
        return "полутора" + word  # "1,5-литровая": полуторалитровая
    n = int(digits)
    head = "дву" if n == 2 and word.startswith("кратн") else ru.combining_form(n)
    if head[-1] not in "аеёиоуыэюя" and word[0] in "еёюя":
        head += "ъ"
    return head + word


def letters(tok: Token) -> str:
    """An acronym as written (``КПСС``); dotted initials stay apart (``А.С. Пушкин`` -> ``А С``)."""
    return " ".join(tok.fields["letters"]) if "." in tok.text else tok.fields["letters"]


def abbreviation(tok: Token) -> str:
    return tok.fields["value"]


VERBALIZERS: dict[str, Callable[[Token], str]] = {
    "cardinal": cardinal, "decimal": decimal, "ordinal": ordinal, "fraction": fraction, "measure": measure,
    "money": money, "time": time, "date": date, "telephone": telephone, "electronic": electronic,
    "roman": roman, "serial": serial, "letters": letters, "abbreviation": abbreviation, "compound": compound,
}
