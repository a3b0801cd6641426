"""The 12 Hz codec encoder (Mimi, ``encoder.*`` of Qwen3-TTS-Tokenizer-12Hz) as one ONNX graph (spec §7.6).

``pcm`` float32 [B, L] (24 kHz, [-1, 1]) -> ``codes`` int64 [B, ceil(L / 1920), 16]:
SEANet conv encoder (ELU, causal convs) -> encoder transformer (pre-LayerNorm, causal MHA with
RoPE, GELU MLP, LayerScale, no final norm) -> stride-2 downsample -> split RVQ (1 semantic codebook
on its own projection, then residual acoustic codebooks on another). Every item of a batch must
have the same length; right-padded batches are cut per item by the caller.

Mimi's causal conv (kernel k, stride s, dilation d, effective kernel ke = (k-1)d+1) pads ke - s
samples on the left and (-L) mod s on the right, so it outputs ceil(L / s) frames. The pad value is
zero, except for the downsample conv, which repeats the edge samples. Attention is plainly causal:
the config's ``sliding_window`` (250 frames at 25 Hz) is not applied by the reference's mask either
(checked against it on a 12.3 s input at the released shapes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qtts.export.onnx_graph import FLOAT, INT64, GraphBuilder
from qtts.runtime.errors import CheckpointError, UnsupportedModelError
from qtts.runtime.model_config import CodecConfig, check_heads

CODEBOOK_EPS = 1e-5
DOWNSAMPLE_STRIDE = 2


@dataclass(frozen=True)
class MimiEncoderConfig:
    """The ``encoder_config`` keys the encoder graph uses (a transformers MimiConfig)."""

    upsampling_ratios: tuple[int, ...]
    num_residual_layers: int
    dilation_growth_rate: int
    hidden_size: int
    num_layers: int
    num_heads: int
    head_dim: int
    norm_eps: float
    rope_theta: float
    attention_bias: bool
    num_semantic_quantizers: int
    num_quantizers: int  # codebooks kept: the checkpoint's encoder_valid_num_quantizers
    samples_per_frame: int

    @classmethod
    def parse(cls, codec: CodecConfig) -> MimiEncoderConfig:
        e: dict[str, Any] = codec.encoder
        where = "speech_tokenizer/config.json: encoder_config"

        def get(key: str) -> Any:
            if key not in e:
                raise CheckpointError(f"{where}: missing key {key!r}")
            return e[key]

        if get("hidden_act") != "gelu":
            raise UnsupportedModelError(f"{where}: hidden_act {e['hidden_act']!r} (only gelu)")
        if not get("use_causal_conv") or e.get("use_conv_shortcut", False) or get("pad_mode") != "constant":
            raise UnsupportedModelError(f"{where}: only causal convs, zero padding and identity shortcuts are supported")
        if get("num_key_value_heads") != get("num_attention_heads"):
            raise UnsupportedModelError(f"{where}: grouped-query attention is not supported (expected MHA)")
        check_heads(int(get("num_attention_heads")), int(get("num_key_value_heads")), int(get("head_dim")), where)
        if get("audio_channels") != 1:
            raise UnsupportedModelError(f"{where}: only mono audio is supported")
        if "encoder_valid_num_quantizers" not in codec.raw:
            raise CheckpointError("speech_tokenizer/config.json: missing key 'encoder_valid_num_quantizers'")
        valid = int(codec.raw["encoder_valid_num_quantizers"])
        n_sem = int(get("num_semantic_quantizers"))
        if not n_sem <= valid <= int(get("num_quantizers")):
            raise CheckpointError(f"{where}: encoder_valid_num_quantizers {valid} out of range")
        return cls(
            upsampling_ratios=tuple(int(r) for r in get("upsampling_ratios")),
            num_residual_layers=int(get("num_residual_layers")),
            dilation_growth_rate=int(get("dilation_growth_rate")),
            hidden_size=int(get("hidden_size")),
            num_layers=int(get("num_hidden_layers")),
            num_heads=int(get("num_attention_heads")),
            head_dim=int(get("head_dim")),
            norm_eps=float(get("norm_eps")),
            rope_theta=float(get("rope_theta")),
            attention_bias=bool(e.get("attention_bias", False)),
            num_semantic_quantizers=n_sem,
            num_quantizers=valid,
            samples_per_frame=int(codec.raw.get("encode_downsample_rate", codec.samples_per_frame)),
        )


class _Weights:
    """``encoder.*`` tensors by their name without the prefix, as float32."""

    def __init__(self, weights: Mapping[str, np.ndarray]):
        self._w = weights
        self._names = set(weights)  # (`in` on a SafetensorsFile would read the tensor)

    def has(self, name: str) -> bool:
        return "encoder." + name in self._names

    def __call__(self, name: str) -> np.ndarray:
        key = "encoder." + name
        if key not in self._names:
            raise CheckpointError(f"codec encoder: missing tensor {key!r}")
        return np.asarray(self._w[key], dtype=np.float32)


# ---------------------------------------------------------------------------------------- layers
def mimi_conv(
    g: GraphBuilder,
    x: str,
    W: _Weights,
    name: str,
    stride: int = 1,
    dilation: int = 1,
    bias: bool = True,
    edge: bool = False,
) -> str:
    """Mimi causal Conv1d (module ``name``): [B, Cin, L] -> [B, Cout, ceil(L / stride)]; ``edge`` pads by
    repeating the edge samples instead of zeros."""
    w = W(name + ".weight")
    left = (w.shape[-1] - 1) * dilation + 1 - stride
    if left < 0:
        raise UnsupportedModelError(f"codec encoder: {name}: kernel smaller than stride")
    if stride > 1:  # right pad (-L) mod stride, so the last window is complete
        length = g.op("Slice", g.op("Shape", x), g.ints(2), g.ints(3))
        right = g.op("Mod", g.op("Sub", g.ints(stride), g.op("Mod", length, g.ints(stride))), g.ints(stride))
        pads = g.op("Concat", g.ints(0, 0, left, 0, 0), right, axis=0)
        x = g.op("Pad", x, pads, mode="edge" if edge else "constant")
    elif left:
        x = g.op("Pad", x, g.ints(0, 0, left, 0, 0, 0), mode="edge" if edge else "constant")
    ins = [x, g.weight(f"encoder.{name}.weight", w)]
    if bias:
        ins.append(g.weight(f"encoder.{name}.bias", W(name + ".bias")))
    return g.op("Conv", *ins, kernel_shape=[w.shape[-1]], strides=[stride], dilations=[dilation])


def elu(g: GraphBuilder, x: str) -> str:
    return g.op("Elu", x, alpha=1.0)


def seanet(g: GraphBuilder, x: str, W: _Weights, cfg: MimiEncoderConfig) -> str:
    """SEANet encoder ``encoder.encoder.layers.*``: [B, 1, L] -> [B, hidden, ceil(L / prod(ratios))]."""
    p = "encoder.layers"
    x = mimi_conv(g, x, W, f"{p}.0.conv")
    idx = 1
    for ratio in reversed(cfg.upsampling_ratios):
        for j in range(cfg.num_residual_layers):
            with g.scope(f"res{idx}"):
                h = mimi_conv(g, elu(g, x), W, f"{p}.{idx}.block.1.conv", dilation=cfg.dilation_growth_rate**j)
                x = g.op("Add", x, mimi_conv(g, elu(g, h), W, f"{p}.{idx}.block.3.conv"))
            idx += 1
        with g.scope(f"down{idx + 1}"):
            x = mimi_conv(g, elu(g, x), W, f"{p}.{idx + 1}.conv", stride=ratio)
        idx += 2
    with g.scope(f"out{idx + 1}"):
        return mimi_conv(g, elu(g, x), W, f"{p}.{idx + 1}.conv")


def transformer_layer(
    g: GraphBuilder, x: str, W: _Weights, i: int, cfg: MimiEncoderConfig, cos: str, sin: str, mask: str
) -> str:
    """Pre-LayerNorm layer with LayerScale: x [B, T, hidden] -> [B, T, hidden]."""
    name = f"encoder_transformer.layers.{i}"
    p = "encoder." + name
    H, hd = cfg.num_heads, cfg.head_dim

    def norm(x: str, which: str) -> str:
        return g.layer_norm(x, W(f"{name}.{which}.weight"), W(f"{name}.{which}.bias"), cfg.norm_eps, f"{p}.{which}")

    def proj(x: str, which: str) -> str:
        bias = W(f"{name}.self_attn.{which}.bias") if cfg.attention_bias else None
        return g.linear(x, W(f"{name}.self_attn.{which}.weight"), bias, f"{p}.self_attn.{which}")

    def heads(y: str) -> str:  # [B, T, H*hd] -> [B, H, T, hd]
        return g.op("Transpose", g.op("Reshape", y, g.ints(0, 0, H, hd)), perm=[0, 2, 1, 3])

    def residual(x: str, y: str, scale: str) -> str:  # x + LayerScale(y)
        return g.op("Add", x, g.op("Mul", y, g.weight(f"{p}.{scale}.scale", W(f"{name}.{scale}.scale"))))

    h = norm(x, "input_layernorm")
    q = g.apply_rope(heads(proj(h, "q_proj")), cos, sin, hd)
    k = g.apply_rope(heads(proj(h, "k_proj")), cos, sin, hd)
    v = heads(proj(h, "v_proj"))
    scores = g.op("Mul", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2])), g.const(np.float32(hd**-0.5)))
    probs = g.op("Softmax", g.op("Add", scores, mask), axis=-1)
    a = g.op("Reshape", g.op("Transpose", g.op("MatMul", probs, v), perm=[0, 2, 1, 3]), g.ints(0, 0, H * hd))
    x = residual(x, proj(a, "o_proj"), "self_attn_layer_scale")
    h = norm(x, "post_attention_layernorm")
    m = g.linear(g.gelu(g.linear(h, W(f"{name}.mlp.fc1.weight"), name=f"{p}.mlp.fc1")), W(f"{name}.mlp.fc2.weight"), name=f"{p}.mlp.fc2")
    return residual(x, m, "mlp_layer_scale")


def causal_mask(g: GraphBuilder, pos: str) -> str:
    """Additive mask [T, T] from positions int64 [T]: 0 where key <= query, else -inf."""
    d = g.op("Sub", g.op("Unsqueeze", pos, g.ints(1)), g.op("Unsqueeze", pos, g.ints(0)))
    return g.op("Where", g.op("GreaterOrEqual", d, g.const(np.int64(0))), g.const(np.float32(0.0)), g.const(np.float32(-np.inf)))


def codebook(W: _Weights, name: str) -> np.ndarray:
    """``name.codebook``: embed_sum / max(cluster_usage, 1e-5) -> float32 [N, D]."""
    usage = np.maximum(W(name + ".codebook.cluster_usage"), np.float32(CODEBOOK_EPS))
    return W(name + ".codebook.embed_sum") / usage[:, None]


def nearest(g: GraphBuilder, r: str, table: str, emb: np.ndarray, name: str) -> str:
    """Index of the nearest row of ``table`` (= ``emb`` [N, D]) by Euclidean distance: r [B, T, D] -> int64 [B, T].

    argmin_i ‖r - e_i‖² = argmin_i (‖e_i‖² - 2 r·e_i); the first index wins a tie.
    """
    dots = g.op("MatMul", r, g.op("Transpose", table, perm=[1, 0]))
    sq = g.weight(name + ".embed_sq", np.sum(emb.astype(np.float64) ** 2, axis=1).astype(np.float32))
    return g.op("ArgMin", g.op("Sub", sq, g.op("Mul", dots, g.const(np.float32(2.0)))), axis=-1, keepdims=0)


def split_rvq_encode(g: GraphBuilder, x: str, W: _Weights, cfg: MimiEncoderConfig) -> str:
    """Frames x [B, T, hidden] -> codes int64 [B, T, num_quantizers]: semantic codebooks on their own
    input projection, then residual acoustic codebooks on theirs (both read the same frames)."""
    cols = []
    q = "quantizer"
    for part, n in (("semantic", cfg.num_semantic_quantizers), ("acoustic", cfg.num_quantizers - cfg.num_semantic_quantizers)):
        rvq = f"{q}.{part}_residual_vector_quantizer"
        proj = f"{rvq}.input_proj.weight"
        r = g.linear(x, W(proj)[:, :, 0], name=f"encoder.{rvq}.input_proj") if W.has(proj) else x
        for i in range(n):
            with g.scope(f"{part}{i}"):
                emb = codebook(W, f"{rvq}.layers.{i}")
                table = g.weight(f"encoder.{rvq}.layers.{i}.embed", emb)
                codes = nearest(g, r, table, emb, f"encoder.{rvq}.layers.{i}")
                if i + 1 < n:  # residual for the next codebook
                    r = g.op("Sub", r, g.op("Gather", table, codes, axis=0))
            cols.append(g.op("Unsqueeze", codes, g.ints(2)))
    return g.op("Concat", *cols, axis=2)


# ---------------------------------------------------------------------------------------- graph
def build_codec_encoder(weights: Mapping[str, np.ndarray], codec: CodecConfig, out_path: Path) -> None:
    """Write the encoder graph to ``out_path`` (+ ``out_path.data``).

    Input ``pcm`` float32 [B, L] at the codec's sample rate; output ``codes`` int64
    [B, ceil(L / samples_per_frame), num_quantizers] (16 for the released codec: 1 semantic + 15 acoustic).
    """
    cfg = MimiEncoderConfig.parse(codec)
    ratio = math.prod(cfg.upsampling_ratios) * DOWNSAMPLE_STRIDE
    if ratio != cfg.samples_per_frame:
        raise UnsupportedModelError(f"codec encoder: downsampling {ratio} != encode_downsample_rate {cfg.samples_per_frame}")
    out_path = Path(out_path)
    W = _Weights(weights)
    g = GraphBuilder("codec_encoder", out_path.with_name(out_path.name + ".data"))
    pcm = g.input("pcm", FLOAT, ["batch", "samples"])
    with g.scope("seanet"):
        x = seanet(g, g.op("Unsqueeze", pcm, g.ints(1)), W, cfg)  # [B, hidden, T25]
    with g.scope("transformer"):
        x = g.op("Transpose", x, perm=[0, 2, 1])
        pos = g.op("Range", g.const(np.int64(0)), g.op("Gather", g.op("Shape", x), g.const(np.int64(1)), axis=0), g.const(np.int64(1)))
        cos, sin = g.rope_cos_sin(pos, cfg.head_dim, cfg.rope_theta)
        mask = causal_mask(g, pos)
        for i in range(cfg.num_layers):
            with g.scope(f"layer{i}"):
                x = transformer_layer(g, x, W, i, cfg, cos, sin, mask)
        x = g.op("Transpose", x, perm=[0, 2, 1])
    with g.scope("downsample"):
        x = g.op("Transpose", mimi_conv(g, x, W, "downsample.conv", stride=DOWNSAMPLE_STRIDE, bias=False, edge=True), perm=[0, 2, 1])
    with g.scope("quantizer"):
        codes = split_rvq_encode(g, x, W, cfg)
    g.output(codes, "codes", INT64, ["batch", "frames", cfg.num_quantizers])
    g.save(out_path, doc="Qwen3-TTS-Tokenizer-12Hz encoder: pcm [B,L] float32 24 kHz -> codes [B,ceil(L/1920),16] int64")
