"""OpenAI's ``speed`` (0.25-4.0): a pitch-preserving time stretch of the PCM stream.

FFmpeg's ``atempo`` filter (WSOLA-style overlap-add; 0.5-2.0 per instance, chained for the rest)
through PyAV, which the server already needs for its encoders. It streams: each pushed chunk
returns the stretched samples ready so far (the filter holds back a few tens of ms).
"""

from __future__ import annotations

import av
import av.filter
import numpy as np

from qtts.server.encoders import FrameFeed


def _factors(speed: float) -> list[float]:
    """``speed`` as a product of factors in [0.5, 2.0] (one atempo each)."""
    out = []
    while speed < 0.5:
        out.append(0.5)
        speed /= 0.5
    while speed > 2.0:
        out.append(2.0)
        speed /= 2.0
    return [*out, speed]


class TimeStretch:
    """Mono float32 PCM at ``sample_rate`` -> the same audio ``speed`` times faster, same pitch."""

    def __init__(self, speed: float, sample_rate: int = 24000):
        self.rate = sample_rate
        self._graph = graph = av.filter.Graph()  # owns the filters: keep it alive
        self._src = graph.add_abuffer(format="flt", sample_rate=sample_rate, layout="mono", time_base=f"1/{sample_rate}")
        self._sink = graph.add("abuffersink")
        graph.link_nodes(self._src, *(graph.add("atempo", f"{f:.6f}") for f in _factors(speed)), self._sink).configure()
        self._feed = FrameFeed(sample_rate, sample_rate)

    def push(self, pcm: np.ndarray) -> np.ndarray:
        """Stretch a chunk of shape (n,); returns the samples ready (possibly none)."""
        frame = self._feed.frame(pcm)
        if frame is not None:
            self._src.push(frame)
        return self._pull()

    def finish(self) -> np.ndarray:
        """The samples the filter still holds."""
        self._src.push(None)
        return self._pull()

    def _pull(self) -> np.ndarray:
        out = [np.zeros(0, np.float32)]
        while True:
            try:
                out.append(self._sink.pull().to_ndarray()[0])
            except (av.BlockingIOError, av.EOFError):
                return np.concatenate(out)
