"""Admission control under a simulated clock: the bounded queue, predicted TTFA and typed refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qtts.runtime.admission import (
    Limits,
    Request,
    WaitingQueue,
    check_admission,
    check_limits,
    predicted_ttfa,
)
from qtts.runtime.errors import InputError, OverloadError, RequestTooLarge, TTSError
from qtts.runtime.policy import Priority, StepTimes

NOW = 50.0


def measured() -> StepTimes:
    """20 ms per step at any batch up to 4 (40 ms at 8), 10 ms prefills, streams of 100 frames."""
    t = StepTimes(alpha=1.0)
    t.observe_step(1, 0.02)
    t.observe_step(4, 0.02)
    t.observe_prefill(64, 0.01)
    t.observe_finish(100)
    return t


def request(
    id: str = "r", priority: Priority = Priority.STANDARD, deadline: float | None = None, **kw
) -> Request:
    sizes = {"text_chars": 100, "prompt_len": 64, "max_frames": 500, "text_tokens": 30} | kw
    return Request(id, priority, NOW, deadline=deadline, **sizes)


def test_overload_error_is_one_line_with_reason_and_retry():
    e = OverloadError("queue_full", 1.234)
    assert str(e) == "server busy (queue_full); retry after 1.2 s"
    assert e.reason == "queue_full" and e.retry_after_s == 1.234 and isinstance(e, TTSError)
    assert issubclass(RequestTooLarge, InputError) and RequestTooLarge.reason == "too_long"


def test_ttfa_with_a_free_slot():
    t = measured()
    # the step in flight (20 ms at batch 2) + own prefill (10 ms)
    assert predicted_ttfa(0, 2, 4, t, 64) == pytest.approx(0.03)
    # two ahead share the boundary: three prefills; a 4-frame first chunk adds 3 steps at batch 4
    assert predicted_ttfa(2, 1, 4, t, 64, first_frames=4) == pytest.approx(0.02 + 0.03 + 0.06)


def test_ttfa_when_every_slot_is_busy():
    t = measured()
    interval = 100 * 0.02 / 4  # a 100-frame stream at full batch frees one of 4 slots every 0.5 s
    assert predicted_ttfa(0, 4, 4, t, 64) == pytest.approx(0.02 + interval + 0.01)
    assert predicted_ttfa(3, 4, 4, t, 64) == pytest.approx(0.02 + 4 * interval + 0.01)


@given(st.integers(0, 40), st.integers(0, 16), st.integers(1, 16), st.integers(1, 2000))
def test_ttfa_grows_with_queue_position(position, active, max_streams, prompt_len):
    t = measured()
    here = predicted_ttfa(position, active, max_streams, t, prompt_len)
    assert 0 < here <= predicted_ttfa(position + 1, active, max_streams, t, prompt_len)


def test_queue_full_is_refused_with_a_positive_retry_after():
    queue: WaitingQueue[str] = WaitingQueue(max_waiting=2)
    t, limits = measured(), Limits()
    for i in range(2):
        check_admission(request(f"w{i}"), queue, NOW, 4, 4, t, limits)
        queue.push(request(f"w{i}"), "payload")
    with pytest.raises(OverloadError) as err:
        check_admission(request("late"), queue, NOW, 4, 4, t, limits)
    assert err.value.reason == "queue_full"
    assert err.value.retry_after_s == pytest.approx(0.02 + 0.5)  # the head gets the next slot
    with pytest.raises(ValueError):
        queue.push(request("late"), "payload")


def test_unreachable_deadline_is_refused_and_a_reachable_one_admitted():
    queue: WaitingQueue[str] = WaitingQueue()
    t, limits = measured(), Limits()
    # every slot busy: first audio in ~0.53 s
    assert check_admission(request("ok", deadline=NOW + 1.0), queue, NOW, 4, 4, t, limits) == pytest.approx(
        0.53
    )
    with pytest.raises(OverloadError) as err:
        check_admission(request("tight", deadline=NOW + 0.2), queue, NOW, 4, 4, t, limits)
    assert err.value.reason == "deadline_unreachable"
    assert err.value.retry_after_s == pytest.approx(0.33)
    # with a free slot the same deadline is easy
    assert check_admission(request("tight", deadline=NOW + 0.2), queue, NOW, 1, 4, t, limits) < 0.2


def test_a_higher_class_request_is_predicted_ahead_of_the_queue():
    queue: WaitingQueue[str] = WaitingQueue()
    t, limits = measured(), Limits()
    for i in range(3):
        queue.push(
            Request(f"s{i}", Priority.STANDARD, NOW - 1.0, 100, 64, 500, deadline=NOW + 0.7), "payload"
        )
    rt = request("rt", Priority.REALTIME, deadline=NOW + 0.8)
    assert queue.position(rt, NOW) == 0
    assert check_admission(rt, queue, NOW, 4, 4, t, limits) == pytest.approx(0.53)
    with pytest.raises(OverloadError, match="deadline_unreachable"):
        # 4th in line (the queued ones have earlier deadlines): 2.03 s
        check_admission(request("std", deadline=NOW + 0.8), queue, NOW, 4, 4, t, limits)


def test_shutting_down_refuses_everything():
    with pytest.raises(OverloadError) as err:
        check_admission(request(), WaitingQueue(), NOW, 0, 4, measured(), Limits(), shutting_down=True)
    assert err.value.reason == "shutting_down" and err.value.retry_after_s > 0


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"text_chars": 5001}, "5001 text characters"),
        ({"text_tokens": 1500, "max_frames": 2048}, "1500 text tokens"),
        ({"prompt_len": 2000}, "2000 prompt positions"),
        ({"max_frames": 4096}, r"4096 frames asked \(max_frames\) \(limit 2048\)"),
        ({"text_tokens": 300, "max_frames": 500}, "need at least 600 frames"),
    ],
)
def test_requests_over_a_limit_are_refused_before_taking_a_slot(sizes, message):
    with pytest.raises(RequestTooLarge, match=message):
        check_admission(request(**sizes), WaitingQueue(), NOW, 0, 4, measured(), Limits())


def test_limits_pass_an_ordinary_request_and_untokenized_text():
    check_limits(request(), Limits())
    check_limits(request(text_tokens=None, max_frames=10), Limits())


def test_queue_pops_in_admission_order_and_removes_cancelled():
    queue: WaitingQueue[int] = WaitingQueue(max_waiting=4, aging_s=10.0)
    old_batch = Request("old_batch", Priority.BATCH, 0.0, 10, 10, 10)
    queue.push(old_batch, 1)
    queue.push(request("std"), 2)
    queue.push(request("rt", Priority.REALTIME), 3)
    queue.push(request("gone"), 4)
    with pytest.raises(ValueError):
        queue.push(request("std"), 5)
    assert queue.remove("gone") == 4 and queue.remove("gone") is None
    popped = [queue.pop(NOW) for _ in range(4)]
    # the batch request waited 50 s: aged to realtime's rank and earlier than "rt"
    assert [p[1] for p in popped[:3] if p] == [1, 3, 2] and popped[3] is None
    assert len(queue) == 0
