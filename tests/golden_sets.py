"""Golden sets the tests compare against.

- ``project``: ``golden/tiny`` (committed; official outputs on the project's own numpy-generated tiny
  checkpoints, which the ``tiny_checkpoints`` fixture regenerates from the seed). Always present.
- ``project-hd24``: ``golden/tiny-hd24`` (committed; cases only, no tokenizer corpus or standalone
  codec dump) on the ``tiny-hd24`` checkpoints (``tiny_hd24_checkpoints``): head sizes that are not
  multiples of 16. Always present.
- ``shared``: the team's ``../shared/golden/tiny`` (``QTTS_SHARED_GOLDEN``), whose checkpoints are
  rebuilt by the reference recipe into ``build/shared-ckpt`` (``QTTS_SHARED_CKPT``; ``make
  conformance-shared``). Used when present; tests that need its checkpoints skip without them.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "golden" / "tiny"
PROJECT_HD24 = REPO / "golden" / "tiny-hd24"
PROJECT_SETS = {PROJECT: "tiny", PROJECT_HD24: "tiny_hd24"}  # committed set -> its fixtures' prefix (<prefix>_checkpoints/_engines)
SHARED = Path(os.environ.get("QTTS_SHARED_GOLDEN", REPO.parent / "shared" / "golden" / "tiny"))
SHARED_CKPT = Path(os.environ.get("QTTS_SHARED_CKPT", REPO / "build" / "shared-ckpt"))
MODE_TO_VARIANT = {"custom_voice": "custom_voice", "voice_design": "voice_design", "voice_clone": "base"}


def golden_dirs() -> dict[str, Path]:
    """name -> golden directory, for the full sets present (cases, tokenizer corpus, standalone codec)."""
    return {name: d for name, d in (("project", PROJECT), ("shared", SHARED)) if (d / "manifest.json").is_file()}


def case_sets() -> dict[str, Path]:
    """name -> golden directory, for every set with cases present (the full sets and ``project-hd24``)."""
    sets = golden_dirs()
    if (PROJECT_HD24 / "manifest.json").is_file():
        sets["project-hd24"] = PROJECT_HD24
    return sets


def case_dirs() -> list[Path]:
    return sorted(p.parent for d in case_sets().values() for p in d.glob("*/case.json"))


def case_id(case_dir: Path) -> str:
    name = next(n for n, d in case_sets().items() if d == case_dir.parent)
    return f"{name}/{case_dir.name}"
