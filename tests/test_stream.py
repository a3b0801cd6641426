"""Streaming synthesis: chunking, equality with ``synthesize``, back-pressure, cancellation, joins."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qtts.export.random_checkpoint import TOKENIZER_ASSETS
from qtts.runtime.errors import InputError
from qtts.runtime.stream import AudioStream, Chunker, SegmentJoiner
from qtts.runtime.synthesizer import Synthesizer
from qtts.runtime.textfeed import TextFeed
from qtts.runtime.tokenizer import TextTokenizer
from tests.waits import until_idle

TOKENIZER = TextTokenizer.from_dir(TOKENIZER_ASSETS)

TEXT = "Привет, мир! Hello, world."
LSB = 1 / 32768
ONE = {"speaker": "ryan", "seed": 5, "split": False}  # one segment


@pytest.mark.parametrize("chunk_ms", [20, 40, 60, 100])
def test_stream_equals_synthesize(cv_synth: Synthesizer, chunk_ms: int) -> None:
    """Every chunk but the last has exactly chunk_ms of samples; together they are synthesize()'s PCM
    (frames * 1920 plus the documented end ramp of fade_ms)."""
    audio = cv_synth.synthesize(TEXT, max_frames=11, **ONE)
    stream = cv_synth.stream(TEXT, chunk_ms=chunk_ms, max_frames=11, **ONE)
    chunks = list(stream)
    size = chunk_ms * 24
    assert all(len(c) == size for c in chunks[:-1]) and 0 < len(chunks[-1]) <= size
    pcm = np.concatenate(chunks)
    assert len(pcm) == len(audio.pcm) == 11 * 1920 + 5 * 24
    assert float(np.abs(pcm - audio.pcm).max()) <= LSB
    assert np.array_equal(stream.stats.codes[0], audio.codes)
    assert stream.stats.finish_reason == audio.finish_reason == "max_frames"
    assert stream.stats.samples == len(pcm) and len(stream.stats.chunk_times) == len(chunks)


def test_first_chunk_arrives_while_generation_runs(cv_synth: Synthesizer) -> None:
    """The first chunk is handed out after the first frame, long before the utterance is done."""
    frames: list[int] = []
    with cv_synth.stream(TEXT, chunk_ms=20, max_frames=400, max_buffered=1, on_frame=lambda k, _c: frames.append(k), **ONE) as stream:
        first = next(stream)
        assert len(first) == 480
        assert stream.running and len(frames) < 10
    assert stream.stats.finish_reason == "cancelled"


def test_back_pressure_pauses_the_producer(cv_synth: Synthesizer) -> None:
    frames: list[int] = []
    stream = cv_synth.stream(TEXT, chunk_ms=80, max_frames=400, max_buffered=2, on_frame=lambda k, _c: frames.append(k), **ONE)
    time.sleep(0.5)  # nobody consumes: the producer fills 2 chunks (+1 in hand) and waits
    n = len(frames)
    time.sleep(0.3)
    assert len(frames) == n < 6 and stream.running
    stream.close()
    assert not stream.running


def test_cancel_ends_within_one_frame_and_frees_the_slot(cv_synth: Synthesizer) -> None:
    frames: list[int] = []
    stream = cv_synth.stream(TEXT, chunk_ms=20, max_frames=2000, on_frame=lambda k, _c: frames.append(k), **ONE)
    for _ in range(30):
        next(stream)
    assert cv_synth.scheduler.active == 1
    at_cancel = len(frames)
    stream.close()
    assert len(frames) - at_cancel <= 1  # the scheduler checks cancels before every step
    assert not stream.running and stream.stats.finish_reason == "cancelled"
    assert cv_synth.scheduler.active == 0  # the slot is free once close() returns


def test_dropped_stream_is_cancelled(cv_synth: Synthesizer) -> None:
    frames: list[int] = []
    stream = cv_synth.stream(TEXT, chunk_ms=20, max_frames=2000, on_frame=lambda k, _c: frames.append(k), **ONE)
    next(stream)
    del stream
    gc.collect()
    assert until_idle(cv_synth, 10) == 0 and len(frames) < 2000


def test_async_iteration_matches(cv_synth: Synthesizer) -> None:
    async def collect() -> list[np.ndarray]:
        return [c async for c in cv_synth.stream(TEXT, chunk_ms=40, max_frames=6, **ONE)]

    got = np.concatenate(asyncio.run(collect()))
    want = np.concatenate(list(cv_synth.stream(TEXT, chunk_ms=40, max_frames=6, **ONE)))
    assert np.array_equal(got, want)


def test_errors_reach_the_consumer_after_the_audio_before_them() -> None:
    stream = AudioStream()
    stream.put(np.zeros(4, np.float32))
    stream.end(RuntimeError("decoder exploded"))
    assert len(next(stream)) == 4
    with pytest.raises(RuntimeError, match="decoder exploded"):
        next(stream)
    assert not stream.running


def test_ready_wakes_an_event_loop_without_a_thread_per_stream() -> None:
    """An event-loop consumer awaits ``ready`` and reads without blocking; the producer thread wakes
    the loop. A waiter cancelled (a client gone) leaves the stream readable, and the end wakes it too."""
    stream = AudioStream()

    def produce() -> None:
        for n in (3, 5):
            time.sleep(0.05)
            stream.put(np.zeros(n, np.float32))
        time.sleep(0.05)
        stream.end()

    async def consume() -> tuple[list[int], set[str]]:
        with pytest.raises(TimeoutError):  # nothing yet: the waiter is cancelled, the stream stays usable
            await asyncio.wait_for(stream.ready(), 0.01)
        threading.Thread(target=produce).start()
        sizes = []
        while True:
            await stream.ready()
            assert stream.backlog  # ready means the next read cannot block
            chunk = next(stream, None)
            if chunk is None:
                break
            sizes.append(len(chunk))
        return sizes, {t.name for t in threading.enumerate()}

    before = {t.name for t in threading.enumerate()}
    sizes, during = asyncio.run(consume())
    assert sizes == [3, 5]
    assert not {n for n in during - before if "asyncio" in n or "ThreadPoolExecutor" in n}  # no worker thread was used


def test_bad_stream_input_fails_before_streaming(cv_synth: Synthesizer) -> None:
    with pytest.raises(InputError):
        cv_synth.stream(TEXT, speaker="nobody")
    with pytest.raises(InputError):
        cv_synth.stream(TEXT, speaker="ryan", chunk_ms=5)


def test_chunker_keeps_every_sample() -> None:
    rng = np.random.default_rng(0)
    signal = rng.standard_normal(10_000).astype(np.float32)
    chunker, out, at = Chunker(480), [], 0
    while at < len(signal):
        n = int(rng.integers(0, 3000))
        out += chunker.push(signal[at : at + n])
        at += n
    out += chunker.flush()
    assert all(len(c) == 480 for c in out[:-1])
    assert np.array_equal(np.concatenate(out), signal)


def max_step(x: np.ndarray) -> float:
    """Largest sample-to-sample change |x[i+1] - x[i]|: the discontinuity metric."""
    return float(np.abs(np.diff(x)).max())


def join_ratio(pcm: np.ndarray, lo: int, hi: int, ctx: int) -> float:
    """Discontinuity at a join region [lo, hi) relative to the signal's own variation next to it:
    max step inside the region / max step in the ``ctx`` samples on either side. <= 1 = seamless."""
    own = max(max_step(pcm[lo - ctx : lo]), max_step(pcm[hi : hi + ctx]))
    return max_step(pcm[lo - 1 : hi + 1]) / own


def test_segment_joins_have_no_discontinuity() -> None:
    """Two loud sines ending/starting at a peak: a hard cut to silence would jump by 0.8 (ratio ~20);
    the ramp and fade-in keep every step within the signals' own variation."""
    sr, fade, pause = 24000, 120, 2400
    t = np.arange(4800) / sr
    a = (0.8 * np.cos(2 * np.pi * 200 * t[::-1])).astype(np.float32)  # ends at +0.8
    b = (0.8 * np.cos(2 * np.pi * 200 * t)).astype(np.float32)  # starts at +0.8
    joiner = SegmentJoiner(fade)
    parts = []
    for seg in (a, b):
        joiner.begin()
        parts += [joiner.push(seg[:1000]), joiner.push(seg[1000:])]  # fades span push boundaries
        parts.append(joiner.end(pause))
    pcm = np.concatenate(parts)
    assert len(pcm) == 2 * 4800 + 2 * (fade + pause)
    assert np.array_equal(pcm[:4800], a)  # the first segment is the decoder's own signal
    ctx = 240
    assert join_ratio(pcm, 4800, 4800 + fade + pause + fade, ctx) <= 1.0
    assert abs(pcm[-1]) < 1e-3  # ends at silence
    hard = np.concatenate([a, np.zeros(pause, np.float32), b])
    assert join_ratio(hard, 4800, 4800 + pause, ctx) > 10  # the metric does see a click


