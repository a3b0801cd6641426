"""The 12 Hz codec decoder (Qwen3-TTS-Tokenizer-12Hz) as one stateful ONNX graph (spec §7.2-7.5, §8.4).

One call decodes N >= 1 new frames and carries the decoder state explicitly, so a stream of calls
equals one full decode (every module is causal):

- ``codes`` int64 [B, N, Q] -> ``pcm`` float32 [B, N * samples_per_frame], clamped to [-1, 1];
- ``state`` float32 [B, S] -> ``new_state``: the left histories of every causal (transposed) conv,
  flattened and concatenated (S is fixed by the checkpoint; zeros = fresh decoder);
- ``past_key`` / ``past_value`` float32 [L, B, heads, window - 1, head_dim] -> ``new_key`` /
  ``new_value``: the pre-transformer's sliding-window KV of the last window - 1 frames (keys after RoPE);
- ``offset`` int64 [B]: per row, frames decoded before this call (the row's transformer positions
  continue from it; history entries at negative positions are masked, so zero state + offset 0 is a
  fresh decode). Rows are independent streams, so one call can step many streams at different
  positions (continuous batching); B = 1 is the single-stream decode.

Convolutional parts run channel-first [B, C, T] (ONNX Conv), the transformer [B, T, C].
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from qtts.export.onnx_graph import FLOAT, INT64, GraphBuilder
from qtts.runtime.errors import CheckpointError, UnsupportedModelError
from qtts.runtime.model_config import CodecDecoderConfig

RES_DILATIONS = (1, 3, 9)
CONVNEXT_LN_EPS = 1e-6
CODEBOOK_EPS = 1e-5
SNAKE_EPS = 1e-9


class _Weights:
    """``decoder.*`` tensors by their name without the prefix, as float32."""

    def __init__(self, weights: Mapping[str, np.ndarray]):
        self._w = weights

    def __call__(self, name: str) -> np.ndarray:
        key = "decoder." + name
        if key not in self._w:
            raise CheckpointError(f"codec decoder: missing tensor {key!r}")
        return np.asarray(self._w[key], dtype=np.float32)


class ConvHistory:
    """Left context of causal ops along time (last axis of [B, C, T]), read from and written to the
    flat ``state`` input/output: each op owns C*n consecutive columns, in graph-build order."""

    def __init__(self, g: GraphBuilder):
        self.g = g
        self.state = g.input("state", FLOAT, ["batch", "state_size"])
        self._declared = g.inputs[-1]
        self.size = 0  # S, columns used so far
        self.tails: list[str] = []  # [B, C*n] per op, concatenated into ``new_state``

    def prepend(self, x: str, channels: int, n: int) -> str:
        """x [B, C, T] -> [B, C, n + T]: the op's ``n`` history frames in front; records the new tail."""
        if n == 0:
            return x
        g = self.g
        hist = g.op("Slice", self.state, g.ints(self.size), g.ints(self.size + channels * n), g.ints(1))
        self.size += channels * n
        full = g.op("Concat", g.op("Reshape", hist, g.ints(0, channels, n)), x, axis=2)
        tail = g.op("Slice", full, g.ints(-n), g.ints(np.iinfo(np.int64).max), g.ints(2))
        self.tails.append(g.op("Reshape", tail, g.ints(0, channels * n)))
        return full

    def new_state(self) -> str:
        """Concatenated tails [B, S]; also fixes S in the ``state`` input's declared shape."""
        self._declared.type.tensor_type.shape.dim[1].dim_value = self.size
        return self.g.op("Concat", *self.tails, axis=1)


# ---------------------------------------------------------------------------------------- layers
def causal_conv(
    g: GraphBuilder, ctx: ConvHistory, x: str, W: _Weights, name: str, dilation: int = 1, groups: int = 1
) -> str:
    """Stride-1 causal Conv1d (left context (k-1)*dilation): [B, Cin, T] -> [B, Cout, T]."""
    w = W(name + ".weight")
    x = ctx.prepend(x, w.shape[1] * groups, (w.shape[-1] - 1) * dilation)
    return g.conv1d(x, w, W(name + ".bias"), "decoder." + name, dilation=dilation, groups=groups)


