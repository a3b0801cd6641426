"""The load statistics shared by the in-process bench and the HTTP harness (runtime.loadstats)."""

from __future__ import annotations

import numpy as np

from qtts.runtime.loadstats import compare_to_c1, percentiles, ratio_interval, summarize


def test_the_ratio_interval_brackets_the_true_ratio_and_narrows_with_more_samples() -> None:
    rng = np.random.default_rng(1)
    alone = list(rng.gamma(4.0, 3.0, 2000))
    loaded = [1.3 * x for x in rng.gamma(4.0, 3.0, 2000)]  # the same shape, 1.3x slower
    lo, hi = ratio_interval(loaded, alone)
    assert lo < 1.3 < hi and hi - lo < 0.15
    few_lo, few_hi = ratio_interval(loaded[:48], alone[:48])
    assert few_hi - few_lo > 2 * (hi - lo)  # a p95 of 48 requests says much less
    assert ratio_interval(loaded, alone) == [lo, hi]  # seeded: the same interval for the same samples


def test_the_ratio_interval_of_an_empty_sample_is_none() -> None:
    assert ratio_interval([], [1.0, 2.0]) is None and ratio_interval([1.0], []) is None


def test_percentiles_scale_and_empty() -> None:
    assert percentiles([]) == {}
    p = percentiles([0.001 * i for i in range(1, 101)], 1000)
    assert p["p50"] == 50.5 and p["mean"] == 50.5 and 95 < p["p95"] < 96


def _level(c: int, ttfa_s: list[float]) -> dict:
    results = [{"ttfa_s": t, "rtf": 0.5, "audio_s": 1.0, "worst_underrun_s": 0.0} for t in ttfa_s] + [{"refused": True, "retry_after_s": 1.0}]
    return {"concurrency": c} | summarize(results, wall=2.0)


def test_levels_keep_their_samples_and_compare_with_c1_with_an_interval() -> None:
    rng = np.random.default_rng(2)
    one = list(rng.uniform(0.02, 0.03, 400))
    eight = [2 * t for t in rng.uniform(0.02, 0.03, 400)]
    levels = [_level(1, one), _level(8, eight)]
    assert levels[1]["requests"] == 401 and levels[1]["refused"] == 1
    assert levels[1]["ttfa_samples_ms"] == [round(t * 1000, 2) for t in eight]
    compare_to_c1(levels)
    lo, hi = levels[1]["ttfa_p95_vs_c1_ci90"]
    assert lo <= levels[1]["ttfa_p95_vs_c1"] <= hi and lo > 1.8 and hi < 2.2
    assert "ttfa_p95_vs_c1_ci90" not in levels[0] and levels[1]["audio_s_per_s_vs_c1"] == 1.0
