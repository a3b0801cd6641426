"""Continuous batching: many requests in one batched step give what each gives alone; admission,
priorities, back-pressure and cancel through the scheduler (tiny model)."""

from __future__ import annotations

import gc
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from qtts.runtime.codec import CodecStream
from qtts.runtime.errors import InputError, OverloadError, TTSError
from qtts.runtime.policy import Priority
from qtts.runtime.scheduler import Scheduler, SchedulerConfig
from qtts.runtime.synthesizer import Synthesizer
from tests.golden_sets import MODE_TO_VARIANT, PROJECT_SETS
from tests.waits import gated_text, until_idle

REQUESTS = [  # different speakers, texts, lengths, sampling; one split into several segments
    {"text": "Привет, мир!", "speaker": "ryan", "seed": 1, "max_frames": 9},
    {"text": "Hello there, this is a longer English sentence for the batch.", "speaker": "aiden", "seed": 2, "max_frames": 23},
    {"text": "Второй запрос. Он из двух предложений!", "speaker": "vivian", "seed": 3, "max_frames": 110},
    {"text": "Greedy one.", "speaker": "serena", "greedy": True, "max_frames": 14},
    {"text": "Mixed текст, 12 слов.", "speaker": "eric", "seed": 4, "max_frames": 5},
    {"text": "Sampled with other settings.", "speaker": "ryan", "seed": 5, "temperature": 0.5, "top_k": 7, "top_p": 0.8, "max_frames": 17},
]


def _options(synth: Synthesizer, req: dict) -> dict:
    req = dict(req)
    overrides = {k: req.pop(k) for k in ("temperature", "top_k", "top_p") if k in req}
    sampling = synth.default_sampling(**overrides)
    if req.pop("greedy", False):
        sampling = sampling.greedy()
    return {**req, "sampling": sampling}


@pytest.fixture(scope="module")
def batch_synth(tiny_engines: dict[str, Path]) -> Synthesizer:
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1, scheduler=SchedulerConfig(max_streams=8, window_ms=50))
    yield synth
    synth.close()


def test_batched_requests_equal_their_solo_runs(batch_synth: Synthesizer) -> None:
    """Greedy and seeded requests, submitted together, give the codes they give alone (exactly) and
    PCM within 1e-4; the scheduler did step several of them in one call."""
    solo = [batch_synth.synthesize(**_options(batch_synth, r)) for r in REQUESTS]
    before = batch_synth.scheduler.totals()["step"]
    with ThreadPoolExecutor(len(REQUESTS)) as pool:
        together = list(pool.map(lambda r: batch_synth.synthesize(**_options(batch_synth, r)), REQUESTS))
    after = batch_synth.scheduler.totals()["step"]
    assert max(b for b in after if after[b][0] > before.get(b, (0, 0))[0]) >= 4  # really batched
    for a, b in zip(solo, together, strict=True):
        assert np.array_equal(a.codes, b.codes)
        assert a.codes.shape[0] > 0 and a.pcm.shape == b.pcm.shape
        assert float(np.abs(a.pcm - b.pcm).max()) <= 1e-4
        assert a.finish_reason == b.finish_reason and [s["frames"] for s in a.segments] == [s["frames"] for s in b.segments]
    assert len(solo[2].segments) == 2  # the split request ran its two segments in one slot


def test_streams_equal_solo_when_started_at_different_times(batch_synth: Synthesizer) -> None:
    """Newcomers join while others decode (prefill into a slot, rows at different positions)."""
    opts = [_options(batch_synth, r) for r in REQUESTS[:4]]
    solo = [np.concatenate(list(batch_synth.stream(chunk_ms=40, **o))) for o in opts]
    streams = []
    for o in opts:
        streams.append(batch_synth.stream(chunk_ms=40, **o))
        time.sleep(0.03)
    got = [np.concatenate(list(s)) for s in streams]
    for a, b in zip(solo, got, strict=True):
        assert a.shape == b.shape and float(np.abs(a - b).max()) <= 1e-4


def test_a_paused_consumer_does_not_hold_back_the_others(batch_synth: Synthesizer) -> None:
    frames: list[int] = []
    stuck = batch_synth.stream("Никто не читает этот поток.", speaker="ryan", seed=1, max_frames=300, chunk_ms=80, max_buffered=1,
                               on_frame=lambda k, _c: frames.append(k))
    time.sleep(0.3)
    paused_at = len(frames)
    audio = batch_synth.synthesize("Another request finishes meanwhile.", speaker="aiden", seed=2, max_frames=40)
    assert len(audio.codes) == 40
    assert len(frames) <= paused_at + 1 and stuck.running  # the unread stream stayed paused
    stuck.close()
    assert batch_synth.scheduler.active == 0


