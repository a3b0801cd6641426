"""Load bench of the batching scheduler (``tts-run bench --concurrency 1,2,4,...``), in-process.

Per engine and per concurrency C (closed loop: C clients, each submitting its next request when the
previous one ends), or per Poisson rate R (open loop: arrivals at R requests/s, each its own
client), every request streams ``frames`` frames (random weights never emit EOS) and its client
reads chunks as fast as they come. Per request: TTFA (submit -> first chunk), RTF (submit -> last
chunk over its audio), and the worst underrun of a real-time player that starts at the first chunk
(:func:`runtime.bench.underruns`). Per level: ``ttfa_ms`` {p50, p95, p99}, ``rtf`` {p50, p95},
``continuity`` (share of requests whose worst underrun is <= 100 ms), ``audio_s_per_s`` (all audio
over the level's wall time), ``step_ms`` by batch size and the codec's share of engine time.
Ceilings: the largest C with request RTF p50 < 1, and the largest C with continuity >= 95 %.

A priority-isolation run puts a few ``realtime`` clients beside ``batch`` clients that fill the
pool, and compares the realtime TTFA p95 and continuity with the same realtime clients alone (at
least 96 realtime requests each way, within ``seconds``; the ratio comes with a bootstrap interval,
because a p95 of a few dozen requests moves by ±20 % between runs).
Everything is bounded in requests and seconds and stops by itself.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qtts.runtime.bench import OFFICIAL, TEXT, _request_kwargs
from qtts.runtime.errors import OverloadError
from qtts.runtime.loadstats import ceilings, compare_to_c1, ratio_interval, request_stats, summarize
from qtts.runtime.scheduler import SchedulerConfig


def one_request(synth: Any, kw: dict[str, Any], priority: str, chunk_ms: float) -> dict[str, Any]:
    """Stream one request to the end; its TTFA, RTF and worst real-time-player underrun."""
    t0 = time.perf_counter()
    try:
        stream = synth.submit(TEXT, priority=priority, chunk_ms=chunk_ms, **kw)
    except OverloadError as e:
        return {"refused": e.reason}
    arrivals, sizes = [], []
    for chunk in stream:
        arrivals.append(time.perf_counter() - t0)
        sizes.append(len(chunk))
    if not arrivals:
        return {"finish_reason": stream.stats.finish_reason, "audio_s": 0.0}
    return request_stats(arrivals, sizes, synth.sample_rate) | {"finish_reason": stream.stats.finish_reason, "priority": priority}


def _clients(
    n: int, work: Callable[[int], dict[str, Any]], *, requests: int, seconds: float, results: list[dict[str, Any]], stop: threading.Event
) -> list[threading.Thread]:
    """n closed-loop clients sharing a budget of ``requests`` requests and ``seconds`` seconds."""
    lock = threading.Lock()
    issued = [0]
    end = time.perf_counter() + seconds

    def client(i: int) -> None:
        while not stop.is_set() and time.perf_counter() < end:
            with lock:
                if issued[0] >= requests:
                    return
                issued[0] += 1
            r = work(i)
            with lock:
                results.append(r)

    return [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]


def _engine_times(synth: Any, before: dict[str, Any]) -> dict[str, Any]:
    """Step and codec time by batch size since ``before`` (a ``Scheduler.totals()`` snapshot)."""
    now = synth.scheduler.totals()
    out: dict[str, Any] = {}
    for kind in ("step", "codec"):
        rows = {}
        for b, (n, s) in now[kind].items():
            n0, s0 = before[kind].get(b, (0, 0.0))
            if n > n0:
                rows[str(b)] = round((s - s0) / (n - n0) * 1000, 3)
        out[f"{kind}_ms"] = rows
    eng = {k: sum(s for _, s in now[k].values()) - sum(s for _, s in before[k].values()) for k in ("step", "codec", "prefill")}
    out["codec_share"] = round(eng["codec"] / max(sum(eng.values()), 1e-9), 3)
    return out


def closed_loop(synth: Any, kw: dict[str, Any], c: int, *, requests: int, seconds: float, chunk_ms: float) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    stop = threading.Event()
    before = synth.scheduler.totals()
    threads = _clients(c, lambda i: one_request(synth, kw | {"seed": i}, "standard", chunk_ms), requests=requests, seconds=seconds, results=results, stop=stop)
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"concurrency": c} | summarize(results, time.perf_counter() - t0) | _engine_times(synth, before)


def open_loop(synth: Any, kw: dict[str, Any], rate: float, *, requests: int, seconds: float, chunk_ms: float, seed: int = 0) -> dict[str, Any]:
    """Poisson arrivals at ``rate`` requests/s: ``requests`` of them or ``seconds``, whichever first."""
    rng = np.random.default_rng(seed)
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    threads = []
    before = synth.scheduler.totals()
    t0 = time.perf_counter()
    at = 0.0
    for i in range(requests):
        at += float(rng.exponential(1 / rate))
        if at > seconds:
            break
        time.sleep(max(0.0, t0 + at - time.perf_counter()))

        def work(i: int = i) -> None:
            r = one_request(synth, kw | {"seed": i}, "standard", chunk_ms)
            with lock:
                results.append(r)

        t = threading.Thread(target=work, daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return {"rate": rate} | summarize(results, time.perf_counter() - t0) | _engine_times(synth, before)


def priority_isolation(synth: Any, kw: dict[str, Any], *, realtime: int, batch: int, requests: int, seconds: float, chunk_ms: float) -> dict[str, Any]:
    """``realtime`` clients alone, then beside ``batch`` closed-loop clients that fill the pool;
    ``ttfa_p95_ratio`` (loaded / alone) with its bootstrap 90 % interval."""

    def rt_run(background: int) -> dict[str, Any]:
        stop = threading.Event()
        rt: list[dict[str, Any]] = []
        bg: list[dict[str, Any]] = []
        loaders = _clients(background, lambda i: one_request(synth, kw | {"seed": 1000 + i}, "batch", chunk_ms), requests=10**6, seconds=seconds * 3, results=bg, stop=stop)
        for t in loaders:
            t.start()
        time.sleep(0.5 if background else 0.0)  # the batch load is running
        t0 = time.perf_counter()
        clients = _clients(realtime, lambda i: one_request(synth, kw | {"seed": i}, "realtime", chunk_ms), requests=requests, seconds=seconds, results=rt, stop=threading.Event())
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        wall = time.perf_counter() - t0
        stop.set()
        for t in loaders:
            t.join()
        return {"realtime": summarize(rt, wall), "batch": summarize(bg, wall) if background else None}

    alone, loaded = rt_run(0), rt_run(batch)
    base, under = alone["realtime"]["ttfa_ms"].get("p95"), loaded["realtime"]["ttfa_ms"].get("p95")
    return {
        "realtime_clients": realtime, "batch_clients": batch, "alone": alone, "loaded": loaded,
        "ttfa_p95_ratio": round(under / base, 3) if base and under else None,
        "ttfa_p95_ratio_ci90": ratio_interval(loaded["realtime"]["ttfa_samples_ms"], alone["realtime"]["ttfa_samples_ms"]),
    }


def run_load(
    engine_dir: Path, *, concurrency: list[int], frames: int, rate: float | None = None, provider: str = "cpu", threads: int | None = None,
    requests: int | None = None, seconds: float = 60.0, chunk_ms: float = 40, isolation: bool = True, capacity: int = 512,
) -> dict[str, Any]:
    """One engine under load (module docstring) -> JSON-able dict."""
    from qtts.runtime.synthesizer import Synthesizer

    top = max(concurrency)
    synth = Synthesizer.from_engines(engine_dir, provider=provider, threads=threads, scheduler=SchedulerConfig(max_streams=top, capacity=capacity, memory_mb=16384, max_waiting=4 * top, shed=False))
    try:
        kw = _request_kwargs(synth) | {"max_frames": frames} | OFFICIAL
        one_request(synth, kw | {"seed": 0}, "standard", chunk_ms)  # warm-up (not counted)
        gc.freeze()  # as `tts-run serve` does after its warm-up: full collections skip the start-up objects
        levels = [closed_loop(synth, kw, c, requests=requests or max(2 * c, 8), seconds=seconds, chunk_ms=chunk_ms) for c in concurrency]
        out: dict[str, Any] = {
            "engine": str(engine_dir), "model_type": synth.model_type, "frames": frames, "chunk_ms": chunk_ms,
            "slots": synth.scheduler.max_streams, "levels": levels, "ceilings": ceilings(levels),
        }
        compare_to_c1(levels)
        if rate:
            out["open_loop"] = open_loop(synth, kw, rate, requests=requests or 64, seconds=seconds, chunk_ms=chunk_ms)
        if isolation and top >= 4:
            out["priority_isolation"] = priority_isolation(synth, kw, realtime=2, batch=top - 2, requests=max(requests or 0, 96), seconds=seconds, chunk_ms=chunk_ms)
        return out
    finally:
        synth.close()


FINISH_REASONS = {"eos", "max_frames", "frame_budget", "capacity", "cancelled", "deadline", "shed"}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def stress(synth: Any, requests: int, *, seed: int = 0, rounds: int = 3, frames: int = 30, workers: int = 16) -> dict[str, Any]:
    """``rounds`` bounded rounds of ``requests`` requests from ``workers`` threads at once: random
    classes, random cancels (explicit close, or the stream dropped), random deadlines, slow consumers
    (back-pressure) and streamed text; a refused client retries after the hint, up to 3 tries. Checks that every request ended accounted for: refused at
    once with a typed error, or ended with a finish reason (and audio unless it was cancelled first);
    that no slot or queue entry is left; RSS after each round (the first is the warm-up)."""
    from concurrent.futures import ThreadPoolExecutor

    from qtts.runtime.errors import TTSError

    rng = np.random.default_rng(seed)
    kw = _request_kwargs(synth) | {"normalize": False}
    plans = [
        [{"kind": str(rng.choice(["plain", "cancel", "drop", "deadline", "slow", "text"], p=[0.35, 0.15, 0.1, 0.15, 0.15, 0.1])),
          "priority": str(rng.choice(["realtime", "standard", "batch"])), "frames": int(rng.integers(5, frames + 1)),
          "after": int(rng.integers(0, 6)), "deadline": float(rng.uniform(0.05, 1.0)), "seed": int(rng.integers(1 << 30))}
         for _ in range(requests)]
        for _ in range(rounds)
    ]

    def submit(p: dict[str, Any]) -> Any:
        """Submit like a polite client: after a queue_full refusal, wait the hint and retry (3 tries)."""
        opts = kw | {"seed": p["seed"], "max_frames": p["frames"], "priority": p["priority"]}
        for attempt in range(3):
            try:
                if p["kind"] == "text":
                    return synth.stream_text((w + " " for w in TEXT.split()), **opts)
                return synth.submit(TEXT, deadline=p["deadline"] if p["kind"] == "deadline" else None, max_buffered=2 if p["kind"] == "slow" else 8, **opts)
            except OverloadError as e:
                if e.reason != "queue_full" or attempt == 2:
                    raise
                time.sleep(min(e.retry_after_s, 0.5))
        raise AssertionError("unreachable")

    def run(p: dict[str, Any]) -> dict[str, Any]:
        try:
            stream = submit(p)
        except TTSError as e:
            return {"kind": p["kind"], "refused": type(e).__name__, "reason": getattr(e, "reason", "")}
        samples = 0
        try:
            for i, chunk in enumerate(stream):
                samples += len(chunk)
                if p["kind"] in ("cancel", "drop") and i >= p["after"]:
                    break
                if p["kind"] == "slow":
                    time.sleep(0.02)
        except OverloadError as e:  # text-in: the request is submitted once its first token is known
            return {"kind": p["kind"], "refused": type(e).__name__, "reason": e.reason}
        except TTSError as e:
            return {"kind": p["kind"], "error": str(e)}
        if p["kind"] == "cancel":
            stream.close()
        elif p["kind"] == "drop":
            stats = stream.stats
            del stream  # nobody closes it: dropping it must cancel the request
            return {"kind": p["kind"], "samples": samples, "dropped": True, "stats": stats}
        return {"kind": p["kind"], "samples": samples, "finish_reason": stream.stats.finish_reason}

    out: dict[str, Any] = {"requests_per_round": requests, "rounds": []}
    for plan in plans:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(run, plan))
        deadline = time.perf_counter() + 30
        while (synth.scheduler.active or synth.scheduler.waiting) and time.perf_counter() < deadline:
            time.sleep(0.01)  # dropped streams are reaped within a step
        for r in results:
            if r.pop("dropped", False):
                r["finish_reason"] = r.pop("stats").finish_reason
        ended = [r for r in results if "finish_reason" in r]
        out["rounds"].append({
            "seconds": round(time.perf_counter() - t0, 2),
            "accepted": len(ended) + sum("error" in r for r in results),
            "refused": {k: sum(r.get("reason") == k for r in results) for k in sorted({r.get("reason", "") for r in results if "refused" in r})},
            "errors": [r["error"] for r in results if "error" in r],
            "finish_reasons": {k: sum(r["finish_reason"] == k for r in ended) for k in sorted({r["finish_reason"] for r in ended})},
            "unaccounted": [r for r in results if "finish_reason" not in r and "refused" not in r and "error" not in r],
            "bad_finish": [r for r in ended if r["finish_reason"] not in FINISH_REASONS],
            "silent_completions": sum(r["finish_reason"] in ("eos", "max_frames", "frame_budget") and r["samples"] == 0 for r in ended),
            "slots_left": synth.scheduler.active,
            "waiting_left": synth.scheduler.waiting,
            "rss_mb": round(_rss_mb(), 1),
        })
    rss = [r["rss_mb"] for r in out["rounds"]]
    out["rss_growth_after_warmup"] = round(rss[-1] / rss[0] - 1, 4) if len(rss) > 1 else 0.0
    return out