# ------------------------------------------------------------------ text-in streaming
TEXTS = [
    TEXT,
    "В 1990-х годах  цены  выросли на 3,5 %... Don't stop!\nNew line\n\n  indented  text ",
    "Hello!\n\nWorld x/y z/ w",
    "emoji 😀 here 你好 世界 ё",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TEXTS) | st.text(alphabet=" \t\nab,.!'1Щщ-😀", min_size=1, max_size=40), st.lists(st.integers(1, 7), min_size=1))
def test_text_feed_equals_whole_text_tokenization(text: str, sizes: list[int]) -> None:
    """However the text is cut into pieces, the released ids are the official ids of the whole text."""
    if not text.strip():
        return
    feed, ids, at, i = TextFeed(TOKENIZER), [], 0, 0
    while at < len(text):
        n = sizes[i % len(sizes)]
        ids += feed.push(text[at : at + n])
        at, i = at + n, i + 1
    ids += feed.finish()
    assert ids == TOKENIZER.target_ids(text).body


def test_text_feed_releases_before_the_end() -> None:
    feed = TextFeed(TOKENIZER)
    assert feed.push("Hello") == []  # the word may still grow
    early = feed.push(" wor")
    assert early == TOKENIZER.encode("Hello")
    assert early + feed.push("ld") + feed.finish() == TOKENIZER.target_ids("Hello world").body


