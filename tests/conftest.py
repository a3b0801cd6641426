"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from export.random_checkpoint import VARIANTS, generate_checkpoint


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Random-weight tiny model directories (seed 0, BF16 like the release): variant -> path.
    Shared by the whole session; tests must not modify them (copy first)."""
    root = tmp_path_factory.mktemp("tiny_checkpoints")
    return {v: generate_checkpoint(root / f"tiny-{v}", "tiny", v, seed=0) for v in VARIANTS}
