"""Classifier plugins: each finds one kind of semiotic span at a text position.

Contract: a plugin has a ``name`` (the semiotic class it emits, also its config name), a ``starts``
string saying which first characters it can handle (``d`` digit, ``a`` letter, ``s`` anything else)
and ``match(text, pos, lang) -> Token | None``.  A plugin must look at no more than
:data:`WINDOW` characters from ``pos`` (digit and word runs excepted), which keeps the pipeline linear.
The tokenizer tries every enabled plugin at each token start and keeps the longest match; ties go to
the plugin listed first.
"""

from __future__ import annotations

import re
from typing import Protocol

from .morph_ru import is_adjective, is_genitive_noun, is_known, is_noun
from .ru_lexicon import MONTH_BY_NAME, ru_noun
from .ru_numbers import combining_form
from .spans import Token
from .units import (
    CURRENCY_CODES,
    CURRENCY_SYMBOLS,
    CURRENCY_WORDS,
    EN_CASE_SENSITIVE,
    EN_UNITS,
    RU_MONEY_PER,
    RU_UNITS,
)

WINDOW = 256
LETTER = r"[^\W\d_]"

EN_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]{1,3}(?:\u202f[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+"
RU_NUM = (r"(?:[0-9]{1,3}(?:[ \u202f][0-9]{3})+(?![0-9])|[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9.,])|[0-9]+)"
          r"(?:[.,][0-9]+)?")
_SIGN_OK = " \n([{\"'«/=<>?!…"  # (and after "...": "−5…−10 °C", "-3...-7")


class Plugin(Protocol):
    name: str
    starts: str

    def match(self, text: str, pos: int, lang: str) -> Token | None: ...


def split_number(s: str, lang: str) -> dict[str, str]:
    """Split a matched number into ``int`` digits (group separators removed) and ``frac`` digits."""
    if lang == "en":
        whole, _, frac = s.partition(".")
        return {"int": whole.replace(",", "").replace("\u202f", ""), "frac": frac, "sep": "." if frac or s.endswith(".") else ""}
    sep = ""
    if "," in s:
        whole, _, frac = s.rpartition(",")
        sep = ","
    elif s.count(".") == 1 and not re.fullmatch(r"[0-9]{1,3}\.[0-9]{3}", s):
        whole, _, frac = s.partition(".")
        sep = "."
    else:
        whole, frac = s, ""
    return {"int": re.sub(r"[ .\u202f]", "", whole), "frac": frac, "sep": sep}


def _signed(text: str, pos: int) -> bool:
    return text.startswith("-", pos) and (pos == 0 or text[pos - 1] in _SIGN_OK or text.endswith("...", 0, pos)) and \
        pos + 1 < len(text) and (text[pos + 1].isdigit() or text[pos + 1] == ".")


def _end(text: str, pos: int) -> int:
    return min(len(text), pos + WINDOW)


def _boundary(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] == "_")


class VerbatimPlugin:
    """Markup passed through untouched: ``<tag ...>`` and ``[phonetic transcription]`` (IPA, or ARPAbet such
    as ``[HH AH0 L OW1]``); other bracketed text (``[0.4]``) is normalized like any text."""

    name, starts = "verbatim", "s"
    _re = re.compile(r"<[^<>\n]{1,200}>|\[[^\[\]\n]{1,250}\]")
    _arpabet = re.compile(r"[A-Z]{1,3}[0-2]?(?: [A-Z]{1,3}[0-2]?)*")
    _plain = re.compile(r"[\x00-\x7fа-яёА-ЯЁ\u0301]*")

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        m = self._re.match(text, pos, _end(text, pos))
        if not m:
            return None
        inner = m.group()[1:-1]
        if m.group()[0] == "[" and not self._arpabet.fullmatch(inner) and self._plain.fullmatch(inner):
            return None
        return Token("verbatim", pos, m.end(), m.group())


class ElectronicPlugin:
    """URLs, e-mail addresses and bare domain names."""

    name, starts = "electronic", "ad"
    _url = re.compile(r"(?:(?:https?|ftp|file)://|www\.)[^\s<>\"«»]+", re.I)
    _email = re.compile(r"[\w.+&-]*\w@[\w-]+(?:\.[\w-]+)+(?:/[^\s<>\"«»]*)?")
    _domain = re.compile(r"[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|io|ai|ru|рф|uk|de|fr|it|info|biz|co|us|su)"
                         r"(?![\w])(?:/[^\s<>\"«»]*)?", re.I)
    # A lower-case dotted name with any short top-level label ("in.and"): tried at every label start that
    # follows a dot or another non-label character, since failing at "0" of "0.in.and" says nothing about "in".
    _lower_domain = re.compile(r"[a-z][a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,4}(?!\w)(?!\.[^\W\d_])")
    _label = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
    _trail = ".,;:!?)"
    _run = re.compile(r"[\w.-]*")

    def __init__(self) -> None:
        # (text, end of a [\w.-] run in which the domain pattern already failed): later starts in the same
        # run cannot match either, so long "a.a.a..." runs stay linear with a small constant.
        self._no_domain: tuple[str, int] = ("", 0)

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        end = _end(text, pos)
        m = None
        if "@" in text[pos:end].split(" ", 1)[0]:
            m = self._email.match(text, pos, end)
        if m is None and text[pos] in "hfwHFW":
            m = self._url.match(text, pos, end)
        skip_text, skip_end = self._no_domain
        if m is None and not (skip_text is text and pos < skip_end) and "." in text[pos:end].split(" ", 1)[0]:
            m = self._domain.match(text, pos, end)
            if m is None:
                run = self._run.match(text, pos, end)
                self._no_domain = (text, run.end() if run else pos)
        if m is None and "a" <= text[pos] <= "z" and (pos == 0 or text[pos - 1] not in self._label or (
                text[pos - 1] == "-" and pos > 1 and text[pos - 2].isdigit())):  # "0-in.in": the dash is read as a space
            m = self._lower_domain.match(text, pos, end)
        if m is None:
            return None
        stop = m.end()
        while stop > pos + 1 and text[stop - 1] in self._trail and not text[pos:stop].endswith(("://", ":///")):
            stop -= 1
        return Token("electronic", pos, stop, text[pos:stop])


class TelephonePlugin:
    """Phone numbers (NANP, Russian, SSN-like) and IPv4 addresses."""

    name, starts = "telephone", "ds"
    _patterns = [
        re.compile(r"(?P<plus>\+[0-9]{1,3}[ -]?|1-)?(?:\((?P<a>[0-9]{3})\)[ -]?|(?P<a2>[0-9]{3})[-.])"
                   r"(?P<b>[0-9]{3})[-.](?P<c>[0-9]{4})(?:-(?P<d>[0-9]{1,4}))?(?![0-9])"),
        re.compile(r"(?P<plus>\+[0-9]{1,3}[ -]?|8[ -]?)\(?(?P<a>[0-9]{3})\)?[ -]?(?P<b>[0-9]{3})[ -]"
                   r"(?P<c>[0-9]{2})[ -](?P<d>[0-9]{2})(?![0-9])"),
        re.compile(r"(?P<plus>8)-(?P<a>[0-9]{3})-(?P<b>[0-9]{3})-(?P<c>[0-9]{2})-(?P<d>[0-9]{2})(?![0-9])"),
        re.compile(r"(?P<a>[0-9]{3})-(?P<b>[0-9]{2})-(?P<c>[0-9]{4})(?![0-9-])"),
        re.compile(r"(?P<a>[0-9]{3})-(?P<b>[0-9]{2})-(?P<c>[0-9]{2})(?![0-9-])"),  # a local Russian "123-45-67"
        # Russian numbers without the country code: "(495) 123-45-67", "495-123-45-67"
        re.compile(r"(?:\((?P<a>[0-9]{3,5})\)\s?|(?P<a2>[0-9]{3})-)(?P<b>[0-9]{1,3})-(?P<c>[0-9]{2})-(?P<d>[0-9]{2})(?![0-9-])"),
        re.compile(r"(?P<plus>\+7)(?P<a>[0-9]{3})(?P<b>[0-9]{3})(?P<c>[0-9]{2})(?P<d>[0-9]{2})(?![0-9])"),  # +79991234567
        re.compile(r"(?P<plus>\+1) (?P<a>[0-9]{3}) (?P<b>[0-9]{3}) (?P<c>[0-9]{4})(?![0-9])"),  # +1 212 555 0100
    ]
    # UK numbers in their written groups: "+44 20 7946 0958", "020 7946 0958", "07700 900123" (ten digits after
    # the 44 or the leading 0)
    _uk = re.compile(r"(?P<plus>\+44 ?(?:\(0\) ?)?)?(?P<a>(?(plus)|0)[1-9][0-9]{1,4})(?P<rest>(?: [0-9]{3,4}){1,2}|"
                     r" [0-9]{6})(?![0-9])")
    _ip = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9.])")
    # any other international number written in groups: "+33 1 23 45 67 89", "+49 30 123456"
    _intl = re.compile(r"(?P<cc>\+[1-9][0-9]{0,2}) (?P<rest>[0-9]{1,5}(?:[ -][0-9]{1,8}){1,5})(?![0-9])")
    # six digits in pairs are a phone number only after a word that says so
    _local = re.compile(r"[0-9]{1,2}-[0-9]{2}-[0-9]{2}(?![0-9-])")  # "2-15-40" too
    _ru_mobile = re.compile(r"8([0-9]{3})([0-9]{3})([0-9]{2})([0-9]{2})(?![0-9])")
    _ru_spaced = re.compile(r"8 (?P<a>[0-9]{3}) (?P<rest>[0-9]{2,4}(?:[ -][0-9]{2,4}){1,3})(?![0-9])")  # 8 800 2000 122
    _dialled = re.compile(r"(?i:тел\.?|телефон\w*|номер\w*|звоните|позвоните|моб\.?|факс|phone|call|tel\.?)\s?:?\s$")
    _us_local = re.compile(r"(?P<b>[2-9][0-9]{2})-(?P<c>[0-9]{4})(?![0-9-])")  # a seven-digit local number
    _vanity = re.compile(r"(?:1-)?8[0-9]{2}-[A-Z0-9]*[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*(?![\w-])")  # 1-800-GO-U-HAUL

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        end = _end(text, pos)
        v = self._vanity.match(text, pos, end) if lang == "en" else None
        if v:
            return Token("telephone", pos, v.end(), v.group(), {"vanity": re.findall(r"[0-9]+|[A-Z]+", v.group())})
        m = self._ip.match(text, pos, end)
        if m:
            return Token("telephone", pos, m.end(), m.group(), {"ip": m.group().split(".")})
        m = self._local.match(text, pos, end)
        if m and self._dialled.search(text, max(0, pos - 24), pos):  # "тел. 22-33-44"
            return Token("telephone", pos, m.end(), m.group(), {"plus": "", "groups": m.group().split("-")})
        m = self._ru_mobile.match(text, pos, end)
        if m and self._dialled.search(text, max(0, pos - 24), pos):  # "Номер: 89161234567"
            return Token("telephone", pos, m.end(), m.group(), {"plus": "8", "groups": list(m.groups())})
        m = self._ru_spaced.match(text, pos, end) if lang == "ru" else None
        if m and len(re.sub(r"[^0-9]", "", m.group())) == 11:
            return Token("telephone", pos, m.end(), m.group(), {"plus": "8", "groups": [m["a"], *re.split(r"[ -]", m["rest"])]})
        m = self._uk.match(text, pos, end)
        if m and len(m["a"] + m["rest"].replace(" ", "")) == (10 if m["plus"] else 11) and (m["plus"] or lang == "en"):
            return Token("telephone", pos, m.end(), m.group(), {"plus": "+44" if m["plus"] else "",
                                                                "groups": [m["a"], *m["rest"].split()]})
        m = self._intl.match(text, pos, end)
        if m and 8 <= len(re.sub(r"[^0-9]", "", m["rest"])) <= 14:  # E.164: at most 15 digits with the country code
            return Token("telephone", pos, m.end(), m.group(), {"plus": m["cc"], "groups": re.split(r"[ -]", m["rest"])})
        m = self._us_local.match(text, pos, end) if lang == "en" else None
        if m and (m["c"].startswith("0") or self._dialled.search(text, max(0, pos - 24), pos)):
            return Token("telephone", pos, m.end(), m.group(), {"plus": "", "groups": [m["b"], m["c"]]})  # 555-0100
        for p in self._patterns:
            m = p.match(text, pos, end)
            if m:
                g = m.groupdict()
                plus = (g.get("plus") or "").strip(" -")
                groups = [x for x in (g.get("a") or g.get("a2"), g["b"], g["c"], g.get("d")) if x]
                return Token("telephone", pos, m.end(), m.group(), {"plus": plus, "groups": groups})
        return None


