"""Qwen2 byte-level BPE text tokenizer, rebuilt with HF ``tokenizers`` exactly as the official loader does.

The official pipeline builds ``Qwen2TokenizerFast`` from ``vocab.json`` + ``merges.txt`` +
``tokenizer_config.json`` and, loading from a local directory, swaps the pre-tokenizer regex for the
"fixed" Mistral-style one (spec §2.3). Both regexes are available; ids match the official processor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from tokenizers import AddedToken, Regex, Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import BPE

from qtts.runtime.errors import InputError, TTSError

# transformers 4.57.3: tokenization_utils_base._patch_mistral_regex / convert_slow_tokenizer.Qwen2Converter
REGEXES = {
    "official": (
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
        r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
        r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
    ),
    "qwen2": (
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
        r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
    ),
}

TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer_config.json")


class TargetIds(NamedTuple):
    """Target text prompt split by the reference's fixed offsets: role = ids[0:3], body = ids[3:-5]."""

    role: list[int]
    body: list[int]


class TextTokenizer:
    """Text -> token ids, identical to the official ``Qwen3TTSProcessor``."""

    def __init__(self, tokenizer: Tokenizer, regex: str) -> None:
        self._tok = tokenizer
        self.regex = regex

    @classmethod
    def from_dir(cls, path: str | Path, regex: str = "official") -> TextTokenizer:
        """Build from ``vocab.json``, ``merges.txt`` and ``tokenizer_config.json`` in ``path``.

        ``regex``: ``"official"`` (what the official pipeline uses) or ``"qwen2"`` (native Qwen2 regex).
        """
        if regex not in REGEXES:
            raise InputError(f"unknown tokenizer regex {regex!r} (expected one of {sorted(REGEXES)})")
        path = Path(path)
        missing = [f for f in TOKENIZER_FILES if not (path / f).is_file()]
        if missing:
            raise TTSError(f"{path}: missing tokenizer file(s) {', '.join(missing)}")
        tok = Tokenizer(BPE.from_file(str(path / "vocab.json"), str(path / "merges.txt")))
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(REGEXES[regex]), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
        try:
            config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise TTSError(f"{path / 'tokenizer_config.json'}: invalid JSON ({e})") from None
        added = sorted((int(i), t) for i, t in config.get("added_tokens_decoder", {}).items())
        for token_id, t in added:
            token = AddedToken(
                t["content"],
                single_word=t.get("single_word", False),
                lstrip=t.get("lstrip", False),
                rstrip=t.get("rstrip", False),
                normalized=t.get("normalized", False),
                special=t.get("special", False),
            )
            if t.get("special", False):
                tok.add_special_tokens([token])
            else:
                tok.add_tokens([token])
            if tok.token_to_id(t["content"]) != token_id:
                raise TTSError(f"{path}: added token {t['content']!r} did not get id {token_id}")
        return cls(tok, regex)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; special tokens written literally are matched as single ids."""
        return self._tok.encode(text, add_special_tokens=False).ids

    def target_ids(self, text: str) -> TargetIds:
        """Ids of ``<|im_start|>assistant\\n{text}<|im_end|>\\n<|im_start|>assistant\\n``, sliced."""
        _require_text(text, "text")
        ids = self.encode(f"<|im_start|>assistant\n{text}<|im_end|>\n<|im_start|>assistant\n")
        return TargetIds(role=ids[:3], body=ids[3:-5])

    def ref_ids(self, ref_text: str) -> list[int]:
        """Reference transcript body: ids[3:-2] of ``<|im_start|>assistant\\n{ref_text}<|im_end|>\\n``."""
        _require_text(ref_text, "ref_text")
        return self.encode(f"<|im_start|>assistant\n{ref_text}<|im_end|>\n")[3:-2]

    def instruct_ids(self, instruct: str) -> list[int]:
        """All ids of ``<|im_start|>user\\n{instruct}<|im_end|>\\n`` (``instruct`` must be non-empty)."""
        if not instruct:
            raise InputError("instruct is empty")
        return self.encode(f"<|im_start|>user\n{instruct}<|im_end|>\n")


def _require_text(text: str, name: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{name} is empty or whitespace-only")
