"""Russian abbreviations whose expansion depends on the words around them.

``ст. 159`` is a статья, ``ст. Лесная`` a станция, ``ст. преподаватель`` a старший преподаватель; ``д. 5`` is a дом,
``д. Ивановка`` a деревня; ``стр. 2`` after ``д. 5`` is a строение, elsewhere a страница.  :func:`expansion` picks the
reading; :mod:`normalize.agreement_ru` then inflects it for its preposition or its noun.
"""

from __future__ import annotations

from .morph_ru import agree_adjective, is_adjective
from .spans import Token

# written form (lower-case) -> (context, expansion) pairs, tried in order; the dictionary's expansion stays when none
# holds.  Contexts:
#   "number"  a number follows;
#   "name"    a capitalized word follows, possibly after another such abbreviation ("ст. м. Сокол");
#   "noun"    the expansion, an adjective, agrees with the noun that follows ("ст. научный сотрудник");
#   "address" a street or a house came earlier in the sentence ("д. 5, стр. 2");
#   "weekday" a weekday abbreviation stands next to it, or a clock time follows ("пн., ср., пт.");
#   "place"   a capitalized adjective comes before it ("Краснодарский кр.");
#   "period"  a year, a century, a decade or a word of time follows ("в нач. XX в.", "с нач. года");
#   "object"  a word follows in the same clause ("вкл. НДС", "вкл. доставку");
#   "phone"   a telephone number follows ("т. 8-900-123-45-67").
CONTEXTUAL: dict[str, tuple[tuple[str, str], ...]] = {
    "ст.": (("number", "статья"), ("name", "станция"), ("noun", "старший")),
    "с.": (("name", "село"),),
    "гл.": (("noun", "главный"),),
    "д.": (("number", "дом"), ("name", "деревня")),
    "п.": (("name", "посёлок"),),
    "м.": (("name", "метро"),),
    "гр.": (("name", "гражданин"),),
    "р.": (("name", "река"),),
    "о.": (("name", "остров"),),
    "оз.": (("name", "озеро"),),
    "пр.": (("name", "проспект"),),
    "стр.": (("address", "строение"),),
    "к.": (("address", "корпус"),),
    "ср.": (("weekday", "среда"), ("noun", "средний")),
    "нач.": (("period", "начало"),),
    "кон.": (("period", "конец"),),
    "сер.": (("period", "середина"),),
    "пол.": (("period", "половина"),),
    "кр.": (("place", "край"),),
    "пом.": (("number", "помещение"), ("address", "помещение")),
    "тех.": (("noun", "технический"),),  # (these six are also words before a full stop: "из тех.", "мёд.")
    "мед.": (("noun", "медицинский"),),
    "нем.": (("noun", "немецкий"),),
    "раб.": (("noun", "рабочий"),),
    "нар.": (("noun", "народный"),),
    "сот.": (("noun", "сотовый"),),
    "мин.": (("noun", "минимальный"),),
    "макс.": (("noun", "максимальный"),),
    "т.": (("phone", "телефон"),),  # "Т. 8-900-123-45-67"; "т. 2" stays том
    "вкл.": (("object", "включая"),),  # "вкл. НДС": включая; "по 5 мая вкл.": включительно
    "искл.": (("object", "исключая"),),
}
_HOUSE = {"д.", "дом", "корп.", "ул.", "улица", "влад.", "вл.", "пр-т", "просп.", "проспект", "пер.", "переулок", "ш.",
          "шоссе", "б-р", "бульвар", "наб.", "набережная", "пл.", "площадь", "мкр.", "микрорайон"}
_WEEKDAY_ABBR = {"пн", "вт", "чт", "пт", "сб", "вс", "пн.", "вт.", "чт.", "пт.", "сб.", "вс."}
_SENTENCE_END = {".", "!", "?", "…"}
_QUOTES = {"«", "»", "\"", "„", "“", "”"}
_PERIOD_WORDS = {"года", "века", "месяца", "недели", "дня", "лета", "зимы", "весны", "осени", "сезона", "квартала",
                 "семестра", "столетия", "эпохи", "войны", "пути", "фильма", "книги", "игры", "матча"}