_AMPM = r"(?P<ap>[aApP]\.?\s?[mM]\b\.?)"
_ZONE = r"(?:\s?(?P<tz>(?:[eEcCmMpP]\.?[sSdD]\.?[tT]\b\.?)|GMT|UTC|MSK|МСК))?"


class TimePlugin:
    """Clock times: ``13:05``, ``1:59 p.m. EST``, ``5pm``, ``10:00:00``."""

    name, starts = "time", "d"
    _colon = re.compile(r"(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?![0-9])(?:\s?" + _AMPM + ")?"
                        + _ZONE)
    _ampm = re.compile(r"(?P<h>[0-9]{1,2})(?:[.:](?P<m>[0-9]{2}))?\s?" + _AMPM + _ZONE)
    # Russian "10.00", "в 19.30", "9.00–18.00": a dotted time where the minutes are no month and a preposition, a colon
    # or a dash before it (or a dotted time after it) says so
    _ru_dot = re.compile(r"(?P<h>[01]?[0-9]|2[0-3])\.(?P<m>00|1[3-9]|[2-5][0-9])(?![0-9]|[.,][0-9])")
    _ru_dot_before = re.compile(r"(?:^|[\s(])(?:в|во|с|со|до|к|ко|после|около|от|по|начало|начала)\s$|[—–:-]\s?$", re.I)
    _ru_dot_after = re.compile(r"\s?[—–-]\s?[0-9]{1,2}\.[0-5][0-9](?![0-9])")

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        end = _end(text, pos)
        m = self._colon.match(text, pos, end) or self._ampm.match(text, pos, end)
        if not m and lang == "ru":
            m = self._ru_dot.match(text, pos, end)
            word = _NEXT_WORD.match(text, m.end(), end) if m else None
            if m and (not (self._ru_dot_before.search(text, max(0, pos - 12), pos)
                           or self._ru_dot_after.match(text, m.end(), end))
                      or word and word[1] not in ("утра", "дня", "вечера", "ночи") and is_genitive_noun(word[1])):
                m = None  # (not "в 1.50 раза")
        if not m:
            return None
        g = {"ap": None, "tz": None, **m.groupdict()}
        h, mi, s = int(g["h"]), int(g["m"] or 0), int(g.get("s") or 0)
        if h > 24 or mi > 59 or s > 59 or (g["ap"] and not 0 < h <= 12):
            return None
        stop = m.end()
        if g["ap"] and text[stop - 1] == "." and not g["tz"] and (
                "." not in g["ap"][:-1] or re.match(r"[.?!]| +[A-ZА-ЯЁ]", text[stop:stop + 3])):
            stop -= 1  # "5 pm." ends a sentence; "a.m." keeps its last dot before punctuation or a new sentence
        ap = (g["ap"] or "").replace(".", "").replace(" ", "").upper()
        tz = (g["tz"] or "").replace(".", "").upper()
        return Token("time", pos, stop, text[pos:stop], {"h": h, "m": mi, "s": s, "has_s": g.get("s") is not None,
                                                         "ap": ap, "tz": tz})


