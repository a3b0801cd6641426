"""Benchmark: time-to-first-audio, RTF, frames/s, peak RSS, cold and warm, whole-utterance and
streaming, per engine -> JSON.

Each engine is measured in a fresh subprocess (``python -m runtime.bench ENGINE ...``) so the
cold numbers include session creation and peak RSS belongs to that engine alone. Random-weight
models never emit EOS, so every request runs exactly ``frames`` frames. Requests use the official
pipeline (no normalization or splitting) so the numbers compare with the reference's.

Streaming: time to first audio = request start to the first PCM chunk handed to the caller, over
``ttfa_requests`` requests (each cancelled after its first chunk); full streams measure the gaps
between chunks and the underruns of a simulated real-time player (starts playing at the first
chunk; a chunk that arrives after its play time is an underrun, and playback waits for it). Warm
whole-utterance and full streaming runs alternate (whole first, then stream first), so the
streaming/whole RTF ratio is a median of back-to-back pairs that load drift hits alike.
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

from qtts.runtime.manifest import read_manifest

TEXT = "Привет! Это проверка синтеза речи, and this is an English sentence."
CHUNK_MS = 40
OFFICIAL = {"normalize": False, "split": False, "fade_ms": 0.0}


def _percentiles(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs, dtype=np.float64)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "mean": float(a.mean())}


REF_SECONDS = 10.0  # voice-clone reference length for the encoding benchmark
REF_TEXT = "Это эталонная запись голоса для клонирования, десять секунд спокойной речи."


def _request_kwargs(synth: Any) -> dict[str, Any]:
    """Request options that make ``synth``'s model type speak: a speaker, an instruction, or (Base)
    an ICL voice cloned from the 10 s synthetic reference."""
    if synth.model_type == "custom_voice":
        return {"speaker": synth.speakers[0], "language": "auto"}
    if synth.model_type == "voice_design":
        return {"instruct": "A calm voice.", "language": "auto"}
    from qtts.runtime.conformance import synthetic_audio
    from qtts.runtime.voice import encode_reference

    voice = encode_reference(synth.engine, synthetic_audio(REF_SECONDS), 24000, ref_text=REF_TEXT)
    return {"voice": voice.with_primed_decoder(synth.engine), "language": "auto"}  # as a saved voice


def measure_clone(synth: Any, *, runs: int) -> dict[str, Any]:
    """Reference encoding (resample check, log-mel, speaker encoder, codec encoder) of a 10 s
    reference, the first call and ``runs`` more; and the decoder priming a saved voice stores."""
    from qtts.runtime.conformance import synthetic_audio
    from qtts.runtime.voice import encode_reference

    ref = synthetic_audio(REF_SECONDS)
    times, prime = [], []
    for _ in range(runs + 1):
        t = time.perf_counter()
        voice = encode_reference(synth.engine, ref, 24000, ref_text=REF_TEXT)
        t1 = time.perf_counter()
        voice.with_primed_decoder(synth.engine)
        times.append(t1 - t)
        prime.append(time.perf_counter() - t1)
    return {
        "reference_s": REF_SECONDS,
        "reference_frames": len(voice.ref_codes),
        "first_encode_s": times[0],
        "encode_s": _percentiles(times[1:]) | {"n": runs},
        "prime_decoder_s": _percentiles(prime[1:]) | {"n": runs},  # once per saved voice (voices add)
    }


def measure_codec_parity(synth: Any, lengths: tuple[int, ...] = (1, 7, 73, 150, 400), seed: int = 0) -> dict[str, Any]:
    """Streaming codec decode vs one full decode of the same random codes: per length, the largest
    |difference| over per-frame pushes, random 1..25-frame pushes and per-frame pushes re-cut into
    20/40/60/100 ms chunks (the concatenation is compared; in float32 and in 16-bit PCM steps)."""
    from qtts.runtime.codec import CodecStream, decode, random_chunk_sizes
    from qtts.runtime.stream import Chunker

    session = synth.engine.sessions["codec_decoder"]
    rng = np.random.default_rng(seed)
    rows = []
    for n in lengths:
        codes = rng.integers(0, 2048, size=(n, 16), dtype=np.int64)
        full = decode(session, codes)
        per_frame = CodecStream(session).push_chunks(codes, [1] * n)
        random = CodecStream(session).push_chunks(codes, random_chunk_sizes(rng, n))
        errors = {name: float(np.abs(np.concatenate(pieces) - full).max()) for name, pieces in (("per_frame", per_frame), ("random_1_25", random))}
        for ms in (20, 40, 60, 100):
            chunker = Chunker(ms * synth.sample_rate // 1000)
            out = [c for p in per_frame for c in chunker.push(p)] + chunker.flush()
            if sum(map(len, out)) != len(full):
                raise AssertionError(f"{ms} ms chunks of {n} frames lost or added samples")
            errors[f"chunks_{ms}ms"] = float(np.abs(np.concatenate(out) - full).max())
        rows.append({"frames": n, "max_abs_error": errors})
    worst = max(e for r in rows for e in r["max_abs_error"].values())
    return {"lengths": list(lengths), "cases": rows, "max_abs_error": worst, "max_error_lsb16": worst * 32768}


def underruns(chunk_times: list[float], chunk_samples: list[int], sample_rate: int) -> tuple[int, float, float]:
    """(underrun count, total stall seconds, longest stall seconds) of a player that starts at the
    first chunk's arrival and plays in real time, waiting (rebuffering) whenever the next chunk is late."""
    clock = chunk_times[0]  # when the next chunk is due to start playing
    count, stalled, worst = 0, 0.0, 0.0
    for t, n in zip(chunk_times, chunk_samples, strict=True):
        if t > clock + 1e-9:
            count, stalled, worst = count + 1, stalled + t - clock, max(worst, t - clock)
            clock = t
        clock += n / sample_rate
    return count, stalled, worst


