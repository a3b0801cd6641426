"""In-graph sampling (spec §5): the talker's code-0 logits processing and one draw per row with a
uniform supplied by the host, so results are reproducible from the host's seed and a frame needs no
host round trip between the talker and the code predictor.

A draw is the inverse CDF over token ids in index order: with p the distribution left after
temperature, top-k (ties with the k-th value are kept) and top-p (the smallest most-probable prefix
of the top k whose mass reaches top_p, ties ordered by index), the id is the number of cumulative entries
<= u * total, at most V - 1. Greedy (``do_sample`` false) is argmax, first index on ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qtts.export.onnx_graph import BOOL, FLOAT, INT64, GraphBuilder

NEG_INF = np.float32(-np.inf)


@dataclass(frozen=True)
class SamplingInputs:
    """Graph input names of one sampler's settings, one value per batch row: do_sample bool [B],
    temperature f32 [B] (> 0), top_k i64 [B] (1..V; V = off), top_p f32 [B] (1.0 = off)."""

    do_sample: str
    temperature: str
    top_k: str
    top_p: str

    @classmethod
    def declare(cls, b: GraphBuilder, prefix: str = "") -> SamplingInputs:
        return cls(
            b.input(prefix + "do_sample", BOOL, ["batch"]),
            b.input(prefix + "temperature", FLOAT, ["batch"]),
            b.input(prefix + "top_k", INT64, ["batch"]),
            b.input(prefix + "top_p", FLOAT, ["batch"]),
        )


def process_code0_logits(
    b: GraphBuilder, logits: str, generated: str, step: str, penalty: str, *, eos: int, min_frames: int, suppress: np.ndarray
) -> str:
    """Raw talker logits f32 [B, V] -> processed: repetition ``penalty`` (f32 [B]) on the ids in
    ``generated`` (bool [B, V]; positive logits divided, negative multiplied), EOS blocked while
    ``step`` (i64 [B], each row's frame index) < ``min_frames``, ``suppress`` (bool [V]) ids removed."""
    penalty = b.op("Unsqueeze", penalty, b.ints(1))  # [B, 1]
    penalized = b.op("Where", b.op("Greater", logits, b.const(np.float32(0))), b.op("Div", logits, penalty), b.op("Mul", logits, penalty))
    x = b.op("Where", generated, penalized, logits)
    eos_only = np.zeros_like(suppress)
    eos_only[eos] = True
    early = b.op("Unsqueeze", b.op("Less", step, b.const(np.int64(min_frames))), b.ints(1))  # [B, 1]
    removed = b.op("Or", b.const(suppress), b.op("And", b.const(eos_only), early))
    return b.op("Where", removed, b.const(NEG_INF), x)


def choose(b: GraphBuilder, logits: str, u: str, s: SamplingInputs) -> str:
    """logits f32 [B, V], u f32 [B, 1] in [0, 1) -> ids i64 [B] (module docstring); settings per row.

    TopK runs once with the batch's largest k; each row keeps the values >= its own k-th largest,
    and top-p runs over its own first k sorted entries only (TopK orders ties by index, so those
    are the row's own top k): values tied with the k-th beyond the first k are kept by top-k but
    never dropped by top-p.
    """
    greedy = b.op("ArgMax", logits, axis=-1, keepdims=0, select_last_index=0)
    x = b.op("Div", logits, b.op("Unsqueeze", s.temperature, b.ints(1)))
    k_max = b.op("ReduceMax", s.top_k, keepdims=1)  # [1]
    top, order = b.op("TopK", x, k_max, axis=-1, largest=1, sorted=1, outputs=2)  # [B, k_max]
    k_col = b.op("Unsqueeze", s.top_k, b.ints(1))  # [B, 1]
    kth = b.op("GatherElements", top, b.op("Sub", k_col, b.const(np.int64(1))), axis=1)  # [B, 1]
    p = b.op("Softmax", b.op("Where", b.op("Less", x, kth), b.const(NEG_INF), x), axis=-1)
    sorted_p = b.op("GatherElements", p, order, axis=1)
    before = b.op("Sub", b.op("CumSum", sorted_p, b.const(np.int64(1))), sorted_p)
    top_p = b.op("Unsqueeze", s.top_p, b.ints(1))  # [B, 1]
    rank = b.op("Unsqueeze", b.op("Range", b.const(np.int64(0)), b.op("Squeeze", k_max, b.ints(0)), b.const(np.int64(1))), b.ints(0))
    own = b.op("Less", rank, k_col)  # [B, k_max]: the row's own top k
    drop_sorted = b.op("And", b.op("And", b.op("GreaterOrEqual", before, top_p), b.op("Less", top_p, b.const(np.float32(1)))), own)
    drop = b.op("ScatterElements", b.op("Mul", p, b.const(np.float32(0))), order, b.op("Cast", drop_sorted, to=FLOAT), axis=1)
    p = b.op("Mul", p, b.op("Sub", b.const(np.float32(1)), drop))
    cdf = b.op("CumSum", p, b.const(np.int64(1)))
    total = b.op("Slice", cdf, b.ints(-1), b.ints(2**62), b.ints(1))  # [B, 1]
    below = b.op("Cast", b.op("LessOrEqual", cdf, b.op("Mul", u, total)), to=INT64)
    last = b.op("Sub", b.op("Slice", b.op("Shape", p), b.ints(1), b.ints(2)), b.ints(1))  # [1] = V - 1
    drawn = b.op("Min", b.op("ReduceSum", below, b.ints(1), keepdims=0), last)
    return b.op("Where", s.do_sample, drawn, greedy)
