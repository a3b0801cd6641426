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
    """Attention with the cache inside the graph (the unrolled code predictor), shared by every layer.

    cos/sin: [B, 1, S, hd]; bias: additive mask broadcastable to [B, kv, rep, S, T] (or None when
    every query sees every key).
    """

    cos: str
    sin: str
    bias: str | None


@dataclass(frozen=True)
class KVBuffer:
    """Attention by GroupQueryAttention (com.microsoft) over per-layer KV buffers f32 [B, kv, C, hd]
    that the runtime binds as both ``past`` and ``present``, so the S new (rotated) keys and values
    are written in place at positions P..P+S-1. seqlens_k i32 [B] = P + S - 1, total i32 [] = P + S;
    RoPE inside the op from cos/sin tables f32 [max_positions, hd / 2]."""

    seqlens_k: str
    total: str
    cos_cache: str
    sin_cache: str


def rope_tables(b: GraphBuilder, cfg: DecoderLMConfig) -> tuple[str, str]:
    """cos, sin f32 [max_positions, hd / 2] of angles pos * theta^(-2i/hd), computed in float32 like the reference."""
    hd = cfg.head_dim
    inv = (1.0 / (cfg.rope_theta ** (np.arange(0, hd, 2, dtype=np.int64).astype(np.float32) / hd))).astype(np.float32)
    ang = np.arange(cfg.max_positions, dtype=np.float32)[:, None] * inv[None, :]
    return b.const(np.cos(ang).astype(np.float32)), b.const(np.sin(ang).astype(np.float32))


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
    the new ones [B, kv, S, hd] are returned. KVBuffer: past_k/past_v are the layer's buffers and
    the returned keys/values are the ``present`` outputs to bind to the same buffers.
    """
    nh, nkv, hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    rep = nh // nkv
    a = b.rms_norm(x, w(f"{prefix}.input_layernorm.weight"), cfg.rms_norm_eps, f"{prefix}.input_layernorm")
    q = b.linear(a, w(f"{prefix}.self_attn.q_proj.weight"), name=f"{prefix}.self_attn.q_proj")
    k = b.linear(a, w(f"{prefix}.self_attn.k_proj.weight"), name=f"{prefix}.self_attn.k_proj")
    v = b.linear(a, w(f"{prefix}.self_attn.v_proj.weight"), name=f"{prefix}.self_attn.v_proj")
    q = b.op("Reshape", q, b.ints(0, 0, nh, hd))  # [B,S,nh,hd]
    k = b.op("Reshape", k, b.ints(0, 0, nkv, hd))
    q = b.rms_norm(q, w(f"{prefix}.self_attn.q_norm.weight"), cfg.rms_norm_eps, f"{prefix}.self_attn.q_norm")
    k = b.rms_norm(k, w(f"{prefix}.self_attn.k_norm.weight"), cfg.rms_norm_eps, f"{prefix}.self_attn.k_norm")
    if isinstance(ctx, KVBuffer):
        o, k_out, v_out = b.op(
            "GroupQueryAttention",
            b.op("Reshape", q, b.ints(0, 0, nh * hd)), b.op("Reshape", k, b.ints(0, 0, nkv * hd)), v,
            past_k, past_v, ctx.seqlens_k, ctx.total, ctx.cos_cache, ctx.sin_cache,
            outputs=3, domain="com.microsoft", num_heads=nh, kv_num_heads=nkv, do_rotary=1, rotary_interleaved=0, scale=hd**-0.5,
        )  # o [B,S,nh*hd]
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
