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


@pytest.fixture(scope="session")
def tiny_engines(tiny_checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Exported fp32 engines of the tiny checkpoints: variant -> engine dir (do not modify)."""
    from export.exporter import export_engine

    root = tmp_path_factory.mktemp("tiny_engines")
    return {v: export_engine(p, root / f"tiny-{v}") for v, p in tiny_checkpoints.items()}


@pytest.fixture(scope="session")
def cv_synth(tiny_engines: dict[str, Path]):
    from runtime.synthesizer import Synthesizer

    return Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1)
