"""Code predictor: all 15 residual codebooks of one frame, as a part of the talker step graph
(export/graphs/talker.py).

The 15 autoregressive steps are unrolled (step j sees j + 1 cached positions), sampling runs in
the graph with uniforms supplied by the host (reproducible, no RNG in the graph), and the frame's
summed codec embedding — the talker's next input minus the text vector — is returned too.
"""

from __future__ import annotations

import numpy as np

from qtts.export.graphs.decoder_lm import NEG, AttnInputs, KVBuffer, Weights, decoder_layer, rope_tables
from qtts.export.graphs.sampling import SamplingInputs, choose
from qtts.export.onnx_graph import GraphBuilder
from qtts.runtime.model_config import TalkerConfig

PREFIX = "talker.code_predictor"


def codec_row(b: GraphBuilder, w: Weights, ids: str) -> str:
    """Rows of the talker codec table C: ids i64 [...] -> [..., H]."""
    return b.op("Gather", b.weight("talker.model.codec_embedding.weight", w("talker.model.codec_embedding.weight")), ids)


def residual_row(b: GraphBuilder, w: Weights, group: int, ids: str) -> str:
    """Rows of Q_{group-1}, the embedding of codebook ``group`` (1..15): ids [...] -> [..., H]."""
    name = f"{PREFIX}.model.codec_embedding.{group - 1}.weight"
    return b.op("Gather", b.weight(name, w(name)), ids)


def frame_sum(b: GraphBuilder, w: Weights, code0: str, rest: list[str]) -> str:
    """C(code0) + sum_{g=1..15} Q_{g-1}(rest[g-1]); all ids share one shape."""
    acc = codec_row(b, w, code0)
    for g, ids in enumerate(rest, start=1):
        acc = b.op("Add", acc, residual_row(b, w, g, ids))
    return acc


def code_predictor(
    b: GraphBuilder, w: Weights, cfg: TalkerConfig, hidden: str, code0: str, uniforms: str, forced: str, sampling: SamplingInputs
) -> tuple[str, str, str]:
    """The frame's codebooks 1..15 from the talker's post-norm ``hidden`` f32 [B, H] and ``code0`` i64 [B].

    ``uniforms`` f32 [B, 15]: one draw per codebook; ``forced`` i64 [B, 15]: >= 0 uses that code
    (teacher forcing), -1 samples. Returns codes i64 [B, 15], frame_embed f32 [B, H] (C(code0) +
    sum_j Q_{j-1}(codes_j)) and the raw logits of each step f32 [B, 15, V].

    Attention: explicit MatMul/Softmax with the cache concatenated per step (fp32, the reference's
    arithmetic), or, when the layers are quantized, GroupQueryAttention with its built-in rotary and
    causal mask (about 20 fewer small nodes per layer and step; each step's ``present`` is the next
    step's past).
    """
    cp, h = cfg.code_predictor, cfg.lm.hidden_size
    groups = cfg.num_code_groups - 1

    def project(x: str) -> str:
        if cp.hidden_size == h:
            return x
        return b.linear(x, w(f"{PREFIX}.small_to_mtp_projection.weight"), w(f"{PREFIX}.small_to_mtp_projection.bias"), f"{PREFIX}.small_to_mtp_projection")

    gqa = b.plan(f"{PREFIX}.model.layers.0.self_attn.q_proj") is not None
    if gqa:
        cos_cache, sin_cache = rope_tables(b, cp, groups + 1)
        batch = b.op("Shape", code0)

        def per_row(v: int) -> str:  # i32 [B] filled with v
            return b.op("Expand", b.const(np.array([v], np.int32)), batch)
    else:
        positions = np.arange(groups + 1, dtype=np.int64)[None, :]
        cos_all, sin_all = b.rope_cos_sin(b.const(positions), cp.head_dim, cp.rope_theta)  # [1,16,hd]
        prefill_bias = b.const(np.triu(np.full((2, 2), NEG, np.float32), 1)[None, None, None])
    past: list[tuple[str, str] | None] = [None] * cp.num_layers
    codes, step_logits = [], []
    x = b.op("Concat", b.op("Unsqueeze", project(hidden), b.ints(1)), b.op("Unsqueeze", project(codec_row(b, w, code0)), b.ints(1)), axis=1)
    for g in range(1, groups + 1):
        with b.scope(f"cp_step{g}"):
            lo, hi = (0, 2) if g == 1 else (g, g + 1)  # positions of this step's inputs
            if gqa:
                ctx: AttnInputs | KVBuffer = KVBuffer(per_row(hi - 1), b.const(np.int32(hi)), cos_cache, sin_cache, None)
            else:
                cos = b.op("Unsqueeze", b.op("Slice", cos_all, b.ints(lo), b.ints(hi), b.ints(1)), b.ints(1))
                sin = b.op("Unsqueeze", b.op("Slice", sin_all, b.ints(lo), b.ints(hi), b.ints(1)), b.ints(1))
                ctx = AttnInputs(cos, sin, prefill_bias if g == 1 else None)
            for i in range(cp.num_layers):
                pk, pv = past[i] if past[i] is not None else (None, None)
                x, k, v = decoder_layer(b, x, w, f"{PREFIX}.model.layers.{i}", cp, ctx, pk, pv)
                past[i] = (b.op("Concat", pk, k, axis=2), b.op("Concat", pv, v, axis=2)) if pk is not None and not gqa else (k, v)
            last = b.op("Squeeze", b.op("Slice", x, b.ints(-1), b.ints(2**62), b.ints(1)), b.ints(1))  # [B,Hc]
            normed = b.rms_norm(last, w(f"{PREFIX}.model.norm.weight"), cp.rms_norm_eps, f"{PREFIX}.model.norm")
            logits = b.linear(normed, w(f"{PREFIX}.lm_head.{g - 1}.weight"), name=f"{PREFIX}.lm_head.{g - 1}")
            u = b.op("Slice", uniforms, b.ints(g - 1), b.ints(g), b.ints(1))
            drawn = choose(b, logits, u, sampling)
            want = b.op("Squeeze", b.op("Slice", forced, b.ints(g - 1), b.ints(g), b.ints(1)), b.ints(1))
            code = b.op("Where", b.op("GreaterOrEqual", want, b.const(np.int64(0))), want, drawn)
            codes.append(code)
            step_logits.append(b.op("Unsqueeze", logits, b.ints(1)))
            if g < groups:
                x = b.op("Unsqueeze", project(residual_row(b, w, g, code)), b.ints(1))
    stacked = b.op("Concat", *[b.op("Unsqueeze", c, b.ints(1)) for c in codes], axis=1)
    return stacked, frame_sum(b, w, code0, codes), b.op("Concat", *step_logits, axis=1)
