"""Russian morphology from pymorphy3 (OpenCorpora dictionaries): readings and inflection of arbitrary words.

The analyzer is created once, on first use (about 0.1 s), and every word's analysis is cached, so the
per-word cost after warm-up is a dictionary look-up.  Case names are the ones of :mod:`normalize.ru_numbers`
(``nom gen dat acc ins prep``).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from .ru_numbers import CASES

_TO_OURS = {"nomn": "nom", "gent": "gen", "gen2": "gen", "datv": "dat", "accs": "acc", "ablt": "ins",
            "loct": "prep", "loc2": "prep"}
_TO_PYMORPHY = {"nom": "nomn", "gen": "gent", "dat": "datv", "acc": "accs", "ins": "ablt", "prep": "loct"}
_GENDER = {"masc": "m", "femn": "f", "neut": "n"}


@cache
def _analyzer() -> Any:
    import pymorphy3  # imported lazily: building the analyzer loads its dictionaries

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=65536)
def _parses(word: str) -> tuple[Any, ...]:
    return tuple(_analyzer().parse(word))


@lru_cache(maxsize=16384)
def noun_paradigm(word: str) -> tuple[str, str, bool, tuple[str, ...], tuple[tuple[str, bool], ...]] | None:
    """When ``word``'s most likely reading is a noun: its lemma, gender (``m f n``), animacy, the 12 forms
    (singular then plural, each in ``CASES`` order; a missing form is the lemma) and the (case, plural) readings
    of ``word`` itself.  None for other words."""
    parses = _parses(word.lower())
    if not parses or parses[0].tag.POS != "NOUN" or "Abbr" in parses[0].tag or "Name" in parses[0].tag \
            or "Surn" in parses[0].tag:
        return None
    head = parses[0]
    forms = []
    for plural in (False, True):
        for case in CASES:
            form = head.inflect({_TO_PYMORPHY[case], "plur" if plural else "sing"})
            forms.append(form.word if form is not None else head.normal_form)
    readings = []
    for p in parses:
        if p.tag.POS == "NOUN" and p.normal_form == head.normal_form and p.tag.case in _TO_OURS:
            reading = (_TO_OURS[p.tag.case], p.tag.number == "plur")
            if reading not in readings:
                readings.append(reading)
    return (head.normal_form, _GENDER.get(head.tag.gender or "", "m"), head.tag.animacy == "anim", tuple(forms),
            tuple(readings))


@lru_cache(maxsize=4096)
def is_comparative(word: str) -> bool:
    """Whether ``word`` is a comparative (``старше``, ``дешевле``), which governs the genitive of a number."""
    return any("COMP" in p.tag for p in _parses(word.lower())[:3])  # "выше" is an adverb first


@lru_cache(maxsize=4096)
def is_adjective(word: str) -> bool:
    """Whether ``word``'s most likely reading is a full adjective (``комнатную``)."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS == "ADJF"


@lru_cache(maxsize=4096)
def adjective_case(adjective: str, noun: str) -> str | None:
    """The case of ``noun`` when ``adjective`` (a nominative form) agrees with it in gender and number;
    None when ``adjective`` is not an adjective or ``noun`` is not a noun of that gender."""
    adj = [p for p in _parses(adjective.lower()) if p.tag.POS == "ADJF"]
    nouns = [p for p in _parses(noun.lower()) if p.tag.POS == "NOUN"]
    if not adj or not nouns or nouns[0].tag.gender != adj[0].tag.gender or nouns[0].tag.case not in _TO_OURS:
        return None
    return _TO_OURS[nouns[0].tag.case]


@lru_cache(maxsize=4096)
def adjective_cases(word: str) -> tuple[str, ...]:
    """The cases of ``word``'s full-adjective readings, most likely first (``Тульской`` -> prep, gen, dat, ins)."""
    out: list[str] = []
    for p in _parses(word.lower()):
        case = _TO_OURS.get(p.tag.case or "")
        if p.tag.POS == "ADJF" and case and case not in out:
            out.append(case)
    return tuple(out)


@lru_cache(maxsize=4096)
def agree_adjective(adjective: str, noun: str) -> str | None:
    """``adjective`` (a nominative masculine form such as ``сельскохозяйственный``, or a participle) in the gender,
    number and case of ``noun``'s most likely reading (``техника`` -> ``сельскохозяйственная``); None when either is
    not one."""
    adj = [p for p in _parses(adjective.lower()) if p.tag.POS in ("ADJF", "PRTF")]
    nouns = [p for p in _parses(noun.lower()) if p.tag.POS == "NOUN"]
    if not adj or not nouns or nouns[0].tag.case not in _TO_OURS or _parses(noun.lower())[0].tag.POS != "NOUN":
        return None
    tag = nouns[0].tag
    grammemes = {_TO_PYMORPHY[_TO_OURS[tag.case]], "plur" if tag.number == "plur" else tag.gender or "masc"}
    if _TO_OURS[tag.case] == "acc" and (tag.number == "plur" or tag.gender == "masc"):
        grammemes.add(tag.animacy or "inan")  # "ж/д билеты": железнодорожные, not the animate -ых
    form = adj[0].inflect(grammemes)
    return form.word if form is not None else None