_EN_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december"]
EN_MONTH_BY_NAME = {m: i for i, m in enumerate(_EN_MONTHS, 1)}
EN_MONTH_BY_NAME.update({m[:3]: i for i, m in enumerate(_EN_MONTHS, 1)})
EN_MONTH_BY_NAME["sept"] = 9
_EN_MON = r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))"
_EN_MON_CAP = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
_RU_MON = r"(?P<mon>(?i:" + "|".join(sorted(MONTH_BY_NAME, key=len, reverse=True)) + r"))"  # "8 Марта" too


class DatePlugin:
    """Dates: numeric (``01.10.2010``, ``2016-11-03``, ``10/06/2005``), with month names in both
    languages (``Jan 5, 2024``, ``25th of July``, ``1 мая 2024 г.``) and decades (``1980s``, ``'80s``)."""

    name, starts = "date", "ads'"
    _iso = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9])")
    _num = re.compile(r"(?P<a>[0-9]{1,2})(?P<sep>[-/.])(?P<b>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{4}|[0-9]{2})"
                      r"(?![0-9])(?:\s?(?P<g>г\.|года|году|г(?!\w)))?")
    _ru_mixed = re.compile(r"(?P<d>[0-9]{1,2})-" + _RU_MON + r"-(?P<y>[0-9]{4}|[0-9]{2})(?![0-9])")
    _en_md = re.compile(_EN_MON + r"(?:\.|(?![a-z]))[\s-]?(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?(?![0-9])"
                        r"(?:(?P<comma>,)?[\s-](?P<y>[0-9]{4})(?![0-9]))?", re.I)
    _en_dm = re.compile(r"(?:the\s)?(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?\s(?:of\s)?" + _EN_MON +
                        r"(?:\.|(?![a-z]))(?:(?P<comma>,)?\s(?P<y>[0-9]{4})(?![0-9]))?", re.I)
    _ru_dm = re.compile(r"(?P<d>[0-9]{1,2})\s" + _RU_MON + r"(?:\.|(?!\w))"
                        r"(?:\s(?P<y>[0-9]{1,4})(?![0-9])(?:\s?(?P<g>г\.|года|году|г(?!\w)))?)?")
    _decade = re.compile(r"(?P<apo>')?(?P<y>[0-9]{0,2}[0-9]0)\s?s(?!\w)|'(?P<yy>[0-9]{2})(?![\w'])")  # '80s, '99
    # Russian day.month without a year ("3.05 в 9:30"): a date only where the context says so (see _dm_context)
    _ru_dm_num = re.compile(r"(?P<d>[0-9]{1,2})\.(?P<m>0[1-9]|1[0-2])(?![0-9]|[.,][0-9])")
    _dm_time_after = re.compile(r"\s?(?:в\s|с\s)?[0-9]{1,2}:[0-9]{2}")
    _dm_end_after = re.compile(r"\s?(?:[.,;:!?)]|[—–-]\s|$)|\s(?:по|до|и|или)\s[0-9]{1,2}\.[01][0-9]")
    _dm_range_before = re.compile(r"(?:^|[\s(])(?:с|со|от)\s[0-3]?[0-9]\.[01][0-9]\s?(?:по|до|[—–-])\s?$", re.I)
    _dm_range_after = re.compile(r"\s?[—–-]\s?[0-3][0-9]\.[01][0-9](?![0-9]|[.,][0-9])")  # "28.12–08.01"
    _dm_before = re.compile(r"(?:^|[\s(])(?:с|со|до|к|ко|по|на|от|после|перед|между|и)\s$|^\s*$|\n\s*$|[—–:]\s?$", re.I)
    _weekday = r"(?:пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|среду|четверг|пятница|пятницу|суббота|субботу|воскресенье)"
    _dm_product_before = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z0-9+#]*\s(?:до|с|со|на|от|и|или|по)\s$")
    _dm_weekday_after = re.compile(r",?\s\(?" + _weekday + r"(?!\w)", re.I)
    _dm_weekday_before = re.compile(r"(?<!\w)" + _weekday + r"\.?,?\s$", re.I)
    _en_days = re.compile(r"(?P<a>Mon|Tue|Tues|Wed|Thu|Thurs|Fri|Sat|Sun)\.?(?:\s?[-–—]\s?|\s(?P<and>&|and)\s)"
                          r"(?P<b>Mon|Tue|Tues|Wed|Thu|Thurs|Fri|Sat|Sun)(?P<dot>\.)?(?!\w)")
    _en_my = re.compile(_EN_MON + r"\.?\s(?P<y>[0-9]{4})(?![0-9])")
    _en_months = re.compile(r"(?P<a>" + _EN_MON_CAP + r")\.?\s?[-–—]\s?(?P<b>" + _EN_MON_CAP + r")"
                            r"(?:\.?\s(?P<y>[0-9]{4})(?![0-9])|(?![\w]))")  # "Jan–Mar 2025": january to march
    _quarter = re.compile(r"(?:(?P<q>[1-4])Q|Q(?P<q2>[1-4])(?: |'|))(?P<y>[0-9]{4}|[0-9]{2})(?![\w])")
    # English month/day without a year ("on 12/25"): a date only after a word that introduces one
    _en_md_num = re.compile(r"(?P<m>1[0-2]|0?[1-9])/(?P<d>[0-3]?[0-9])(?![0-9/]|\.[0-9])")
    _en_md_before = re.compile(r"(?<![\w])(?:on|by|until|till|before|after|since|from|through|due|starting|"
                               r"(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?)\s$", re.I)

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        end = _end(text, pos)
        best: Token | None = None
        ch = text[pos]
        cands = []
        if ch.isdigit():
            cands = [self._iso, self._num, self._ru_dm, self._ru_mixed, self._en_dm, self._decade, self._quarter]
            if lang == "ru":
                cands.append(self._ru_dm_num)
            elif self._en_md_before.search(text, max(0, pos - 12), pos):
                cands.append(self._en_md_num)
        elif ch.isalpha():
            cands = [self._en_md, self._en_dm, self._quarter]
            if lang == "en":
                cands += [self._en_days, self._en_my, self._en_months]
        elif ch == "'":
            cands = [self._decade]
        for rx in cands:
            m = rx.match(text, pos, end)
            if m and (best is None or m.end() > best.end):
                tok = self._token(rx, m, text, pos, lang)
                if tok:
                    best = tok
        return best

    def _token(self, rx: re.Pattern[str], m: re.Match[str], text: str, pos: int, lang: str) -> Token | None:
        g = m.groupdict()
        f: dict[str, object] = {}
        if rx is self._quarter:  # fiscal quarter "2Q22", "Q3 2024"
            if lang != "en" and len(g["y"]) != 4:
                return None
            return Token("date", pos, m.end(), m.group(), {"quarter": int(g["q"] or g["q2"]), "y": g["y"]})
        if rx is self._en_days:
            stop = m.end() - (1 if g["dot"] and re.match(r"\s*$|\s+[A-Z]", text[m.end():m.end() + 2]) else 0)
            return Token("date", pos, stop, text[pos:stop], {"days": (g["a"], g["b"]), "and": bool(g["and"])})
        if rx is self._en_months:
            months = (EN_MONTH_BY_NAME[g["a"].lower()[:3]], EN_MONTH_BY_NAME[g["b"].lower()[:3]])
            return Token("date", pos, m.end(), m.group(), {"months": months, "y": g["y"] or ""})
        if rx is self._en_my:
            if g["mon"][0].islower() or g["mon"].lower() == "may":
                return None
            return Token("date", pos, m.end(), m.group(), {"m": EN_MONTH_BY_NAME[g["mon"].lower()], "y": g["y"],
                                                           "month_year": True})
        if rx is self._ru_dm_num:
            before = text[max(0, pos - 16):pos]
            after = text[m.end():m.end() + 12]
            weekday = self._dm_weekday_after.match(after) or self._dm_weekday_before.search(before)
            word = _NEXT_WORD.match(after)
            free = self._dm_end_after.match(after) or (word and not is_noun(word[1]))  # "на 12.07 уже"
            # a zero-padded month ("12.06") is a date wherever no noun follows; "3.05" needs a preposition before
            if self._dm_product_before.search(before):
                return None  # "Python до 3.12": a version after a product name
            if not (self._dm_time_after.match(after) or weekday or self._dm_range_before.search(text, max(0, pos - 24), pos) or (
                    len(g["d"]) == 2 and self._dm_range_after.match(after)) or free and (
                    self._dm_before.search(before) or g["m"].startswith("0") and pos and text[pos - 1] == " ")):
                return None
            f = {"d": int(g["d"]), "m": int(g["m"]), "y": ""}
            return Token("date", pos, m.end(), m.group(), f) if 1 <= int(g["d"]) <= 31 else None
        if rx is self._decade:
            if lang == "en" and g["yy"] and not (pos and text[pos - 1].isalnum()):
                return Token("date", pos, m.end(), m.group(), {"short_year": g["yy"]})  # "in '99"
            if lang != "en" or not g["y"] or len(g["y"]) in (1, 3) or (len(g["y"]) == 2 and " " in m.group()):
                return None
            return Token("date", pos, m.end(), m.group(), {"decade": g["y"], "short": len(g["y"]) < 4})
        if rx is self._iso:
            f = {"d": int(g["d"]), "m": int(g["m"]), "y": g["y"], "numeric": True}
        elif rx is self._en_md_num:
            f = {"d": int(g["d"]), "m": int(g["m"]), "y": ""}
        elif rx is self._num:
            a, b = int(g["a"]), int(g["b"])
            month_first = lang == "en" and a <= 12
            f = {"d": b if month_first else a, "m": a if month_first else b, "y": g["y"], "g": g["g"] or "",
                 "dm": lang == "en" and not month_first, "numeric": True}
        elif rx is self._ru_mixed:
            f = {"d": int(g["d"]), "m": MONTH_BY_NAME[g["mon"].lower()], "y": g["y"]}
        elif rx is self._ru_dm:
            f = {"d": int(g["d"]), "m": MONTH_BY_NAME[g["mon"].lower()], "y": g["y"] or "", "g": g["g"] or "",
                 "words": True}
        else:
            mon = EN_MONTH_BY_NAME.get(g["mon"].lower())
            if mon is None:
                return None
            if rx is self._en_md and not text[pos].isupper() and g["mon"].lower() in ("may", "mar") \
                    and lang != "en":
                return None
            f = {"d": int(g["d"]), "m": mon, "y": g["y"] or "", "dm": rx is self._en_dm,
                 "comma": bool(g.get("comma"))}
        if not (1 <= int(f["m"]) <= 12 and 1 <= int(f["d"]) <= 31):  # type: ignore[call-overload]
            return None
        return Token("date", pos, m.end(), m.group(), f)


