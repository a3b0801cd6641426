"""Long-stream soak: one stream of a long text for ``minutes`` of audio -> JSON.

Checks what a long stream must keep: memory flat after the first minute (resident set sampled
every audio second), no underruns for a real-time player (``bench.underruns``), and every sample
accounted for (decoded frames * samples_per_frame + join ramps/pauses = samples streamed).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from qtts.runtime.bench import _request_kwargs, underruns
from qtts.runtime.codec import SAMPLES_PER_FRAME

PARAGRAPH = (
    "Глава {n}. В {n} часов утра поезд прибыл на станцию, и пассажиры вышли на перрон. "
    "Было холодно: около минус {n} градусов, а ветер дул с севера. "
    "Chapter {n} begins at dawn; the station is quiet, and the first train leaves at {n}:15. "
    "Никто не знал, что будет дальше, но все ждали новостей. "
)


def long_text(minutes: float) -> str:
    """Enough RU/EN sentences (with numbers to verbalize) for ``minutes`` of speech at any rate."""
    return "".join(PARAGRAPH.format(n=i + 1) for i in range(max(1, int(minutes * 8))))


def rss_bytes() -> int:
    """Current resident set size (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def soak(engine_dir: Path, *, minutes: float, chunk_ms: float = 40, provider: str = "cpu", threads: int | None = None) -> dict[str, Any]:
    from qtts.runtime.synthesizer import Synthesizer

    synth = Synthesizer.from_engines(engine_dir, provider=provider, threads=threads)
    sr = synth.sample_rate
    frames = int(minutes * 60 * sr / SAMPLES_PER_FRAME)
    kw = _request_kwargs(synth) | {"seed": 0, "max_frames": frames}
    t0 = time.perf_counter()
    stream = synth.stream(long_text(minutes), chunk_ms=chunk_ms, **kw)
    sizes: list[int] = []
    rss: list[tuple[float, int]] = []  # (audio seconds, bytes)
    next_mark, streamed = 0.0, 0
    for chunk in stream:
        sizes.append(len(chunk))
        streamed += len(chunk)
        audio_s = streamed / sr
        if audio_s >= next_mark:
            rss.append((audio_s, rss_bytes()))
            next_mark += 1.0
    wall = time.perf_counter() - t0
    st = stream.stats
    after_minute = [b for s, b in rss if s >= 60] or [rss[-1][1]]
    n_under, stalled, _ = underruns(st.chunk_times, sizes, sr)
    return {
        "engine": str(engine_dir),
        "audio_s": st.samples / sr,
        "wall_s": wall,
        "rtf": wall / (st.samples / sr),
        "frames": st.frames,
        "segments": len(st.finish_reasons),
        "finish_reasons": {r: st.finish_reasons.count(r) for r in sorted(set(st.finish_reasons))},
        "samples": st.samples,
        "samples_expected": st.frames * SAMPLES_PER_FRAME + st.join_samples,
        "rss_mb": {"at_1min": after_minute[0] / 2**20, "max_after_1min": max(after_minute) / 2**20, "end": rss[-1][1] / 2**20},
        "rss_growth_after_1min_pct": 100.0 * (max(after_minute) - after_minute[0]) / after_minute[0],
        "realtime_player": {"underruns": n_under, "stall_s": stalled},
        "chunk_gap_s": {"p50": float(np.percentile(np.diff(st.chunk_times), 50)), "max": float(np.max(np.diff(st.chunk_times)))},
        "time_to_first_audio_s": st.time_to_first_audio,
    }