@lru_cache(maxsize=4096)
def inflect_phrase(phrase: str, case: str, plural: bool = False, feminine: bool = False) -> str:
    """``phrase`` (a nominative noun phrase such as ``электронная почта`` or ``заместитель директора``) in
    ``case`` (and the plural when asked): leading adjectives and the first noun are inflected, the rest (a
    genitive complement) is kept.  ``feminine``: a leading masculine adjective names a woman (заведующей)."""
    if case == "nom" and not plural and not feminine:
        return phrase
    words = phrase.split(" ")
    for i, word in enumerate(words):
        parses = [p for p in _parses(word.lower()) if p.tag.case == "nomn" and p.tag.POS in ("NOUN", "ADJF", "PRTF")]
        parses = [p for p in parses if not {"Name", "Surn", "Patr"} & p.tag.grammemes] or parses  # том, not Том
        if not parses:
            break
        grammemes = {_TO_PYMORPHY[case], "plur"} if plural else {_TO_PYMORPHY[case]}
        if feminine and not plural and parses[0].tag.POS != "NOUN":
            grammemes.add("femn")
        if case == "acc" and parses[0].tag.POS == "ADJF" and i == len(words) - 1 and parses[0].tag.gender == "masc":
            grammemes.add("inan")  # a substantivized adjective names a thing: "наберите добавочный"
        form = parses[0].inflect(grammemes)
        if form is not None:
            words[i] = form.word
        if parses[0].tag.POS == "NOUN":
            break
    return " ".join(words)


def is_known(word: str) -> bool:
    """Whether ``word`` (any case) is in the Russian dictionary."""
    return bool(_analyzer().word_is_known(word.lower()))


@lru_cache(maxsize=16384)
def is_transitive_verb(word: str) -> bool:
    """Whether ``word``'s most likely reading is a transitive verb form (``добавьте``, ``купил``)."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS in ("VERB", "INFN") and "tran" in parses[0].tag


def is_feminine_past(word: str) -> bool:
    """Whether ``word``'s most likely reading is a feminine past verb or short participle (``стала``, ``избрана``)."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS in ("VERB", "PRTS") and parses[0].tag.gender == "femn"


def is_dative(word: str) -> bool:
    """Whether ``word``'s most likely reading is a noun or pronoun in the dative (``другу``, ``мне``)."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS in ("NOUN", "NPRO") and parses[0].tag.case == "datv"


def is_finite_verb(word: str) -> bool:
    """Whether ``word``'s most likely reading is a finite verb form (``открылся``, ``придёт``)."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS == "VERB"


def is_plural_verb(word: str) -> bool:
    """Whether ``word``'s most likely reading is a plural finite verb (``подписали``, ``пишут``)."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS == "VERB" and parses[0].tag.number == "plur"


def is_plural_subject(word: str) -> bool:
    """Whether ``word`` can be a plural subject: a noun or pronoun with a nominative plural reading (``мы``,
    ``жители``)."""
    return any(p.tag.POS in ("NOUN", "NPRO") and p.tag.case == "nomn" and p.tag.number == "plur"
               for p in _parses(word.lower()))


@lru_cache(maxsize=4096)
def is_genitive_noun(word: str) -> bool:
    """Whether ``word``'s most likely reading is a common noun in the genitive (``сахара``, ``муки``)."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS == "NOUN" and parses[0].tag.case in ("gent", "gen2") \
        and not {"Geox", "Name", "Surn"} & parses[0].tag.grammemes


@lru_cache(maxsize=16384)
def verb_lemma(word: str) -> str:
    """The infinitive of ``word`` when its most likely reading is a verb form (``достигла`` -> ``достигнуть``),
    else an empty string."""
    parses = _parses(word.lower())
    return parses[0].normal_form if parses and parses[0].tag.POS in ("VERB", "INFN", "PRTF", "PRTS", "GRND") else ""


def is_noun(word: str) -> bool:
    """Whether ``word``'s most likely reading is a noun."""
    parses = _parses(word.lower())
    return bool(parses) and parses[0].tag.POS == "NOUN"


@lru_cache(maxsize=16384)
def form_of(word: str, pos: str = "NOUN") -> tuple[str, str, bool] | None:
    """Case, gender (``m f n``; ``m`` when the form has none) and plurality of ``word``'s most likely reading as
    a ``pos`` (``NOUN`` or ``ADJF``); for a noun a first-name reading is preferred (``Петру`` -> dat, m)."""
    parses = [p for p in _parses(word.lower()) if pos == p.tag.POS and p.tag.case]
    if pos == "NOUN":
        parses = [p for p in parses if "Name" in p.tag] or [p for p in parses if p.tag.gender in _GENDER] or parses
    if not parses:
        return None
    tag = parses[0].tag
    return _TO_OURS.get(tag.case, "nom"), _GENDER.get(tag.gender, "m"), tag.number == "plur"
