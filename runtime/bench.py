"""Benchmark: time-to-first-audio, RTF, frames/s, peak RSS, cold and warm, per engine -> JSON.

Each engine is measured in a fresh subprocess (``python -m runtime.bench ENGINE ...``) so the
cold numbers include session creation and peak RSS belongs to that engine alone. Random-weight
models never emit EOS, so every request runs exactly ``frames`` frames.
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

TEXT = "Привет! Это проверка синтеза речи, and this is an English sentence."


def _percentiles(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs, dtype=np.float64)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "mean": float(a.mean())}


def _request_kwargs(synth: Any) -> dict[str, Any]:
    if synth.model_type == "custom_voice":
        return {"speaker": synth.speakers[0], "language": "auto"}
    if synth.model_type == "voice_design":
        return {"instruct": "A calm voice.", "language": "auto"}
    raise ValueError(f"bench does not cover {synth.model_type} engines yet")


def measure_engine(engine_dir: Path, *, frames: int, warm_runs: int, provider: str, threads: int | None) -> dict[str, Any]:
    """Run in the current process: one cold request (load + first synth) then ``warm_runs`` warm ones."""
    from runtime.synthesizer import Synthesizer

    t0 = time.perf_counter()
    synth = Synthesizer.from_engines(engine_dir, provider=provider, threads=threads)
    load_s = time.perf_counter() - t0
    kw = _request_kwargs(synth) | {"seed": 0, "max_frames": frames}
    first = synth.synthesize(TEXT, **kw)
    cold_s = time.perf_counter() - t0
    warm = [synth.synthesize(TEXT, **kw) for _ in range(warm_runs)]
    ttfa = [a.timings["time_to_first_audio_s"] for a in warm]
    rtf = [a.timings["rtf"] for a in warm]
    gen = [a.timings["generate_s"] for a in warm]
    manifest = synth.engine.manifest.data
    return {
        "engine": str(engine_dir),
        "model_type": synth.model_type,
        "profile": manifest["profile"],
        "provider": synth.engine.provider,
        "hidden_size": synth.engine.hidden_size,
        "frames": len(first.codes),
        "audio_s": first.duration,
        "cold": {"load_s": load_s, "load_plus_first_request_s": cold_s, "first_request_ttfa_s": first.timings["time_to_first_audio_s"]},
        "warm": {
            "runs": warm_runs,
            "time_to_first_audio_s": _percentiles(ttfa),
            "rtf": _percentiles(rtf),
            "frames_per_s": len(first.codes) / float(np.median(gen)),
            "decode_s": _percentiles([a.timings["decode_s"] for a in warm]),
        },
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_bench(
    engine_dirs: list[Path], *, frames: int, warm_runs: int, provider: str, threads: int | None, reference: Path | None = None
) -> dict[str, Any]:
    results = []
    for d in engine_dirs:
        cmd = [sys.executable, "-m", "runtime.bench", str(d), str(frames), str(warm_runs), provider, str(threads or 0)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            results.append({"engine": str(d), "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"})
            continue
        results.append(json.loads(proc.stdout))
    report: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpu_count": __import__("os").cpu_count(), "python": platform.python_version()},
        "text": TEXT,
        "engines": results,
    }
    if reference is not None:
        report["reference"] = json.loads(Path(reference).read_text(encoding="utf-8"))
    report["summary"] = summarize(report)
    return report


def summarize(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    ref = {r["checkpoint"]: r for r in (report.get("reference") or {}).get("runs", [])}
    for r in report["engines"]:
        if "error" in r:
            rows.append({"engine": r["engine"], "error": r["error"]})
            continue
        row = {
            "engine": Path(r["engine"]).name,
            "frames": r["frames"],
            "ttfa_p50_ms": round(r["warm"]["time_to_first_audio_s"]["p50"] * 1000, 1),
            "ttfa_p95_ms": round(r["warm"]["time_to_first_audio_s"]["p95"] * 1000, 1),
            "rtf_p50": round(r["warm"]["rtf"]["p50"], 4),
            "frames_per_s": round(r["warm"]["frames_per_s"], 2),
            "cold_s": round(r["cold"]["load_plus_first_request_s"], 3),
            "peak_rss_mb": round(r["peak_rss_mb"], 1),
        }
        src = Path(r["engine"]).name
        if src in ref:
            row["reference_rtf_p50"] = round(ref[src]["rtf"]["p50"], 4)
            row["speedup_vs_reference"] = round(ref[src]["rtf"]["p50"] / max(row["rtf_p50"], 1e-9), 2)
        rows.append(row)
    return rows


if __name__ == "__main__":
    engine, n_frames, runs, prov, n_threads = sys.argv[1:6]
    out = measure_engine(Path(engine), frames=int(n_frames), warm_runs=int(runs), provider=prov, threads=int(n_threads) or None)
    print(json.dumps(out))