_EN_QUANT = r"(?:\s?(?P<q>thousand|million|billion|trillion|(?:K|M|B|T|b|k|bn|mln|mn|tn)(?![\w])))?"
_EN_QUANT_WORD = r"(?:\s(?P<q>thousand|million|billion|trillion)(?![\w]))?"
_RU_QUANT = r"(?:\s?(?P<q>тыс\.?|млн\.?|млрд\.?|трлн\.?)(?!\w))?"
_CUR_SYM = r"(?P<sym>US\$|[$€£₽¥₩₹])"
_RU_CUR = r"(?P<cur>руб\.|руб(?!\w)|р\.|р(?![\w./-])|долл\.(?:\s?США)?|USD|EUR|RUB|евро|[$€£₽¥])"
_EN_CODE = "|".join(CURRENCY_CODES)
_EN_CUR = r"(?P<cur>" + _EN_CODE + r"|dollars?|yuan|euros?|rubles?|руб\.|руб(?!\w)|рубл(?:ей|я|ь)(?!\w))"
_PER = r"(?:\s?/\s?(?P<per>mo|yr|wk|d|hr|h|day|month|year|week|hour))?(?![\w])"
_RU_PER = (r"(?:\s?/\s?(?P<per>" + "|".join(re.escape(k) for k in sorted(RU_MONEY_PER, key=len, reverse=True))
           + r")(?:(?<=\.)|(?!\w)))?")  # "199 ₽/мес.": в месяц


_LETTER_QUANT_RU = {"K": "тыс.", "k": "тыс.", "M": "млн", "B": "млрд", "bn": "млрд"}  # "$1.5M" in Russian text


