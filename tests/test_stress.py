"""Bounded stress run of the scheduler (tiny model): parallel requests with random classes, cancels,
dropped streams, deadlines, slow consumers and streamed text. Nothing is lost or leaked."""

from __future__ import annotations

from pathlib import Path

from qtts.runtime import metrics
from qtts.runtime.loadtest import stress
from qtts.runtime.scheduler import SchedulerConfig
from qtts.runtime.synthesizer import Synthesizer


def _finished_total() -> float:
    return sum(s.value for m in metrics.FINISHED.collect() for s in m.samples if s.name.endswith("_total"))


def test_stress_loses_and_leaks_nothing(tiny_engines: dict[str, Path]) -> None:
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=2, scheduler=SchedulerConfig(max_streams=6, max_waiting=6, window_ms=5))
    try:
        before = _finished_total()
        report = stress(synth, 48, seed=3, rounds=3, workers=16)
    finally:
        synth.close()
    rounds = report["rounds"]
    for r in rounds:
        assert r["unaccounted"] == [] and r["bad_finish"] == [] and r["errors"] == [], r
        assert r["silent_completions"] == 0
        assert r["slots_left"] == 0 and r["waiting_left"] == 0
    accepted = sum(r["accepted"] for r in rounds)
    assert accepted + sum(sum(r["refused"].values()) for r in rounds) == 3 * 48
    assert set().union(*(r["refused"] for r in rounds)) <= {"queue_full", "deadline_unreachable"}
    assert sum(r["finish_reasons"].get("cancelled", 0) for r in rounds) > 0 and accepted > 72
    assert _finished_total() - before == accepted  # the scheduler's own counters add up
    assert report["rss_growth_after_warmup"] < 0.05, report
