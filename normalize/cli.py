"""Line-oriented command-line entry point (wired into ``tts-run normalize`` by the CLI module)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from .pipeline import Normalizer
from .spans import NormalizationError


def cli_main(lines: Iterable[str], lang: str, explain: bool, out: TextIO, normalizer: Normalizer | None = None) -> int:
    """Write exactly one normalized line per input line; with ``explain`` a JSON span list follows each.

    Returns 0, or 1 when some line was refused (its output line is then empty and an error is reported
    on the explain line or silently skipped).
    """
    if lang not in ("auto", "ru", "en"):
        out.write(f"error: unknown language {lang!r}\n")
        return 2
    norm = normalizer or Normalizer()
    status = 0
    for line in lines:
        line = line.rstrip("\r\n")
        try:
            result = norm.normalize(line, lang)
            text = result.text.replace("\n", " ")
        except NormalizationError as e:
            status = 1
            out.write("\n")
            if explain:
                out.write(json.dumps({"error": str(e)}, ensure_ascii=False) + "\n")
            continue
        out.write(text + "\n")
        if explain:
            for span in result.spans:
                if span.cls in ("word", "punct"):
                    continue
                d = span.as_dict()
                d["text"] = line[span.orig_start:span.orig_end]
                d["spoken"] = text[span.norm_start:span.norm_end]
                out.write("  " + json.dumps(d, ensure_ascii=False) + "\n")
    return status