_NUMERIC = {"cardinal", "decimal", "ordinal", "fraction", "measure", "money", "roman", "date", "time", "telephone"}


def _name_follows(tokens: list[Token], idx: list[int], k: int) -> bool:
    j = k + 1
    if j < len(idx) and tokens[idx[j]].cls == "abbreviation":
        j += 1  # "ст. м. Сокол"
    if j < len(idx) and tokens[idx[j]].text in _QUOTES:
        j += 1  # "м. «Арбат»"
    nxt = tokens[idx[j]] if j < len(idx) else None
    return nxt is not None and nxt.cls in ("word", "letters") and nxt.text[:1].isupper() and not nxt.text.isascii()


def agreeing_adjective(value: str, tokens: list[Token], idx: list[int], k: int) -> str | None:
    """``value`` (an adjective) agreeing with the lower-case noun after ``tokens[idx[k]]``, skipping quotes and one
    adjective (``ст. научный сотрудник``: старший, ``т. н. «серых» схем``: называемых); None when no such noun
    follows."""
    j, skipped = k + 1, False
    while j < min(len(idx), k + 6):
        nxt = tokens[idx[j]]
        j += 1
        if nxt.cls == "punct" and nxt.text in _QUOTES:
            continue
        word = nxt.text if nxt.cls == "word" else str(nxt.out or nxt.fields["value"]) \
            if nxt.cls == "abbreviation" else ""  # "2-комн. кв.": квартира
        if not word[:1].islower() or " " in word:
            return None
        agreed = agree_adjective(value, word)
        if agreed or skipped or not is_adjective(word):
            return agreed
        skipped = True
    return None


def _holds(context: str, value: str, tokens: list[Token], idx: list[int], k: int) -> bool:
    if context == "number":
        return k + 1 < len(idx) and tokens[idx[k + 1]].cls in _NUMERIC
    if context == "name":
        return _name_follows(tokens, idx, k)
    if context == "noun":  # (after a number it is a unit: "на 5-й мин. матча")
        return not (k and tokens[idx[k - 1]].cls in _NUMERIC) and agreeing_adjective(value, tokens, idx, k) is not None
    if context == "period":
        nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
        return nxt is not None and (nxt.cls in ("roman", "date", "ordinal") or nxt.cls == "cardinal" and len(
            nxt.fields["int"]) == 4 or nxt.cls == "word" and nxt.text.lower() in _PERIOD_WORDS)
    if context == "phone":
        return k + 1 < len(idx) and tokens[idx[k + 1]].cls == "telephone"
    if context == "object":
        nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
        return nxt is not None and nxt.cls in ("word", "letters", "abbreviation")
    if context == "place":
        prev = tokens[idx[k - 1]] if k else None
        return prev is not None and prev.cls == "word" and prev.text[:1].isupper() \
            and prev.text.endswith(("ий", "ый", "ого", "ому", "ом", "им", "ым"))
    if context == "weekday":  # (or a clock time after it: "Ср. 10:00–18:00")
        if k + 1 < len(idx) and tokens[idx[k + 1]].cls == "time":
            return True
        return any(0 <= j < len(idx) and tokens[idx[j]].text.lower() in _WEEKDAY_ABBR for j in (k - 2, k - 1, k + 1, k + 2))
    for j in range(k - 1, max(-1, k - 9), -1):  # "address": within the sentence, a few tokens back
        text = tokens[idx[j]].text.lower()
        if text in _SENTENCE_END:
            return False
        if text in _HOUSE:
            return True
    return False


def expansion(tokens: list[Token], idx: list[int], k: int, value: str) -> str:
    """The reading of the abbreviation at ``tokens[idx[k]]`` (dictionary reading ``value``) in its context."""
    for context, reading in CONTEXTUAL.get(tokens[idx[k]].text.lower(), ()):
        if _holds(context, reading, tokens, idx, k):
            return reading
    return value