def test_late_streamed_text_does_not_hold_back_the_others(batch_synth: Synthesizer) -> None:
    gate = threading.Event()
    waiting = batch_synth.stream_text(gated_text("Hello world, this", " is late text.", gate), speaker="ryan", seed=1, max_frames=40, normalize=False)
    audio = batch_synth.synthesize("Meanwhile this one runs to the end.", speaker="aiden", seed=2, max_frames=30)
    assert len(audio.codes) == 30 and waiting.running
    gate.set()
    list(waiting)
    assert waiting.stats.frames == 40


def test_realtime_is_admitted_before_batch(tiny_engines: dict[str, Path]) -> None:
    """One slot: while it is busy, a batch request and then a realtime one queue; realtime goes first."""
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1, scheduler=SchedulerConfig(max_streams=1, window_ms=0))
    try:
        started: list[str] = []
        busy = synth.stream("Busy.", speaker="ryan", seed=1, max_frames=20, max_buffered=1)
        next(busy)
        low = synth.submit("Low.", priority="batch", speaker="ryan", seed=2, max_frames=3, on_frame=lambda k, _c: k or started.append("batch"))
        high = synth.submit("High.", priority="realtime", speaker="ryan", seed=3, max_frames=3, on_frame=lambda k, _c: k or started.append("realtime"))
        busy.close()
        list(high), list(low)
        assert started == ["realtime", "batch"]
    finally:
        synth.close()


def test_overload_is_refused_at_once_with_a_retry_hint(tiny_engines: dict[str, Path]) -> None:
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1, scheduler=SchedulerConfig(max_streams=1, max_waiting=1, window_ms=0))
    try:
        busy = synth.stream("Busy.", speaker="ryan", seed=1, max_frames=200, max_buffered=1)
        next(busy)
        queued = synth.stream("Queued.", speaker="ryan", seed=2, max_frames=3)
        t = time.perf_counter()
        with pytest.raises(OverloadError) as refused:
            synth.stream("One too many.", speaker="ryan", seed=3, max_frames=3)
        assert time.perf_counter() - t < 0.5
        assert refused.value.reason == "queue_full" and refused.value.retry_after_s > 0
        with pytest.raises(InputError, match="priority"):
            synth.submit("Bad class.", priority="urgent", speaker="ryan")
        busy.close()
        assert len(np.concatenate(list(queued))) > 0  # the admitted one was not starved
    finally:
        synth.close()


def test_deadline_ends_a_request_and_frees_its_slot(batch_synth: Synthesizer) -> None:
    stream = batch_synth.submit("Long.", speaker="ryan", seed=1, max_frames=2000, split=False, deadline=0.5)
    chunks = list(stream)
    assert chunks and stream.stats.finish_reason == "deadline"
    assert batch_synth.scheduler.active == 0


