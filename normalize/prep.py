"""Input sanitizing that keeps a 1:1 character mapping (so original offsets survive).

Unpaired surrogates become U+FFFD, control characters and exotic spaces become a plain space (no-break, thin and figure spaces
become U+202F, which digit grouping accepts), zero-width
characters become U+200B (dropped on output), hyphen/minus look-alikes become ``-`` and non-ASCII decimal
digits become ASCII digits.  ``ё`` and stress marks are untouched here.
"""

from __future__ import annotations

import re
import unicodedata

ZERO_WIDTH = "\u200b"
GROUP_SPACE = "\u202f"
_SPACES = "\u2028\u2029\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u200a\u205f\u3000\t\r\v\f"
_TABLE = {ord(c): " " for c in _SPACES}
_TABLE.update({ord(c): GROUP_SPACE for c in "\u00a0\u2007\u2009\u202f"})
_TABLE.update({c: " " for c in range(0x20) if c != 0x0A})
_TABLE.update({c: " " for c in range(0x7F, 0xA0)})
_TABLE.update({ord(c): ZERO_WIDTH for c in "\u200c\u200d\u2060\ufeff\u00ad"})
_TABLE.update({ord(c): "-" for c in "\u2010\u2011\u2012\u2212\ufe63\uff0d"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")


def prepare(text: str) -> str:
    """Return ``text`` with the same length, cleaned as described in the module docstring."""
    text = _SURROGATE.sub("\ufffd", text).translate(_TABLE)
    if text.isascii():
        return text
    return _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(), 0)), text)
