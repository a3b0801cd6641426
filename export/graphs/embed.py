"""Embedding graph: the vectors the runtime sums into talker inputs (spec §2.5, §3.3).

Inputs
  text_ids     i64 [N]      text token ids
  codec_ids    i64 [M]      rows of the talker codec table (control, language, speaker, codes)
  frame_codes  i64 [F, 16]  whole frames (ICL reference frames)
Outputs
  text_embeds  f32 [N, H]   text_projection(text_embedding(ids)) = fc2(SiLU(fc1(E[id])))
  codec_embeds f32 [M, H]   C(ids)
  frame_embeds f32 [F, H]   C(c0) + sum_g Q_{g-1}(c_g)
"""

from __future__ import annotations

from pathlib import Path

from qtts.export.graphs.code_predictor import codec_row, frame_sum
from qtts.export.graphs.decoder_lm import Weights
from qtts.export.onnx_graph import FLOAT, INT64, GraphBuilder
from qtts.runtime.model_config import TalkerConfig


def build_embed(w: Weights, cfg: TalkerConfig, out_path: Path) -> None:
    h = cfg.lm.hidden_size
    b = GraphBuilder("embed", out_path.with_suffix(".onnx.data"))
    text_ids = b.input("text_ids", INT64, ["n"])
    codec_ids = b.input("codec_ids", INT64, ["m"])
    frames = b.input("frame_codes", INT64, ["f", cfg.num_code_groups])

    e = b.op("Gather", b.weight("talker.model.text_embedding.weight", w("talker.model.text_embedding.weight")), text_ids)
    p = "talker.text_projection"
    y = b.silu(b.linear(e, w(f"{p}.linear_fc1.weight"), w(f"{p}.linear_fc1.bias"), f"{p}.linear_fc1"))
    y = b.linear(y, w(f"{p}.linear_fc2.weight"), w(f"{p}.linear_fc2.bias"), f"{p}.linear_fc2")
    b.output(y, "text_embeds", FLOAT, ["n", h])
    b.output(codec_row(b, w, codec_ids), "codec_embeds", FLOAT, ["m", h])
    cols = b.op("Split", frames, b.ints(*[1] * cfg.num_code_groups), axis=1, outputs=cfg.num_code_groups)
    cols = [b.op("Squeeze", c, b.ints(1)) for c in cols]
    b.output(frame_sum(b, w, cols[0], cols[1:]), "frame_embeds", FLOAT, ["f", h])
    b.save(out_path, "Qwen3-TTS text/codec embeddings")