def test_stream_text_equals_streaming_geometry(cv_synth: Synthesizer) -> None:
    """Text pieces in -> the same audio as the whole text with non_streaming_mode=False."""
    text = "Привет, мир! Hello, world. Это тест."
    kw = {"speaker": "ryan", "seed": 3, "max_frames": 30, "normalize": False}
    whole = np.concatenate(list(cv_synth.stream(text, non_streaming_mode=False, split=False, **kw)))
    pieces = (text[i : i + 3] for i in range(0, len(text), 3))
    streamed = cv_synth.stream_text(pieces, **kw)
    got = np.concatenate(list(streamed))
    assert np.array_equal(got, whole)
    assert streamed.stats.frames == 30


def test_stream_text_waits_for_late_text(cv_synth: Synthesizer) -> None:
    """Generation blocks while the next needed token has not arrived (it does not feed padding)."""
    pulled: list[float] = []
    gate = threading.Event()

    def pieces():
        yield "Hello world, this"
        pulled.append(time.perf_counter())
        gate.wait(5)
        yield " is late text."

    frames: list[int] = []
    stream = cv_synth.stream_text(pieces(), speaker="ryan", seed=1, max_frames=40, normalize=False, on_frame=lambda k, _c: frames.append(k))
    time.sleep(0.5)
    stuck = len(frames)
    assert stuck < 40 and stream.running
    gate.set()
    list(stream)
    assert stream.stats.frames == 40