@pytest.mark.parametrize("variant", ["custom_voice", "voice_design", "base"])
@pytest.mark.parametrize("golden", sorted(PROJECT_SETS), ids=[d.name for d in sorted(PROJECT_SETS)])
def test_conformance_with_concurrency_4(golden: Path, variant: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Every golden case of the variant submitted four at a time (`tts-run conformance --concurrency 4`):
    greedy codes still equal the official ones, PCM within 1e-4, sampled cases' teacher-forced logits."""
    from qtts.runtime.conformance import run_conformance

    cases = [json.loads(p.read_text(encoding="utf-8"))["case"] for p in sorted(golden.glob("*/case.json"))]
    cases = [c for c in cases if MODE_TO_VARIANT[c["mode"]] == variant]
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    engine = request.getfixturevalue(f"{PROJECT_SETS[golden]}_engines")[variant]
    report = run_conformance(engine, tmp_path / "cases.json", tmp_path / "out", golden=golden, threads=1, concurrency=4)
    assert report["ran"] == len(cases) >= 1 and report["skipped"] == 0
    failed = {name: r for name, r in report["cases"].items() if not r.get("passed")}
    assert not failed, failed


# ------------------------------------------------------------------ regressions found in review
def test_close_from_another_thread_ends_a_blocked_reader(batch_synth: Synthesizer) -> None:
    for _ in range(10):
        stream = batch_synth.stream("Читатель ждёт.", speaker="ryan", seed=1, max_frames=300, split=False, max_buffered=1)
        next(stream)
        reader = threading.Thread(target=list, args=(stream,))
        reader.start()
        stream.close()
        reader.join(5)
        assert not reader.is_alive()
    assert batch_synth.scheduler.active == 0


def test_a_failing_callback_ends_only_its_own_request(batch_synth: Synthesizer) -> None:
    def explode(k: int, _codes: np.ndarray) -> None:
        if k == 3:
            raise RuntimeError("user callback bug")

    other = batch_synth.stream("Other.", speaker="aiden", seed=2, max_frames=20, split=False)
    bad = batch_synth.stream("Bad.", speaker="ryan", seed=1, max_frames=20, split=False, on_frame=explode)
    with pytest.raises(TTSError, match="user callback bug"):
        list(bad)
    assert len(np.concatenate(list(other))) == 20 * 1920 + 120 and other.stats.finish_reason == "max_frames"
    assert batch_synth.scheduler.active == 0


def test_the_callers_cancel_event_is_left_alone_after_a_request(batch_synth: Synthesizer) -> None:
    cancel = threading.Event()
    for _ in range(2):
        audio = batch_synth.synthesize("Twice.", speaker="ryan", seed=1, max_frames=4, cancel=cancel)
        gc.collect()
        assert audio.finish_reason == "max_frames" and len(audio.codes) == 4 and not cancel.is_set()


def test_text_in_errors_and_drops_free_the_slot(batch_synth: Synthesizer) -> None:
    def failing():
        yield "Hello world, this"
        time.sleep(0.2)
        raise RuntimeError("LLM connection lost")

    stream = batch_synth.stream_text(failing(), speaker="ryan", seed=1, max_frames=200, normalize=False)
    with pytest.raises(RuntimeError, match="LLM connection lost"):
        list(stream)
    gate = threading.Event()
    dropped = batch_synth.stream_text(gated_text("Hello world, this", " and more.", gate), speaker="ryan", seed=1, max_frames=200, normalize=False)
    next(dropped)
    del dropped
    gc.collect()
    leftover = until_idle(batch_synth, 5)
    gate.set()
    assert leftover == 0


def test_classes_stay_ordered_and_outputs_stay_solo(batch_synth: Synthesizer) -> None:
    """Newcomers of a higher class take slots ahead of lower ones (rows move); nobody's output changes."""
    classes = ["batch", "standard", "batch", "realtime", "standard", "realtime"]
    opts = [_options(batch_synth, r) | {"split": False} for r in REQUESTS]
    solo = [batch_synth.synthesize(**o).codes for o in opts]
    streams = []
    for o, cls in zip(opts, classes, strict=True):
        text = o.pop("text")
        streams.append(batch_synth.submit(text, priority=cls, decode_frames=4, **o))
        time.sleep(0.02)
        order = [r.priority for r in batch_synth.scheduler._rows]
        assert order == sorted(order, reverse=True)
    for want, stream in zip(solo, streams, strict=True):
        list(stream)
        assert np.array_equal(np.concatenate(stream.stats.codes), want)
    assert batch_synth.scheduler.active == 0


def test_every_finish_reason_has_its_codes(batch_synth: Synthesizer) -> None:
    stream = batch_synth.stream("Один. Два. Три.", speaker="ryan", seed=1, max_frames=300)
    while len(stream.stats.finish_reasons) < 1:
        next(stream)
    stream.close()
    assert stream.stats.finish_reasons[-1] == "cancelled"
    assert len(stream.stats.codes) == len(stream.stats.finish_reasons)


def test_realtime_arrivals_join_during_a_step_without_changing_anyone(batch_synth: Synthesizer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Realtime requests arriving while a batched step runs are prefilled beside it (the realtime
    lane: other rows, the parity that step reads, then carried over and placed ahead of the batch
    rows); every output still equals its solo run. The step is slowed so arrivals land in it."""
    background = [_options(batch_synth, r) | {"split": False} for r in REQUESTS[1:4]]
    urgent = [{"text": f"Срочно {i}.", "speaker": "ryan", "seed": 10 + i, "max_frames": 6, "split": False} for i in range(6)]
    solo_bg = [batch_synth.synthesize(**o).codes for o in background]
    solo_rt = [batch_synth.synthesize(**o).codes for o in urgent]
    pool = batch_synth.scheduler.pool
    step = pool.step

    def slow_step(*args: object) -> np.ndarray:
        time.sleep(0.02)
        return step(*args)

    monkeypatch.setattr(pool, "step", slow_step)
    before = batch_synth.scheduler.lane_admitted
    streams = [batch_synth.submit(o.pop("text"), priority="batch", decode_frames=4, **o) for o in background]
    rt = []
    for o in urgent:
        time.sleep(0.03)
        rt.append(batch_synth.submit(o.pop("text"), priority="realtime", **o))
    for want, stream in zip(solo_bg + solo_rt, streams + rt, strict=True):
        list(stream)
        assert np.array_equal(np.concatenate(stream.stats.codes), want)
    assert batch_synth.scheduler.lane_admitted > before
    assert batch_synth.scheduler.active == 0


def test_realtime_arrivals_prefill_together_beside_a_lower_class_prefill(batch_synth: Synthesizer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Realtime requests arriving while batch newcomers prefill are prefilled beside that call, in
    one call of their own, and hear their first audio before it ends (they do not wait for other
    streams' prefill); afterwards they move ahead of the batch rows, and every output equals its solo run."""
    background = [{"text": t, "speaker": "ryan", "seed": i, "max_frames": 5, "split": False} for i, t in enumerate(["Batch one.", "A second batch request."])]
    urgent = [{"text": f"Срочно {i}.", "speaker": "aiden", "seed": 10 + i, "max_frames": 4, "split": False} for i in range(2)]
    solo = [batch_synth.synthesize(**o).codes for o in background + urgent]
    sched, events, sessions, prefilling = batch_synth.scheduler, [], [], threading.Event()
    prefill, lane, push_batch, settle = sched.pool.prefill, Scheduler._lane, CodecStream.push_batch, Scheduler._settle
    order: list[list[Priority]] = []  # the rows' classes after each settling of lane streams

    def recorded_prefill(first: int, prompts: list, *args: object, **kw: object) -> np.ndarray:
        beside = threading.current_thread().name.startswith("tts-step")
        events.append(("batch prefill" if beside else "lane prefill", len(prompts)))
        sessions.append(kw.get("session"))
        if beside:
            prefilling.set()
            time.sleep(0.1)
        out = prefill(first, prompts, *args, **kw)
        if beside:
            events.append(("batch prefill end", len(prompts)))
        return out

    def late_lane(self: Scheduler, *args: object, **kw: object) -> list:
        time.sleep(0.05)  # both realtime requests are waiting by now
        return lane(self, *args, **kw)

    def recorded_codec(streams: list[CodecStream], codes: np.ndarray, **kw: object) -> np.ndarray:
        events.append(("codec", len(streams)))
        return push_batch(streams, codes, **kw)

    def recorded_settle(self: Scheduler, *args: object) -> None:
        settle(self, *args)
        order.append([s.priority for s in self._rows])

    monkeypatch.setattr(sched.pool, "prefill", recorded_prefill)
    monkeypatch.setattr(Scheduler, "_lane", late_lane)
    monkeypatch.setattr(Scheduler, "_settle", recorded_settle)
    monkeypatch.setattr(CodecStream, "push_batch", staticmethod(recorded_codec))
    before = sched.lane_admitted
    streams = [batch_synth.submit(o.pop("text"), priority="batch", **o) for o in background]
    assert prefilling.wait(10)
    streams += [batch_synth.submit(o.pop("text"), priority="realtime", **o) for o in urgent]
    for want, stream in zip(solo, streams, strict=True):
        list(stream)
        assert np.array_equal(np.concatenate(stream.stats.codes), want)
    assert sched.lane_admitted - before == 2
    assert [Priority.REALTIME] * 2 + [Priority.BATCH] * 2 in order  # moved ahead of the batch rows
    start = events.index(("batch prefill", 2))
    assert events[start + 1 : start + 4] == [("lane prefill", 2), ("codec", 2), ("batch prefill end", 2)], events
    # on a CPU with a small engine the lane runs on its own talker session (its threads keep their priority)
    assert sessions[start] is None and sessions[start + 1] is sched._own["talker"] is not sched.pool.session
    assert sched.active == 0


def test_a_newcomer_gets_its_first_audio_beside_the_step_of_the_running_streams(batch_synth: Synthesizer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request of the running streams' class arriving while their step runs is prefilled and its
    first frame decoded beside that step (the lane), ahead of the codec call for the frame that step
    made (not after the rest of the iteration); both outputs still equal their solo runs."""
    running = {"text": "Hello there, a stream that is already running.", "speaker": "ryan", "seed": 1, "max_frames": 12, "split": False}
    newcomer = {"text": "A newcomer.", "speaker": "aiden", "seed": 2, "max_frames": 4, "split": False}
    solo = [batch_synth.synthesize(**running).codes, batch_synth.synthesize(**newcomer).codes]
    pool, events, stepping = batch_synth.scheduler.pool, [], threading.Event()
    step, prefill, push_batch = pool.step, pool.prefill, CodecStream.push_batch

    def slow_step(*args: object) -> np.ndarray:
        events.append("step")
        stepping.set()
        time.sleep(0.2)
        out = step(*args)
        events.append("step end")
        return out

    def recorded_prefill(*args: object, **kw: object) -> np.ndarray:
        events.append("prefill")
        return prefill(*args, **kw)

    def recorded_codec(streams: list[CodecStream], codes: np.ndarray, **kw: object) -> np.ndarray:
        events.append(f"codec x{len(streams)}")
        return push_batch(streams, codes, **kw)

    monkeypatch.setattr(pool, "step", slow_step)
    monkeypatch.setattr(pool, "prefill", recorded_prefill)
    monkeypatch.setattr(CodecStream, "push_batch", staticmethod(recorded_codec))
    before = batch_synth.scheduler.lane_admitted
    first = batch_synth.stream(running.pop("text"), **running)
    assert stepping.wait(10)
    at = len(events)  # the first step of `first` is running
    second = batch_synth.stream(newcomer.pop("text"), **newcomer)
    for want, stream in zip(solo, [first, second], strict=True):
        list(stream)
        assert np.array_equal(np.concatenate(stream.stats.codes), want)
    assert events[:at] == ["prefill", "codec x1", "step"]
    # the newcomer's prefill and frame 0 while the step runs, then the step's frame
    assert events[at : at + 4] == ["prefill", "codec x1", "step end", "codec x1"], events
    assert batch_synth.scheduler.lane_admitted - before == 1


@pytest.mark.parametrize(
    ("running", "arriving", "lane"),
    [("batch", "standard", True), ("standard", "standard", True), ("standard", "batch", False), ("batch", "batch", False), ("realtime", "standard", False)],
)
def test_the_lane_takes_arrivals_of_the_highest_live_class_but_never_batch(
    batch_synth: Synthesizer, monkeypatch: pytest.MonkeyPatch, running: str, arriving: str, lane: bool
) -> None:
    """Beside a running step the lane admits an arrival of the highest live class or above, except
    the batch class (its time to first audio is not at stake, and lane work beside batch load would
    delay a realtime arrival); any other arrival waits for the step. Outputs equal their solo runs."""
    first = {"text": "Hello there, a stream that is already running.", "speaker": "ryan", "seed": 1, "max_frames": 10, "split": False}
    second = {"text": "A newcomer.", "speaker": "aiden", "seed": 2, "max_frames": 3, "split": False}
    solo = [batch_synth.synthesize(**first).codes, batch_synth.synthesize(**second).codes]
    sched, stepping = batch_synth.scheduler, threading.Event()
    step = sched.pool.step

    def slow_step(*args: object) -> np.ndarray:
        stepping.set()
        time.sleep(0.05)
        return step(*args)

    monkeypatch.setattr(sched.pool, "step", slow_step)
    before = sched.lane_admitted
    streams = [batch_synth.submit(first.pop("text"), priority=running, **first)]
    assert stepping.wait(10)
    streams.append(batch_synth.submit(second.pop("text"), priority=arriving, **second))
    for want, stream in zip(solo, streams, strict=True):
        list(stream)
        assert np.array_equal(np.concatenate(stream.stats.codes), want)
    assert sched.lane_admitted - before == int(lane)


def test_an_arrival_does_not_overtake_the_prefill_of_an_earlier_arrival_of_its_class(batch_synth: Synthesizer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A standard request arriving while standard newcomers prefill (in the stepper thread, at the
    lower OS priority) is not prefilled beside them in the lane, where it would take the cores from
    the earlier arrivals: it prefills after that call ends. A realtime one still does (the other
    lane test). Outputs equal their solo runs."""
    first = {"text": "The first of two arrivals.", "speaker": "ryan", "seed": 1, "max_frames": 4, "split": False}
    second = {"text": "The second one.", "speaker": "aiden", "seed": 2, "max_frames": 4, "split": False}
    solo = [batch_synth.synthesize(**first).codes, batch_synth.synthesize(**second).codes]
    sched, events, prefilling = batch_synth.scheduler, [], threading.Event()
    prefill = sched.pool.prefill

    def slow_prefill(first_slot: int, prompts: list, *args: object, **kw: object) -> np.ndarray:
        beside = threading.current_thread().name.startswith("tts-step")
        events.append(("stepper" if beside else "lane", len(prompts)))
        if beside and not prefilling.is_set():
            prefilling.set()
            time.sleep(0.1)
        out = prefill(first_slot, prompts, *args, **kw)
        events.append(("end", len(prompts)))
        return out

    monkeypatch.setattr(sched.pool, "prefill", slow_prefill)
    before = sched.lane_admitted
    streams = [batch_synth.submit(first.pop("text"), **first)]
    assert prefilling.wait(10)
    streams.append(batch_synth.submit(second.pop("text"), **second))
    for want, stream in zip(solo, streams, strict=True):
        list(stream)
        assert np.array_equal(np.concatenate(stream.stats.codes), want)
    assert sched.lane_admitted == before
    assert events[:3] == [("stepper", 1), ("end", 1), ("stepper", 1)], events


def test_a_lane_group_sizes_its_first_chunks_like_newcomers_admitted_one_by_one(batch_synth: Synthesizer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrivals admitted together beside a step (one lane group) each size their first chunk by the
    load before them, as the iteration's admission does (the running stream, then each earlier
    member; 8 slots: 1 frame below 2 streams, 2 below 4, then 4), not by the whole group."""
    sched, stepping = batch_synth.scheduler, threading.Event()
    step, lane = sched.pool.step, Scheduler._lane

    def slow_step(*args: object) -> np.ndarray:
        stepping.set()
        time.sleep(0.1)
        return step(*args)

    def late_lane(self: Scheduler, *args: object, **kw: object) -> list:
        time.sleep(0.05)  # every arrival is waiting by now: one group
        return lane(self, *args, **kw)

    monkeypatch.setattr(sched.pool, "step", slow_step)
    monkeypatch.setattr(Scheduler, "_lane", late_lane)
    before = sched.lane_admitted
    running = batch_synth.stream("Hello there, a stream that is already running.", speaker="ryan", seed=1, max_frames=12, split=False)
    assert stepping.wait(10)
    group = [batch_synth.stream(f"Newcomer {i}.", speaker="aiden", seed=2 + i, max_frames=6, split=False) for i in range(4)]
    for stream in [running, *group]:
        list(stream)
    assert sched.lane_admitted - before == 4
    assert [s.stats.info["first_chunk_frames"] for s in group] == [1, 2, 2, 4]


def test_newcomers_prefill_in_one_call_and_a_realtime_arrival_takes_the_next(tiny_engines: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Newcomers arriving together (prompts of different lengths) prefill in one call, each giving
    what it gives alone; a realtime request arriving during that call is prefilled by the next call
    (beside it: the lane), before any step of the others."""
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1, scheduler=SchedulerConfig(max_streams=8, window_ms=50, prefill_ms=5000))
    batch = [{"text": t, "speaker": "ryan", "seed": i, "max_frames": 3, "split": False} for i, t in enumerate(["Batch.", "A longer batch request.", "Второй, ещё длиннее запрос."])]
    urgent = {"text": "Urgent.", "speaker": "ryan", "seed": 9, "max_frames": 3, "split": False}
    solo = [synth.synthesize(**o).codes for o in [*batch, urgent]]
    calls, prefilling = [], threading.Event()
    prefill, step = Scheduler._prefill, synth.scheduler.pool.step

    def slow_prefill(self: Scheduler, group: list, parity: int | None = None, **kw: bool) -> None:
        calls.append([s.priority.name.lower() for s in group])
        prefilling.set()
        time.sleep(0.05)
        prefill(self, group, parity, **kw)

    def recorded_step(*args: object) -> np.ndarray:
        calls.append("step")
        return step(*args)

    monkeypatch.setattr(Scheduler, "_prefill", slow_prefill)
    monkeypatch.setattr(synth.scheduler.pool, "step", recorded_step)
    try:
        streams = [synth.submit(o.pop("text"), priority="batch", **o) for o in batch]
        assert prefilling.wait(10)
        streams.append(synth.submit(urgent.pop("text"), priority="realtime", **urgent))
        for want, stream in zip(solo, streams, strict=True):
            list(stream)
            assert np.array_equal(np.concatenate(stream.stats.codes), want)
        assert calls[:2] == [["batch", "batch", "batch"], ["realtime"]], calls
    finally:
        synth.close()