def stream_run(synth: Any, kw: dict[str, Any]) -> tuple[list[float], list[int]]:
    """One full stream of ``CHUNK_MS`` chunks: (arrival seconds, samples) per chunk."""
    s = synth.stream(TEXT, chunk_ms=CHUNK_MS, **kw)
    sizes = [len(c) for c in s]
    return s.stats.chunk_times, sizes


def measure_stream(synth: Any, kw: dict[str, Any], runs: list[tuple[list[float], list[int]]], *, ttfa_requests: int) -> dict[str, Any]:
    """Streaming numbers (module docstring) from full stream ``runs`` and ``ttfa_requests`` new requests."""
    ttfa = []
    for _ in range(ttfa_requests):
        with synth.stream(TEXT, chunk_ms=CHUNK_MS, **kw) as s:
            next(s)
        ttfa.append(s.stats.time_to_first_audio)
    gaps, rtf, under, stall = [], [], [], []
    for times, sizes in runs:
        gaps += list(np.diff(times))
        rtf.append(times[-1] / (sum(sizes) / synth.sample_rate))
        n, t, _ = underruns(times, sizes, synth.sample_rate)
        under.append(n)
        stall.append(t)
    return {
        "chunk_ms": CHUNK_MS,
        "time_to_first_audio_s": _percentiles(ttfa) | {"n": len(ttfa)},
        "chunk_gap_s": _percentiles(gaps) | {"max": float(max(gaps))},
        "rtf": _percentiles(rtf),
        "realtime_player": {"runs": len(runs), "underruns_per_run": _percentiles(under), "stall_s_per_run": _percentiles(stall)},
    }


def measure_engine(
    engine_dir: Path, *, frames: int, warm_runs: int, provider: str, threads: int | None, ttfa_requests: int = 20,
    codec_parity: bool = False,
) -> dict[str, Any]:
    """Run in the current process: one cold request (load + first synth), ``warm_runs`` warm ones,
    then the streaming measurements (Base engines: reference encoding first, and requests in the
    cloned voice; ``codec_parity``: the streaming-vs-full codec check too)."""
    from qtts.runtime.synthesizer import Synthesizer

    t0 = time.perf_counter()
    synth = Synthesizer.from_engines(engine_dir, provider=provider, threads=threads)
    load_s = time.perf_counter() - t0
    kw = _request_kwargs(synth) | {"seed": 0, "max_frames": frames} | OFFICIAL
    first = synth.synthesize(TEXT, **kw)
    cold_s = time.perf_counter() - t0
    warm, streams = [], []
    for i in range(warm_runs):  # whole and streaming runs alternate (module docstring)
        whole, stream = (lambda: warm.append(synth.synthesize(TEXT, **kw))), (lambda: streams.append(stream_run(synth, kw)))
        for run in (whole, stream) if i % 2 == 0 else (stream, whole):
            run()
    ttfa = [a.timings["time_to_first_audio_s"] for a in warm]
    rtf = [a.timings["rtf"] for a in warm]
    stream_rtf = [times[-1] / (sum(sizes) / synth.sample_rate) for times, sizes in streams]
    manifest = synth.engine.manifest.data
    out = {
        "engine": str(engine_dir),
        "model_type": synth.model_type,
        "profile": manifest["profile"],
        "engine_mb": sum(f["bytes"] for f in manifest["files"].values()) / 1e6,
        "provider": synth.engine.provider,
        "hidden_size": synth.engine.hidden_size,
        "frames": len(first.codes),
        "audio_s": first.duration,
        "cold": {"load_s": load_s, "load_plus_first_request_s": cold_s, "first_request_ttfa_s": first.timings["time_to_first_audio_s"]},
        "warm": {
            "runs": warm_runs,
            "time_to_first_audio_s": _percentiles(ttfa),
            "rtf": _percentiles(rtf),
            "frames_per_s": len(first.codes) / float(np.median([a.timings["total_s"] for a in warm])),
        },
        "stream": measure_stream(synth, kw, streams, ttfa_requests=ttfa_requests),
        "stream_vs_whole_rtf": float(np.median(np.divide(stream_rtf, rtf))),  # per back-to-back pair
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if synth.model_type == "base":
        out["clone"] = measure_clone(synth, runs=warm_runs)
    if codec_parity:
        out["codec_parity"] = measure_codec_parity(synth)
    return out


def run_bench(
    engine_dirs: list[Path], *, frames: int, warm_runs: int, provider: str, threads: int | None, reference: Path | None = None,
    codec_parity: bool = False,
) -> dict[str, Any]:
    ref = json.loads(Path(reference).read_text(encoding="utf-8")) if reference is not None else None  # before the runs: a bad path fails at once
    results = []
    for d in engine_dirs:
        cmd = [sys.executable, "-m", "qtts.runtime.bench", str(d), str(frames), str(warm_runs), provider, str(threads or 0), str(int(codec_parity))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            results.append({"engine": str(d), "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"})
            continue
        results.append(json.loads(proc.stdout))
    for r in results:
        r_ref = _fp32_twin(r, results)
        if r_ref is not None:  # a quantized engine beside the fp32 engine of the same checkpoint: its fidelity gates
            cmd = [sys.executable, "-m", "qtts.export.fidelity", r_ref["engine"], r["engine"], str(min(frames, 40))]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            r["fidelity"] = json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr.strip()[-300:]}
    report: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpu_count": __import__("os").cpu_count(), "python": platform.python_version()},
        "text": TEXT,
        "engines": results,
    }
    if ref is not None:
        report["reference"] = ref
    report["summary"] = summarize(report)
    return report


