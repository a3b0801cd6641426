"""US street addresses: ``1211 E Arques Ave``, ``2788 San Tomas Expy, Santa Clara, CA 95051``.

An address is a house number followed by an optional compass direction, one to three capitalized name
words (or ordinals such as ``1st``) and a street-type word.  Inside an address the house number is read
in digit pairs (``twelve eleven``, ``one twenty three``), the direction, street type and a state code after
a comma are spelled out.  Outside that pattern nothing here applies (``CA`` alone stays ``CA``).
"""

from __future__ import annotations

from . import en_numbers as en
from .spans import Token

DIRECTIONS = {"N": "North", "S": "South", "E": "East", "W": "West", "NE": "Northeast", "NW": "Northwest",
              "SE": "Southeast", "SW": "Southwest"}
STREET_TYPES = {"st": "Street", "str": "Street", "street": "Street", "ave": "Avenue", "av": "Avenue",
                "avenue": "Avenue", "ct": "Court", "court": "Court", "rd": "Road", "road": "Road",
                "blvd": "Boulevard", "boulevard": "Boulevard", "dr": "Drive", "drive": "Drive", "ln": "Lane",
                "lane": "Lane", "hwy": "Highway", "highway": "Highway", "expy": "Expressway",
                "expressway": "Expressway", "pkwy": "Parkway", "parkway": "Parkway", "pl": "Place",
                "place": "Place", "sq": "Square", "square": "Square", "ter": "Terrace", "terrace": "Terrace",
                "cir": "Circle", "circle": "Circle", "trl": "Trail", "trail": "Trail", "way": "Way", "fwy": "Freeway",
                "freeway": "Freeway", "tpke": "Turnpike", "aly": "Alley", "plz": "Plaza"}
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
}
_NAME_CLASSES = {"word", "letters", "ordinal"}
_SENTENCE_END = {".", "!", "?", ";"}
_YEAR_WORDS = {"in", "since", "by", "until", "till", "from", "during", "before", "after", "circa", "year"}


def house_number(digits: str) -> str:
    """House numbers in pairs: 2788 -> twenty seven eighty eight, 708 -> seven zero eight, 123 -> one twenty three."""
    n = int(digits)
    if len(digits) > 4 or digits.startswith("0"):
        return en.digits(digits)
    if len(digits) <= 2 or n % 100 == 0 and len(digits) == 3 or n % 1000 == 0:
        return en.cardinal(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return en.cardinal(hi) + " hundred"
    return en.cardinal(hi) + " " + (en.cardinal(lo) if lo >= 10 else "zero " + en.cardinal(lo))


def _street_type(tok: Token) -> str:
    if tok.cls not in ("word", "abbreviation", "letters"):
        return ""
    return STREET_TYPES.get(tok.text.rstrip(".").lower(), "")


def apply_addresses(tokens: list[Token], idx: list[int]) -> None:
    """Find addresses among the non-space tokens ``idx`` of ``tokens`` and set their spoken forms."""
    for k, i in enumerate(idx):
        tok = tokens[i]
        if tok.lang != "en" or tok.cls != "cardinal" or tok.fields.get("sign") or tok.fields.get("grouped") \
                or len(tok.fields["int"]) > 5 or (k and tokens[idx[k - 1]].text.lower() in _YEAR_WORDS):
            continue
        j = k + 1
        direction = None
        dot = None
        if j < len(idx) and tokens[idx[j]].text.rstrip(".") in DIRECTIONS:
            direction = tokens[idx[j]]
            j += 1
            if j < len(idx) and tokens[idx[j]].text == "." and idx[j] == idx[j - 1] + 1:
                dot, j = tokens[idx[j]], j + 1  # "350 W. 34th St.": the direction's own dot
        names = 0
        while j < len(idx) and names < 4:
            cand = tokens[idx[j]]
            if names and _street_type(cand):
                break
            if cand.cls not in _NAME_CLASSES or not cand.text[:1].isupper() and cand.cls != "ordinal":
                names = -1
                break
            names += 1
            j += 1
        if names < 1 or j >= len(idx) or not _street_type(tokens[idx[j]]):
            continue
        if any(tokens[x].cls == "space" and tokens[x].text != " " for x in range(i + 1, idx[j])):
            continue  # one line, single spaces
        suffix = tokens[idx[j]]
        tok.out = house_number(tok.fields["int"])
        if direction is not None:
            direction.out = DIRECTIONS[direction.text.rstrip(".")]
            if dot is not None:
                dot.out = ""
        after = tokens[idx[j + 1]] if j + 1 < len(idx) else None
        suffix.out = _street_type(suffix)
        if suffix.text.endswith(".") and after is not None and after.text[:1].isupper():
            suffix.out += "."  # "Elm St. It was": the dot also ends the sentence
        _states(tokens, idx, j + 1)


def _states(tokens: list[Token], idx: list[int], start: int) -> None:
    """Spell out a state code that follows a comma in the rest of the address (``Santa Clara, CA 95051``)."""
    for j in range(start, min(len(idx), start + 12)):
        tok = tokens[idx[j]]
        if tok.cls == "punct" and tok.text in _SENTENCE_END:
            return
        prev = tokens[idx[j - 1]]
        if tok.text in STATES and tok.cls in ("letters", "word") and prev.text == ",":
            tok.out = STATES[tok.text]
