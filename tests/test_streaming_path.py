"""The lean streaming path: a streaming segment's codec calls grow with its frame index (never with
timing or load), so its PCM is bit-identical across runs however slow the model calls are, and the
scheduler thread sleeps while a model call runs instead of polling."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from qtts.runtime.codec import CodecStream
from qtts.runtime.policy import Priority, codec_group
from qtts.runtime.scheduler import Scheduler
from qtts.runtime.scheduler_config import SchedulerConfig
from qtts.runtime.synthesizer import Synthesizer

TEXT = "Hello there, this is a longer English sentence for the streaming path."
ONE = {"speaker": "ryan", "seed": 11, "split": False, "max_frames": 40, "normalize": False}


def expected_calls(frames: int, first_chunk: int | None = None) -> list[int]:
    """Frames per codec call of one streaming segment of ``frames`` frames (the last call at its end)."""
    calls: list[int] = []
    while sum(calls) < frames:
        done = sum(calls)
        group = codec_group(done)
        if first_chunk and done < first_chunk:
            group = min(group, first_chunk - done)
        calls.append(min(group, frames - done))
    return calls


@pytest.fixture
def codec_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], list[int]]:
    """Records the frames of every codec call; ``slow(s)`` makes each call sleep up to s seconds first."""
    calls: list[int] = []
    delay = [0.0]
    push_batch = CodecStream.push_batch

    def recorded(streams: list[CodecStream], codes: np.ndarray, **kw: object) -> np.ndarray:
        calls.append(codes.shape[1])
        time.sleep(random.uniform(0, delay[0]))
        return push_batch(streams, codes, **kw)

    monkeypatch.setattr(CodecStream, "push_batch", staticmethod(recorded))

    def slow(seconds: float) -> list[int]:
        delay[0] = seconds
        calls.clear()
        return calls

    return slow


def test_codec_calls_grow_with_the_frame_index(cv_synth: Synthesizer, codec_calls: Callable[[float], list[int]]) -> None:
    calls = codec_calls(0.0)
    stream = cv_synth.stream(TEXT, chunk_ms=40, **ONE)
    pcm = np.concatenate(list(stream))
    frames = stream.stats.frames
    assert frames > 16, "the tiny model ended too early to show the growth"
    assert calls == expected_calls(frames)  # 1 x 8, then 2, 4, 8 frames per call
    assert len(pcm) == frames * 1920 + 5 * 24  # every frame once, then the 5 ms end ramp


def test_a_requested_first_chunk_ends_a_codec_call(cv_synth: Synthesizer, codec_calls: Callable[[float], list[int]]) -> None:
    calls = codec_calls(0.0)
    stream = cv_synth.stream(TEXT, chunk_ms=40, first_chunk_frames=11, **ONE)
    list(stream)
    assert calls == expected_calls(stream.stats.frames, 11) and 11 in np.cumsum(calls)


def test_pcm_is_bit_identical_across_runs_whatever_the_timing(tiny_engines: dict[str, Path], codec_calls: Callable[[float], list[int]]) -> None:
    """Codec calls slowed by random sleeps (the consumer and the steps then run at other paces):
    the same calls, the same PCM to the bit; beside another stream too, when codec calls hold one
    stream each (``codec_rows=1``: rows batched in one codec call differ in float rounding)."""
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1, scheduler=SchedulerConfig(codec_rows=1))
    try:
        calls = codec_calls(0.0)
        want = np.concatenate(list(synth.stream(TEXT, **ONE)))
        quick = list(calls)
        calls = codec_calls(0.02)
        got = np.concatenate(list(synth.stream(TEXT, **ONE)))
        assert calls == quick and np.array_equal(got, want)
        other = synth.stream("A different request runs beside it.", speaker="ryan", seed=2, max_frames=40)
        beside = np.concatenate(list(synth.stream(TEXT, **ONE)))
        list(other)
        assert np.array_equal(beside, want)
    finally:
        synth.close()


def test_the_scheduler_sleeps_while_a_model_call_runs(cv_synth: Synthesizer, codec_calls: Callable[[float], list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    """With 30 ms model calls, a 2 ms poll would run admission ~15 times per call; event-driven
    waits run it about once per call."""
    codec_calls(0.03)
    scheduler = cv_synth.scheduler
    step = scheduler.pool.step
    admits = [0]
    admit = Scheduler._admit

    def slow_step(*args: object) -> np.ndarray:
        time.sleep(0.03)
        return step(*args)

    def counted(self: Scheduler, *, only: Priority | None = None) -> set[int]:
        admits[0] += 1
        return admit(self, only=only)

    monkeypatch.setattr(scheduler.pool, "step", slow_step)
    monkeypatch.setattr(Scheduler, "_admit", counted)
    stream = cv_synth.stream(TEXT, **ONE)
    list(stream)
    model_calls = stream.stats.frames + len(stream.stats.chunk_times)  # steps + codec calls, generously
    assert admits[0] <= 2 * model_calls
