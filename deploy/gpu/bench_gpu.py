"""The GPU bench in one run (``make bench-gpu``; ``deploy/gpu/bench_gpu.sh`` sets up the environment).

Per size (random-weight checkpoints, ``tts-run random-checkpoint``): export fp32 (the parity
reference, run on the CPU EP) and each half profile; parity of each profile on ``--provider``
against the fp32 CPU engine (teacher-forced logits cosine, top-1 agreement, free-running greedy
codes; codec PCM SNR of the same codes through both engines' decoders); batch-1 streaming TTFA and
RTF (``runtime.bench``, a fresh process per engine); the scheduler's concurrency curve for the
first size and profile (``runtime.loadtest``). Steps run in priority order and are skipped, with
the reason recorded, once ``--budget-s`` would be exceeded; the JSON is rewritten after every step,
so a run stopped at its limit still leaves what it measured. A table is printed last.

Goals (issue 15): 0.6B TTFA p95 <= 60 ms, RTF <= 0.10; 1.7B TTFA p95 <= 80 ms, RTF <= 0.12;
>= 150 audio-s/s at C = 64 (0.6B) with continuity >= 0.95; parity: cosine >= 0.999, SNR >= 30 dB.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from qtts.export.exporter import export_engine
from qtts.export.fidelity import compare
from qtts.export.half import ort131_copy
from qtts.export.random_checkpoint import generate_checkpoint
from qtts.runtime.bench import TEXT, run_bench
from qtts.runtime.loadtest import run_load
from qtts.runtime.synthesizer import Synthesizer

GATES = {"cosine": 0.999, "snr_db": 30.0}
GOALS = {"0.6b": {"ttfa_p95_ms": 60.0, "rtf": 0.10}, "1.7b": {"ttfa_p95_ms": 80.0, "rtf": 0.12}}
CPU_KERNELS = {"fp16"}  # half profiles the CPU EP can run (bf16 lacks CPU MatMul kernels: export only there)


def snr_db(ref: np.ndarray, got: np.ndarray) -> float:
    """10 log10(|ref|^2 / |ref - got|^2) in dB (inf when identical)."""
    noise = float(np.sum((np.asarray(ref, np.float64) - got) ** 2))
    return float("inf") if noise == 0 else 10 * np.log10(float(np.sum(np.asarray(ref, np.float64) ** 2)) / noise)


def parity(fp32_dir: Path, test_dir: Path, provider: str, frames: int) -> dict[str, Any]:
    """``test_dir`` on ``provider`` against ``fp32_dir`` on the CPU EP (module docstring); the reference
    runs as its ORT 1.31 copy, which onnxruntime-gpu 1.31 loads (export.half.ort131_copy)."""
    ref = Synthesizer.from_engines(ort131_copy(fp32_dir, fp32_dir.with_name(fp32_dir.name + "-ort131")))
    test = Synthesizer.from_engines(test_dir, provider=provider)
    try:
        r = compare(ref, test, TEXT, frames=frames, speaker=ref.speakers[0], language="auto")
        codes = np.random.default_rng(0).integers(0, ref.engine.config.talker.code_predictor.vocab_size, (frames, 16))
        r["codec_pcm_snr_db"] = snr_db(ref.decode(codes), test.decode(codes))
        r["provider"] = test.engine.provider
        r["gates"] = {
            "logits_cosine": min(r["talker_logits_cosine"]["min"], r["cp_logits_cosine"]["min"]) >= GATES["cosine"],
            "codec_snr": r["codec_pcm_snr_db"] >= GATES["snr_db"],
        }
        return r
    finally:
        ref.close()
        test.close()


class Run:
    """The report and its budget: ``step`` runs a measurement, records it (or why it was skipped or
    failed) and rewrites the JSON."""

    def __init__(self, out: Path, budget_s: float, args: dict[str, Any]):
        self.out, self.t0, self.budget_s = out, time.perf_counter(), budget_s
        self.report: dict[str, Any] = {
            "machine": {"platform": platform.platform(), "python": platform.python_version(), "onnxruntime": ort.__version__,
                        "available_providers": ort.get_available_providers()},
            "args": args, "kv_pool": "host (every step copies the bound KV rows to and from the device)",
            "gates": GATES, "goals": GOALS, "steps": [], "results": {},
        }

    def left(self) -> float:
        return self.budget_s - (time.perf_counter() - self.t0)

    def step(self, key: str, fn: Callable[[], Any], need_s: float) -> Any:
        t = time.perf_counter()
        entry: dict[str, Any] = {"step": key}
        if self.left() < need_s:
            entry["skipped"] = f"budget: {self.left():.0f} s left, step needs ~{need_s:.0f} s"
            value = None
        else:
            try:
                value = fn()
            except Exception as e:  # a failed step is recorded; the run goes on to the next one
                entry["error"] = f"{type(e).__name__}: {e}"[-600:]
                value = None
            else:
                if not isinstance(value, Path):
                    self.report["results"][key] = value
        entry["seconds"] = round(time.perf_counter() - t, 2)
        self.report["steps"].append(entry)
        print(json.dumps(entry), flush=True)
        self.out.write_text(json.dumps(self.report, indent=1, default=str) + "\n", encoding="utf-8")
        return value


def table(report: dict[str, Any]) -> str:
    """The closing table: per engine batch-1 streaming and parity, then the concurrency curve."""
    res = report["results"]
    lines = [f"{'engine':<16}{'ttfa p50':>9}{'ttfa p95':>9}{'rtf p50':>9}{'cos min':>9}{'snr dB':>8}{'cp top1':>8}{'greedy=':>8}  goal (ttfa p95, rtf)"]
    for key in sorted(k.removeprefix("bench/") for k in res if k.startswith("bench/")):
        size = key.split("-")[0]
        b = next(iter(res[f"bench/{key}"]["summary"]), {})
        p = res.get(f"parity/{key}") or {}
        cos = min(p["talker_logits_cosine"]["min"], p["cp_logits_cosine"]["min"]) if p else float("nan")
        goal = GOALS.get(size)
        lines.append(
            f"{key:<16}{b.get('stream_ttfa_p50_ms', float('nan')):>9}{b.get('stream_ttfa_p95_ms', float('nan')):>9}{b.get('stream_rtf_p50', float('nan')):>9}"
            f"{cos:>9.5f}{p.get('codec_pcm_snr_db', float('nan')):>8.1f}{p.get('cp_top1_agreement', {}).get('all', float('nan')):>8.3f}"
            f"{str(p.get('free_running', {}).get('codes_equal_reference', '-')):>8}  {'' if goal is None else (goal['ttfa_p95_ms'], goal['rtf'])}"
        )
    for key in (k for k in res if k.startswith("concurrency/")):
        lines.append(f"\n{key}: C, TTFA p95 ms, audio-s/s, continuity (goal 0.6b C=64: >= 150 audio-s/s, >= 0.95)")
        for lv in res[key]["levels"]:
            lines.append(f"  C={lv['concurrency']:<4}{(lv['ttfa_ms'] or {}).get('p95', float('nan')):>10}{lv['audio_s_per_s']:>10}{lv['continuity']:>8}")
    lines += [f"skipped/failed: {s['step']}: {s.get('skipped') or s.get('error')}" for s in report["steps"] if "skipped" in s or "error" in s]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--provider", default="cuda", help="cuda (the lent GPU) or cpu (dry run on tiny shapes)")
    ap.add_argument("--sizes", default="0.6b,1.7b")
    ap.add_argument("--profiles", default="fp16,bf16")
    ap.add_argument("--frames", type=int, default=40, help="frames per bench request (80 ms each)")
    ap.add_argument("--parity-frames", type=int, default=16)
    ap.add_argument("--warm-runs", type=int, default=3)
    ap.add_argument("--concurrency", default="1,8,32,64")
    ap.add_argument("--level-seconds", type=float, default=20.0, help="time limit per concurrency level")
    ap.add_argument("--capacity", type=int, default=256, help="slot capacity of the concurrency run (prompt + frames)")
    ap.add_argument("--budget-s", type=float, default=420.0)
    ap.add_argument("--work", type=Path, default=Path("build/bench-gpu"), help="checkpoints and engines")
    ap.add_argument("--out", type=Path, default=Path("build/bench-gpu/bench_gpu.json"))
    a = ap.parse_args()
    sizes, profiles = a.sizes.split(","), a.profiles.split(",")
    run = Run(a.out, a.budget_s, vars(a))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    cost = {"tiny": 0.2, "0.6b": 1.0, "1.7b": 2.5}  # rough cost factor per size, for the budget checks
    engines: dict[str, Path] = {}
    ckpts: dict[str, Path] = {}

    def export(size: str, profile: str) -> None:
        f = cost.get(size, 1.0)
        if size not in ckpts:
            c = run.step(f"checkpoint/{size}", lambda: generate_checkpoint(a.work / f"{size}-custom_voice", size, "custom_voice", seed=0), 15 * f)
            if c is None:
                return
            ckpts[size] = c
        d = run.step(f"export/{size}-{profile}", lambda: export_engine(ckpts[size], a.work / f"{size}-{profile}", profile=profile), 25 * f)
        if d is not None:
            engines[f"{size}-{profile}"] = d

    def runs_here(name: str) -> bool:
        return name in engines and (a.provider != "cpu" or name.rsplit("-", 1)[1] in CPU_KERNELS)

    def check(size: str, profile: str) -> None:
        name, ref = f"{size}-{profile}", f"{size}-fp32"
        if runs_here(name) and ref in engines:
            run.step(f"parity/{name}", lambda: parity(engines[ref], engines[name], a.provider, a.parity_frames), 25 * cost.get(size, 1.0))

    def bench(size: str, profile: str) -> None:
        name = f"{size}-{profile}"
        if runs_here(name):
            run.step(f"bench/{name}", lambda: run_bench([engines[name]], frames=a.frames, warm_runs=a.warm_runs, provider=a.provider, threads=None), 40 * cost.get(size, 1.0))

    # priority order: the first size end to end with the first profile (parity, batch 1, concurrency), the
    # other sizes' batch-1 numbers, the other profiles, then the other sizes' parity (their fp32 exports)
    first, p0 = sizes[0], profiles[0]
    for profile in ("fp32", p0):
        export(first, profile)
    check(first, p0)
    bench(first, p0)
    if runs_here(f"{first}-{p0}"):
        levels = [int(c) for c in a.concurrency.split(",")]
        run.step(f"concurrency/{first}-{p0}", lambda: run_load(
            engines[f"{first}-{p0}"], concurrency=levels, frames=a.frames, provider=a.provider, seconds=a.level_seconds, isolation=False, capacity=a.capacity,
        ), (a.level_seconds + 5) * len(levels))
    for size in sizes[1:]:
        export(size, p0)
        bench(size, p0)
    for size in sizes:
        for profile in profiles[1:]:
            export(size, profile)
            check(size, profile)
            bench(size, profile)
    for size in sizes[1:]:
        export(size, "fp32")
        for profile in profiles:
            check(size, profile)
    run.report["seconds"] = round(time.perf_counter() - run.t0, 1)
    a.out.write_text(json.dumps(run.report, indent=1, default=str) + "\n", encoding="utf-8")
    print(table(run.report), flush=True)


if __name__ == "__main__":
    main()
