"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from qtts.export.random_checkpoint import VARIANTS, generate_checkpoint


def _checkpoints(size: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp(f"{size}_checkpoints")
    return {v: generate_checkpoint(root / f"{size}-{v}", size, v, seed=0) for v in VARIANTS}


def _engines(checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from qtts.export.exporter import export_engine

    root = tmp_path_factory.mktemp("engines")
    return {v: export_engine(p, root / p.name) for v, p in checkpoints.items()}


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Random-weight tiny model directories (seed 0, BF16 like the release): variant -> path.
    Shared by the whole session; tests must not modify them (copy first)."""
    return _checkpoints("tiny", tmp_path_factory)


@pytest.fixture(scope="session")
def tiny_engines(tiny_checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Exported fp32 engines of the tiny checkpoints: variant -> engine dir (do not modify)."""
    return _engines(tiny_checkpoints, tmp_path_factory)


@pytest.fixture(scope="session")
def tiny_hd24_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Like ``tiny_checkpoints``, size ``tiny-hd24`` (head sizes that are not multiples of 16)."""
    return _checkpoints("tiny-hd24", tmp_path_factory)


@pytest.fixture(scope="session")
def tiny_hd24_engines(tiny_hd24_checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Exported fp32 engines of the tiny-hd24 checkpoints: variant -> engine dir (do not modify)."""
    return _engines(tiny_hd24_checkpoints, tmp_path_factory)


@pytest.fixture(scope="session")
def cv_synth(tiny_engines: dict[str, Path]):
    from qtts.runtime.synthesizer import Synthesizer

    return Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1)
