"""QoS policy under a simulated clock: slack, row selection, admission order, shedding, first chunk,
step-cost predictions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qtts.runtime.errors import InputError
from qtts.runtime.policy import (
    Policy,
    Priority,
    StepTimes,
    StreamView,
    codec_group,
    first_chunk_frames,
    interpolate,
    order_waiting,
    slack_s,
)

R, S, B = Priority.REALTIME, Priority.STANDARD, Priority.BATCH
NOW = 100.0


def stream(
    id: str, priority: Priority = S, slack: float | None = 1.0, ready: bool = True, submitted_at: float = 0.0
) -> StreamView:
    """A stream whose first chunk came 10 s ago with ``slack`` s buffered (None: no audio yet)."""
    if slack is None:
        return StreamView(id, priority, submitted_at, ready=ready)
    return StreamView(
        id, priority, submitted_at, first_audio_at=NOW - 10.0, audio_s=10.0 + slack, ready=ready
    )


def times_with(per_row: float) -> StepTimes:
    """Steps measured at batch 1 and 8, linear at ``per_row`` seconds per row."""
    t = StepTimes()
    t.observe_step(1, per_row)
    t.observe_step(8, 8 * per_row)
    return t


FAST = times_with(0.005)  # 8 rows = 40 ms: fits the 72 ms budget
SLOW = times_with(0.02)  # 3 rows = 60 ms fit, 4 rows = 80 ms do not


def test_priority_parse():
    assert Priority.parse("realtime") is R and Priority.parse("batch") is B
    assert R > S > B
    with pytest.raises(InputError, match="unknown priority class 'urgent'"):
        Priority.parse("urgent")


def test_slack_arithmetic():
    s = StreamView("a", S, 0.0, first_audio_at=50.0, audio_s=12.0)
    assert slack_s(s, 58.0) == pytest.approx(4.0)  # 12 s delivered, 8 s played
    assert slack_s(s, 62.0) == pytest.approx(0.0)
    assert slack_s(s, 63.5) == pytest.approx(-1.5)  # the player starved 1.5 s ago
    assert slack_s(StreamView("b", S, 0.0), 58.0) is None


def test_no_skip_when_budget_fits():
    streams = [stream(f"s{i}", B, slack=5.0) for i in range(8)]
    run, skip = Policy().select_rows(streams, NOW, FAST)
    assert run == [s.id for s in streams] and skip == []


def test_not_ready_streams_are_in_neither_list():
    run, skip = Policy().select_rows([stream("a"), stream("p", ready=False)], NOW, SLOW)
    assert run == ["a"] and skip == []


def test_overload_skips_largest_slack_lowest_class_first():
    streams = [
        stream("rt_low", R, slack=0.1),  # realtime near underrun
        stream("rt_rich", R, slack=9.0),
        stream("std_rich", S, slack=8.0),
        stream("batch_rich", B, slack=3.0),
        stream("batch_richer", B, slack=6.0),
    ]
    run, skip = Policy().select_rows(streams, NOW, SLOW)  # 5 rows predicted 100 ms; 3 fit
    assert skip == ["batch_rich", "batch_richer"]
    assert run == ["rt_low", "rt_rich", "std_rich"]


def test_overload_skips_only_what_it_must():
    streams = [
        stream("a", B, slack=3.0),
        stream("b", B, slack=6.0),
        stream("c", B, slack=4.0),
        stream("d", B, slack=5.0),
    ]
    run, skip = Policy().select_rows(streams, NOW, SLOW)  # 4 rows do not fit, 3 do
    assert skip == ["b"]


def test_one_class_alone_is_never_skipped_below_the_high_watermark():
    streams = [stream("new", B, slack=None), stream("low", B, slack=0.2), stream("mid", B, slack=1.0), stream("rich", B, slack=3.0)]
    run, skip = Policy().select_rows(streams, NOW, SLOW)
    assert skip == ["rich"] and run == ["new", "low", "mid"]  # still over budget: they all run slower


def test_lower_classes_give_way_to_the_highest_class():
    """Over budget with realtime streams present: batch streams sit out even when they are about to
    underrun (lowest class first, most slack first, pressing last), realtime never does."""
    streams = [stream("new", B, slack=None), stream("low", B, slack=0.2), stream("mid", S, slack=1.0)] + [
        stream(f"rt{i}", R, slack=0.0) for i in range(3)
    ]
    run, skip = Policy().select_rows(streams, NOW, SLOW)  # 3 rows fit
    assert skip == ["new", "low", "mid"] and run == ["rt0", "rt1", "rt2"]  # (lists in input order)
    run, skip = Policy().select_rows(streams[:2] + streams[3:5], NOW, SLOW)  # 4 rows: one must go
    assert skip == ["low"] and run == ["new", "rt0", "rt1"]


def test_higher_class_not_skipped_while_lower_class_runs():
    # the batch stream is skipped before the rich standard one may be
    streams = [stream("b", B, slack=0.5), stream("s", S, slack=9.0)] + [
        stream(f"r{i}", R, slack=0.0) for i in range(3)
    ]
    _, skip = Policy().select_rows(streams, NOW, SLOW)
    assert skip == ["b", "s"]


views = st.builds(
    lambda i, p, slack, ready: stream(f"s{i}", p, slack, ready),
    st.integers(0, 10**6),
    st.sampled_from(list(Priority)),
    st.one_of(st.none(), st.floats(-2.0, 10.0)),
    st.booleans(),
)


@given(st.lists(views, max_size=12, unique_by=lambda s: s.id), st.floats(0.001, 0.05))
def test_select_rows_invariants(streams, per_row):
    policy, times = Policy(), times_with(per_row)
    run, skip = policy.select_rows(streams, NOW, times)
    by_id = {s.id: s for s in streams}
    assert sorted(run + skip) == sorted(s.id for s in streams if s.ready)
    top = max((s.priority for s in streams if s.ready), default=None)
    for k in skip:
        slack = slack_s(by_id[k], NOW)
        assert (slack is not None and slack > policy.high_watermark_s) or by_id[k].priority < top
        assert all(by_id[k].priority <= by_id[r].priority for r in run)
    if skip:  # every skip was needed: one row more would not fit
        assert times.predict_step(len(run) + 1) > policy.budget_s
    if times.predict_step(len(run) + len(skip)) <= policy.budget_s:
        assert skip == []


def waiting(p: Priority, submitted_at: float, deadline: float | None = None) -> StreamView:
    return StreamView(f"{p.name}@{submitted_at}/{deadline}", p, submitted_at, deadline=deadline)


def test_class_first_then_fifo():
    a, b, c = waiting(B, 99.0), waiting(S, 99.5), waiting(S, 99.2)
    assert order_waiting([a, b, c], NOW, aging_s=10.0) == [c, b, a]


def test_aging_lets_batch_overtake_standard():
    old_batch, new_std = waiting(B, 80.0), waiting(S, 99.0)
    assert order_waiting([new_std, old_batch], 85.0, aging_s=10.0)[0] is new_std  # waited 5 s: still batch
    # after 10 s it ranks as standard, and it arrived first
    assert order_waiting([new_std, old_batch], 90.0, aging_s=10.0)[0] is old_batch


def test_aging_is_capped_at_realtime():
    ancient_batch, rt = waiting(B, 0.0), waiting(R, 99.0, deadline=100.5)
    assert order_waiting([ancient_batch, rt], NOW, aging_s=1.0) == [rt, ancient_batch]  # equal class: EDF


def test_earliest_deadline_first_within_a_class():
    late, none, soon = waiting(S, 95.0, deadline=101.0), waiting(S, 90.0), waiting(S, 99.0, deadline=100.3)
    assert order_waiting([late, none, soon], NOW, aging_s=60.0) == [soon, late, none]


def test_order_waiting_rejects_bad_aging():
    with pytest.raises(ValueError):
        order_waiting([], NOW, aging_s=0.0)


def test_overload_since_tracks_sustained_overload():
    policy = Policy()
    crowd = [stream(f"c{i}", S, slack=0.0) for i in range(5)]  # 5 critical rows: 100 ms > 72 ms
    since = policy.overload_since(None, crowd, NOW, SLOW)
    assert since == NOW
    assert policy.overload_since(since, crowd, NOW + 0.5, SLOW) == NOW
    assert policy.overload_since(since, crowd[:3], NOW + 0.6, SLOW) is None
    assert policy.shed(crowd, NOW + 0.5, SLOW, since) == []  # not sustained yet
    assert len(policy.shed(crowd, NOW + 1.0, SLOW, since)) == 2


def test_shed_order_lowest_class_first_and_realtime_last():
    streams = [
        stream("rt1", R, slack=0.0),
        stream("rt2", R, slack=0.1),
        stream("std_crit", S, slack=0.1, submitted_at=1.0),
        stream("std_new", S, slack=None, submitted_at=2.0),
        stream("batch_rich", B, slack=5.0),  # not critical, but lower class
        stream("batch_crit", B, slack=0.0),
    ]
    # 5 critical rows, 3 fit: the critical batch stream first, then the rest of its class, then the
    # pressing standard one; the realtime streams stay
    shed = Policy().shed(streams, NOW, SLOW, overloaded_since=NOW - 5.0)
    assert shed == ["batch_crit", "batch_rich", "std_new"]


def test_realtime_is_shed_only_when_realtime_alone_does_not_fit():
    streams = [stream("b", B, slack=0.0)] + [stream(f"r{i}", R, slack=0.0, submitted_at=i) for i in range(5)]
    shed = Policy().shed(streams, NOW, SLOW, overloaded_since=0.0)
    assert shed == ["b", "r4", "r3"]  # newest realtime first, until 3 remain


@given(st.lists(views, max_size=12, unique_by=lambda s: s.id), st.floats(0.001, 0.05))
def test_shed_never_takes_a_higher_class_while_a_lower_one_stays(streams, per_row):
    policy, times = Policy(), times_with(per_row)
    shed = set(policy.shed(streams, NOW, times, overloaded_since=0.0))
    kept = [s for s in streams if s.id not in shed]
    for s in streams:
        if s.id in shed:
            assert all(s.priority <= k.priority for k in kept)
    assert not policy.critical_overloaded(kept, NOW, times) or not kept


def test_first_chunk_frames_grows_with_load():
    assert first_chunk_frames(0, 16) == 1
    assert first_chunk_frames(3, 16) == 1
    assert [first_chunk_frames(a, 16) for a in (4, 8, 12, 16)] == [2, 4, 8, 8]
    assert first_chunk_frames(0, 1) == 1
    frames = [first_chunk_frames(a, 32) for a in range(40)]
    assert frames == sorted(frames) and set(frames) == {1, 2, 4, 8}


def test_step_times_defaults_grow_linearly():
    t = StepTimes(default_step_s=0.05)
    assert t.predict_step(0) == 0.0
    assert t.predict_step(1) == pytest.approx(0.05) and t.predict_step(4) == pytest.approx(0.2)


def test_step_times_interpolate_and_extrapolate():
    t = StepTimes()
    t.observe_step(2, 0.02)
    t.observe_step(8, 0.05)
    assert t.predict_step(1) == pytest.approx(0.02)  # flat below the smallest seen
    assert t.predict_step(4) == pytest.approx(0.03)
    assert t.predict_step(16) == pytest.approx(0.10)  # proportional above the largest seen


def test_step_times_follow_observations():
    t = StepTimes(alpha=0.5)
    t.observe_step(4, 0.04)
    assert t.predict_step(4) == pytest.approx(0.04)
    t.observe_step(4, 0.08)
    assert t.predict_step(4) == pytest.approx(0.06)
    t.observe_prefill(100, 0.03)
    t.observe_prefill(110, 0.05)  # same power-of-two bucket
    assert t.predict_prefill(105) == pytest.approx(0.04)
    t.observe_finish(25)
    assert t.stream_frames == pytest.approx((125 + 25) / 2)


def test_step_times_reject_bad_observations():
    t = StepTimes()
    with pytest.raises(ValueError):
        t.observe_step(0, 0.01)
    with pytest.raises(ValueError):
        t.observe_prefill(10, float("nan"))


@given(st.lists(st.tuples(st.integers(1, 64), st.floats(0.0, 1.0)), max_size=20))
def test_step_predictions_are_monotone(observations):
    t = StepTimes()
    for b, s in observations:
        t.observe_step(b, s)
    predictions = [t.predict_step(b) for b in range(0, 80)]
    assert all(x <= y + 1e-12 for x, y in zip(predictions, predictions[1:], strict=False))


def test_interpolate_repairs_non_monotone_points():
    assert interpolate([(1, 0.03), (2, 0.01), (4, 0.04)], 2, 0.0) == pytest.approx(0.03)


def test_codec_group_grows_with_the_frame_index_up_to_the_cap():
    got = [codec_group(d) for d in range(64)]
    assert got[:8] == [1] * 8 and got[8] == 2 and got[16] == 4 and set(got[32:]) == {8} and got == sorted(got)
    assert all(g <= max(1, d / 4) for d, g in enumerate(got))  # a call waits for at most a quarter of the audio out
    assert codec_group(0, least=4) == 4 and codec_group(40, least=16) == 16
