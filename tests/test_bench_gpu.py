"""``make bench-gpu``'s script end to end on the CPU EP and tiny shapes (its dry run): every step it
takes on the lent GPU runs here too, and the JSON it leaves holds the parity gates, the batch-1
streaming numbers and the concurrency curve; bf16 is exported but not run (no CPU kernels)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_gpu_dry_run(tmp_path: Path) -> None:
    env = os.environ | {"PROVIDER": "cpu", "OUT": str(tmp_path / "out"), "WORK": str(tmp_path / "work"), "PYTHON": sys.executable, "BUDGET_S": "50"}
    proc = subprocess.run(["bash", "deploy/gpu/bench_gpu.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "bench_gpu.json").read_text())
    steps = {s["step"]: s for s in report["steps"]}
    assert not [s for s in steps.values() if "error" in s or "skipped" in s]
    assert {"export/tiny-fp32", "export/tiny-fp16", "export/tiny-bf16", "parity/tiny-fp16", "bench/tiny-fp16", "concurrency/tiny-fp16"} <= set(steps)
    assert "parity/tiny-bf16" not in steps and "bench/tiny-bf16" not in steps  # CPU: bf16 exported only
    res = report["results"]
    parity = res["parity/tiny-fp16"]
    assert parity["gates"] == {"logits_cosine": True, "codec_snr": True} and parity["provider"] == "CPUExecutionProvider"
    assert parity["cp_top1_agreement"]["decisive"] >= 0.99
    (bench,) = res["bench/tiny-fp16"]["engines"]
    assert bench["profile"] == "fp16" and bench["frames"] == 8 and bench["stream"]["time_to_first_audio_s"]["p95"] > 0
    levels = res["concurrency/tiny-fp16"]["levels"]
    assert [lv["concurrency"] for lv in levels] == [1, 2] and all(lv["audio_s_per_s"] > 0 for lv in levels)
    table = proc.stdout.strip().splitlines()
    assert table[-1].startswith("  C=2") and any(line.startswith("tiny-fp16") for line in table)
    assert (tmp_path / "out" / "bench_gpu.log").read_text() == proc.stdout
