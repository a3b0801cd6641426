"""English number words: cardinals (with or without "and"), ordinals, years, digit strings."""

from __future__ import annotations

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ["", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion", "sextillion",
           "septillion", "octillion", "nonillion", "decillion", "undecillion"]
MAX_CARDINAL = 10 ** (3 * len(_SCALES)) - 1
NUMBER_WORDS = frozenset(_ONES + _TENS[2:] + ["hundred", "thousand", "million", "billion"])
_ORD_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}


def _below_1000(n: int, use_and: bool) -> str:
    h, rest = divmod(n, 100)
    parts = []
    if h:
        parts.append(_ONES[h] + " hundred")
        if rest and use_and:
            parts.append("and")
    if rest >= 20:
        parts.append(_TENS[rest // 10] + (" " + _ONES[rest % 10] if rest % 10 else ""))
    elif rest:
        parts.append(_ONES[rest])
    return " ".join(parts)


def cardinal(n: int, use_and: bool = False) -> str:
    """English cardinal; ``use_and`` gives British-style "one hundred and five" in the last group."""
    if n < 0:
        return "minus " + cardinal(-n, use_and)
    if n == 0:
        return "zero"
    if n > MAX_CARDINAL:
        raise ValueError("number too large")
    groups = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    parts = []
    for level in range(len(groups) - 1, -1, -1):
        g = groups[level]
        if not g:
            continue
        if level == 0 and use_and and g < 100 and len(groups) > 1 and groups[1]:
            parts.append("and")
        words = _below_1000(g, use_and and level == 0)
        parts.append(words + (" " + _SCALES[level] if level else ""))
    return " ".join(parts)


def ordinalize(words: str) -> str:
    """Turn the last word of a cardinal into its ordinal form."""
    head, _, last = words.rpartition(" ")
    if last in _ORD_IRREGULAR:
        last = _ORD_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return (head + " " + last) if head else last


def ordinal(n: int) -> str:
    return ordinalize(cardinal(n))


def pluralize_number(words: str) -> str:
    """"nineteen eighty" -> "nineteen eighties", "two thousand" -> "two thousands"."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last.endswith("x") else "s")
    return (head + " " + last) if head else last


def digits(s: str, zero: str = "zero") -> str:
    return " ".join(zero if c == "0" else _ONES[int(c)] for c in s)


def two_digit(n: int) -> str:
    """Two-digit chunk as in years: 5 -> "oh five", 12 -> "twelve"."""
    return ("oh " + _ONES[n]) if n < 10 else cardinal(n)


def year(n: int) -> str:
    """Year reading: 1994 -> "nineteen ninety four", 2006 -> "two thousand six", 1900 -> "nineteen hundred"."""
    if n < 100 or n > 9999:
        return cardinal(n)
    hi, lo = divmod(n, 100)
    if n % 1000 == 0 or (hi % 10 == 0 and lo < 10):
        return cardinal(n)
    if lo == 0:
        return cardinal(hi) + " hundred"
    return cardinal(hi) + " " + two_digit(lo)
