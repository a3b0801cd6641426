"""End-to-end conformance with the official implementation: exported engines reproduce each golden
set's codes exactly and PCM within 1e-4; sampled cases match in teacher-forced mode (logits 1e-4)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qtts.export.exporter import export_engine
from qtts.runtime.conformance import PCM_TOL, run_case, skip_reason
from qtts.runtime.synthesizer import Synthesizer
from tests.golden_sets import (
    MODE_TO_VARIANT,
    PROJECT,
    PROJECT_HD24,
    PROJECT_SETS,
    SHARED_CKPT,
    case_dirs,
    case_id,
    case_sets,
)

CASES = case_dirs()


@pytest.fixture(scope="module")
def synth_for(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(golden dir, variant) -> Synthesizer on that golden set's checkpoints (cached per module)."""
    cache: dict[tuple[Path, str], Synthesizer] = {}

    def get(golden: Path, variant: str) -> Synthesizer:
        if (golden, variant) not in cache:
            if golden in PROJECT_SETS:
                eng = request.getfixturevalue(f"{PROJECT_SETS[golden]}_engines")[variant]
            else:
                ckpt = SHARED_CKPT / f"tiny-{variant}"
                if not (ckpt / "config.json").exists():
                    pytest.skip(f"shared golden checkpoints not built at {SHARED_CKPT} (make conformance-shared)")
                eng = export_engine(ckpt, tmp_path_factory.mktemp("shared") / f"tiny-{variant}")
            cache[(golden, variant)] = Synthesizer.from_engines(eng, threads=2)
        return cache[(golden, variant)]

    return get


def test_project_golden_sets_are_present() -> None:
    assert {"project", "project-hd24"} <= set(case_sets()), "golden/tiny and golden/tiny-hd24 are committed; regenerate them with `make golden`"
    assert len([c for c in CASES if c.parent == PROJECT]) >= 8
    hd24 = [json.loads((c / "case.json").read_text(encoding="utf-8"))["case"] for c in CASES if c.parent == PROJECT_HD24]
    assert {c["mode"] for c in hd24} == set(MODE_TO_VARIANT)
    assert {c.get("x_vector_only_mode") for c in hd24 if c["mode"] == "voice_clone"} == {True, False}


@pytest.mark.parametrize("golden", sorted(PROJECT_SETS), ids=[d.name for d in sorted(PROJECT_SETS)])
def test_generator_reproduces_the_golden_checkpoints(golden: Path, request: pytest.FixtureRequest) -> None:
    """The numpy generator still writes the exact files the golden set was made from."""
    from qtts.runtime.manifest import sha256_file

    checkpoints = request.getfixturevalue(f"{PROJECT_SETS[golden]}_checkpoints")
    manifest = json.loads((golden / "manifest.json").read_text(encoding="utf-8"))
    hashes = manifest["checkpoint_sha256"]
    assert hashes
    for variant, files in hashes.items():
        assert manifest["models"][variant]["generator"]["size"] == checkpoints[variant].name.removesuffix(f"-{variant}")
        for rel, digest in files.items():
            assert sha256_file(checkpoints[variant] / rel) == digest, f"{variant}/{rel}"


@pytest.mark.parametrize("case_dir", CASES, ids=[case_id(c) for c in CASES])
def test_case(case_dir: Path, synth_for, tmp_path: Path) -> None:
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))["case"]
    synth = synth_for(case_dir.parent, MODE_TO_VARIANT[case["mode"]])
    reason = skip_reason(synth, case)
    if reason:
        pytest.skip(reason)
    rec = run_case(synth, case, tmp_path, case_dir.parent)
    if case.get("greedy", True):
        assert rec["codes_equal"], "codes differ from the official implementation"
        assert rec["pcm_max_abs_err"] <= PCM_TOL
        assert np.array_equal(np.load(tmp_path / "codes.npy"), np.load(case_dir / "codes.npy"))
    else:
        assert rec["talker_logits_rel_err"] <= 1e-4 and rec["cp_logits_rel_err"] <= 1e-4