class MoneyPlugin:
    """Amounts of money: ``$1.5M``, ``£1.20``, ``€5``, ``31 руб.``, ``6 руб. 35 коп.``, ``2,5 тыс руб.``."""

    name, starts = "money", "dsa"
    _pre_en = re.compile(r"(?:" + _CUR_SYM + r"|(?P<code>" + _EN_CODE + r")(?=\s?[0-9]))\s?(?P<num>" + EN_NUM + ")"
                         + _EN_QUANT + _PER)  # "$5", "USD 50": fifty US dollars
    _pre_ru = re.compile(_CUR_SYM + r"\s?(?P<num>" + RU_NUM + r")(?:\s?(?P<q>тыс\.?|млн\.?|млрд\.?|трлн\.?)(?!\w)"
                         r"|(?P<qs>[Kk]|M|B|bn)(?!\w))?(?!\w)" + _RU_PER)
    _post_en = re.compile(r"(?P<num>[0-9]{1,3}(?:[ \u202f][0-9]{3})+(?![0-9])(?=\s?руб)|" + EN_NUM + ")" + _EN_QUANT_WORD
                          + r"\s?" + _EN_CUR + r"(?:(?<=\.)|(?![\w]))"
                          r"|(?P<num2>[0-9]{1,3}(?:[ \u202f][0-9]{3})+(?![0-9])|" + EN_NUM + r")\s?(?P<sym>[$₽€£¥₩₹])"
                          r"|(?P<cents>[0-9]{1,2})\s?¢|(?P<pence>[0-9]{1,2})p(?![\w])")  # "99¢", "50p"
    _post_ru = re.compile(r"(?P<num>" + RU_NUM + ")" + _RU_QUANT + r"\s?" + _RU_CUR +
                          r"(?:\s(?P<minor>[0-9]{1,2})\s?(?:коп(?:\.|(?!\w))|к\.))?" + _RU_PER)  # "42 р. 50 к."

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        end = _end(text, pos)
        if text[pos].isdigit():
            rxs = (self._post_ru,) if lang == "ru" else (self._post_en,)
        else:
            rxs = (self._pre_ru,) if lang == "ru" else (self._pre_en,)
        for rx in rxs:
            m = rx.match(text, pos, end)
            if m:
                g = m.groupdict()
                sym = g.get("sym") or g.get("cur") or g.get("code") or ""
                cur = CURRENCY_SYMBOLS.get(sym) or CURRENCY_WORDS.get(sym) or \
                    ("USD" if sym.startswith(("US", "долл")) else CURRENCY_WORDS.get(sym.lower(), "USD"))
                num = (g["num"] or g.get("num2") or "").replace(" ", "")
                en_style = rx is self._pre_ru and re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?", num)
                f = split_number(num.replace(",", "") if en_style else num, lang)  # "$1,299" in Russian text
                if g.get("cents") or g.get("pence"):  # "99¢": the dollar's cents, "50p": pence
                    f = {"int": "0", "frac": (g.get("cents") or g["pence"]).zfill(2), "sep": "."}
                    cur = "GBP" if g.get("pence") else cur
                f.update({"cur": cur, "q": g.get("q") or _LETTER_QUANT_RU.get(g.get("qs") or "", ""),
                          "per": g.get("per") or "",
                          "minor": g.get("minor") or "", "us": sym == "US$" or (sym == "USD" and lang != "ru")})  # "20 USD": us dollars
                return Token("money", pos, m.end(), m.group(), f)
        return None


def _unit_alternation(units: dict[str, object]) -> str:
    return "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))


_STREET_AFTER = re.compile(r"\.?\s+(?:[0-9]+(?:st|nd|rd|th)|[A-Z][a-z]+\s+(?:St|Ave|Rd|Blvd|Dr|Ln|Way|Street|Avenue|"
                           r"Road|Boulevard|Drive|Lane)\b)")
_ERA = re.compile(r"\s?(?:до\s?)?н\.\s?э\.")
_NEXT_WORD = re.compile(r"\s([а-яё]+)")
_YEAR_PREP = re.compile(r"(?:^|[\s(])(?:в|во|с|со|до|к|ко|по|от|после|около|между|и|на)\s$", re.I)
_SECTION_BEFORE = re.compile(r"(?:^|[\s(])(?:п|пп|ст|ч|гл|подп)\.\s?$", re.I)
_WEIGHT_CUE = re.compile(r"(?:^|\s)(?:вес|весом|масса|массой|нетто|брутто)[\s:]*$", re.I)


def _grams(text: str, pos: int, stop: int, num: str) -> bool:
    """Whether ``г.`` after the number at ``pos`` (the dot ends at ``stop``) is grams rather than год: a genitive
    noun after it (``250 г. сахара``) or a weight word before (``вес нетто 1500 г.``) says grams, an era after it
    (``250 г. до н. э.``) says год, otherwise a year-like number (four digits from 1000 to 2100, or three or four
    after a preposition such as ``в``/``с``/``к``) is a year."""
    if _ERA.match(text, stop):
        return False
    nxt = _NEXT_WORD.match(text, stop)
    before = text[max(0, pos - 24):pos]
    if (nxt and is_genitive_noun(nxt[1])) or _WEIGHT_CUE.search(before):
        return True
    if not num.isdigit():
        return True
    return not ((len(num) == 4 and 1000 <= int(num) <= 2100) or (len(num) >= 3 and _YEAR_PREP.search(before)))


