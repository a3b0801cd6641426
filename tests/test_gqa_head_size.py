"""The talker's GroupQueryAttention head size: head_dim padded to a multiple of 16 inside the graph
only when it is not one already, and the runtime's KV buffers taken from the graph. (That the padded
graph computes what the official code computes is the golden set ``golden/tiny-hd24``.)"""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from qtts.runtime.engine import Engine


def _talker(engine_dir: Path) -> onnx.ModelProto:
    return onnx.load(str(engine_dir / "talker.onnx"), load_external_data=False)


def _dims(model: onnx.ModelProto, name: str) -> list[int | str]:
    value = next(i for i in model.graph.input if i.name == name)
    return [d.dim_value or d.dim_param for d in value.type.tensor_type.shape.dim]


@pytest.mark.parametrize(("size", "head_dim", "head_size"), [("tiny", 16, 16), ("tiny_hd24", 24, 32)])
def test_kv_buffers_have_the_padded_head_size(size: str, head_dim: int, head_size: int, request: pytest.FixtureRequest) -> None:
    engine_dir = request.getfixturevalue(f"{size}_engines")["custom_voice"]
    engine = Engine(engine_dir, threads=1)
    lm = engine.config.talker.lm
    assert lm.head_dim == head_dim
    model = _talker(engine_dir)
    for i in range(lm.num_layers):
        for kind in ("key", "value"):
            assert _dims(model, f"past_{kind}_{i}") == ["batch", lm.num_kv_heads, "capacity", head_size]
    assert engine.kv_shape == (lm.num_layers, lm.num_kv_heads, head_size)
    gqa = [n for n in model.graph.node if n.op_type == "GroupQueryAttention"]
    assert len(gqa) == lm.num_layers
    scale = {a.name: a.f for n in gqa for a in n.attribute if a.name == "scale"}
    assert scale["scale"] == pytest.approx(head_dim**-0.5)  # the real head_dim, not the padded one
    pads = [n for n in model.graph.node if n.op_type == "Pad"]
    assert len(pads) == (3 * lm.num_layers if head_size != head_dim else 0)  # q, k, v per layer; none when no padding is needed
