"""Half-precision post-pass over a built float32 graph (the ``fp16`` / ``bf16`` profiles for the CUDA EP).

The talker step graph is built in float32 (``export/graphs/talker.py``), then rewritten here: every
node computes in the half type (float16 or bfloat16) except three float32 islands, and Casts sit
only where a value crosses between the two.

- **Sampling** (float32): every node fed, through float values, by a float graph input other than
  the KV and hidden inputs (the host's uniforms, temperature, top-p, repetition penalty). Logits are
  produced in half by the head MatMuls and cast once; temperature scaling, softmax, cumulative sums
  and the inverse-CDF draw run in float32, where a half CDF's steps of 1e-3 would bias the draw.
- **Embeddings and their sums** (float32): gathers from the embedding tables and the adds, reshapes
  and selects over values that are float32 only, i.e. the frame's sum of 16 codec rows
  (``frame_embed_out``) and the step's input ``inputs_embeds + frame_embed``; a sum of 16 rows
  rounded per add would lose ~4 bits. The hidden inputs and ``frame_embed_out`` stay float32, so
  the runtime's carried buffers do not change.
- **Positions** (float32): int -> float Casts and what is computed from them alone (RoPE angles of
  the code predictor, cos/sin), rounded to half only where they meet half activations.

Everything else is half: MatMuls, GroupQueryAttention (its CUDA kernel has no float32 variant) with
the KV buffers (``past_*``/``present_*``), RMSNorms (``SimplifiedLayerNormalization``, whose
``stash_type`` 1 keeps the mean of squares in float32 inside the kernel), SwiGLU, attention softmax.
Float initializers are converted per consumer (a constant shared by both sides is stored twice);
finite values beyond the half range (attention masks at float32 min) are clipped to it.

The half graphs also target onnxruntime-gpu 1.31.1, the newest CUDA wheel, whose GroupQueryAttention
has no ``query_seqlens`` input (ORT 1.32 added it): :func:`drop_query_seqlens` removes it, and the
slot pool then lets an idle row of a decode step write its (discarded) position one past its KV.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qtts.runtime.manifest import MANIFEST, read_manifest, sha256_file
from qtts.runtime.safetensors_io import f32_to_bf16

HALF_TYPES = {"float16": TensorProto.FLOAT16, "bfloat16": TensorProto.BFLOAT16}
FLOAT = TensorProto.FLOAT
KV_PREFIXES = ("past_", "present_")  # half graph inputs/outputs: the KV buffers
HIDDEN_INPUTS = ("inputs_embeds", "frame_embed")  # float32 graph inputs that feed the half compute
ALWAYS_HALF = {"MatMul", "Gemm", "GroupQueryAttention", "SimplifiedLayerNormalization", "LayerNormalization", "Conv", "ConvTranspose"}
SHAPE_ONLY = {"Shape", "Size"}  # read a float input's shape only: no Cast in front
_NOT_FLOAT = SHAPE_ONLY | {
    "ArgMax", "ArgMin", "NonZero", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Not", "Xor", "IsNaN", "IsInf",
}


def _float_outputs(node: onnx.NodeProto, is_float: dict[str, bool]) -> list[bool]:
    """Which outputs of ``node`` are floating point, from its inputs' (ONNX typing rules of the ops we emit)."""
    n = len(node.output)
    first = is_float.get(node.input[0], False) if node.input else False
    if node.op_type == "Cast":
        return [helper.get_attribute_value(next(a for a in node.attribute if a.name == "to")) == FLOAT]
    if node.op_type in _NOT_FLOAT:
        return [False] * n
    if node.op_type == "TopK":
        return [first, False]
    if node.op_type == "Where":
        return [is_float.get(node.input[1], False)]
    if node.op_type in ("GroupQueryAttention", "MatMulNBits"):
        return [True] * n
    if node.op_type in ("Constant", "ConstantOfShape", "RandomUniform", "RandomUniformLike", "RandomNormal", "RandomNormalLike"):
        raise NotImplementedError(f"half pass: {node.op_type} carries its own float type ({node.name})")
    return [first] * n


def _half_array(arr: np.ndarray, half: int) -> TensorProto:
    """float32 values -> a TensorProto of ``half`` type; finite values clipped to the half range."""
    if half == TensorProto.FLOAT16:
        top = float(np.finfo(np.float16).max)
        return numpy_helper.from_array(np.where(np.isfinite(arr), np.clip(arr, -top, top), arr).astype(np.float16))
    t = TensorProto()
    t.data_type = TensorProto.BFLOAT16
    t.dims.extend(arr.shape)
    t.raw_data = f32_to_bf16(arr).tobytes()
    return t


