"""Statistics and plot of a closed-loop load run, shared by the in-process bench (runtime/loadtest.py)
and the HTTP/WebSocket harness (server/loadtest.py), so both report the same numbers the same way.

A request that streamed audio is summarized by :func:`request_stats` (times in seconds from its
start); a level (one concurrency C) by :func:`summarize`: ``ttfa_ms`` {p50, p95, p99, mean} (and
the samples, ``ttfa_samples_ms``),
``rtf`` (last chunk over audio), ``continuity`` (share of requests whose real-time player, started at
the first chunk, never stalls longer than ``CONTINUITY_MS``), ``audio_s`` (all audio, s), ``audio_s_per_s`` (all
audio over the level's wall time). :func:`plot` draws TTFA percentiles, audio-s/s and continuity against C.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from qtts.runtime.bench import underruns
from qtts.runtime.scheduler import CONTINUITY_MS


def percentiles(xs: list[float], scale: float = 1.0) -> dict[str, float]:
    """{p50, p95, p99, mean} of ``xs`` times ``scale``; {} when there are none."""
    if not xs:
        return {}
    a = np.asarray(xs, np.float64) * scale
    return {k: round(float(np.percentile(a, q)), 3) for k, q in (("p50", 50), ("p95", 95), ("p99", 99))} | {"mean": round(float(a.mean()), 3)}


def ratio_interval(num: list[float], den: list[float], q: float = 95, *, level: float = 0.9, draws: int = 2000, seed: int = 0) -> list[float] | None:
    """Bootstrap interval [lo, hi] (two-sided, ``level``) of the ratio of the ``q``-th percentiles of
    two samples, num over den, each resampled on its own: how far a ratio like the isolation run's
    loaded/alone TTFA p95 may move from sampling alone (a p95 of 48 requests moves a lot). None
    when a sample is empty."""
    if not num or not den:
        return None
    rng = np.random.default_rng(seed)
    a, b = np.asarray(num, np.float64), np.asarray(den, np.float64)
    top = np.percentile(rng.choice(a, (draws, len(a))), q, axis=1)
    bottom = np.percentile(rng.choice(b, (draws, len(b))), q, axis=1)
    tail = (1 - level) / 2 * 100
    return [round(float(x), 3) for x in np.percentile(top / bottom, [tail, 100 - tail])]


def request_stats(arrivals: list[float], samples: list[int], sample_rate: int) -> dict[str, float]:
    """One streamed request from its chunks' arrival times (s after the request started) and sizes
    (samples, > 0 in all): TTFA, RTF (last arrival over the audio), audio seconds, worst underrun (s)."""
    audio = sum(samples) / sample_rate
    _, _, worst = underruns(arrivals, samples, sample_rate)
    return {"ttfa_s": arrivals[0], "rtf": arrivals[-1] / audio, "audio_s": audio, "worst_underrun_s": worst}


def summarize(results: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    """One level's numbers over its requests (those with ``ttfa_s`` streamed audio; ``refused`` ones
    were turned away for load or a limit; ``failed`` ones ended in an error) and its wall time (s)."""
    done = [r for r in results if "ttfa_s" in r]
    audio = sum(r.get("audio_s", 0.0) for r in results)
    return {
        "requests": len(results),
        "refused": sum("refused" in r for r in results),
        "failed": sum("failed" in r for r in results),
        "ttfa_ms": percentiles([r["ttfa_s"] for r in done], 1000),
        "ttfa_samples_ms": [round(r["ttfa_s"] * 1000, 2) for r in done],  # for intervals and pooling runs
        "rtf": percentiles([r["rtf"] for r in done]),
        "continuity": round(sum(r["worst_underrun_s"] * 1000 <= CONTINUITY_MS for r in done) / max(len(done), 1), 4),
        "worst_underrun_ms": percentiles([r["worst_underrun_s"] for r in done], 1000),
        "audio_s": round(audio, 3),
        "audio_s_per_s": round(audio / wall, 4),
        "wall_s": round(wall, 2),
    }


def compare_to_c1(levels: list[dict[str, Any]]) -> None:
    """Add each level's audio-s/s and TTFA p95 relative to the C=1 level (when there is one), in
    place; the TTFA ratio with its bootstrap 90 % interval (:func:`ratio_interval`)."""
    base = next((lv for lv in levels if lv["concurrency"] == 1), None)
    if base is None:
        return
    for lv in levels:
        if base["audio_s_per_s"]:
            lv["audio_s_per_s_vs_c1"] = round(lv["audio_s_per_s"] / base["audio_s_per_s"], 3)
        if base["ttfa_ms"] and lv["ttfa_ms"]:
            lv["ttfa_p95_vs_c1"] = round(lv["ttfa_ms"]["p95"] / base["ttfa_ms"]["p95"], 3)
            if lv is not base:
                lv["ttfa_p95_vs_c1_ci90"] = ratio_interval(lv["ttfa_samples_ms"], base["ttfa_samples_ms"])


def ceilings(levels: list[dict[str, Any]]) -> dict[str, int | None]:
    """The largest C with request RTF p50 < 1, and the largest C with continuity >= 95 %."""
    rtf = [lv["concurrency"] for lv in levels if lv["rtf"] and lv["rtf"]["p50"] < 1]
    cont = [lv["concurrency"] for lv in levels if lv["continuity"] >= 0.95 and lv["rtf"]]
    return {"rtf_p50_below_1": max(rtf, default=None), "continuity_95": max(cont, default=None)}


def plot(panels: list[tuple[str, list[dict[str, Any]]]], path: Path) -> Path | None:
    """One row per (title, levels): TTFA percentiles, and audio-s/s with continuity, against C (PNG).
    None when matplotlib is not installed (pip install '.[bench]')."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return None
    fig, axes = plt.subplots(len(panels), 2, figsize=(10, 3.2 * len(panels)), squeeze=False)
    for (ax_t, ax_a), (title, levels) in zip(axes, panels, strict=True):
        cs = [lv["concurrency"] for lv in levels]
        timed = [lv for lv in levels if lv["ttfa_ms"]]  # levels where some request streamed audio
        for q in ("p50", "p95", "p99"):
            ax_t.plot([lv["concurrency"] for lv in timed], [lv["ttfa_ms"][q] for lv in timed], marker="o", label=f"TTFA {q}")
        ax_t.set(xscale="log", yscale="log" if timed else "linear", xlabel="concurrent streams C", ylabel="ms", title=f"{title}: time to first audio")
        ax_a.plot(cs, [lv["audio_s_per_s"] for lv in levels], marker="o", label="audio-s/s (all streams)")
        ax_a.set(xscale="log", xlabel="concurrent streams C", ylabel="audio seconds / second", title="throughput and continuity")
        for ax in (ax_t, ax_a):
            ax.set_xticks(cs, [str(c) for c in cs], minor=False)
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax_t.legend()
        ax_c = ax_a.twinx()
        ax_c.plot(cs, [lv["continuity"] for lv in levels], ls="--", marker="s", color="tab:orange",
                  label=f"continuity (streams without a > {CONTINUITY_MS:.0f} ms stall)")
        ax_c.set(ylim=(0, 1.05), ylabel="share of streams")
        ax_a.legend(handles=ax_a.get_lines() + ax_c.get_lines(), loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
