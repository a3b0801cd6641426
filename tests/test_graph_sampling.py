"""The in-graph sampler (export/graphs/sampling.py) against a numpy statement of the same rules:
code-0 logits processing (repetition penalty, EOS block, suppression) and greedy / temperature /
top-k / top-p inverse-CDF draws in index order with a given uniform."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from qtts.export.graphs.sampling import SamplingInputs, choose, process_code0_logits
from qtts.export.onnx_graph import BOOL, FLOAT, INT64, GraphBuilder

V, EOS = 9, 7
SUPPRESS = np.zeros(V, bool)
SUPPRESS[6:] = True
SUPPRESS[EOS] = False


def reference_process(logits: np.ndarray, generated: np.ndarray, step: int, penalty: float) -> np.ndarray:
    x = logits.astype(np.float32, copy=True)
    sel = x[generated]
    x[generated] = np.where(sel > 0, sel / np.float32(penalty), sel * np.float32(penalty))
    if step < 2:
        x[EOS] = -np.inf
    x[SUPPRESS] = -np.inf
    return x


def reference_choose(logits: np.ndarray, u: float, do_sample: bool, temperature: float, top_k: int, top_p: float) -> int:
    if not do_sample:
        return int(np.argmax(logits))
    x = logits / np.float32(temperature)
    kth = np.partition(x, -top_k)[-top_k]
    x = np.where(x < kth, -np.inf, x)
    p = np.exp(x - x.max())
    p /= p.sum()
    if top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        before = np.cumsum(p[order]) - p[order]
        p[order[before >= top_p]] = 0
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), x.size - 1))


@pytest.fixture(scope="module")
def sampler(tmp_path_factory: pytest.TempPathFactory) -> ort.InferenceSession:
    path = tmp_path_factory.mktemp("sampler") / "sampler.onnx"
    b = GraphBuilder("sampler", path.with_suffix(".onnx.data"))
    logits = b.input("logits", FLOAT, ["batch", V])
    generated = b.input("generated", BOOL, ["batch", V])
    step = b.input("step", INT64, [1])
    penalty = b.input("penalty", FLOAT, [1])
    u = b.input("u", FLOAT, ["batch", 1])
    s = SamplingInputs.declare(b)
    processed = process_code0_logits(b, logits, generated, step, penalty, eos=EOS, min_frames=2, suppress=SUPPRESS)
    b.output(processed, "processed", FLOAT, ["batch", V])
    b.output(choose(b, processed, u, s), "id", INT64, ["batch"])
    b.save(path)
    return ort.InferenceSession(str(Path(path)), providers=["CPUExecutionProvider"])


def run(sess, logits, generated=(), step=5, penalty=1.0, u=0.5, do_sample=True, temperature=1.0, top_k=V, top_p=1.0):
    gen = np.zeros((1, V), bool)
    gen[0, list(generated)] = True
    processed, ids = sess.run(None, {
        "logits": np.asarray(logits, np.float32)[None], "generated": gen, "step": np.array([step]), "penalty": np.array([penalty], np.float32),
        "u": np.array([[u]], np.float32), "do_sample": np.array([do_sample]), "temperature": np.array([temperature], np.float32),
        "top_k": np.array([top_k]), "top_p": np.array([top_p], np.float32),
    })
    return processed[0], int(ids[0])


def test_repetition_penalty_divides_positive_multiplies_negative(sampler) -> None:
    out, _ = run(sampler, [4.0, -4.0, 1.0, 0, 0, 0, 0, 0, 0], {0, 1}, penalty=2.0)
    assert out[0] == 2.0 and out[1] == -8.0 and out[2] == 1.0


def test_eos_blocked_for_min_frames_and_controls_suppressed(sampler) -> None:
    x = [0, 0, 0, 0, 0, 0, 9.0, 9.0, 9.0]
    assert np.isneginf(run(sampler, x, step=1)[0][7])
    out, greedy = run(sampler, x, step=2, do_sample=False)
    assert out[7] == 9.0 and np.isneginf(out[6]) and np.isneginf(out[8]) and greedy == 7


def test_greedy_first_max_and_sampling_respects_top_k_top_p(sampler) -> None:
    logits = [1.0, 3.0, 3.0, 2.0, -1.0, 0, 0, 0, 0]
    assert run(sampler, logits, do_sample=False)[1] == 1
    us = np.random.default_rng(0).random(300)
    assert {run(sampler, logits, u=float(u), top_k=3)[1] for u in us} == {1, 2, 3}
    # top_p = 0.5: ids 1 and 2 hold most of the mass, either alone less than half -> keep {1, 2}
    assert {run(sampler, logits, u=float(u), top_p=0.5)[1] for u in us} == {1, 2}


def test_matches_the_numpy_statement_on_random_logits(sampler) -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        logits = (rng.standard_normal(V) * 3).astype(np.float32)
        gen = {int(i) for i in rng.integers(0, V, 3)}
        step, penalty = int(rng.integers(0, 4)), float(rng.choice([1.0, 1.05, 1.5]))
        opts = {"do_sample": bool(rng.random() < 0.8), "temperature": float(rng.choice([0.5, 0.9, 2.0])),
                "top_k": int(rng.choice([1, 2, 4, V])), "top_p": float(rng.choice([0.3, 0.8, 1.0]))}
        u = float(rng.random())
        processed, got = run(sampler, logits, gen, step, penalty, u, **opts)
        mask = np.zeros(V, bool)
        mask[list(gen)] = True
        want_processed = reference_process(logits, mask, step, penalty)
        np.testing.assert_array_equal(processed, want_processed)
        assert got == reference_choose(want_processed, u, **opts), (logits, gen, step, penalty, u, opts)