def to_half(model: onnx.ModelProto, half: int) -> onnx.ModelProto:
    """Rewrite ``model`` (float32, external data loaded) in place to compute in ``half`` (module doc); returns it."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    is_float = {t.name: t.data_type == FLOAT for t in g.initializer}
    dtype: dict[str, int] = {}  # float value -> FLOAT or half
    sampling: set[str] = set()  # float values of the sampling island
    for vi in g.input:
        is_float[vi.name] = vi.type.tensor_type.elem_type == FLOAT
        if not is_float[vi.name]:
            continue
        if vi.name.startswith(KV_PREFIXES):
            vi.type.tensor_type.elem_type = dtype[vi.name] = half
        else:
            dtype[vi.name] = FLOAT
            if vi.name not in HIDDEN_INPUTS:
                sampling.add(vi.name)

    converted: dict[tuple[str, int], str] = {}  # (value, type) -> its initializer copy or Cast output
    new_inits: list[TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def as_type(value: str, want: int) -> str:
        if (value in inits and want == FLOAT) or dtype.get(value) == want:
            return value
        if (value, want) not in converted:
            name = f"{value}/{'f32' if want == FLOAT else 'half'}"
            if value in inits:
                t = _half_array(numpy_helper.to_array(inits[value]), want)
                t.name = name
                new_inits.append(t)
            else:
                nodes.append(helper.make_node("Cast", [value], [name], name=name + "_cast", to=want))
            converted[(value, want)] = name
        return converted[(value, want)]

    for node in g.node:
        floats = [i for i in node.input if is_float.get(i, False)]
        outs = _float_outputs(node, is_float)
        for o, f in zip(node.output, outs, strict=True):
            is_float[o] = f
        if (not floats and not any(outs)) or node.op_type in SHAPE_ONLY:
            nodes.append(node)
            continue
        live = [i for i in floats if i not in inits]
        if any(i in sampling for i in floats):
            want = FLOAT
        elif node.op_type in ALWAYS_HALF:
            want = half
        else:
            want = FLOAT if all(dtype[i] == FLOAT for i in live) else half
        for j, i in enumerate(node.input):
            if is_float.get(i, False):
                node.input[j] = as_type(i, want)
        if node.op_type == "Cast" and want == half:
            for a in node.attribute:
                if a.name == "to":
                    a.i = half
        for o, f in zip(node.output, outs, strict=True):
            if f:
                dtype[o] = want
                if want == FLOAT and any(i in sampling for i in floats):
                    sampling.add(o)
        if want == FLOAT and node.op_type in ALWAYS_HALF:
            raise AssertionError(f"half pass: {node.op_type} {node.name} landed in the float32 sampling island")
        nodes.append(node)

    for vi in g.output:
        if vi.type.tensor_type.elem_type != FLOAT:
            continue
        want = half if vi.name.startswith(KV_PREFIXES) else FLOAT
        vi.type.tensor_type.elem_type = want
        if dtype[vi.name] != want:  # the producer writes a renamed value, cast into the output's name
            inner = vi.name + "/inner"
            for n in nodes:
                n.output[:] = [inner if o == vi.name else o for o in n.output]
                n.input[:] = [inner if i == vi.name else i for i in n.input]
            dtype[inner] = dtype.pop(vi.name)
            nodes.append(helper.make_node("Cast", [inner], [vi.name], name=vi.name + "_cast", to=want))

    used = {i for n in nodes for i in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    del g.node[:]
    g.node.extend(nodes)  # still topological: each Cast sits before its first reader, output Casts last
    del g.value_info[:]
    return model


GQA_QUERY_SEQLENS = 14  # GroupQueryAttention's input index of query_seqlens (ORT >= 1.32)


def drop_query_seqlens(model: onnx.ModelProto) -> onnx.ModelProto:
    """Remove GroupQueryAttention's ``query_seqlens`` input and the graph input feeding it, so ORT
    1.31 loads the graph (every row of a call then takes all S new positions; runtime.slots); returns ``model``."""
    g = model.graph
    for n in g.node:
        if n.op_type == "GroupQueryAttention" and len(n.input) > GQA_QUERY_SEQLENS:
            del n.input[GQA_QUERY_SEQLENS:]
            while n.input[-1] == "":
                del n.input[-1]
    used = {i for n in g.node for i in n.input}
    kept = [vi for vi in g.input if vi.name != "query_seqlens" or vi.name in used]
    del g.input[:]
    g.input.extend(kept)
    return model


def halve_graph(path: Path, dtype: str) -> None:
    """Rewrite the float32 graph file ``path`` (with its ``.data`` next to it) to ``dtype`` in place,
    loadable by ORT 1.31 (``drop_query_seqlens``)."""
    model = onnx.load(str(path), load_external_data=True)
    drop_query_seqlens(to_half(model, HALF_TYPES[dtype]))
    data = path.with_suffix(".onnx.data")
    data.unlink(missing_ok=True)
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=data.name, size_threshold=256)


def ort131_copy(engine_dir: Path, out_dir: Path) -> Path:
    """A copy of a float32 engine whose talker graph ORT 1.31 loads (``drop_query_seqlens``; weight
    files hard-linked, the manifest's talker entry updated): the fp32 CPU reference for parity
    checks in a process whose onnxruntime is onnxruntime-gpu 1.31. Its outputs equal the engine's."""
    out = Path(out_dir)
    shutil.rmtree(out, ignore_errors=True)

    def link_or_copy(src: str, dst: str) -> None:  # graphs and JSON are rewritten here: copies; weight data: links
        if src.endswith((".onnx", ".json")):
            shutil.copy2(src, dst)
        else:
            Path(dst).hardlink_to(src)

    shutil.copytree(engine_dir, out, copy_function=link_or_copy)
    talker = out / "talker.onnx"
    onnx.save_model(drop_query_seqlens(onnx.load(str(talker), load_external_data=False)), str(talker))  # data file untouched
    data = read_manifest(out).data
    data["files"]["talker.onnx"] = {"bytes": talker.stat().st_size, "sha256": sha256_file(talker)}
    (out / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
