"""OS thread priorities for the realtime lane (runtime.threads) and the lane's own sessions."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from qtts.runtime.engine import Engine
from qtts.runtime.scheduler import Scheduler, SchedulerConfig
from qtts.runtime.threads import lower_priority, started_by

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")


@linux
def test_started_by_finds_the_threads_a_call_started_and_lower_priority_only_lowers() -> None:
    release, ids = threading.Event(), []

    def start() -> threading.Thread:
        t = threading.Thread(target=lambda: (ids.append(threading.get_native_id()), release.wait(10)))
        t.start()
        while not ids:
            pass
        return t

    thread, started = started_by(start)
    try:
        assert started == set(ids)
        (tid,) = started
        if os.getpriority(os.PRIO_PROCESS, tid) >= 7:
            pytest.skip("the test process already runs at nice 7 or more")
        assert lower_priority(started, 7) == 1
        assert os.getpriority(os.PRIO_PROCESS, tid) == 7
        assert lower_priority(started, 3) == 0  # never raised back
        assert os.getpriority(os.PRIO_PROCESS, tid) == 7
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < 7  # the caller is untouched
    finally:
        release.set()
        thread.join()


@linux
def test_the_lane_gets_its_own_sessions_and_the_batched_work_a_lower_priority(tiny_engines: dict[str, Path]) -> None:
    """A small engine on a CPU: the lane's talker and codec are second sessions, and the first
    sessions' pool threads run at the background nice value; with a zero budget nothing is copied."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    if base >= 6:
        pytest.skip(f"the test process already runs at nice {base}")
    engine = Engine(tiny_engines["custom_voice"], threads=2)
    pools = engine.session_threads["talker"] | engine.session_threads["codec_decoder"]
    assert pools, "ORT started no pool threads for 2 intra-op threads"
    off = Scheduler(engine, SchedulerConfig(max_streams=2, realtime_sessions_mb=0))
    try:
        assert off._own == {}
        assert all(os.getpriority(os.PRIO_PROCESS, t) == base for t in pools)
    finally:
        off.close()
    on = Scheduler(engine, SchedulerConfig(max_streams=2, background_nice=6))
    try:
        assert set(on._own) == {"talker", "codec_decoder"}
        assert on._own["talker"] is not engine.sessions["talker"]
        assert all(os.getpriority(os.PRIO_PROCESS, t) == 6 for t in pools)
        stepper = on._stepper.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result()
        assert stepper == 6
    finally:
        on.close()


def test_scheduler_config_checks_the_lane_settings() -> None:
    with pytest.raises(ValueError, match="background_nice"):
        SchedulerConfig(background_nice=20)
    with pytest.raises(ValueError, match="realtime_sessions_mb"):
        SchedulerConfig(realtime_sessions_mb=-1)