def _fp32_twin(result: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The fp32 engine exported from the same checkpoint files as the quantized ``result``, if benched."""
    if "error" in result or result["profile"] == "fp32" or result["model_type"] == "base":  # base: no voice to compare with
        return None
    source = read_manifest(Path(result["engine"])).data["source"]["files"]
    return next(
        (o for o in results if "error" not in o and o["profile"] == "fp32" and read_manifest(Path(o["engine"])).data["source"]["files"] == source),
        None,
    )


def summarize(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    ref = {r["checkpoint"]: r for r in (report.get("reference") or {}).get("runs", [])}
    for r in report["engines"]:
        if "error" in r:
            rows.append({"engine": r["engine"], "error": r["error"]})
            continue
        row = {
            "engine": Path(r["engine"]).name,
            "profile": r["profile"],
            "engine_mb": round(r["engine_mb"], 1),
            "frames": r["frames"],
            "stream_ttfa_p50_ms": round(r["stream"]["time_to_first_audio_s"]["p50"] * 1000, 1),
            "stream_ttfa_p95_ms": round(r["stream"]["time_to_first_audio_s"]["p95"] * 1000, 1),
            "stream_rtf_p50": round(r["stream"]["rtf"]["p50"], 4),
            "stream_gap_p95_ms": round(r["stream"]["chunk_gap_s"]["p95"] * 1000, 1),
            "underruns_per_run_p50": r["stream"]["realtime_player"]["underruns_per_run"]["p50"],
            "whole_ttfa_p50_ms": round(r["warm"]["time_to_first_audio_s"]["p50"] * 1000, 1),
            "rtf_p50": round(r["warm"]["rtf"]["p50"], 4),
            "stream_vs_whole_rtf": round(r["stream_vs_whole_rtf"], 3),
            "frames_per_s": round(r["warm"]["frames_per_s"], 2),
            "cold_s": round(r["cold"]["load_plus_first_request_s"], 3),
            "peak_rss_mb": round(r["peak_rss_mb"], 1),
        }
        if "clone" in r:
            row["clone_encode_10s_p50_ms"] = round(r["clone"]["encode_s"]["p50"] * 1000, 1)
        if "fidelity" in r and "error" not in r["fidelity"]:
            f = r["fidelity"]
            row |= {
                "talker_cos_min": round(f["talker_logits_cosine"]["min"], 5), "cp_cos_min": round(f["cp_logits_cosine"]["min"], 5),
                "code0_agree_decisive": f["code0_top1_agreement"]["decisive"], "cp_agree_decisive": round(f["cp_top1_agreement"]["decisive"], 4),
            }
        if "codec_parity" in r:
            row["codec_stream_max_err_lsb16"] = round(r["codec_parity"]["max_error_lsb16"], 4)
        src = Path(r["engine"]).name
        if src in ref:
            row["reference_rtf_p50"] = round(ref[src]["rtf"]["p50"], 4)
            row["speedup_vs_reference"] = round(ref[src]["rtf"]["p50"] / max(row["rtf_p50"], 1e-9), 2)
        rows.append(row)
    return rows


if __name__ == "__main__":
    engine, n_frames, runs, prov, n_threads, parity = sys.argv[1:7]
    out = measure_engine(
        Path(engine), frames=int(n_frames), warm_runs=int(runs), provider=prov, threads=int(n_threads) or None, codec_parity=parity == "1"
    )
    print(json.dumps(out))
