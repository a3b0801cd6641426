#!/usr/bin/env python3
"""Benchmark the OFFICIAL qwen-tts pipeline (torch CPU, float32, default attention) -> JSON that
``runtime/bench.py --reference`` compares against (matched by checkpoint directory name).

    .refvenv/bin/python golden/bench_reference.py --checkpoints DIR [DIR...] --frames 40 \
        --warm-runs 3 --out FILE [--threads N]

Dev-only. Same request as the project bench (``runtime.bench.TEXT``, language auto; custom_voice:
first speaker in sorted order, voice_design: instruct "A calm voice."), sampled with
``torch.manual_seed(0)`` before every run, ``max_new_tokens = frames + 1`` (random weights never
emit EOS, so a run yields ``frames`` frames). Each checkpoint is measured in a fresh subprocess:
one cold run (load + first synthesis) then ``--warm-runs`` warm ones. The official code does not
stream, so time to first audio equals the total synthesis time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from qtts.runtime.bench import TEXT  # noqa: E402


def _stats(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs, dtype=np.float64)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "mean": float(a.mean())}


def measure(ckpt: Path, frames: int, warm_runs: int, threads: int) -> dict:
    """In this process: load, one cold synthesis, ``warm_runs`` warm ones."""
    import torch
    from qwen_tts import Qwen3TTSModel

    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    tts = Qwen3TTSModel.from_pretrained(str(ckpt), dtype=torch.float32, device_map="cpu")
    load_s = time.perf_counter() - t0
    kind = tts.model.tts_model_type
    if kind == "custom_voice":
        speaker = tts.get_supported_speakers()[0]
        synth = lambda: tts.generate_custom_voice(TEXT, speaker=speaker, language="auto", max_new_tokens=frames + 1)  # noqa: E731
    elif kind == "voice_design":
        synth = lambda: tts.generate_voice_design(TEXT, instruct="A calm voice.", language="auto", max_new_tokens=frames + 1)  # noqa: E731
    else:
        raise ValueError(f"bench does not cover {kind} checkpoints")

    def run() -> tuple[float, int]:
        torch.manual_seed(0)
        t = time.perf_counter()
        wavs, _ = synth()
        return time.perf_counter() - t, len(wavs[0])

    _, samples = run()
    cold_s = time.perf_counter() - t0
    warm = [run()[0] for _ in range(warm_runs)]
    st = tts.model.speech_tokenizer
    n_frames = samples // st.get_decode_upsample_rate()
    audio_s = samples / st.get_output_sample_rate()
    return {
        "checkpoint": ckpt.name,
        "model_type": kind,
        "frames": n_frames,
        "audio_s": audio_s,
        "load_s": load_s,
        "cold_s": cold_s,
        "rtf": _stats([t / audio_s for t in warm]),
        "time_to_first_audio_s": _stats(warm),
        "frames_per_s": n_frames / float(np.median(warm)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch_threads": torch.get_num_threads(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", nargs="+", required=True, type=Path)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--warm-runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 = torch default)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default: stdout)")
    ap.add_argument("--measure-one", action="store_true", help=argparse.SUPPRESS)  # child mode
    args = ap.parse_args()

    if args.measure_one:
        print(json.dumps(measure(args.checkpoints[0], args.frames, args.warm_runs, args.threads)))
        return
    runs = []
    for ckpt in args.checkpoints:
        cmd = [sys.executable, __file__, "--measure-one", "--checkpoints", str(ckpt), "--frames", str(args.frames),
               "--warm-runs", str(args.warm_runs), "--threads", str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            err = proc.stderr.strip().splitlines()
            runs.append({"checkpoint": ckpt.name, "error": err[-1] if err else "failed"})
        else:
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"[bench_reference] {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
    threads = next((r["torch_threads"] for r in runs if "torch_threads" in r), None)
    report = {"implementation": f"qwen-tts {version('qwen-tts')} (torch CPU)", "torch_threads": threads,
              "frames_requested": args.frames, "text": TEXT, "runs": runs}
    text = json.dumps(report, indent=1, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
