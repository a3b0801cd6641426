"""ECAPA-TDNN speaker encoder of Base models (``speaker_encoder.*``, spec §6.2) as one ONNX graph.

``mel`` float32 [B, T, mel_dim] (log-mel from ``runtime.mel``) -> ``embedding`` float32 [B, enc_dim].
Every conv is a 1-D conv with bias and 'same' length by symmetric **reflect** padding (left
(k-1)·d // 2, right the rest); "TDNN" = conv -> ReLU. Runs channel-first [B, C, T] in float32
(the reference runs it in the model dtype: bf16 for the released setup, f32 for the golden set).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qtts.export.graphs.decoder_lm import Weights
from qtts.export.onnx_graph import FLOAT, GraphBuilder
from qtts.runtime.errors import UnsupportedModelError
from qtts.runtime.mel import N_MELS
from qtts.runtime.mel import SAMPLE_RATE as MEL_SAMPLE_RATE
from qtts.runtime.model_config import SpeakerEncoderConfig

PREFIX = "speaker_encoder"
STATS_EPS = 1e-12  # variance floor inside the std of attentive statistics pooling


def reflect_conv(g: GraphBuilder, x: str, w: Weights, name: str, dilation: int = 1) -> str:
    """Conv1d with 'same' reflect padding: [B, Cin, T] -> [B, Cout, T] (T > padding)."""
    weight = w(f"{PREFIX}.{name}.weight")
    total = (weight.shape[-1] - 1) * dilation
    if total:
        x = g.op("Pad", x, g.ints(0, 0, total // 2, 0, 0, total - total // 2), mode="reflect")
    return g.conv1d(x, weight, w(f"{PREFIX}.{name}.bias"), f"{PREFIX}.{name}", dilation=dilation)


def tdnn(g: GraphBuilder, x: str, w: Weights, name: str, dilation: int = 1) -> str:
    """ReLU(reflect_conv(x)) on [B, C, T]."""
    return g.op("Relu", reflect_conv(g, x, w, name + ".conv", dilation))


def se_res2net_block(g: GraphBuilder, x: str, w: Weights, name: str, cfg: SpeakerEncoderConfig, b: int) -> str:
    """x + SE(TDNN_k1(Res2Net(TDNN_k1(x)))) on [B, C, T]; Res2Net splits C into ``res2net_scale`` parts."""
    y = tdnn(g, x, w, name + ".tdnn1")
    scale = cfg.res2net_scale
    parts = g.op("Split", y, g.ints(*[cfg.channels[b] // scale] * scale), axis=1, outputs=scale)
    outs = [parts[0]]
    for i in range(1, scale):
        inp = parts[i] if i == 1 else g.op("Add", parts[i], outs[-1])
        outs.append(tdnn(g, inp, w, f"{name}.res2net_block.blocks.{i - 1}", cfg.dilations[b]))
    y = tdnn(g, g.op("Concat", *outs, axis=1), w, name + ".tdnn2")
    s = g.op("ReduceMean", y, axes=[2], keepdims=1)  # [B, C, 1]
    s = g.op("Relu", reflect_conv(g, s, w, name + ".se_block.conv1"))
    s = g.op("Sigmoid", reflect_conv(g, s, w, name + ".se_block.conv2"))
    return g.op("Add", x, g.op("Mul", y, s))


def _mean_std(g: GraphBuilder, h: str, weights: str | None) -> tuple[str, str]:
    """Mean and std over time of h [B, C, T] -> ([B, C, 1], [B, C, 1]); uniform weights when None.

    std = sqrt(max(Σ w (h - μ)², 1e-12)) with Σ w = 1.
    """
    if weights is None:
        mean = g.op("ReduceMean", h, axes=[2], keepdims=1)
        d = g.op("Sub", h, mean)
        var = g.op("ReduceMean", g.op("Mul", d, d), axes=[2], keepdims=1)
    else:
        mean = g.op("ReduceSum", g.op("Mul", weights, h), g.ints(2), keepdims=1)
        d = g.op("Sub", h, mean)
        var = g.op("ReduceSum", g.op("Mul", weights, g.op("Mul", d, d)), g.ints(2), keepdims=1)
    return mean, g.op("Sqrt", g.op("Max", var, g.const(np.float32(STATS_EPS))))


def attentive_stats_pooling(g: GraphBuilder, h: str, w: Weights) -> str:
    """h [B, C, T] -> [B, 2C, 1]: attention-weighted mean ‖ std, attention per channel over time."""
    mean, std = _mean_std(g, h, None)
    shape = g.op("Shape", h)
    ctx = g.op("Concat", h, g.op("Expand", mean, shape), g.op("Expand", std, shape), axis=1)  # [B, 3C, T]
    a = reflect_conv(g, g.op("Tanh", tdnn(g, ctx, w, "asp.tdnn")), w, "asp.conv")
    mean, std = _mean_std(g, h, g.op("Softmax", a, axis=2))
    return g.op("Concat", mean, std, axis=1)


def build_speaker_encoder(w: Weights, cfg: SpeakerEncoderConfig, out_path: Path) -> None:
    """Write the speaker encoder graph to ``out_path`` (+ ``out_path.data``).

    Input ``mel`` float32 [B, T, mel_dim] (T > 2·max dilation; ≥ 93 frames for 1 s of audio);
    output ``embedding`` float32 [B, enc_dim].
    """
    n = len(cfg.channels)
    if not n == len(cfg.kernel_sizes) == len(cfg.dilations) or n < 3:
        raise UnsupportedModelError("speaker encoder: enc_channels/kernel_sizes/dilations must have equal length >= 3")
    if cfg.sample_rate != MEL_SAMPLE_RATE or cfg.mel_dim != N_MELS:
        raise UnsupportedModelError(
            f"speaker encoder: {cfg.sample_rate} Hz / {cfg.mel_dim} mels (the runtime's front end is 24 kHz / 128)"
        )
    if any(c % cfg.res2net_scale for c in cfg.channels[1:-1]):
        raise UnsupportedModelError("speaker encoder: SE-Res2Net channels must divide by enc_res2net_scale")
    out_path = Path(out_path)
    g = GraphBuilder("speaker_encoder", out_path.with_name(out_path.name + ".data"))
    mel = g.input("mel", FLOAT, ["batch", "frames", cfg.mel_dim])
    x = g.op("Transpose", mel, perm=[0, 2, 1])  # [B, mel, T]
    with g.scope("block0"):
        x = tdnn(g, x, w, "blocks.0", cfg.dilations[0])
    feats = []
    for b in range(1, n - 1):
        with g.scope(f"block{b}"):
            x = se_res2net_block(g, x, w, f"blocks.{b}", cfg, b)
        feats.append(x)
    with g.scope("mfa"):
        x = tdnn(g, g.op("Concat", *feats, axis=1), w, "mfa", cfg.dilations[-1])
    with g.scope("asp"):
        x = attentive_stats_pooling(g, x, w)
    with g.scope("fc"):
        x = g.op("Squeeze", reflect_conv(g, x, w, "fc"), g.ints(2))
    g.output(x, "embedding", FLOAT, ["batch", cfg.enc_dim])
    g.save(out_path, doc="Qwen3-TTS ECAPA-TDNN speaker encoder: log-mel [B,T,128] -> x-vector [B,enc_dim]")
