"""The load statistics shared by the in-process bench and the HTTP harness (runtime.loadstats)."""

from __future__ import annotations

import numpy as np

from qtts.runtime.loadstats import percentiles, ratio_interval


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