class MeasurePlugin:
    """A number (or number range) followed by a unit: ``12kg``, ``3 км/ч``, ``2-5lb``, ``4 1/2 lbs``."""

    name, starts = "measure", "ds"
    _en = re.compile(r"(?P<sign>-)?(?:(?P<lo>" + EN_NUM + r")\s?-\s?)?(?P<num>(?:[0-9]+\s)?[0-9]+/[0-9]+|" + EN_NUM + ")"
                     + _EN_QUANT_WORD + r"\s?(?P<unit>" + _unit_alternation(EN_UNITS) + r")"
                     r"(?:/(?P<per>" + _unit_alternation(EN_UNITS) + r"|[a-zA-Z](?![\w/])))?", re.I)
    _en_per = re.compile(r"(?P<num>" + EN_NUM + r")/(?P<per>" + _unit_alternation(EN_UNITS) + ")")
    _en_inch = re.compile(r"(?P<num>" + EN_NUM + r')(?:"(?![\w"])|\s?in\.?(?=\s(?:wide|tall|long|high|deep|thick|'
                          r'across|diagonal|screen|display|TV|monitor)\b))')  # 12", 55 in wide
    _ru_inch = re.compile(r"(?P<num>" + RU_NUM + r')"(?![\w"])')  # 15,6"
    _en_feet_inches = re.compile(r"(?P<ft>[0-9]{1,2})(?:['′](?P<inch>[0-9]{1,2}(?:\.[0-9])?)(?:\u0022|″|'')(?![\w\u0022])"
                                 r"|\s?ft\.?\s(?P<inch2>[0-9]{1,2}(?:\.[0-9])?)\s?in\b\.?)")  # 6'2", 6 ft 2 in
    _en_dims = re.compile(r"(?P<dims>(?:" + EN_NUM + r")(?:\s?[x×]\s?(?:" + EN_NUM + r")){1,2})\s?(?P<unit>"
                          + _unit_alternation(EN_UNITS) + r")(?![\w])")
    _ru = re.compile(r"(?P<sign>-)?(?:(?P<lo>" + RU_NUM + r")\s?[-–]\s?)?(?P<num>(?:[0-9]+\s)?[0-9]+/[0-9]+|" + RU_NUM
                     + ")" + _RU_QUANT
                     + r"\s?(?P<unit>" + _unit_alternation(RU_UNITS) + r")(?:/(?P<pern>[0-9]{1,4}\s?)?(?P<per>"
                     + _unit_alternation(RU_UNITS) + "))?")  # "7,5 л/100 км": на сто километров
    _ru_dims = re.compile(r"(?P<dims>(?:" + RU_NUM + r")(?:\s?[xх×]\s?(?:" + RU_NUM + r")){1,2})\s?(?P<unit>"
                          + _unit_alternation(RU_UNITS) + r")(?!\w)")
    _ru_per = re.compile(r"(?P<num>" + RU_NUM + r")/(?P<per>" + _unit_alternation(RU_UNITS) + ")")

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        if text[pos] == "-" and not _signed(text, pos):
            return None
        end = _end(text, pos)
        units = RU_UNITS if lang == "ru" else EN_UNITS
        if lang == "en":
            fi = self._en_feet_inches.match(text, pos, end)
            if fi:  # 6'2": six feet two inches
                f = split_number(fi["ft"], lang)
                f.update({"unit": "ft", "per": "", "q": "", "lo": "", "sign": "", "inches": fi["inch"] or fi["inch2"]})
                return Token("measure", pos, fi.end(), fi.group(), f)
        q = self._en_inch.match(text, pos, end) if lang == "en" else \
            self._ru_inch.match(text, pos, end) if text.find('"', pos, end) > 0 else None
        line = text[text.rfind("\n", max(0, pos - WINDOW), pos) + 1:pos]
        if q and len(re.findall(r'(?<![0-9])"', line)) % 2 == 0:
            f = split_number(q["num"], lang)  # 12" is inches unless the quote closes an open one
            f.update({"unit": "″", "per": "", "q": "", "lo": "", "sign": ""})
            return Token("measure", pos, q.end(), q.group(), f)
        d = (self._en_dims if lang == "en" else self._ru_dims).match(text, pos, end)
        if d and self._key(d["unit"], units, lang):  # "25 x 7 m": twenty five by seven meters; "3×4 м"
            dims = [split_number(x, lang) for x in re.split(r"\s?[xх×]\s?", d["dims"])]
            return Token("measure", pos, d.end(), d.group(), {"dims": dims, "unit": self._key(d["unit"], units, lang)})
        for rx in (self._ru, self._ru_per) if lang == "ru" else (self._en, self._en_per):
            m = rx.match(text, pos, end)
            if not m:
                continue
            g = m.groupdict()
            unit, per = g.get("unit"), g.get("per")
            unit_key = self._key(unit, units, lang) if unit else ""
            per_key = self._key(per, units, lang) if per else ""
            if lang == "en" and unit_key == "s" and text[m.start("unit") - 1] != " ":
                continue  # seconds as "s" only spaced after the number ("4.2 s"), not "4s"
            if lang == "en" and per_key == "s":
                per_key = ""  # "3 cc/s": per S, a letter
            if per and not per_key and lang == "en" and len(per) == 1:
                per_key = "letter:" + per.upper()  # "3 cc/s": per S
            stop = m.end()
            if (unit and not unit_key) or (per and not per_key):
                continue
            if lang == "en" and unit_key == "W" and _STREET_AFTER.match(text, stop):
                continue  # "350 W 34th St.": West, an address (normalize.address_en)
            if lang == "ru" and unit == "ч" and _SECTION_BEFORE.search(text, max(0, pos - 8), pos) \
                    and re.match(r"\.\s?[0-9]", text[stop:stop + 3]):
                continue  # "п. 1 ч. 2 ст. 3": часть, not hours
            if lang == "ru" and unit == "с" and re.match(r"\s+\w", text[stop:stop + 2]):
                continue  # "Windows 11 с сайта", "iPhone 15 с 256 ГБ": the preposition, not seconds
            if lang == "ru" and unit in ("г", "гг") and text.startswith(".", stop):
                if unit == "гг" or g.get("per") or not _grams(text, pos, stop + 1, g["num"]):
                    continue  # "в 1995 г.": the year, read by the agreement stage
                stop += 1  # "250 г. сахара": grams, the dot is the abbreviation's
            last = per or unit or ""
            if not last.endswith(".") and not _boundary(text, stop) and last[-1].isalnum():
                continue
            if last.isalpha() and re.match(r"\.\s+[a-zа-яё0-9]", text[stop:stop + 3]):
                stop += 1  # "5 ft. tall", "10 ч. 30 мин.": the unit's own dot, not a full stop
            num = g["num"]
            f: dict[str, object] = {"unit": unit_key, "per": per_key, "q": g.get("q") or "", "lo": g.get("lo") or "",
                                    "sign": g.get("sign") or "", "per_n": (g.get("pern") or "").strip()}
            if "/" in num:
                whole, _, frac = num.rpartition(" ")
                n, d = (frac or num).split("/")
                f.update({"int": whole.strip(), "fnum": n, "fden": d, "frac": "", "sep": ""})
            else:
                f.update(split_number(num, lang))
            return Token("measure", pos, stop, text[pos:stop], f)
        return None

    @staticmethod
    def _key(unit: str, units: dict[str, object], lang: str) -> str:
        if unit in units:
            return unit
        if lang == "en" and unit.lower() in units and unit.lower() not in EN_CASE_SENSITIVE:
            return unit.lower()
        return ""


class FractionPlugin:
    """Fractions ``3/4``, mixed numbers ``2 1/2`` and vulgar fraction characters ``½``."""

    name, starts = "fraction", "ds"
    _re = re.compile(r"(?:(?P<whole>[0-9]+)\s)?(?P<num>[0-9]+)\s?/\s?(?P<den>[0-9]+)(?![0-9/])"
                     r"(?:(?i:st|nd|rd|th)(?![\w]))?")
    _vulgar = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅛": (1, 8)}

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        ch = text[pos]
        if ch in self._vulgar:
            n, d = self._vulgar[ch]
            return Token("fraction", pos, pos + 1, ch, {"whole": "", "num": str(n), "den": str(d)})
        m = self._re.match(text, pos, _end(text, pos))
        if not m or len(m["num"]) > 15 or len(m["den"]) > 15:
            return None
        # two multi-digit numbers falling across the slash are a pair, not a fraction: "120/80" (a pressure), unless
        # they are a year and the next ("2024/25", a season)
        a, b = int(m["num"]), int(m["den"])
        years = not m["whole"] and len(m["num"]) == 4 and len(m["den"]) in (2, 4) and b % 100 == (a + 1) % 100
        ratio = not m["whole"] and not years and len(m["den"]) >= 2 and a >= b and m.group()[-1].isdigit()
        return Token("fraction", pos, m.end(), m.group(), {"whole": m["whole"] or "", "num": m["num"],
                                                           "den": m["den"], "ratio": ratio, "years": years})


class DecimalPlugin:
    """Signed decimals (``-0.1``, ``3,14``) and numbers with a scale word (``100 million``, ``1,23 млрд``)."""

    name, starts = "decimal", "dsa"
    _en = re.compile(r"-?(?P<num>" + EN_NUM + r")(?:\s(?P<q>thousand|million|billion|trillion)(?![\w])"
                     r"|(?P<qs>M|B|bn|mn|tn)(?![\w]))?")
    _ru = re.compile(r"-?(?P<num>" + RU_NUM + ")" + _RU_QUANT + r"(?!\w)")
    _version = re.compile(r"(?P<v>[vV])?[0-9]+(?:\.[0-9]+){2,3}(?![0-9]|\.[0-9])|[vV][0-9]+\.[0-9]+(?![0-9]|\.[0-9])")

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        if (text[pos] == "-" and not _signed(text, pos)) or (text[pos] == "." and pos and text[pos - 1] == "."):
            return None
        v = self._version.match(text, pos, _end(text, pos))
        if v and not (pos and text[pos - 1].isalnum()):
            return Token("decimal", pos, v.end(), v.group(), {"version": True, "int": "", "frac": "",
                                                              "v": v.group()[0] in "vV"})
        if text[pos].isalpha():
            return None
        m = (self._ru if lang == "ru" else self._en).match(text, pos, _end(text, pos))
        if not m:
            return None
        f = split_number(m["num"], lang)
        if m.groupdict().get("qs"):
            if not f["frac"]:
                return None  # "1.2M units": one point two million (but "3M" is a name)
            m_q = m["qs"]
        else:
            m_q = m["q"]
        if not f["frac"] and not m_q:
            return None
        if len(f["frac"]) > 12 or len(f["int"]) > 30:
            return None
        f.update({"sign": "-" if text[pos] == "-" else "", "q": m_q or ""})
        return Token("decimal", pos, m.end(), m.group(), f)


