"""Golden sets the tests compare against.

- ``project``: ``golden/tiny`` (committed; official outputs on the project's own numpy-generated tiny
  checkpoints, which the ``tiny_checkpoints`` fixture regenerates from the seed). Always present.
- ``shared``: the team's ``../shared/golden/tiny`` (``QTTS_SHARED_GOLDEN``), whose checkpoints are
  rebuilt by the reference recipe into ``build/shared-ckpt`` (``QTTS_SHARED_CKPT``; ``make
  conformance-shared``). Used when present; tests that need its checkpoints skip without them.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "golden" / "tiny"
SHARED = Path(os.environ.get("QTTS_SHARED_GOLDEN", REPO.parent / "shared" / "golden" / "tiny"))
SHARED_CKPT = Path(os.environ.get("QTTS_SHARED_CKPT", REPO / "build" / "shared-ckpt"))
MODE_TO_VARIANT = {"custom_voice": "custom_voice", "voice_design": "voice_design", "voice_clone": "base"}


def golden_dirs() -> dict[str, Path]:
    """name -> golden directory, for the sets present."""
    return {name: d for name, d in (("project", PROJECT), ("shared", SHARED)) if (d / "manifest.json").is_file()}


def case_dirs() -> list[Path]:
    return sorted(p.parent for d in golden_dirs().values() for p in d.glob("*/case.json"))


def case_id(case_dir: Path) -> str:
    name = "project" if case_dir.parent == PROJECT else "shared"
    return f"{name}/{case_dir.name}"
