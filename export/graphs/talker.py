"""Talker graph: one graph for prefill (S = prompt length) and decode (S = 1).

Inputs
  inputs_embeds  f32 [B, S, H]          summed text + codec vectors (built by the runtime)
  attention_mask i64 [B, P + S]         1 = real position (left padding = 0)
  position_ids   i64 [B, S]             RoPE positions
  past_key/value f32 [L, B, kv, C, hd]  preallocated KV buffers (capacity C >= P); only [:P] is read
Outputs
  logits         f32 [B, 3072]          codec_head of the last position (raw)
  hidden         f32 [B, H]             post-norm hidden of the last position (code predictor input)
  new_key/value  f32 [L, B, kv, S, hd]  keys/values of the S new positions; the runtime writes them
                                        into the buffers at [P:P+S]
"""

from __future__ import annotations

from pathlib import Path

from export.config import TalkerConfig
from export.graphs.decoder_lm import AttnInputs, Weights, causal_bias, decoder_layer, rope_for_positions
from export.onnx_graph import FLOAT, INT64, GraphBuilder


def build_talker(w: Weights, cfg: TalkerConfig, out_path: Path) -> None:
    lm = cfg.lm
    b = GraphBuilder("talker", out_path.with_suffix(".onnx.data"))
    nl, kv, hd = lm.num_layers, lm.num_kv_heads, lm.head_dim
    x = b.input("inputs_embeds", FLOAT, ["batch", "seq", lm.hidden_size])
    mask = b.input("attention_mask", INT64, ["batch", "total"])
    pos = b.input("position_ids", INT64, ["batch", "seq"])
    past_k = b.input("past_key", FLOAT, [nl, "batch", kv, "capacity", hd])
    past_v = b.input("past_value", FLOAT, [nl, "batch", kv, "capacity", hd])

    seq = b.op("Gather", b.op("Shape", x), b.ints(1))
    past_len = b.op("Sub", b.op("Gather", b.op("Shape", mask), b.ints(1)), seq)
    cos, sin = rope_for_positions(b, pos, lm)
    ctx = AttnInputs(cos, sin, causal_bias(b, mask, seq))
    new_k, new_v = [], []
    for i in range(nl):
        with b.scope(f"layer{i}"):
            pk = b.op("Squeeze", b.op("Slice", past_k, b.ints(i, 0), b.op("Concat", b.ints(i + 1), past_len, axis=0), b.ints(0, 3)), b.ints(0))
            pv = b.op("Squeeze", b.op("Slice", past_v, b.ints(i, 0), b.op("Concat", b.ints(i + 1), past_len, axis=0), b.ints(0, 3)), b.ints(0))
            x, k, v = decoder_layer(b, x, w, f"talker.model.layers.{i}", lm, ctx, pk, pv)
            new_k.append(b.op("Unsqueeze", k, b.ints(0)))
            new_v.append(b.op("Unsqueeze", v, b.ints(0)))
    last = b.op("Squeeze", b.op("Gather", x, b.op("Sub", seq, b.ints(1)), axis=1), b.ints(1))  # [B,H]
    hidden = b.rms_norm(last, w("talker.model.norm.weight"), lm.rms_norm_eps, "talker.model.norm")
    logits = b.linear(hidden, w("talker.codec_head.weight"), name="talker.codec_head")
    b.output(logits, "logits", FLOAT, ["batch", lm.vocab_size])
    b.output(hidden, "hidden", FLOAT, ["batch", lm.hidden_size])
    b.output(b.op("Concat", *new_k, axis=0), "new_key", FLOAT, [nl, "batch", kv, "seq", hd])
    b.output(b.op("Concat", *new_v, axis=0), "new_value", FLOAT, [nl, "batch", kv, "seq", hd])
    b.save(out_path, "Qwen3-TTS talker (prefill + decode, explicit KV)")
