"""Russian number words: cardinals and ordinals in every case, gender and number.

Cases are the strings ``nom gen dat acc ins prep``; genders ``m f n``; ``plural`` selects the plural
adjective forms of ordinals.  Everything is table-driven and works on integers of any size up to
10**36 (larger values are read digit by digit by the callers).
"""

from __future__ import annotations

CASES = ("nom", "gen", "dat", "acc", "ins", "prep")
_IDX = {c: i for i, c in enumerate(CASES)}

# nom gen dat acc ins prep (acc = inanimate accusative)
_UNITS: dict[int, tuple[str, ...]] = {
    0: ("ноль", "ноля", "нолю", "ноль", "нолём", "ноле"),
    2: ("два", "двух", "двум", "два", "двумя", "двух"),
    3: ("три", "трёх", "трём", "три", "тремя", "трёх"),
    4: ("четыре", "четырёх", "четырём", "четыре", "четырьмя", "четырёх"),
    40: ("сорок", "сорока", "сорока", "сорок", "сорока", "сорока"),
    90: ("девяносто", "девяноста", "девяноста", "девяносто", "девяноста", "девяноста"),
    100: ("сто", "ста", "ста", "сто", "ста", "ста"),
}
_ONE = {
    "m": ("один", "одного", "одному", "один", "одним", "одном"),
    "n": ("одно", "одного", "одному", "одно", "одним", "одном"),
    "f": ("одна", "одной", "одной", "одну", "одной", "одной"),
}
_TWO_F = ("две", "двух", "двум", "две", "двумя", "двух")

# Numerals declined like "пять": nominative stem + oblique stem.
_SOFT = {
    5: ("пять", "пят"), 6: ("шесть", "шест"), 7: ("семь", "сем"), 8: ("восемь", "восьм"),
    9: ("девять", "девят"), 10: ("десять", "десят"), 11: ("одиннадцать", "одиннадцат"),
    12: ("двенадцать", "двенадцат"), 13: ("тринадцать", "тринадцат"), 14: ("четырнадцать", "четырнадцат"),
    15: ("пятнадцать", "пятнадцат"), 16: ("шестнадцать", "шестнадцат"), 17: ("семнадцать", "семнадцат"),
    18: ("восемнадцать", "восемнадцат"), 19: ("девятнадцать", "девятнадцат"), 20: ("двадцать", "двадцат"),
    30: ("тридцать", "тридцат"),
}
_INS_SOFT = {8: "восемью"}
_TENS_COMPOUND = {  # 50..80: both halves decline
    50: ("пятьдесят", "пятидесяти", "пятьюдесятью"), 60: ("шестьдесят", "шестидесяти", "шестьюдесятью"),
    70: ("семьдесят", "семидесяти", "семьюдесятью"), 80: ("восемьдесят", "восьмидесяти", "восемьюдесятью"),
}
_HUNDREDS = {
    200: ("двести", "двухсот", "двумстам", "двести", "двумястами", "двухстах"),
    300: ("триста", "трёхсот", "трёмстам", "триста", "тремястами", "трёхстах"),
    400: ("четыреста", "четырёхсот", "четырёмстам", "четыреста", "четырьмястами", "четырёхстах"),
}
for _h, (_nom, _stem) in {5: ("пятьсот", "пят"), 6: ("шестьсот", "шест"), 7: ("семьсот", "сем"),
                         8: ("восемьсот", "восьм"), 9: ("девятьсот", "девят")}.items():
    _ins = {8: "восемьюстами"}.get(_h, _stem + "ьюстами")
    _HUNDREDS[_h * 100] = (_nom, _stem + "исот", _stem + "истам", _nom, _ins, _stem + "истах")

# Scale nouns: (gender, singular forms, plural forms)
_THOUSAND = ("f", ("тысяча", "тысячи", "тысяче", "тысячу", "тысячей", "тысяче"),
             ("тысячи", "тысяч", "тысячам", "тысячи", "тысячами", "тысячах"))
_SCALE_NAMES = ["миллион", "миллиард", "триллион", "квадриллион", "квинтиллион", "секстиллион",
                "септиллион", "октиллион", "нониллион", "дециллион", "ундециллион"]