_EN_ORD = re.compile(r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?P<suf>st|nd|rd|th)(?![\w])", re.I)
_RU_ORD_SUFFIXES = ["ый", "ий", "ой", "ая", "ья", "ое", "ье", "ые", "ьи", "ых", "ьих", "ыми", "ьими", "ым", "ьим", "ого", "ьего", "ему", "ому", "ую", "ью", "ей", "ом", "ем", "го", "му", "ми", "ти", "й", "я", "е", "х", "м", "ю", "и"]
_RU_ORD = re.compile(r"(?P<num>[0-9]+)-?(?P<suf>" + "|".join(sorted(_RU_ORD_SUFFIXES, key=len, reverse=True))
                     + r")(?!\w)")


def en_ordinal_suffix(n: int) -> str:
    if 11 <= n % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


class CompoundPlugin:
    """Russian compound words led by a numeral: ``3-комнатная``, ``50-летие``, ``4-ядерный``; ``4-х комнатная``,
    written apart, is one too where the joined word is a known one (четырёхкомнатная), else the ordinal plugin reads
    ``4-х``."""

    name, starts = "compound", "d"
    _re = re.compile(r"(?P<num>[0-9]{1,4}|1[,.]5)-(?P<x>х)?(?P<word>[а-яё]{4,})(?P<dot>\.)?(?![\w-])")  # "1,5-литровая"
    _abbreviated = {"комн": "комнатный", "этаж": "этажный", "местн": "местный"}  # "2-комн. кв.": the adjective agrees

    # second parts of everyday compounds ("двухэтажный", "трёхкомнатная", "четырёхъядерный")
    _second_parts = ("этажн", "комнатн", "летн", "местн", "дневн", "месячн", "недельн", "часов", "минутн", "разов",
                     "ядерн", "кратн", "литров", "тонн", "метров", "процентн", "дверн", "колёсн", "колесн", "спальн",
                     "уровнев", "серийн", "томн", "канальн", "камерн", "зонн", "ступенчат", "слойн", "полосн", "рядн",
                     "сменн", "звёздн", "звездн")
    _apart = re.compile(r"(?P<num>[0-9]{1,3})-х\s(?P<word>[а-яё]{4,})(?![\w-])")  # "2-х этажный"

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        if lang != "ru" or (pos and text[pos - 1].isalnum()):
            return None
        a = self._apart.match(text, pos, _end(text, pos))
        if a and int(a["num"]) % 10 in (2, 3, 4) and is_adjective(a["word"]) and (
                a["word"].startswith(self._second_parts) or is_known(combining_form(int(a["num"])) + a["word"])):
            return Token("compound", pos, a.end(), a.group(), {"int": a["num"], "word": a["word"], "abbreviated": False})
        m = self._re.match(text, pos, _end(text, pos))
        if not m or m["num"].startswith("0") or m["word"] in _RU_ORD_SUFFIXES:
            return None
        if m["x"] and (int(m["num"]) % 10 not in (2, 3, 4) or not is_adjective(m["word"])):
            return None  # "4-хкомнатная" is a compound, not "1990-хгодах"
        word, stop = m["word"], m.end()
        if m["dot"] and word in self._abbreviated:
            word = self._abbreviated[word]
        elif m["dot"]:
            stop -= 1
        return Token("compound", pos, stop, text[pos:stop], {"int": m["num"].replace(",", ".") if not m["num"].isdigit()
                                                             else m["num"], "word": word, "abbreviated": word != m["word"]})


class OrdinalPlugin:
    """Ordinals: ``1st``, ``23rd``, ``5-й``, ``8-го``, ``1990-е``, ``2-х``."""

    name, starts = "ordinal", "d"

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        end = _end(text, pos)
        m = _EN_ORD.match(text, pos, end)
        if m:  # an English suffix is read in English whatever the sentence ("в NYC, 5th Ave")
            n = int(m["num"].replace(",", ""))
            if en_ordinal_suffix(n) != m["suf"].lower() or (m["num"].startswith("0") and len(m["num"]) > 1):
                return None
            return Token("ordinal", pos, m.end(), m.group(), {"int": m["num"].replace(",", ""), "suf": ""},
                         lang="en")
        m = _RU_ORD.match(text, pos, end)
        if m and (lang == "ru" or "-" in m.group()):
            if "-" not in m.group() and len(m["suf"]) < 2:
                return None
            return Token("ordinal", pos, m.end(), m.group(), {"int": m["num"], "suf": m["suf"].lower()})
        return None


_ROMAN = re.compile(r"(?P<r>M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))(?![\w])")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}


def roman_value(s: str) -> int:
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=True):
        v = _ROMAN_VALUES[a]
        total += -v if b != " " and _ROMAN_VALUES[b] > v else v
    return total


class RomanPlugin:
    """Roman numerals in a context that makes them numbers (``XX век``, ``Chapter IV``, ``Пётр I``).

    Only the candidate is found here; the agreement stage decides cardinal vs ordinal and may demote an
    unconvincing candidate back to a word.
    """

    name, starts = "roman", "a"

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        if text[pos] not in "IVXLCDM" or (pos and text[pos - 1].isalnum()):
            return None
        m = _ROMAN.match(text, pos, _end(text, pos))
        if not m or not m["r"]:
            return None
        return Token("roman", pos, m.end(), m.group(), {"value": roman_value(m["r"])})


class WhitelistPlugin:
    """Abbreviations and fixed expansions from the built-in and user dictionaries."""

    name, starts = "abbreviation", "asd"

    _name_after = re.compile(r"\s?[A-ZА-ЯЁ][a-zа-яё]")

    def __init__(self, entries: dict[str, dict[str, str]]) -> None:
        self._by_first: dict[str, list[tuple[str, str, str]]] = {}
        self._initials: set[str] = set()  # one capital letter and a dot: an initial before a name ("С. Есенин")
        self._hyphenated: dict[str, str] = {}  # "ин" -> "институт"
        for lang, table in entries.items():
            for key, value in table.items():
                if key:
                    self._by_first.setdefault(key[0], []).append((key, value, lang))
                # a dotted abbreviation also opens a sentence capitalized ("Тел.", "Проф.", "Approx.")
                if lang in ("ru", "en") and (key.endswith(".") or lang == "ru" and "-" in key) and key[:1].islower() \
                        and key[0].upper() + key[1:] not in table:  # (and "Кол-во")
                    self._by_first.setdefault(key[0].upper(), []).append((key[0].upper() + key[1:], value, lang))
                    if len(key) == 2:
                        self._initials.add(key[0].upper() + ".")
                head, dash, tail = key.partition("-")
                if lang == "ru" and dash and head.isalpha() and tail.isalpha() and value.isalpha():
                    self._hyphenated.setdefault(head, value)  # "ин-т": институт, so "ин-та" is института
        for items in self._by_first.values():
            items.sort(key=lambda kv: -len(kv[0]))

    _tail = re.compile(r"-([а-яё]{1,4})(?![\w-])")

    def _inflected(self, text: str, pos: int) -> Token | None:
        """A hyphenated abbreviation written with another case ending (``в ин-те``: институте, ``кол-ва``): the
        form of its noun that ends so, singular first."""
        head = _WORD.match(text, pos)
        head_text = head.group().split("-", 1)[0] if head else ""
        if head_text.lower() not in self._hyphenated:
            return None
        m = self._tail.match(text, pos + len(head_text))
        if not m:
            return None
        try:
            forms = ru_noun(self._hyphenated[head_text.lower()]).forms
        except KeyError:
            return None
        form = next((f for f in forms if f.endswith(m[1])), None)
        return Token("abbreviation", pos, m.end(), text[pos:m.end()], {"value": form}) if form else None

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        for key, value, klang in self._by_first.get(text[pos], ()):
            # an English dotted abbreviation is one inside Russian text too ("See you on Mon., пн ...")
            # ... and a Cyrillic one inside English text ("My address is ул. Тверская")
            cross = key.endswith(".") and key[0].isalpha() and (klang == "en" and lang == "ru" and key[0].isascii() or
                                                                klang == "ru" and lang == "en" and not key[0].isascii())
            if (klang not in (lang, "any") and not cross) or not text.startswith(key, pos):
                continue
            stop = pos + len(key)
            if key in self._initials and self._name_after.match(text, stop):
                continue
            if key[-1].isalnum() and not _boundary(text, stop):
                continue
            if key[-1] == "." and stop < len(text) and text[stop].isalpha() and (
                    len(key) < 3 or key.isascii() or not text[stop].islower()):
                continue  # (a Cyrillic one of two letters or more may touch the next word: "См.рис.3", "т.к.нет")
            if key[0].isalnum() and pos and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
                continue
            return Token("abbreviation", pos, stop, key, {"value": value})
        return self._inflected(text, pos) if lang == "ru" and not (pos and text[pos - 1].isalnum()) else None


