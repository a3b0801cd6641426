"""Code-predictor ("frame") graph: all 15 residual codebooks of one frame in one call.

The 15 autoregressive steps are unrolled (step j sees j + 1 cached positions), sampling runs in
the graph with uniforms supplied by the host (reproducible, no RNG in the graph), and the frame's
summed codec embedding — the talker's next input minus the text vector — is returned too.

Inputs
  hidden        f32 [B, H]    talker post-norm hidden that produced code 0
  code0         i64 [B]       codebook-0 code of the frame
  uniforms      f32 [B, 15]   U[0,1) draws, one per sampled codebook
  forced_codes  i64 [B, 15]   >= 0: use this code (teacher forcing / ICL); -1: sample
  temperature   f32 [1]       > 0
  top_k         i64 [1]       1 = greedy (argmax, first index on ties)
  top_p         f32 [1]       1.0 = off
Outputs
  codes         i64 [B, 15]   codebooks 1..15
  frame_embed   f32 [B, H]    C(code0) + sum_j Q_{j-1}(codes_j)
  logits        f32 [B, 15, V] raw logits of each step (before temperature)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from export.config import TalkerConfig
from export.graphs.decoder_lm import NEG, AttnInputs, Weights, decoder_layer
from export.onnx_graph import FLOAT, INT64, GraphBuilder

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


def sample(b: GraphBuilder, logits: str, u: str, temperature: str, top_k: str, top_p: str) -> str:
    """Temperature -> top-k -> top-p -> inverse-CDF draw with u [B, 1]. Returns ids i64 [B].

    top-p keeps the smallest prefix of the sorted distribution whose mass reaches top_p (a token
    is kept when the mass before it is < top_p), which is HF's rule restated in descending order.
    """
    scaled = b.op("Div", logits, temperature)
    vals, idx = b.op("TopK", scaled, top_k, axis=-1, largest=1, sorted=1, outputs=2)  # [B,k]
    probs = b.op("Softmax", vals, axis=-1)
    before = b.op("Sub", b.op("CumSum", probs, b.const(np.int64(1))), probs)
    keep = b.op("Or", b.op("Less", before, top_p), b.op("GreaterOrEqual", top_p, b.const(np.float32(1))))
    probs = b.op("Mul", probs, b.op("Cast", keep, to=FLOAT))
    cdf = b.op("CumSum", probs, b.const(np.int64(1)))
    total = b.op("Gather", cdf, b.op("Sub", top_k, b.ints(1)), axis=1)  # [B,1]
    below = b.op("Cast", b.op("LessOrEqual", cdf, b.op("Mul", u, total)), to=INT64)
    choice = b.op("Min", b.op("ReduceSum", below, b.ints(1), keepdims=1), b.op("Sub", top_k, b.ints(1)))
    return b.op("Squeeze", b.op("GatherElements", idx, choice, axis=1), b.ints(1))


def build_code_predictor(w: Weights, cfg: TalkerConfig, out_path: Path) -> None:
    cp, h = cfg.code_predictor, cfg.lm.hidden_size
    groups = cfg.num_code_groups - 1
    b = GraphBuilder("code_predictor", out_path.with_suffix(".onnx.data"))
    hidden = b.input("hidden", FLOAT, ["batch", h])
    code0 = b.input("code0", INT64, ["batch"])
    uniforms = b.input("uniforms", FLOAT, ["batch", groups])
    forced = b.input("forced_codes", INT64, ["batch", groups])
    temperature = b.input("temperature", FLOAT, [1])
    top_k = b.input("top_k", INT64, [1])
    top_p = b.input("top_p", FLOAT, [1])

    def project(x: str) -> str:
        if cp.hidden_size == h:
            return x
        return b.linear(x, w(f"{PREFIX}.small_to_mtp_projection.weight"), w(f"{PREFIX}.small_to_mtp_projection.bias"), f"{PREFIX}.small_to_mtp_projection")

    positions = np.arange(groups + 1, dtype=np.int64)[None, :]
    cos_all, sin_all = b.rope_cos_sin(b.const(positions), cp.head_dim, cp.rope_theta)  # [1,16,hd]
    prefill_bias = b.const(np.triu(np.full((2, 2), NEG, np.float32), 1)[None, None, None])
    past: list[tuple[str, str] | None] = [None] * cp.num_layers
    codes, step_logits = [], []
    x = b.op("Concat", b.op("Unsqueeze", project(hidden), b.ints(1)), b.op("Unsqueeze", project(codec_row(b, w, code0)), b.ints(1)), axis=1)
    for g in range(1, groups + 1):
        with b.scope(f"step{g}"):
            lo, hi = (0, 2) if g == 1 else (g, g + 1)
            cos = b.op("Unsqueeze", b.op("Slice", cos_all, b.ints(lo), b.ints(hi), b.ints(1)), b.ints(1))
            sin = b.op("Unsqueeze", b.op("Slice", sin_all, b.ints(lo), b.ints(hi), b.ints(1)), b.ints(1))
            ctx = AttnInputs(cos, sin, prefill_bias if g == 1 else None)
            for i in range(cp.num_layers):
                pk, pv = past[i] if past[i] is not None else (None, None)
                x, k, v = decoder_layer(b, x, w, f"{PREFIX}.model.layers.{i}", cp, ctx, pk, pv)
                past[i] = (b.op("Concat", pk, k, axis=2), b.op("Concat", pv, v, axis=2)) if pk is not None else (k, v)
            last = b.op("Squeeze", b.op("Slice", x, b.ints(-1), b.ints(2**62), b.ints(1)), b.ints(1))  # [B,Hc]
            normed = b.rms_norm(last, w(f"{PREFIX}.model.norm.weight"), cp.rms_norm_eps, f"{PREFIX}.model.norm")
            logits = b.linear(normed, w(f"{PREFIX}.lm_head.{g - 1}.weight"), name=f"{PREFIX}.lm_head.{g - 1}")
            u = b.op("Slice", uniforms, b.ints(g - 1), b.ints(g), b.ints(1))
            drawn = sample(b, logits, u, temperature, top_k, top_p)
            want = b.op("Squeeze", b.op("Slice", forced, b.ints(g - 1), b.ints(g), b.ints(1)), b.ints(1))
            code = b.op("Where", b.op("GreaterOrEqual", want, b.const(np.int64(0))), want, drawn)
            codes.append(code)
            step_logits.append(b.op("Unsqueeze", logits, b.ints(1)))
            if g < groups:
                x = b.op("Unsqueeze", project(residual_row(b, w, g, code)), b.ints(1))
    b.output(b.op("Concat", *[b.op("Unsqueeze", c, b.ints(1)) for c in codes], axis=1), "codes", INT64, ["batch", groups])
    b.output(frame_sum(b, w, code0, codes), "frame_embed", FLOAT, ["batch", h])
    b.output(b.op("Concat", *step_logits, axis=1), "logits", FLOAT, ["batch", groups, cp.vocab_size])
    b.save(out_path, "Qwen3-TTS code predictor: 15 codebooks per call, in-graph sampling")