def causal_conv_transpose(
    g: GraphBuilder, ctx: ConvHistory, x: str, W: _Weights, name: str, stride: int
) -> str:
    """Causal ConvTranspose1d (k, s): [B, Cin, T] -> [B, Cout, T*s].

    Equals the reference (plain ConvTranspose, last k-s samples dropped): ceil((k-s)/s) context frames
    of history are prepended and their s samples each dropped again.
    """
    w = W(name + ".weight")
    k = w.shape[-1]
    if k < stride:
        raise UnsupportedModelError(f"codec decoder: {name}: kernel {k} < stride {stride}")
    if k == stride:
        return g.conv_transpose1d(x, w, W(name + ".bias"), stride, "decoder." + name)
    m = -(-(k - stride) // stride)
    y = g.conv_transpose1d(ctx.prepend(x, w.shape[0], m), w, W(name + ".bias"), stride, "decoder." + name)
    return g.op("Slice", y, g.ints(m * stride), g.ints(stride - k), g.ints(2))


def snake_beta(g: GraphBuilder, x: str, W: _Weights, name: str) -> str:
    """x + sin²(x·e^α) / (e^β + 1e-9), per channel, on [B, C, T] (α, β stored in log space)."""
    alpha = np.exp(W(name + ".alpha"))[:, None]
    inv_beta = (np.float32(1.0) / (np.exp(W(name + ".beta")) + np.float32(SNAKE_EPS)))[:, None]
    s = g.op("Sin", g.op("Mul", x, g.weight(f"decoder.{name}.exp_alpha", alpha)))
    return g.op("Add", x, g.op("Mul", g.weight(f"decoder.{name}.inv_beta", inv_beta), g.op("Mul", s, s)))


def convnext(g: GraphBuilder, ctx: ConvHistory, x: str, W: _Weights, name: str) -> str:
    """x + γ ⊙ PW2(GELU(PW1(LayerNorm_C(causal depthwise conv k7 (x))))) on [B, C, T]."""
    channels = W(name + ".dwconv.conv.weight").shape[0]
    h = causal_conv(g, ctx, x, W, name + ".dwconv.conv", groups=channels)
    h = g.op("Transpose", h, perm=[0, 2, 1])
    h = g.layer_norm(
        h, W(name + ".norm.weight"), W(name + ".norm.bias"), CONVNEXT_LN_EPS, "decoder." + name + ".norm"
    )
    h = g.gelu(
        g.linear(h, W(name + ".pwconv1.weight"), W(name + ".pwconv1.bias"), "decoder." + name + ".pwconv1")
    )
    h = g.linear(h, W(name + ".pwconv2.weight"), W(name + ".pwconv2.bias"), "decoder." + name + ".pwconv2")
    h = g.op("Mul", h, g.weight(f"decoder.{name}.gamma", W(name + ".gamma")))
    return g.op("Add", x, g.op("Transpose", h, perm=[0, 2, 1]))


def residual_unit(g: GraphBuilder, ctx: ConvHistory, x: str, W: _Weights, name: str, dilation: int) -> str:
    """x + conv_k1(snake2(causal conv_k7,dil(snake1(x)))) on [B, C, T]."""
    h = causal_conv(g, ctx, snake_beta(g, x, W, name + ".act1"), W, name + ".conv1.conv", dilation=dilation)
    h = causal_conv(g, ctx, snake_beta(g, h, W, name + ".act2"), W, name + ".conv2.conv")
    return g.op("Add", x, h)


def dequantize(g: GraphBuilder, codes: str, W: _Weights, cfg: CodecDecoderConfig) -> str:
    """codes int64 [B, T, Q] -> [B, T, codebook_dim]: OutProj_first(Σ semantic rows) + OutProj_rest(Σ acoustic rows)."""
    nq, ns, n = cfg.num_quantizers, cfg.num_semantic_quantizers, cfg.codebook_size
    tables = []
    for q in range(nq):
        cb = f"quantizer.rvq_first.vq.layers.{q}" if q < ns else f"quantizer.rvq_rest.vq.layers.{q - ns}"
        emb = W(cb + "._codebook.embedding_sum")
        usage = np.maximum(W(cb + "._codebook.cluster_usage"), np.float32(CODEBOOK_EPS))
        if emb.shape[0] != n:
            raise CheckpointError(f"codec decoder: {cb} has {emb.shape[0]} rows, config says {n}")
        tables.append(emb / usage[:, None])
    table = g.weight("decoder.quantizer.codebooks", np.concatenate(tables, axis=0))  # [Q*N, D]
    rows = g.op("Gather", table, g.op("Add", codes, g.const(np.arange(nq, dtype=np.int64) * n)), axis=0)
    out = None
    for part, lo, hi in (("rvq_first", 0, ns), ("rvq_rest", ns, nq)):
        s = g.op("ReduceSum", g.op("Slice", rows, g.ints(lo), g.ints(hi), g.ints(2)), g.ints(2), keepdims=0)
        p = g.linear(
            s,
            W(f"quantizer.{part}.output_proj.weight")[:, :, 0],
            name=f"decoder.quantizer.{part}.output_proj",
        )
        out = p if out is None else g.op("Add", out, p)
    return out


def sliding_window_mask(g: GraphBuilder, q_pos: str, k_pos: str, window: int) -> str:
    """Additive mask [B, Tq, Tk]: 0 where 0 <= k and q-window < k <= q, else -inf (positions int64
    [B, Tq], [B, Tk])."""
    k_row = g.op("Unsqueeze", k_pos, g.ints(1))  # [B, 1, Tk]
    d = g.op("Sub", g.op("Unsqueeze", q_pos, g.ints(2)), k_row)
    ok = g.op(
        "And", g.op("GreaterOrEqual", d, g.const(np.int64(0))), g.op("Less", d, g.const(np.int64(window)))
    )
    ok = g.op("And", ok, g.op("GreaterOrEqual", k_row, g.const(np.int64(0))))
    return g.op("Where", ok, g.const(np.float32(0.0)), g.const(np.float32(-np.inf)))


def transformer_layer(
    g: GraphBuilder,
    x: str,
    W: _Weights,
    name: str,
    cfg: CodecDecoderConfig,
    rope: tuple[str, str],
    mask: str,
    past: tuple[str, str],
) -> tuple[str, str, str]:
    """Pre-norm layer with LayerScale (spec §7.5): x [B, T, hidden] -> (x', keys, values).

    ``past`` = (keys, values) [B, H, window-1, hd] of the previous frames; the returned keys/values
    [B, H, window-1+T, hd] are past ++ this call's (keys after RoPE); ``rope`` (cos, sin) is
    [B, 1, T, hd] and ``mask`` [B, 1, T, window-1+T] (per row: rows sit at their own positions).
    """
    H, hd, eps = cfg.num_heads, cfg.head_dim, cfg.rms_norm_eps
    cos, sin = rope
    p = "decoder." + name
    h = g.rms_norm(x, W(name + ".input_layernorm.weight"), eps, p + ".input_layernorm")

    def heads(proj: str) -> str:  # -> [B, H, T, hd]
        y = g.linear(h, W(f"{name}.self_attn.{proj}.weight"), name=f"{p}.self_attn.{proj}")
        return g.op("Transpose", g.op("Reshape", y, g.ints(0, 0, H, hd)), perm=[0, 2, 1, 3])

    def residual(x: str, y: str, scale: str) -> str:  # x + LayerScale(y)
        return g.op("Add", x, g.op("Mul", y, g.weight(f"{p}.{scale}.scale", W(f"{name}.{scale}.scale"))))

    q = g.apply_rope(heads("q_proj"), cos, sin, hd)
    k = g.op("Concat", past[0], g.apply_rope(heads("k_proj"), cos, sin, hd), axis=2)
    v = g.op("Concat", past[1], heads("v_proj"), axis=2)
    scores = g.op(
        "Mul", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2])), g.const(np.float32(hd**-0.5))
    )
    probs = g.op("Softmax", g.op("Add", scores, mask), axis=-1)
    a = g.op("Reshape", g.op("Transpose", g.op("MatMul", probs, v), perm=[0, 2, 1, 3]), g.ints(0, 0, H * hd))
    a = g.linear(a, W(name + ".self_attn.o_proj.weight"), name=p + ".self_attn.o_proj")
    x = residual(x, a, "self_attn_layer_scale")
    h = g.rms_norm(x, W(name + ".post_attention_layernorm.weight"), eps, p + ".post_attention_layernorm")
    mlp = [W(f"{name}.mlp.{n}_proj.weight") for n in ("gate", "up", "down")]
    m = g.swiglu_mlp(h, *mlp, p + ".mlp")
    return residual(x, m, "mlp_layer_scale"), k, v


