"""English verbalizers: one function per semiotic class, ``(token) -> spoken text``."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import en_numbers as en
from .spans import Token
from .units import CURRENCIES, EN_UNITS, QUANTITY_EN, SCALE_EN

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_DIGIT_LIMIT = 36  # longer integers are read digit by digit


def number(int_digits: str, use_and: bool = True) -> str:
    """Integer string -> words, digit by digit when it is too long."""
    if not int_digits:
        return ""
    if len(int_digits.lstrip("0")) > _DIGIT_LIMIT:
        return en.digits(int_digits)
    return en.cardinal(int(int_digits), use_and)


def decimal_words(int_digits: str, frac: str, use_and: bool = True) -> str:
    head = number(int_digits, use_and) if int_digits else ""
    if not frac:
        return head
    return (head + " " if head else "") + "point " + en.digits(frac)


def cardinal(tok: Token) -> str:
    f = tok.fields
    digits = f["int"]
    sign = "minus " if f.get("sign") else ""
    if f.get("extension"):
        return en.digits(digits, "oh") if len(digits) > 2 else en.cardinal(int(digits))  # "ext. 204", "ext. 12"
    if f.get("digits") or (not f.get("grouped") and (len(digits) >= 5 or (digits.startswith("0") and len(digits) > 1))):
        return sign + en.digits(digits)
    n = int(digits) if len(digits) <= _DIGIT_LIMIT else None
    if n is None:
        return sign + en.digits(digits)
    if f.get("year") or (not f.get("grouped") and not sign and len(digits) == 4 and 1000 <= n <= 2099
                         and not f.get("plain")):
        return en.year(n)
    return sign + en.cardinal(n, not f.get("no_and"))


def decimal(tok: Token) -> str:
    f = tok.fields
    if f.get("version"):
        words = " point ".join(en.digits(p) if p.startswith("0") and len(p) > 1 else number(p, False)
                               for p in tok.text.lstrip("vV").split("."))
        return ("version " if f.get("v") else "") + words
    sign = "minus " if f.get("sign") else ""
    q = f.get("q")
    words = decimal_words(f["int"], f["frac"], not q)
    if q:
        words += " " + SCALE_EN[QUANTITY_EN[q]]
    return sign + words


def ordinal(tok: Token) -> str:
    digits = tok.fields["int"]
    if len(digits) > _DIGIT_LIMIT:
        return en.digits(digits)
    return en.ordinal(int(digits))


def fraction(tok: Token) -> str:
    f = tok.fields
    whole = number(f["whole"], False) if f.get("whole") else ""
    num, den = int(f["num"]), int(f["den"])
    if f.get("years"):  # "the 2024/25 season": twenty twenty four twenty five
        return _year_words(f["num"]) + " " + _year_words(f["den"])
    if f.get("ratio"):  # "120/80": one hundred twenty over eighty; "50/50": fifty fifty
        return number(f["num"], False) + (" " if f["num"] == f["den"] else " over ") + number(f["den"], False)
    if den == 1:
        body = en.cardinal(num) + " over one"
    elif whole and num == 1 and den in (2, 4):
        body = "a " + ("half" if den == 2 else "quarter")
    else:
        if den == 2:
            dw = "half" if num == 1 else "halves"
        elif den == 4:
            dw = "quarter" if num == 1 else "quarters"
        else:
            dw = en.ordinal(den) + ("" if num == 1 else "s")
        body = en.cardinal(num) + " " + dw
    return (whole + " and " + body) if whole else body


def _unit_words(key: str, plural: bool) -> str:
    sing, plur = EN_UNITS[key]
    return plur if plural else sing


def _is_one(f: dict[str, object]) -> bool:
    """Whether the amount takes a singular unit: exactly one, or a fraction below one ("1/4 tsp": one quarter
    teaspoon)."""
    if f.get("fnum") and not f.get("int") and not f.get("lo"):
        return int(str(f["fnum"])) < int(str(f["fden"]))
    return f.get("int") == "1" and not f.get("frac") and not f.get("fnum") and not f.get("q")


def measure(tok: Token) -> str:
    f = tok.fields
    if "dims" in f:
        return " by ".join(decimal_words(d["int"], d["frac"]) for d in f["dims"]) + " " + _unit_words(f["unit"], True)
    if f.get("fnum") == "1" and f.get("fden") == "2" and not f.get("int") and f.get("unit") and not f.get("lo"):
        return "half a " + _unit_words(f["unit"], False)  # "1/2 tsp": half a teaspoon
    if f.get("fnum"):
        amount = fraction(Token("fraction", 0, 0, "", {"whole": f["int"], "num": f["fnum"], "den": f["fden"]}))
    else:
        q = f.get("q")
        amount = decimal_words(f["int"], f["frac"], not q) + (" " + SCALE_EN[QUANTITY_EN[q]] if q else "")
    if f.get("lo"):
        lo = f["lo"]
        whole, _, frac = lo.replace(",", "").partition(".")
        amount = decimal_words(whole, frac) + " to " + amount
    if f.get("sign"):
        amount = "minus " + amount
    parts = [amount]
    if f.get("unit"):
        parts.append(_unit_words(f["unit"], not _is_one(f) and not f.get("attributive")))
    if f.get("inches"):
        whole, _, frac = str(f["inches"]).partition(".")
        parts.append(decimal_words(whole, frac) + " " + _unit_words("″", not (whole == "1" and not frac)))
    if f.get("per"):
        per = f["per"]
        parts.append("per " + (per.removeprefix("letter:") if per.startswith("letter:") else _unit_words(per, False)))
    return " ".join(parts)


def money(tok: Token) -> str:
    f = tok.fields
    sing, plur, minor_s, minor_p = CURRENCIES[f["cur"]][:4]
    if f.get("us"):
        sing, plur = "us dollar", "us dollars"
    q = f.get("q")
    if f.get("attributive") and (q or not f["frac"].strip("0")):  # before its noun: "a five dollar fee"
        plur, minor_p = sing, minor_s
    frac = f["frac"]
    per = f.get("per", "")
    per = (" per " + (_unit_words(per, False) if per in EN_UNITS else per)) if per else ""  # "/mo", "/month"
    if q:
        amount = decimal_words(f["int"], frac, False) + " " + SCALE_EN[QUANTITY_EN[q]]
        return amount + " " + plur + per
    trimmed = frac.rstrip("0")
    int_part = f["int"] or "0"
    if len(trimmed) > 2 or (trimmed and not minor_s):
        return decimal_words(f["int"], frac) + " " + plur + per
    cents = int(trimmed.ljust(2, "0")) if trimmed else 0
    dollars = int(int_part) if len(int_part) <= _DIGIT_LIMIT else -1
    parts = []
    if f.get("bare") and not cents:  # the first end of a range: "$10–15", ten to fifteen dollars
        return number(int_part)
    if dollars != 0 or not cents:
        parts.append(number(int_part) + " " + (sing if dollars == 1 else plur))
    if cents:
        parts.append(en.cardinal(cents) + " " + (minor_s if cents == 1 else minor_p))
    return " ".join(parts) + per


def _clock(h: int, m: int) -> str:
    if m == 0:
        return en.cardinal(h)
    return en.cardinal(h) + " " + (("oh " + en.cardinal(m)) if m < 10 else en.cardinal(m))


def time(tok: Token) -> str:
    f = tok.fields
    h, m, s = f["h"], f["m"], f["s"]
    if f["has_s"]:
        words = (f"{en.cardinal(h)} hour{'s' if h != 1 else ''} {en.cardinal(m)} minute{'s' if m != 1 else ''}"
                 f" and {en.cardinal(s)} second{'s' if s != 1 else ''}")
    elif f["ap"]:
        words = _clock(h, m)
    else:
        words = en.cardinal(h) + " o'clock" if m == 0 else _clock(h, m)
    if f["ap"]:
        words += " " + f["ap"]
    if f["tz"]:
        words += " " + f["tz"]
    return words


def _year_words(y: str) -> str:
    if len(y) == 2:
        return en.digits(y) if y.startswith("0") else en.cardinal(int(y))
    return en.year(int(y))


_WEEKDAYS = {d[:3]: d for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


def date(tok: Token) -> str:
    f = tok.fields
    if "quarter" in f:
        if f.get("determined"):  # after its own determiner: "our Q1 2025 results"
            return f"{en.ordinal(f['quarter'])} quarter {_year_words(f['y'])}"
        return f"the {en.ordinal(f['quarter'])} quarter of {_year_words(f['y'])}"
    if "short_year" in f:  # "'99": ninety nine, "'05": oh five
        y = f["short_year"]
        return ("oh " + en.cardinal(int(y)) if y.startswith("0") else en.cardinal(int(y))) if y != "00" else "double oh"
    if "decade" in f:
        y = f["decade"]
        return en.pluralize_number(en.cardinal(int(y)) if f["short"] else en.year(int(y)))
    if "days" in f:  # "Mon-Fri", "Sat & Sun"
        a, b = (_WEEKDAYS[d[:3].lower()] for d in f["days"])
        return f"{a} {'and' if f['and'] else 'to'} {b}"
    if "months" in f:  # "Jan–Mar 2025"
        a, b = (_MONTHS[n - 1] for n in f["months"])
        return f"{a} to {b}" + (" " + _year_words(f["y"]) if f["y"] else "")
    month = _MONTHS[int(f["m"]) - 1]
    if f.get("month_year"):
        return f"{month} {_year_words(f['y'])}"
    day = en.ordinal(int(f["d"]))
    words = f"the {day} of {month}" if f.get("dm") else f"{month} {day}"
    if f.get("y"):
        words += ("," if f.get("comma") else "") + " " + _year_words(f["y"])
    return words


_TOLL_FREE = {"800", "900"}  # (888, 877...: digit by digit)


def telephone(tok: Token) -> str:
    f = tok.fields
    if "ip" in f:
        return " dot ".join(en.digits(g) for g in f["ip"])
    if "vanity" in f:  # digit groups end with a pause, letter groups run on: "one, eight hundred, GO two, HAUL"
        out = ""
        for g in f["vanity"]:
            if g.isdigit():
                out += (en.cardinal(int(g)) if g in ("1", "800") else en.digits(g)) + ", "
            else:
                out += g + " "
        return out.rstrip(", ")
    parts = []
    if f.get("plus") == "1":  # "1-800-555-0199": one, eight hundred (a toll-free code as a number)
        parts.append("one " + (en.cardinal(int(f["groups"][0])) if f["groups"][0] in _TOLL_FREE else
                               en.digits(f["groups"][0])))
        f = dict(f, groups=f["groups"][1:])
    elif f.get("plus"):
        parts.append("plus " + en.digits(f["plus"].lstrip("+")))
    parts.extend(en.digits(g) for g in f["groups"])
    return ", ".join(parts)


_E_SYMBOLS = {".": "dot", "@": "at", "/": "slash", ":": "colon", "-": "dash", "_": "underscore",
              "&": "ampersand", "~": "tilde", "?": "question mark", "=": "equals", "#": "hash", "%": "percent",
              "+": "plus"}
_E_UPPER = {"www", "http", "https"}
_E_EXTENSIONS = {"html", "htm", "pdf", "php", "asp", "xml", "csv", "txt", "doc", "docx", "xls", "png", "gif",
                 "svg", "mp3", "mp4", "zip", "exe"}
# Names and acronyms spelled in capitals when they appear in an address (lower-case in the written form).
_E_ACRONYMS = {"nvidia", "cuda", "dgx", "rtx", "gtx", "gpu", "cpu", "api", "sdk", "ibm", "aws", "bbc", "cnn",
               "nasa", "ieee", "acm", "mit", "ucla", "nyu", "faq", "cdn", "ftp", "ssh", "vpn", "usb", "nba", "nfl"}
# Top-level domains read as a word; any other one in a full address is spelled ("dot ABC", "dot DE").
_E_WORD_TLDS = {"com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "app", "dev",
                "io", "ai", "co", "tv", "me", "museum", "travel", "online", "site", "tech", "store", "blog"}


def electronic(tok: Token) -> str:
    """URLs and e-mails symbol by symbol.  A full address (scheme, ``www.`` or ``@``) also normalizes letter
    case: known acronyms and unknown or two-letter top-level domains in capitals, other words lower-case;
    a bare domain keeps its words as written."""
    text = tok.text
    full = "@" in text or "://" in text or text.lower().startswith("www.")
    chunks = re.findall(r"[0-9]+|[^\W\d_]+|.", text)
    alpha = [i for i, c in enumerate(chunks) if c.isalpha()]
    last_alpha = alpha[-1] if alpha else -1
    host_end = len(chunks)
    if full:
        start = chunks.index("@") + 1 if "@" in chunks else 0
        if "://" in text:
            start = len(re.findall(r"[0-9]+|[^\W\d_]+|.", text[:text.index("://") + 3]))
        host_end = next((i for i in range(start, len(chunks)) if chunks[i] == "/"), len(chunks))
    tld = max((i for i in alpha if i < host_end and i > 0 and chunks[i - 1] == "."), default=-1)
    out = []
    for i, c in enumerate(chunks):
        if c.isdigit():
            n = int(c)
            out.append(en.cardinal(n) if len(c) == 4 and n % 1000 == 0 and not c.startswith("0") else en.digits(c))
        elif c.isalpha():
            low = c.lower()
            after = chunks[i - 1] if i else ""
            if low in _E_UPPER:
                out.append(c.upper())
            elif low == "jpg" and i == last_alpha:
                out.append("jpeg")
            elif i == last_alpha and after == "." and (low in _E_EXTENSIONS or len(c) == 2):
                out.append(c.upper())
            elif not full:
                out.append(c)
            elif low in _E_ACRONYMS or (i == tld and low not in _E_WORD_TLDS) or \
                    (i == last_alpha and len(c) == 2 and after in ".-"):
                out.append(c.upper())
            else:
                out.append(low)
        elif c in _E_SYMBOLS:
            out.append(_E_SYMBOLS[c])
        elif not c.isspace():
            out.append(c)
    return " ".join(out)


def roman(tok: Token) -> str:
    value = tok.fields["value"]
    return ("the " + en.ordinal(value)) if tok.fields.get("ordinal") else en.cardinal(value)


def _serial_number(p: str) -> str:
    """Digits inside a letter-digit code: "23" -> twenty three, "321" -> three twenty one, long runs digit by digit."""
    n = int(p)
    if p.startswith("0") or len(p) > 4 or (len(p) == 4 and n % 1000):
        return en.digits(p)
    if len(p) == 3 and n % 100:
        return en.cardinal(n // 100) + " " + (en.cardinal(n % 100) if n % 100 >= 10 else en.digits(p[1:]))
    return en.cardinal(n)


def _serial_part(p: str) -> str:
    return " ".join(_serial_number(x) if x.isdigit() else x for x in re.findall(r"[0-9]+|[^\W\d_]+", p))


def _chain(items: list[str]) -> str:
    """A hyphen/slash chain: separators kept, whole-number parts read as cardinals (no "and")."""
    if len(items) == 3 and items[0].isdigit() and items[1] == "/" and len(items[2]) == 1 and items[2].isalpha():
        return number(items[0], False) + " per " + items[2].upper()  # "1/f": one per F
    out: list[str] = []
    for k, item in enumerate(items):
        if k % 2:
            before, nxt = items[k - 1], items[k + 1]
            if item == "/" and not (before.isdigit() or nxt.isdigit()):
                out.append(" slash ")  # between two letter parts, as in plain text ("and/or" aside)
            elif item == "-" and before.isdigit() and nxt.lower() in en.NUMBER_WORDS:
                out.append(" ")  # "7-eleven": a pause, not a compound
            else:
                out.append(item)
        elif item.isdigit():
            out.append(en.digits(item) if len(item) > 4 or (item.startswith("0") and len(item) > 1)
                       else number(item, False))
        else:
            out.append(_serial_part(item))
    return "".join(out)


def serial(tok: Token) -> str:
    if tok.fields.get("by") is not None:
        return f" {'by' if tok.fields['by'] else 'x'} ".join(number(p, True) for p in tok.fields["parts"][::2])
    chain = tok.fields.get("chain", [])
    if len(chain) == 5 and chain[1] == "/" and chain[3] == "-" and chain[0].isdigit() and chain[2].isdigit() \
            and chain[4].isalpha() and chain[4].islower():  # "1/2-inch": half-inch, "3/4-length"
        part = "half" if chain[0] == "1" and chain[2] == "2" else \
            fraction(Token("fraction", 0, 0, "", {"whole": "", "num": chain[0], "den": chain[2]})).removesuffix("s")
        return f"{part}-{chain[4]}"  # (a modifier: "three quarter-length")
    if chain:
        return _chain(chain)
    return " ".join(_serial_number(p) if p.isdigit() else " ".join(p) if p.isupper() and len(p) <= 3 else p
                    for p in tok.fields["parts"])  # "UA123": U A one twenty three


def letters(tok: Token) -> str:
    return tok.fields["letters"]


def abbreviation(tok: Token) -> str:
    return tok.fields["value"]


VERBALIZERS: dict[str, Callable[[Token], str]] = {
    "cardinal": cardinal, "decimal": decimal, "ordinal": ordinal, "fraction": fraction, "measure": measure,
    "money": money, "time": time, "date": date, "telephone": telephone, "electronic": electronic,
    "roman": roman, "serial": serial, "letters": letters, "abbreviation": abbreviation,
}
