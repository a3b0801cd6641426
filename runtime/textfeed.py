"""Incremental tokenization of streamed text (e.g. tokens from an LLM) for text-in streaming.

Pieces of text arrive one by one; :class:`TextFeed` hands out token ids that can never change again,
each exactly once, and the ids of all pieces together equal the official tokenization of the whole
text (``TextTokenizer.target_ids(text).body``). A BPE merge or a pre-tokenizer split can only change
near the end of the text received so far, so the unstable tail is held back: text is released up to
the start of the last blank run (spaces/tabs, not newlines) that is followed by more text. The
pre-tokenizer never joins text across such a point (a word's optional leading space belongs to the
word after it), so tokenizing the released chunks separately gives the same ids.

With a normalizer, chunks end only after clause punctuation (or once ``max_pending`` characters are
waiting), so numbers and their nouns are verbalized together.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qtts.runtime.tokenizer import TextTokenizer

_ROLE_PREFIX = "<|im_start|>assistant\n"  # the first chunk is tokenized after it, as in target_ids
_CUT = re.compile(r"[ \t]+(?=\S)")  # a blank run followed by more text
_CLAUSE_END = ".!?;:,…»)\"'"


class TextFeed:
    """``push(piece) -> new stable ids``; ``finish() -> the remaining ids``."""

    def __init__(
        self,
        tokenizer: TextTokenizer,
        normalize: Callable[[str], str] | None = None,
        max_pending: int = 200,
    ):
        self.tokenizer = tokenizer
        self.normalize = normalize
        self.max_pending = max_pending
        self.text = ""  # everything pushed
        self._pending = ""  # not yet released
        self._first = True
        self.finished = False

    def _cut(self) -> int:
        """Where the stable part of ``_pending`` ends (0: nothing stable yet)."""
        cut = 0
        for m in _CUT.finditer(self._pending):
            before = self._pending[m.start() - 1] if m.start() else ""
            if self.normalize is None or before in _CLAUSE_END or m.start() >= self.max_pending:
                cut = m.start()
        return cut

    def _ids(self, chunk: str) -> list[int]:
        if self.normalize is not None:
            body = chunk.lstrip(" \t")
            if body:
                chunk = chunk[: len(chunk) - len(body)] + self.normalize(body)
        if self._first:
            self._first = False
            prefix = self.tokenizer.encode(_ROLE_PREFIX)
            return self.tokenizer.encode(_ROLE_PREFIX + chunk)[len(prefix) :]
        return self.tokenizer.encode(chunk)

    def push(self, piece: str) -> list[int]:
        if self.finished:
            raise ValueError("TextFeed.push after finish")
        self.text += piece
        self._pending += piece
        cut = self._cut()
        if cut == 0:
            return []
        chunk, self._pending = self._pending[:cut], self._pending[cut:]
        return self._ids(chunk)

    def finish(self) -> list[int]:
        self.finished = True
        chunk, self._pending = self._pending, ""
        return self._ids(chunk) if chunk else []
