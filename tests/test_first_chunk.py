"""A request's own first-chunk size (``Synthesizer.submit(first_chunk_frames=...)``, the server's
``initial_codec_chunk_frames``): the first audio waits for exactly that many frames, and the audio
itself does not change (tiny model, one stream, so the load-based default is 1 frame)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from qtts.runtime.codec import SAMPLES_PER_FRAME
from qtts.runtime.errors import InputError
from qtts.runtime.synthesizer import Synthesizer

TEXT = "Hello there, this is a longer English sentence for the first chunk."
CHUNK = 960  # 40 ms chunks: two per frame


def held_at(synth: Synthesizer, frames: int, **kw: object) -> tuple[int, np.ndarray]:
    """(samples handed to the consumer while the scheduler is held as frame ``frames`` is made,
    i.e. after frames 0..frames-1 were decoded and delivered; the whole PCM once released)."""
    reached, release = threading.Event(), threading.Event()

    def on_frame(k: int, _codes: np.ndarray) -> None:
        if k == frames:
            reached.set()
            release.wait(30)

    stream = synth.submit(TEXT, speaker="ryan", seed=7, chunk_ms=40, max_buffered=64, on_frame=on_frame, **kw)  # no back-pressure pause
    try:
        assert reached.wait(30), "the generation ended before the frame the test holds at"
        queued = stream.backlog * CHUNK  # nothing read yet
    finally:
        release.set()
    return queued, np.concatenate(list(stream))


def test_first_chunk_frames_sets_the_first_delivery(cv_synth: Synthesizer) -> None:
    default_3, pcm = held_at(cv_synth, 3)
    assert default_3 == 3 * SAMPLES_PER_FRAME  # idle server: the first chunk is one frame, each frame follows
    asked_3, pcm_3 = held_at(cv_synth, 3, first_chunk_frames=4)
    asked_4, pcm_4 = held_at(cv_synth, 4, first_chunk_frames=4)
    assert asked_3 == 0 and asked_4 == 4 * SAMPLES_PER_FRAME  # nothing until the 4th frame, then all four at once
    assert len(pcm) > 5 * SAMPLES_PER_FRAME
    assert np.array_equal(pcm, pcm_3) and np.array_equal(pcm, pcm_4)  # same seed, same audio


@pytest.mark.parametrize("frames", [0, 26])
def test_first_chunk_frames_out_of_range_is_refused(cv_synth: Synthesizer, frames: int) -> None:
    with pytest.raises(InputError, match="first_chunk_frames"):
        cv_synth.submit(TEXT, speaker="ryan", first_chunk_frames=frames)
