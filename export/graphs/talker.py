"""Talker step graph: the whole per-frame work in one call (spec §3.6-3.7, §4, §5).

One call does, in order: a talker forward over ``inputs_embeds`` plus the previous frame's summed
embedding (the prefill: the prompt, with a zero ``frame_embed``; step k >= 1: the text vector of
step k - 1, S = 1), then code 0 of frame k from its last logits (repetition penalty, EOS block,
control-id suppression, sampling with a host uniform), then the code predictor (codebooks 1..15
and frame k's summed embedding, the next call's ``frame_embed``). So the prefill call already
returns frame 0, and every frame costs one call.

Inputs
  inputs_embeds  f32 [B, S, H]          the prompt (prefill) or the text vector of step k - 1
  frame_embed    f32 [B, H]             frame k - 1's summed embedding (zeros for the prefill)
  generated      bool [B, V]            code-0 ids emitted so far (repetition penalty)
  step           i64 [B]                k, each row's frame index (EOS is blocked while k < 2)
  uniforms       f32 [B, 16]            U[0,1) per codebook
  forced_codes   i64 [B, 16]            >= 0: use this code (teacher forcing); -1: sample
  repetition_penalty f32 [B]; do_sample/temperature/top_k/top_p and sub_* (code predictor) [B]
  active         bool [B]               rows that step now; an idle row keeps its carried buffers
  seqlens_k      i32 [B]                P + Q - 1 (P: positions already in the row's KV)
  query_seqlens  i32 [B]                Q: new positions of the row (S for a prefill, 1 for a decode
                                        step, 0 for an idle row, whose KV is left untouched)
  total_sequence_length i32 []          an upper bound of P + Q over the rows (e.g. the capacity)
  past_key_i/past_value_i f32 [B, kv, C, hd]  layer i's KV buffer (capacity C >= P + S), also bound
                                        as present_key_i/present_value_i: written in place
Outputs
  codes          i64 [B, 16]            frame k
  frame_embed_out f32 [B, H]            frame k's summed embedding: C(code0) + sum_g Q_{g-1}(code_g)
                                        (idle rows: ``frame_embed`` unchanged)
  generated_out  bool [B, V]            ``generated`` plus code 0 of frame k (idle rows: unchanged)
  logits         f32 [B, V]             raw codec-head logits that code 0 was drawn from
  cp_logits      f32 [B, 15, 2048]      raw code-predictor logits of frame k
  present_key_i/present_value_i         the same buffers with positions P..P+Q-1 filled (rotated keys)

Rows are independent: a batch of streams at different positions steps in one call, and newcomers
prefill together, their prompts right-padded to the longest (query_seqlens: each row's length; the
frame comes from each row's last prompt position).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from qtts.export.graphs.code_predictor import code_predictor
from qtts.export.graphs.decoder_lm import KVBuffer, Weights, decoder_layer, gqa_head_size, rope_tables
from qtts.export.graphs.sampling import SamplingInputs, choose, process_code0_logits
from qtts.export.onnx_graph import BOOL, FLOAT, INT32, INT64, GraphBuilder
from qtts.export.quantize import BlockQuant
from qtts.runtime.model_config import TalkerConfig

MIN_FRAMES = 2  # EOS is blocked for the first two code-0 samples


def suppressed_ids(cfg: TalkerConfig) -> np.ndarray:
    """bool [V]: the control ids code 0 may never take (the top 1024 ids, except EOS)."""
    vocab = cfg.lm.vocab_size
    mask = np.zeros(vocab, bool)
    mask[vocab - 1024 :] = True
    mask[cfg.codec_ids["eos"]] = False
    return mask


def build_talker(w: Weights, cfg: TalkerConfig, out_path: Path, quantize: Callable[[str], BlockQuant | None] | None = None) -> None:
    """Write the talker step graph; ``quantize`` picks each Linear's weight precision (a profile's plan)."""
    lm = cfg.lm
    groups = cfg.num_code_groups
    b = GraphBuilder("talker", out_path.with_suffix(".onnx.data"), quantize)
    nl, kv, hd = lm.num_layers, lm.num_kv_heads, lm.head_dim
    embeds = b.input("inputs_embeds", FLOAT, ["batch", "seq", lm.hidden_size])
    prev_frame = b.input("frame_embed", FLOAT, ["batch", lm.hidden_size])
    generated = b.input("generated", BOOL, ["batch", lm.vocab_size])
    step = b.input("step", INT64, ["batch"])
    uniforms = b.input("uniforms", FLOAT, ["batch", groups])
    forced = b.input("forced_codes", INT64, ["batch", groups])
    penalty = b.input("repetition_penalty", FLOAT, ["batch"])
    active = b.op("Unsqueeze", b.input("active", BOOL, ["batch"]), b.ints(1))  # [B, 1]
    talker_sampling = SamplingInputs.declare(b)
    cp_sampling = SamplingInputs.declare(b, "sub_")
    cos, sin = rope_tables(b, lm)
    ctx = KVBuffer(
        b.input("seqlens_k", INT32, ["batch"]), b.input("total_sequence_length", INT32, []), cos, sin, b.input("query_seqlens", INT32, ["batch"])
    )
    kv_shape = ["batch", kv, "capacity", gqa_head_size(hd)]  # head_dim padded for GroupQueryAttention (decoder_lm.pad_heads)
    past = [(b.input(f"past_key_{i}", FLOAT, kv_shape), b.input(f"past_value_{i}", FLOAT, kv_shape)) for i in range(nl)]

    x = b.op("Add", embeds, b.op("Unsqueeze", prev_frame, b.ints(1)))  # [B,S,H]; + 0.0 is exact for the prompt
    present = []
    for i, (pk, pv) in enumerate(past):
        with b.scope(f"layer{i}"):
            x, k, v = decoder_layer(b, x, w, f"talker.model.layers.{i}", lm, ctx, pk, pv)
            present.append((k, v))
    # each row's last new position: Q - 1 = seqlens_k for a prefill (P = 0; rows of different prompt
    # lengths right-padded to S), 0 for a decode step (S = 1)
    shape = b.op("Shape", x)
    at = b.op("Min", b.op("Cast", ctx.seqlens_k, to=INT64), b.op("Sub", b.op("Gather", shape, b.ints(1)), b.ints(1)))  # [B]
    index = b.op("Expand", b.op("Reshape", at, b.ints(-1, 1, 1)), b.op("Concat", b.op("Gather", shape, b.ints(0)), b.ints(1), b.op("Gather", shape, b.ints(2)), axis=0))
    last = b.op("Squeeze", b.op("GatherElements", x, index, axis=1), b.ints(1))  # [B,H]
    hidden = b.rms_norm(last, w("talker.model.norm.weight"), lm.rms_norm_eps, "talker.model.norm")
    logits = b.linear(hidden, w("talker.codec_head.weight"), name="talker.codec_head")

    def column(t: str, lo: int, hi: int) -> str:
        return b.op("Slice", t, b.ints(lo), b.ints(hi), b.ints(1))

    with b.scope("frame"):
        processed = process_code0_logits(
            b, logits, generated, step, penalty, eos=cfg.codec_ids["eos"], min_frames=MIN_FRAMES, suppress=suppressed_ids(cfg)
        )
        want0 = b.op("Squeeze", column(forced, 0, 1), b.ints(1))
        code0 = b.op("Where", b.op("GreaterOrEqual", want0, b.const(np.int64(0))), want0, choose(b, processed, column(uniforms, 0, 1), talker_sampling))
        rest, frame_embed, cp_logits = code_predictor(b, w, cfg, hidden, code0, column(uniforms, 1, groups), column(forced, 1, groups), cp_sampling)
        picked = b.op("Equal", b.op("Unsqueeze", code0, b.ints(1)), b.const(np.arange(lm.vocab_size, dtype=np.int64)))  # [B,V]
    b.output(b.op("Concat", b.op("Unsqueeze", code0, b.ints(1)), rest, axis=1), "codes", INT64, ["batch", groups])
    b.output(b.op("Where", active, frame_embed, prev_frame), "frame_embed_out", FLOAT, ["batch", lm.hidden_size])
    b.output(b.op("Or", generated, b.op("And", active, picked)), "generated_out", BOOL, ["batch", lm.vocab_size])
    b.output(logits, "logits", FLOAT, ["batch", lm.vocab_size])
    b.output(cp_logits, "cp_logits", FLOAT, ["batch", groups - 1, cfg.code_predictor.vocab_size])
    for i, (k, v) in enumerate(present):
        b.output(k, f"present_key_{i}", FLOAT, kv_shape)
        b.output(v, f"present_value_{i}", FLOAT, kv_shape)
    b.save(out_path, "Qwen3-TTS talker step: talker forward + code 0 sampling + code predictor (one call per frame)")