# ---------------------------------------------------------------------------------------- graph
def build_codec_decoder(
    weights: Mapping[str, np.ndarray], cfg: CodecDecoderConfig, out_path: Path, debug: bool = False
) -> None:
    """Write the stateful decoder graph (module docstring) to ``out_path`` (+ ``out_path.data``).

    With ``debug`` the intermediates of the reference dump are extra outputs: ``quantized``,
    ``pre_conv`` [B, C, T], ``pre_transformer`` [B, T, C], ``upsample{i}_{j}`` and ``decoder{k}``
    [B, C, T'] (open such a graph with ORT's ``EliminateIdentity`` optimizer disabled: ORT 1.32
    breaks it when several intermediates are outputs).
    """
    if cfg.num_heads != cfg.num_kv_heads:
        raise UnsupportedModelError("codec decoder: grouped-query attention is not supported (expected MHA)")
    out_path = Path(out_path)
    W = _Weights(weights)
    g = GraphBuilder("codec_decoder", out_path.with_name(out_path.name + ".data"))
    taps: list[tuple[str, str]] = []
    L, H, hd, past_len = cfg.num_layers, cfg.num_heads, cfg.head_dim, cfg.sliding_window - 1

    codes = g.input("codes", INT64, ["batch", "frames", cfg.num_quantizers])
    ctx = ConvHistory(g)
    past_key = g.input("past_key", FLOAT, [L, "batch", H, past_len, hd])
    past_value = g.input("past_value", FLOAT, [L, "batch", H, past_len, hd])
    offset = g.op("Unsqueeze", g.input("offset", INT64, ["batch"]), g.ints(1))  # [B, 1]
    with g.scope("quantizer"):
        x = g.op("Transpose", dequantize(g, codes, W, cfg), perm=[0, 2, 1])  # [B, D, T]
    taps.append(("quantized", x))
    with g.scope("pre_conv"):
        x = causal_conv(g, ctx, x, W, "pre_conv.conv")
    taps.append(("pre_conv", x))

    with g.scope("pre_transformer"):
        x = g.op("Transpose", x, perm=[0, 2, 1])  # [B, T, latent]
        x = g.linear(
            x,
            W("pre_transformer.input_proj.weight"),
            W("pre_transformer.input_proj.bias"),
            "decoder.pre_transformer.input_proj",
        )
        n_new = g.op("Gather", g.op("Shape", codes), g.const(np.int64(1)), axis=0)
        one = g.const(np.int64(1))
        pos = g.op("Add", offset, g.op("Range", g.const(np.int64(0)), n_new, one))  # [B, T]
        k_pos = g.op("Add", offset, g.op("Range", g.const(np.int64(-past_len)), n_new, one))  # [B, past+T]
        cos, sin = g.rope_cos_sin(pos, cfg.head_dim, cfg.rope_theta)  # [B, T, hd]
        rope = (g.op("Unsqueeze", cos, g.ints(1)), g.op("Unsqueeze", sin, g.ints(1)))
        mask = g.op("Unsqueeze", sliding_window_mask(g, pos, k_pos, cfg.sliding_window), g.ints(1))
        new_k, new_v = [], []
        for i in range(L):
            with g.scope(f"layer{i}"):
                past = tuple(g.op("Gather", t, g.const(np.int64(i)), axis=0) for t in (past_key, past_value))
                x, k, v = transformer_layer(g, x, W, f"pre_transformer.layers.{i}", cfg, rope, mask, past)
                for t, out in ((k, new_k), (v, new_v)):  # keep the last window-1 positions
                    last = g.op("Slice", t, g.ints(-past_len), g.ints(np.iinfo(np.int64).max), g.ints(2))
                    out.append(g.op("Unsqueeze", last, g.ints(0)))
        x = g.rms_norm(x, W("pre_transformer.norm.weight"), cfg.rms_norm_eps, "decoder.pre_transformer.norm")
        x = g.linear(
            x,
            W("pre_transformer.output_proj.weight"),
            W("pre_transformer.output_proj.bias"),
            "decoder.pre_transformer.output_proj",
        )
    taps.append(("pre_transformer", x))
    x = g.op("Transpose", x, perm=[0, 2, 1])  # [B, latent, T]

    for i, factor in enumerate(cfg.upsampling_ratios):
        with g.scope(f"upsample{i}"):
            x = causal_conv_transpose(g, ctx, x, W, f"upsample.{i}.0.conv", factor)
            taps.append((f"upsample{i}_0", x))
            x = convnext(g, ctx, x, W, f"upsample.{i}.1")
            taps.append((f"upsample{i}_1", x))

    with g.scope("decoder0"):
        x = causal_conv(g, ctx, x, W, "decoder.0.conv")
    taps.append(("decoder0", x))
    for b, rate in enumerate(cfg.upsample_rates, start=1):
        with g.scope(f"decoder{b}"):
            x = snake_beta(g, x, W, f"decoder.{b}.block.0")
            x = causal_conv_transpose(g, ctx, x, W, f"decoder.{b}.block.1.conv", rate)
            for j, d in enumerate(RES_DILATIONS, start=2):
                x = residual_unit(g, ctx, x, W, f"decoder.{b}.block.{j}", d)
        taps.append((f"decoder{b}", x))
    n = len(cfg.upsample_rates)
    with g.scope("out"):
        x = snake_beta(g, x, W, f"decoder.{n + 1}")
        taps.append((f"decoder{n + 1}", x))
        x = causal_conv(g, ctx, x, W, f"decoder.{n + 2}.conv")
        taps.append((f"decoder{n + 2}", x))
        pcm = g.op("Squeeze", g.op("Clip", x, g.const(np.float32(-1.0)), g.const(np.float32(1.0))), g.ints(1))

    g.output(pcm, "pcm", FLOAT, ["batch", "samples"])
    g.output(ctx.new_state(), "new_state", FLOAT, ["batch", ctx.size])
    g.output(g.op("Concat", *new_k, axis=0), "new_key", FLOAT, [L, "batch", H, past_len, hd])
    g.output(g.op("Concat", *new_v, axis=0), "new_value", FLOAT, [L, "batch", H, past_len, hd])
    if debug:
        for tap_name, value in taps:
            g.output(value, tap_name, FLOAT, [None, None, None])
    g.save(out_path, doc="Qwen3-TTS-Tokenizer-12Hz stateful decoder: codes [B,N,16] int64 + state -> pcm [B,N*1920] float32 + state")
