"""A number over its scale read as a score: "rated 8/10" eight out of ten, "оценка 9/10" девять из десяти.

One rule for every form a score takes (a fraction token ``8/10``, a slash between numbers ``4.5/5``, ``4,8/5``)
in both languages: the scale is 5, 10 or 100, and a rating word stands among the two words before the score, or
stars or points follow it ("4.5/5 stars", "4/5 звёзд", "7/10 баллов").
"""

from __future__ import annotations

from collections.abc import Callable

from .spans import Token

SCALES = ("5", "10", "100")
WORDS_RU = ("рейтинг", "оценк", "балл")  # stems: "оценка", "в рейтинге", "баллов"
WORDS_EN = ("rate", "rating", "score")  # "rated", "I'd rate it", "scored"
_AFTER = ("star", "звёзд", "звезд", "балл")  # "4.5/5 stars", "7/10 баллов"


def _lower(tok: Token) -> str:
    return tok.text.lower()


def is_score(tokens: list[Token], idx: list[int], first: int, last: int, den: str, words: tuple[str, ...],
             word: Callable[[Token], str] = _lower) -> bool:
    """Whether the number at non-space positions ``idx[first..last]`` of ``tokens``, over ``den``, is a score.

    ``words``: the rating stems of the sentence's language; ``word``: how a token reads, lower-cased."""
    if den not in SCALES:
        return False
    if last + 1 < len(idx) and word(tokens[idx[last + 1]]).startswith(_AFTER):
        return True
    return any(word(tokens[idx[g]]).startswith(words) for g in range(max(0, first - 2), first))