class LettersPlugin:
    """Dotted acronyms ``U.S.A.`` and all-capital letter sequences ``DNA``, ``НАТО``."""

    name, starts = "letters", "a"
    _dotted = re.compile(r"(?:[A-ZА-ЯЁ]\.\s?){2,6}(?![\w])")
    _caps = re.compile(r"[A-ZА-ЯЁ]{2,12}(?![\w])")

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        if not text[pos].isupper() or (pos and text[pos - 1].isalnum()):
            return None
        end = _end(text, pos)
        m = self._dotted.match(text, pos, end)
        if m:
            stop = m.end()
            if text[stop - 1] == " ":
                stop -= 1
            elif stop < len(text) and text[stop] in ".?!":
                stop -= 1  # "U.S.A.." / "U.S.A.?": the last dot stays as punctuation before more of it
            # keep a sentence-final dot as punctuation
            return Token("letters", pos, stop, text[pos:stop], {"letters": re.sub(r"[.\s]", "", m.group())})
        m = self._caps.match(text, pos, end)
        if m:
            return Token("letters", pos, m.end(), m.group(), {"letters": m.group()})
        return None


class SerialPlugin:
    """Alphanumeric codes mixing letters and digits: ``B2A23C``, ``t2000``, ``тест2``, ``30код``; in English
    also hyphen/slash chains of such parts (``1-413-te-b-1-5``, ``MIG-25/235212-asdg``, ``31/31/100``)."""

    name, starts = "serial", "ad"
    _re = re.compile(r"(?:" + LETTER + r"+[0-9]|[0-9]+" + LETTER + r")[^\W_]*")
    _chain = re.compile(r"[^\W_]+(?:[-/][^\W_]+)+")
    _decade = re.compile(r"[0-9]*0s")
    _by = re.compile(r"(?P<a>[0-9]{1,4})[xх×](?P<b>[0-9]{1,4})(?!\w|[.,][0-9])")

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        if pos and text[pos - 1].isalnum():
            return None
        end = _end(text, pos)
        d = self._by.match(text, pos, end)
        if d:  # "2x2": two by two (English keeps NeMo's "two x eight" where no word follows, see context_en)
            return Token("serial", pos, d.end(), d.group(), {"parts": [d["a"], "x", d["b"]], "by": True})
        if lang == "en":
            c = self._chain.match(text, pos, end)
            if c and self._chain_ok(c.group(), text, c.end()):
                return Token("serial", pos, c.end(), c.group(), {"chain": re.split(r"([-/])", c.group())})
        m = self._re.match(text, pos, end)
        if not m:
            return None
        parts = re.findall(r"[0-9]+|[^\W\d_]+", m.group())
        return Token("serial", pos, m.end(), m.group(), {"parts": parts})

    def _semiotic_part(self, part: str) -> bool:
        """A part other plugins read better: decade, ordinal, clock time or a number with a unit."""
        m = re.fullmatch(r"([0-9]+)([^\W\d_]+)", part)
        if self._decade.fullmatch(part) or not m:
            return bool(self._decade.fullmatch(part))
        suffix = m[2]
        return suffix.lower() in ("am", "pm") or (suffix in EN_UNITS and suffix != "s") or \
            suffix.lower() == en_ordinal_suffix(int(m[1]))

    def _chain_ok(self, chain: str, text: str, stop: int) -> bool:
        """A code, not a hyphenated word, a decade (``mid-1980s``) or part of a longer number."""
        parts = re.split(r"[-/]", chain)
        if not any(ch.isdigit() for ch in chain) or any(self._semiotic_part(p) for p in parts):
            return False
        if re.match(r"[.,][0-9]", text[stop:stop + 2]):
            return False
        if all(p.isdigit() for p in parts):
            return chain.count("/") >= 2
        return True


class CardinalPlugin:
    """Plain integers, optionally signed and digit-grouped (``-2``, ``13,000``, ``146 447 424``)."""

    name, starts = "cardinal", "ds"
    _en = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]{1,3}(?:\u202f[0-9]{3})+(?![0-9])|[0-9]+)")
    _ru = re.compile(r"-?(?:[0-9]{1,3}(?:[ \u202f][0-9]{3})+(?![0-9])|[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9.,])|[0-9]+)")

    def match(self, text: str, pos: int, lang: str) -> Token | None:
        if text[pos] == "-" and not _signed(text, pos):
            return None
        rx = self._ru if lang == "ru" else self._en
        m = rx.match(text, pos)  # unbounded: a digit run is consumed in one linear step
        if not m or m.group() == "-":
            return None
        s = m.group()
        digits = re.sub(r"[^0-9]", "", s)
        return Token("cardinal", pos, m.end(), s, {"int": digits, "sign": "-" if s[0] == "-" else "",
                                                   "grouped": not s.lstrip("-").isdigit()})


def default_plugins(dictionary: dict[str, dict[str, str]]) -> list[Plugin]:
    """All classifier plugins in their default priority order."""
    return [VerbatimPlugin(), ElectronicPlugin(), TelephonePlugin(), TimePlugin(), DatePlugin(), MoneyPlugin(),
            MeasurePlugin(), FractionPlugin(), DecimalPlugin(), CompoundPlugin(), OrdinalPlugin(), WhitelistPlugin(dictionary),
            RomanPlugin(), LettersPlugin(), SerialPlugin(), CardinalPlugin()]


_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f]|\+(?=[аеёиоуыэюяАЕЁИОУЫЭЮЯaeiouyAEIOUY]))+"
                   r"(?:['’\-](?:[^\W\d_]|[\u0300-\u036f])+)*")


def match_word(text: str, pos: int) -> int:
    """End of the plain word starting at ``pos`` (``pos`` itself when there is none)."""
    m = _WORD.match(text, pos)
    return m.end() if m else pos
