"""Qwen3-style decoder layers (talker and code predictor), built from checkpoint weights.

Layer (spec §3.1): pre-norm residual; per-head RMSNorm on q and k before RoPE; GQA where query
head h reads kv head h // (heads / kv_heads); SwiGLU MLP; no biases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from export.config import DecoderLMConfig
from export.onnx_graph import GraphBuilder

Weights = Callable[[str], np.ndarray]
NEG = float(np.finfo(np.float32).min)


@dataclass(frozen=True)
class AttnInputs:
    """Per-call attention context shared by every layer.

    cos/sin: [B, 1, S, hd]; bias: additive mask broadcastable to [B, kv, rep, S, T] (or None when
    every query sees every key).
    """

    cos: str
    sin: str
    bias: str | None


def causal_bias(b: GraphBuilder, attention_mask: str, seq_len: str) -> str:
    """attention_mask int64 [B, T] (1 = real token), S = seq_len (int64 [1]) new queries at the end.

    Returns float32 [B, 1, 1, S, T]: 0 where key t is visible to query s (t <= T - S + s and the key
    is not padding), float32-min elsewhere (as HF does; a fully masked row stays finite).
    """
    total = b.op("Gather", b.op("Shape", attention_mask), b.ints(1))  # [1]
    past = b.op("Sub", total, seq_len)
    keys = b.op("Range", b.const(np.int64(0)), b.op("Squeeze", total), b.const(np.int64(1)))  # [T]
    queries = b.op("Add", b.op("Range", b.const(np.int64(0)), b.op("Squeeze", seq_len), b.const(np.int64(1))), past)
    causal = b.op("LessOrEqual", b.op("Unsqueeze", keys, b.ints(0)), b.op("Unsqueeze", queries, b.ints(1)))  # [S,T]
    valid = b.op("Cast", b.op("Unsqueeze", attention_mask, b.ints(1, 2, 3)), to=9)  # bool [B,1,1,1,T]
    allowed = b.op("And", causal, valid)  # [B,1,1,S,T]
    return b.op("Where", allowed, b.const(np.float32(0)), b.const(np.float32(NEG)))


def decoder_layer(
    b: GraphBuilder,
    x: str,
    w: Weights,
    prefix: str,
    cfg: DecoderLMConfig,
    ctx: AttnInputs,
    past_k: str | None,
    past_v: str | None,
) -> tuple[str, str, str]:
    """x [B, S, Hc] -> (x', k_new [B, kv, S, hd], v_new [B, kv, S, hd]).

    past_k/past_v [B, kv, P, hd] are prepended to the new keys/values when given.
    """
    nh, nkv, hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    rep = nh // nkv
    a = b.rms_norm(x, w(f"{prefix}.input_layernorm.weight"), cfg.rms_norm_eps, f"{prefix}.input_layernorm")
    q = b.linear(a, w(f"{prefix}.self_attn.q_proj.weight"), name=f"{prefix}.self_attn.q_proj")
    k = b.linear(a, w(f"{prefix}.self_attn.k_proj.weight"), name=f"{prefix}.self_attn.k_proj")
    v = b.linear(a, w(f"{prefix}.self_attn.v_proj.weight"), name=f"{prefix}.self_attn.v_proj")
    q = b.op("Reshape", q, b.ints(0, 0, nh, hd))  # [B,S,nh,hd]
    k = b.op("Reshape", k, b.ints(0, 0, nkv, hd))
    v = b.op("Transpose", b.op("Reshape", v, b.ints(0, 0, nkv, hd)), perm=[0, 2, 1, 3])  # [B,kv,S,hd]
    q = b.rms_norm(q, w(f"{prefix}.self_attn.q_norm.weight"), cfg.rms_norm_eps, f"{prefix}.self_attn.q_norm")
    k = b.rms_norm(k, w(f"{prefix}.self_attn.k_norm.weight"), cfg.rms_norm_eps, f"{prefix}.self_attn.k_norm")
    q = b.apply_rope(b.op("Transpose", q, perm=[0, 2, 1, 3]), ctx.cos, ctx.sin, hd)  # [B,nh,S,hd]
    k = b.apply_rope(b.op("Transpose", k, perm=[0, 2, 1, 3]), ctx.cos, ctx.sin, hd)  # [B,kv,S,hd]
    k_all = b.op("Concat", past_k, k, axis=2) if past_k is not None else k
    v_all = b.op("Concat", past_v, v, axis=2) if past_v is not None else v
    q5 = b.op("Reshape", q, b.ints(0, nkv, rep, -1, hd))  # [B,kv,rep,S,hd]
    kt = b.op("Unsqueeze", b.op("Transpose", k_all, perm=[0, 1, 3, 2]), b.ints(2))  # [B,kv,1,hd,T]
    scores = b.op("Mul", b.op("MatMul", q5, kt), b.const(np.float32(hd**-0.5)))
    if ctx.bias is not None:
        scores = b.op("Add", scores, ctx.bias)
    p = b.op("Softmax", scores, axis=-1)
    o = b.op("MatMul", p, b.op("Unsqueeze", v_all, b.ints(2)))  # [B,kv,rep,S,hd]
    o = b.op("Reshape", o, b.ints(0, nh, -1, hd))
    o = b.op("Reshape", b.op("Transpose", o, perm=[0, 2, 1, 3]), b.ints(0, 0, nh * hd))
    x = b.op("Add", x, b.linear(o, w(f"{prefix}.self_attn.o_proj.weight"), name=f"{prefix}.self_attn.o_proj"))
    m = b.rms_norm(x, w(f"{prefix}.post_attention_layernorm.weight"), cfg.rms_norm_eps, f"{prefix}.post_attention_layernorm")
    mlp = b.swiglu_mlp(
        m,
        w(f"{prefix}.mlp.gate_proj.weight"),
        w(f"{prefix}.mlp.up_proj.weight"),
        w(f"{prefix}.mlp.down_proj.weight"),
        f"{prefix}.mlp",
    )
    return b.op("Add", x, mlp), k, v


def rope_for_positions(b: GraphBuilder, positions: str, cfg: DecoderLMConfig) -> tuple[str, str]:
    """positions int64 [B, S] -> cos, sin [B, 1, S, hd]."""
    cos, sin = b.rope_cos_sin(positions, cfg.head_dim, cfg.rope_theta)
    return b.op("Unsqueeze", cos, b.ints(1)), b.op("Unsqueeze", sin, b.ints(1))
