"""Expected tensor inventory of a checkpoint, derived from its configs only.

Names and shapes are those of the official ``state_dict()`` (PyTorch storage order: Linear
``[out, in]``, Conv1d ``[out, in/groups, k]``, ConvTranspose1d ``[in, out, k]``, Embedding
``[rows, dim]``); see spec §1.5/§1.6. Each tensor also carries its role (what kind of parameter it
is) and, for weights, its fan-in, which is all the random-checkpoint generator needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from qtts.runtime.errors import CheckpointError
from qtts.runtime.model_config import CodecConfig, DecoderLMConfig, ModelConfig

Role = Literal[
    "embedding",  # nn.Embedding weight
    "weight",  # Linear / Conv1d / ConvTranspose1d weight (fan_in set)
    "bias",  # Linear / Conv bias
    "norm",  # RMSNorm / LayerNorm weight
    "norm_bias",  # LayerNorm bias
    "layer_scale",  # codec LayerScale scale, ConvNeXt gamma
    "snake",  # SnakeBeta log-alpha / log-beta
    "cb_usage",  # codebook cluster_usage
    "cb_sum",  # codebook embedding_sum / embed_sum
    "cb_initialized",  # Mimi codebook `initialized` flag
]


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    role: Role
    fan_in: int = 0  # inputs per output unit, for role == "weight"


class _Inventory:
    """Ordered collector of TensorSpecs."""

    def __init__(self) -> None:
        self.specs: list[TensorSpec] = []

    def add(self, name: str, shape: tuple[int, ...], role: Role, fan_in: int = 0) -> None:
        self.specs.append(TensorSpec(name, tuple(int(s) for s in shape), role, fan_in))

    def linear(self, name: str, n_in: int, n_out: int, bias: bool) -> None:
        self.add(f"{name}.weight", (n_out, n_in), "weight", n_in)
        if bias:
            self.add(f"{name}.bias", (n_out,), "bias")

    def conv(self, name: str, c_in: int, c_out: int, k: int, groups: int = 1, bias: bool = True) -> None:
        self.add(f"{name}.weight", (c_out, c_in // groups, k), "weight", c_in // groups * k)
        if bias:
            self.add(f"{name}.bias", (c_out,), "bias")

    def conv_t(self, name: str, c_in: int, c_out: int, k: int, stride: int) -> None:
        self.add(f"{name}.weight", (c_in, c_out, k), "weight", max(1, c_in * k // stride))
        self.add(f"{name}.bias", (c_out,), "bias")

    def norm(self, name: str, dim: int, bias: bool = False) -> None:
        self.add(f"{name}.weight", (dim,), "norm")
        if bias:
            self.add(f"{name}.bias", (dim,), "norm_bias")

    def qwen3_layer(self, p: str, c: DecoderLMConfig, attention_bias: bool, qk_norm: bool = True) -> None:
        """One Qwen3-style decoder layer (GQA attention + SwiGLU MLP, pre-RMSNorm)."""
        h, hd = c.hidden_size, c.head_dim
        self.norm(f"{p}.input_layernorm", h)
        self.norm(f"{p}.post_attention_layernorm", h)
        self.linear(f"{p}.self_attn.q_proj", h, c.num_heads * hd, attention_bias)
        self.linear(f"{p}.self_attn.k_proj", h, c.num_kv_heads * hd, attention_bias)
        self.linear(f"{p}.self_attn.v_proj", h, c.num_kv_heads * hd, attention_bias)
        self.linear(f"{p}.self_attn.o_proj", c.num_heads * hd, h, attention_bias)
        if qk_norm:
            self.norm(f"{p}.self_attn.q_norm", hd)
            self.norm(f"{p}.self_attn.k_norm", hd)
        self.linear(f"{p}.mlp.gate_proj", h, c.intermediate_size, False)
        self.linear(f"{p}.mlp.up_proj", h, c.intermediate_size, False)
        self.linear(f"{p}.mlp.down_proj", c.intermediate_size, h, False)


def model_tensor_specs(cfg: ModelConfig) -> list[TensorSpec]:
    """Every tensor of ``model.safetensors``: talker, text projection, code predictor, and the
    ECAPA speaker encoder for Base models."""
    inv = _Inventory()
    t = cfg.talker
    lm, cp = t.lm, t.code_predictor
    raw_t = cfg.raw.get("talker_config", {})
    bias_t = bool(raw_t.get("attention_bias", False))
    bias_cp = bool(raw_t.get("code_predictor_config", {}).get("attention_bias", False))
    h, hc = lm.hidden_size, cp.hidden_size

    inv.add("talker.model.text_embedding.weight", (t.text_vocab_size, t.text_hidden_size), "embedding")
    inv.add("talker.model.codec_embedding.weight", (lm.vocab_size, h), "embedding")
    for i in range(lm.num_layers):
        inv.qwen3_layer(f"talker.model.layers.{i}", lm, bias_t)
    inv.norm("talker.model.norm", h)
    inv.linear("talker.text_projection.linear_fc1", t.text_hidden_size, t.text_hidden_size, True)
    inv.linear("talker.text_projection.linear_fc2", t.text_hidden_size, h, True)
    inv.linear("talker.codec_head", h, lm.vocab_size, False)

    p = "talker.code_predictor"
    for g in range(t.num_code_groups - 1):
        inv.add(f"{p}.model.codec_embedding.{g}.weight", (cp.vocab_size, h), "embedding")
    for i in range(cp.num_layers):
        inv.qwen3_layer(f"{p}.model.layers.{i}", cp, bias_cp)
    inv.norm(f"{p}.model.norm", hc)
    for g in range(t.num_code_groups - 1):
        inv.linear(f"{p}.lm_head.{g}", hc, cp.vocab_size, False)
    if h != hc:
        inv.linear(f"{p}.small_to_mtp_projection", h, hc, True)

    s = cfg.speaker_encoder
    if s is not None:
        ch, ks = s.channels, s.kernel_sizes
        if not len(ch) == len(ks) == len(s.dilations):
            raise CheckpointError("speaker_encoder_config: enc_channels/kernel_sizes/dilations differ in length")
        se = "speaker_encoder"
        inv.conv(f"{se}.blocks.0.conv", s.mel_dim, ch[0], ks[0])
        for b in range(1, len(ch) - 1):
            c_in, c = ch[b - 1], ch[b]
            sub = c // s.res2net_scale
            inv.conv(f"{se}.blocks.{b}.tdnn1.conv", c_in, c, 1)
            for j in range(s.res2net_scale - 1):
                inv.conv(f"{se}.blocks.{b}.res2net_block.blocks.{j}.conv", sub, sub, ks[b])
            inv.conv(f"{se}.blocks.{b}.tdnn2.conv", c, c, 1)
            inv.conv(f"{se}.blocks.{b}.se_block.conv1", c, s.se_channels, 1)
            inv.conv(f"{se}.blocks.{b}.se_block.conv2", s.se_channels, c, 1)
        inv.conv(f"{se}.mfa.conv", ch[-1], ch[-1], ks[-1])
        inv.conv(f"{se}.asp.tdnn.conv", ch[-1] * 3, s.attention_channels, 1)
        inv.conv(f"{se}.asp.conv", s.attention_channels, ch[-1], 1)
        inv.conv(f"{se}.fc", ch[-1] * 2, s.enc_dim, 1)
    return inv.specs


def _req(d: dict[str, Any], key: str) -> Any:
    if key not in d:
        raise CheckpointError(f"speech_tokenizer/config.json: encoder_config: missing key {key!r}")
    return d[key]


def codec_tensor_specs(codec: CodecConfig) -> list[TensorSpec]:
    """Every tensor of ``speech_tokenizer/model.safetensors``: the 12 Hz decoder (``decoder.*``)
    and the Mimi encoder (``encoder.*``) with its 1 + (n-1) split-RVQ codebooks."""
    inv = _Inventory()
    d = codec.decoder
    dec_bias = bool(codec.raw.get("decoder_config", {}).get("attention_bias", False))

    # Split RVQ (decoder side): codebooks of dim codebook_dim/2, forced 1x1 projections.
    half = d.codebook_dim // 2
    for part, n in (("rvq_first", d.num_semantic_quantizers), ("rvq_rest", d.num_quantizers - d.num_semantic_quantizers)):
        q = f"decoder.quantizer.{part}"
        inv.conv(f"{q}.input_proj", d.codebook_dim, half, 1, bias=False)
        inv.conv(f"{q}.output_proj", half, d.codebook_dim, 1, bias=False)
        for i in range(n):
            inv.add(f"{q}.vq.layers.{i}._codebook.cluster_usage", (d.codebook_size,), "cb_usage")
            inv.add(f"{q}.vq.layers.{i}._codebook.embedding_sum", (d.codebook_size, half), "cb_sum")
    inv.conv("decoder.pre_conv.conv", d.codebook_dim, d.latent_dim, 3)

    pt = "decoder.pre_transformer"
    lm = DecoderLMConfig(
        hidden_size=d.hidden_size, intermediate_size=d.intermediate_size, num_layers=d.num_layers,
        num_heads=d.num_heads, num_kv_heads=d.num_kv_heads, head_dim=d.head_dim,
        rms_norm_eps=d.rms_norm_eps, rope_theta=d.rope_theta, vocab_size=0,
    )
    inv.linear(f"{pt}.input_proj", d.latent_dim, d.hidden_size, True)
    for i in range(d.num_layers):
        inv.qwen3_layer(f"{pt}.layers.{i}", lm, dec_bias, qk_norm=False)
        inv.add(f"{pt}.layers.{i}.self_attn_layer_scale.scale", (d.hidden_size,), "layer_scale")
        inv.add(f"{pt}.layers.{i}.mlp_layer_scale.scale", (d.hidden_size,), "layer_scale")
    inv.norm(f"{pt}.norm", d.hidden_size)
    inv.linear(f"{pt}.output_proj", d.hidden_size, d.latent_dim, True)

    c = d.latent_dim
    for u, r in enumerate(d.upsampling_ratios):
        inv.conv_t(f"decoder.upsample.{u}.0.conv", c, c, r, r)
        nx = f"decoder.upsample.{u}.1"
        inv.conv(f"{nx}.dwconv.conv", c, c, 7, groups=c)
        inv.norm(f"{nx}.norm", c, bias=True)
        inv.linear(f"{nx}.pwconv1", c, 4 * c, True)
        inv.linear(f"{nx}.pwconv2", 4 * c, c, True)
        inv.add(f"{nx}.gamma", (c,), "layer_scale")

    inv.conv("decoder.decoder.0.conv", d.latent_dim, d.decoder_dim, 7)
    for b, r in enumerate(d.upsample_rates, start=1):
        c_in, c_out = d.decoder_dim // 2 ** (b - 1), d.decoder_dim // 2**b
        p = f"decoder.decoder.{b}.block"
        inv.add(f"{p}.0.alpha", (c_in,), "snake")
        inv.add(f"{p}.0.beta", (c_in,), "snake")
        inv.conv_t(f"{p}.1.conv", c_in, c_out, 2 * r, r)
        for j in (2, 3, 4):
            for act in ("act1", "act2"):
                inv.add(f"{p}.{j}.{act}.alpha", (c_out,), "snake")
                inv.add(f"{p}.{j}.{act}.beta", (c_out,), "snake")
            inv.conv(f"{p}.{j}.conv1.conv", c_out, c_out, 7)
            inv.conv(f"{p}.{j}.conv2.conv", c_out, c_out, 1)
    n = len(d.upsample_rates)
    c_last = d.decoder_dim // 2**n
    inv.add(f"decoder.decoder.{n + 1}.alpha", (c_last,), "snake")
    inv.add(f"decoder.decoder.{n + 1}.beta", (c_last,), "snake")
    inv.conv(f"decoder.decoder.{n + 2}.conv", c_last, 1, 7)

    _mimi_encoder(inv, codec.encoder)
    return inv.specs


def _mimi_encoder(inv: _Inventory, e: dict[str, Any]) -> None:
    """transformers' MimiModel minus its decoder half (``encoder.*``)."""
    nf = int(_req(e, "num_filters"))
    hidden = int(_req(e, "hidden_size"))
    ratios = [int(r) for r in _req(e, "upsampling_ratios")]
    n_res = int(_req(e, "num_residual_layers"))
    compress = int(_req(e, "compress"))
    shortcut = bool(e.get("use_conv_shortcut", False))
    bias = bool(e.get("attention_bias", False))

    p = "encoder.encoder.layers"
    inv.conv(f"{p}.0.conv", int(_req(e, "audio_channels")), nf, int(_req(e, "kernel_size")))
    idx, scale = 1, 1
    for ratio in reversed(ratios):
        ch = scale * nf
        for _ in range(n_res):
            inv.conv(f"{p}.{idx}.block.1.conv", ch, ch // compress, int(_req(e, "residual_kernel_size")))
            inv.conv(f"{p}.{idx}.block.3.conv", ch // compress, ch, 1)
            if shortcut:
                inv.conv(f"{p}.{idx}.shortcut.conv", ch, ch, 1)
            idx += 1
        inv.conv(f"{p}.{idx + 1}.conv", ch, 2 * ch, 2 * ratio)  # idx is the ELU
        idx += 2
        scale *= 2
    inv.conv(f"{p}.{idx + 1}.conv", scale * nf, hidden, int(_req(e, "last_kernel_size")))

    heads, kv, hd = (int(_req(e, k)) for k in ("num_attention_heads", "num_key_value_heads", "head_dim"))
    inter = int(_req(e, "intermediate_size"))
    for i in range(int(_req(e, "num_hidden_layers"))):
        q = f"encoder.encoder_transformer.layers.{i}"
        inv.norm(f"{q}.input_layernorm", hidden, bias=True)
        inv.norm(f"{q}.post_attention_layernorm", hidden, bias=True)
        inv.linear(f"{q}.self_attn.q_proj", hidden, heads * hd, bias)
        inv.linear(f"{q}.self_attn.k_proj", hidden, kv * hd, bias)
        inv.linear(f"{q}.self_attn.v_proj", hidden, kv * hd, bias)
        inv.linear(f"{q}.self_attn.o_proj", heads * hd, hidden, bias)
        inv.linear(f"{q}.mlp.fc1", hidden, inter, False)
        inv.linear(f"{q}.mlp.fc2", inter, hidden, False)
        inv.add(f"{q}.self_attn_layer_scale.scale", (hidden,), "layer_scale")
        inv.add(f"{q}.mlp_layer_scale.scale", (hidden,), "layer_scale")

    sr = int(_req(e, "sampling_rate"))
    encodec_rate = math.ceil(sr / math.prod(ratios))
    frame_rate = e.get("_frame_rate") or e.get("frame_rate")
    if frame_rate is None:
        raise CheckpointError("speech_tokenizer/config.json: encoder_config: missing key '_frame_rate'")
    if float(frame_rate) != encodec_rate:
        inv.conv("encoder.downsample.conv", hidden, hidden, 2 * int(encodec_rate / float(frame_rate)), bias=False)

    n_q, n_sem = int(_req(e, "num_quantizers")), int(_req(e, "num_semantic_quantizers"))
    size, dim = int(_req(e, "codebook_size")), int(_req(e, "codebook_dim"))
    vq_hidden = int(_req(e, "vector_quantization_hidden_dimension"))
    for part, n in (("semantic", n_sem), ("acoustic", n_q - n_sem)):
        q = f"encoder.quantizer.{part}_residual_vector_quantizer"
        if vq_hidden != hidden:
            inv.conv(f"{q}.input_proj", hidden, vq_hidden, 1, bias=False)
            inv.conv(f"{q}.output_proj", vq_hidden, hidden, 1, bias=False)
        for i in range(n):
            inv.add(f"{q}.layers.{i}.codebook.initialized", (1,), "cb_initialized")
            inv.add(f"{q}.layers.{i}.codebook.cluster_usage", (size,), "cb_usage")
            inv.add(f"{q}.layers.{i}.codebook.embed_sum", (size, dim), "cb_sum")


def expected_model_tensors(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """``model.safetensors`` inventory: name -> shape."""
    return {s.name: s.shape for s in model_tensor_specs(cfg)}


def expected_codec_tensors(codec: CodecConfig) -> dict[str, tuple[int, ...]]:
    """``speech_tokenizer/model.safetensors`` inventory: name -> shape."""
    return {s.name: s.shape for s in codec_tensor_specs(codec)}


def param_count(shapes: dict[str, tuple[int, ...]]) -> int:
    """Total number of elements of an inventory."""
    return sum(math.prod(s) for s in shapes.values())
