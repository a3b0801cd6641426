"""Qwen3-style decoder layers (talker and code predictor), built from checkpoint weights.

Layer (spec §3.1): pre-norm residual; per-head RMSNorm on q and k before RoPE; GQA where query
head h reads kv head h // (heads / kv_heads); SwiGLU MLP; no biases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qtts.export.onnx_graph import GraphBuilder
from qtts.runtime.model_config import DecoderLMConfig

Weights = Callable[[str], np.ndarray]
NEG = float(np.finfo(np.float32).min)


@dataclass(frozen=True)
class AttnInputs:
    """Attention with the cache inside the graph (the unrolled code predictor), shared by every layer.

    cos/sin: [B, 1, S, hd]; bias: additive mask broadcastable to [B, kv, rep, S, T] (or None when
    every query sees every key).
    """

    cos: str
    sin: str
    bias: str | None


@dataclass(frozen=True)
class KVBuffer:
    """Attention by GroupQueryAttention (com.microsoft) over per-layer KV buffers f32 [B, kv, C, hp]
    that the runtime binds as both ``past`` and ``present``, so the S new (rotated) keys and values
    are written in place at positions P..P+Q-1. seqlens_k i32 [B] = P + Q - 1, query_seqlens i32 [B]
    = Q (the row's valid new positions of the S given; 0: idle row, KV untouched), total i32 [] >= P + Q;
    RoPE inside the op from cos/sin tables f32 [max_positions, hp / 2]; hp = ``gqa_head_size(hd)``.
    The code predictor uses the same op inside one graph: its past is the previous step's ``present``
    (a graph value, C = P) and no query_seqlens (every row takes all S new positions)."""

    seqlens_k: str
    total: str
    cos_cache: str
    sin_cache: str
    query_seqlens: str | None  # None: every row takes all S new positions (the op then needs no past)


def gqa_head_size(head_dim: int) -> int:
    """Head size of the GroupQueryAttention path and its KV buffers: ``head_dim`` rounded up to a
    multiple of 16, which ONNX Runtime's GroupQueryAttention needs when it applies the rotary
    embedding (equal to ``head_dim`` for the released checkpoints)."""
    return -(-head_dim // 16) * 16


def rope_tables(b: GraphBuilder, cfg: DecoderLMConfig, positions: int | None = None) -> tuple[str, str]:
    """cos, sin f32 [positions, hp / 2] (default ``cfg.max_positions``; hp = ``gqa_head_size(hd)``):
    angles pos * theta^(-2i/hd), computed in float32 like the reference, in the first hd / 2 columns;
    the padding columns are cos 1, sin 0 (they rotate the zero padding of ``pad_heads``)."""
    hd = cfg.head_dim
    inv = (1.0 / (cfg.rope_theta ** (np.arange(0, hd, 2, dtype=np.int64).astype(np.float32) / hd))).astype(np.float32)
    ang = np.arange(positions or cfg.max_positions, dtype=np.float32)[:, None] * inv[None, :]
    pad = ((0, 0), (0, (gqa_head_size(hd) - hd) // 2))
    cos = np.pad(np.cos(ang).astype(np.float32), pad, constant_values=1.0)
    return b.const(cos), b.const(np.pad(np.sin(ang).astype(np.float32), pad))


def pad_heads(b: GraphBuilder, x: str, heads: int, hd: int, hp: int) -> str:
    """x [B, S, heads * hd] -> [B, S, heads * hp]: each half of each head zero-padded to hp / 2,
    [x_0..x_{hd/2-1}, 0.. | x_{hd/2}..x_{hd-1}, 0..], so that the rotary embedding (non-interleaved:
    element i pairs with i + hp / 2) pairs x_i with x_{i+hd/2} as it does unpadded, the zeros add
    nothing to q.k, and the attention output's padding columns are zero. No node when hp == hd."""
    if hp == hd:
        return x
    halves = b.op("Reshape", x, b.ints(0, 0, 2 * heads, hd // 2))
    padded = b.op("Pad", halves, b.ints(0, 0, 0, 0, 0, 0, 0, (hp - hd) // 2))
    return b.op("Reshape", padded, b.ints(0, 0, heads * hp))


def unpad_heads(b: GraphBuilder, x: str, heads: int, hd: int, hp: int) -> str:
    """The inverse of ``pad_heads``: [B, S, heads * hp] -> [B, S, heads * hd] (the real columns)."""
    if hp == hd:
        return x
    halves = b.op("Slice", b.op("Reshape", x, b.ints(0, 0, 2 * heads, hp // 2)), b.ints(0), b.ints(hd // 2), b.ints(3))
    return b.op("Reshape", halves, b.ints(0, 0, heads * hd))


def decoder_layer(
    b: GraphBuilder,
    x: str,
    w: Weights,
    prefix: str,
    cfg: DecoderLMConfig,
    ctx: AttnInputs | KVBuffer,
    past_k: str | None,
    past_v: str | None,
) -> tuple[str, str, str]:
    """x [B, S, Hc] -> (x', keys, values).

    AttnInputs: past_k/past_v [B, kv, P, hd] are prepended to the new keys/values when given, and
    the new ones [B, kv, S, hd] are returned. KVBuffer: past_k/past_v are the layer's buffers (or
    ``None``: no past) and the returned keys/values are the ``present`` outputs (past and new
    positions; the talker binds them to the same buffers), with head size ``gqa_head_size(hd)``
    (see ``pad_heads``; scores stay scaled by hd^-0.5).
    """
    nh, nkv, hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    rep = nh // nkv
    a = b.rms_norm(x, w(f"{prefix}.input_layernorm.weight"), cfg.rms_norm_eps, f"{prefix}.input_layernorm")
    q, k, v = b.linears(
        a, [(w(f"{prefix}.self_attn.{p}_proj.weight"), f"{prefix}.self_attn.{p}_proj") for p in "qkv"], f"{prefix}.self_attn.qkv_proj"
    )
    q = b.op("Reshape", q, b.ints(0, 0, nh, hd))  # [B,S,nh,hd]
    k = b.op("Reshape", k, b.ints(0, 0, nkv, hd))
    q = b.rms_norm(q, w(f"{prefix}.self_attn.q_norm.weight"), cfg.rms_norm_eps, f"{prefix}.self_attn.q_norm")
    k = b.rms_norm(k, w(f"{prefix}.self_attn.k_norm.weight"), cfg.rms_norm_eps, f"{prefix}.self_attn.k_norm")
    if isinstance(ctx, KVBuffer):
        hp = gqa_head_size(hd)
        o, k_out, v_out = b.op(
            "GroupQueryAttention",
            pad_heads(b, b.op("Reshape", q, b.ints(0, 0, nh * hd)), nh, hd, hp),
            pad_heads(b, b.op("Reshape", k, b.ints(0, 0, nkv * hd)), nkv, hd, hp),
            pad_heads(b, v, nkv, hd, hp),
            past_k or "", past_v or "", ctx.seqlens_k, ctx.total, ctx.cos_cache, ctx.sin_cache, *([""] * 7 + [ctx.query_seqlens] if ctx.query_seqlens else []),
            outputs=3, domain="com.microsoft", num_heads=nh, kv_num_heads=nkv, do_rotary=1, rotary_interleaved=0, scale=hd**-0.5,
        )  # o [B,S,nh*hp]
        o = unpad_heads(b, o, nh, hd, hp)  # [B,S,nh*hd]
    else:
        v = b.op("Transpose", b.op("Reshape", v, b.ints(0, 0, nkv, hd)), perm=[0, 2, 1, 3])  # [B,kv,S,hd]
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
        k_out, v_out = k, v
    x = b.op("Add", x, b.linear(o, w(f"{prefix}.self_attn.o_proj.weight"), name=f"{prefix}.self_attn.o_proj"))
    m = b.rms_norm(x, w(f"{prefix}.post_attention_layernorm.weight"), cfg.rms_norm_eps, f"{prefix}.post_attention_layernorm")
    mlp = b.swiglu_mlp(
        m,
        w(f"{prefix}.mlp.gate_proj.weight"),
        w(f"{prefix}.mlp.up_proj.weight"),
        w(f"{prefix}.mlp.down_proj.weight"),
        f"{prefix}.mlp",
    )
    return b.op("Add", x, mlp), k_out, v_out