def _masc_noun(stem: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    return ("m", (stem, stem + "а", stem + "у", stem, stem + "ом", stem + "е"),
            (stem + "ы", stem + "ов", stem + "ам", stem + "ы", stem + "ами", stem + "ах"))


_SCALES = [_THOUSAND] + [_masc_noun(s) for s in _SCALE_NAMES]
MAX_CARDINAL = 10 ** (3 * (len(_SCALES) + 1)) - 1


def _simple(n: int, case: str, gender: str, animate: bool) -> str:
    """Words for 0 <= n <= 999 as one token list joined by spaces (n > 0 or n == 0 alone)."""
    i = _IDX[case]
    anim_acc = case == "acc" and animate
    if n == 0:
        return _UNITS[0][i]
    parts: list[str] = []
    h, rest = divmod(n, 100)
    if h:
        parts.append(_UNITS[100][i] if h == 1 else _HUNDREDS[h * 100][i])
    if rest >= 20 or rest in (10, 11, 12, 13, 14, 15, 16, 17, 18, 19):
        tens = rest if rest < 20 else rest // 10 * 10
        parts.append(_tens_word(tens, i))
        rest = 0 if rest < 20 else rest % 10
    if rest:
        # Animate accusative takes the genitive only for a bare 1..4 (not in compounds, except 1).
        use_gen = anim_acc and (rest == 1 or (n == rest and rest in (2, 3, 4)))  # "пять сотрудников"
        j = _IDX["gen"] if use_gen else i
        if rest == 1:
            parts.append(_ONE[gender][j])
        elif rest == 2 and gender == "f":
            parts.append(_TWO_F[j])
        else:
            parts.append(_tens_word(rest, j))
    return " ".join(parts)


def _tens_word(n: int, i: int) -> str:
    if n in _UNITS:
        return _UNITS[n][i]
    if n in _SOFT:
        nom, stem = _SOFT[n]
        return (nom, stem + "и", stem + "и", nom, _INS_SOFT.get(n, stem + "ью"), stem + "и")[i]
    nom, obl, ins = _TENS_COMPOUND[n]
    return (nom, obl, obl, nom, ins, obl)[i]


def noun_number(n: int, case: str, animate: bool = False) -> tuple[str, bool]:
    """Case and plurality of a noun counted by ``n`` in a phrase of case ``case`` (an ``animate`` noun counted by
    two, three or four in the accusative takes the genitive plural: "на четырёх человек")."""
    last2, last = n % 100, n % 10
    if last == 1 and last2 != 11:
        return case, False
    if animate and case == "acc" and n in (2, 3, 4):
        return "gen", True
    if case in ("nom", "acc"):
        return ("gen", False) if last in (2, 3, 4) and not 12 <= last2 <= 14 else ("gen", True)
    return case, True


def _groups(n: int) -> list[int]:
    out = []
    while n:
        n, g = divmod(n, 1000)
        out.append(g)
    return out


def cardinal(n: int, case: str = "nom", gender: str = "m", animate: bool = False, one_thousand: bool = False) -> str:
    """Russian cardinal for ``0 <= n <= MAX_CARDINAL`` (``one_thousand`` says "одна тысяча")."""
    if n < 0:
        return "минус " + cardinal(-n, case, gender, animate, one_thousand)
    if n == 0:
        return _UNITS[0][_IDX[case]]
    if n > MAX_CARDINAL:
        raise ValueError("number too large")
    groups = _groups(n)
    parts: list[str] = []
    for level in range(len(groups) - 1, 0, -1):
        g = groups[level]
        if not g:
            continue
        sgender, sing, plur = _SCALES[level - 1]
        ncase, plural = noun_number(g, case)
        noun = (plur if plural else sing)[_IDX[ncase]]
        if g == 1 and level == 1 and not one_thousand:
            parts.append(noun)
        else:
            parts.append(_simple(g, case, sgender, False) + " " + noun)
    if groups[0]:
        parts.append(_simple(groups[0], case, gender, animate))
    return " ".join(parts)


# Ordinal stems (the part before the adjective ending) and whether the masculine ending is stressed "ой".
_ORD_UNITS = {
    0: ("нулев", True), 1: ("перв", False), 2: ("втор", True), 3: ("трет", False), 4: ("четвёрт", False),
    5: ("пят", False), 6: ("шест", True), 7: ("седьм", True), 8: ("восьм", True), 9: ("девят", False),
    10: ("десят", False), 11: ("одиннадцат", False), 12: ("двенадцат", False), 13: ("тринадцат", False),
    14: ("четырнадцат", False), 15: ("пятнадцат", False), 16: ("шестнадцат", False),
    17: ("семнадцат", False), 18: ("восемнадцат", False), 19: ("девятнадцат", False),
    20: ("двадцат", False), 30: ("тридцат", False), 40: ("сороков", True), 50: ("пятидесят", False),
    60: ("шестидесят", False), 70: ("семидесят", False), 80: ("восьмидесят", False), 90: ("девяност", False),
    100: ("сот", False),
}
_ORD_SCALE = ["тысячн"] + [s + "н" for s in _SCALE_NAMES]

# Adjective endings by declension slot: (m, f, n, pl) x case
_ADJ_HARD = {
    "m": ("ый", "ого", "ому", "ый", "ым", "ом"),
    "f": ("ая", "ой", "ой", "ую", "ой", "ой"),
    "n": ("ое", "ого", "ому", "ое", "ым", "ом"),
    "pl": ("ые", "ых", "ым", "ые", "ыми", "ых"),
}
_ADJ_THIRD = {
    "m": ("ий", "ьего", "ьему", "ий", "ьим", "ьем"),
    "f": ("ья", "ьей", "ьей", "ью", "ьей", "ьей"),
    "n": ("ье", "ьего", "ьему", "ье", "ьим", "ьем"),
    "pl": ("ьи", "ьих", "ьим", "ьи", "ьими", "ьих"),
}


def adjective(stem: str, case: str, gender: str, plural: bool = False, animate: bool = False,
              stressed: bool = False) -> str:
    """Decline a hard-stem adjective (``квадратн``, ``кубическ``, ordinal stems) or ``трет``."""
    slot = "pl" if plural else gender
    if case == "acc" and animate and slot in ("m", "pl"):
        case = "gen"
    table = _ADJ_THIRD if stem.endswith("трет") else _ADJ_HARD
    end = table[slot][_IDX[case]]
    if stressed and slot == "m" and case in ("nom", "acc"):
        end = "ой"
    if stem[-1] in "кгхжшчщ" and end.startswith("ы"):
        end = "и" + end[1:]
    return stem + end


def _compound_prefix(n: int) -> str:
    """Genitive combining form used in "двухтысячный", "стамиллионный" (n < 1000)."""
    if n == 1:
        return ""
    if n == 100:
        return "сто"
    if n == 90:
        return "девяносто"
    return _simple(n, "gen", "m", False).replace(" ", "").replace("одного", "одно")


def combining_form(n: int) -> str:
    """The numeral as the first part of a compound word (``3-комнатный`` -> ``трёх``, ``50-летие`` ->
    ``пятидесяти``, ``100-процентный`` -> ``сто``, ``1000-летие`` -> ``тысяче``); n >= 1."""
    if n == 1:
        return "одно"
    thousands, rest = divmod(n, 1000)
    if rest == 0 and 0 < thousands < 1000:
        return (_compound_prefix(thousands) if thousands > 1 else "") + "тысяче"
    if n < 1000:
        return _compound_prefix(n)
    return cardinal(n, "gen").replace(" ", "")


def ordinal_stem(n: int) -> tuple[str, bool]:
    """Words preceding the ordinal ending, and whether the stressed masculine ending applies."""
    if n == 0:
        return _ORD_UNITS[0]
    if n > MAX_CARDINAL:
        raise ValueError("number too large")
    groups = _groups(n)
    low = next(i for i, g in enumerate(groups) if g)
    head = cardinal(n - n % (1000 ** (low + 1)), "nom") if n >= 1000 ** (low + 1) else ""
    g = groups[low]
    if low == 0:
        h, rest = divmod(g, 100)
        words = []
        if rest:
            if h:
                words.append(_simple(h * 100, "nom", "m", False))
            if rest >= 20 and rest % 10:
                words.append(_tens_word(rest // 10 * 10, 0))
                stem, stressed = _ORD_UNITS[rest % 10]
            else:
                stem, stressed = _ORD_UNITS[rest]
        else:
            stem, stressed = ("сот" if h == 1 else _compound_prefix(h * 100)), False
        words.append(stem)
        body = " ".join(words)
    else:
        body, stressed = _compound_prefix(g) + _ORD_SCALE[low - 1], False
    return (head + " " + body if head else body), stressed


def ordinal(n: int, case: str = "nom", gender: str = "m", plural: bool = False, animate: bool = False) -> str:
    """Russian ordinal ("двадцать первого", "двухтысячный", "тысяча девятьсот девяностые")."""
    stem, stressed = ordinal_stem(n)
    return adjective(stem, case, gender, plural, animate, stressed)


def digits(s: str) -> str:
    """Read a string of ASCII digits one by one."""
    return " ".join(_UNITS[0][0] if c == "0" else cardinal(int(c)) for c in s)
