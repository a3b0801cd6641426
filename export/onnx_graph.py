"""A small ONNX graph builder that writes weights straight from numpy.

Graphs are built node by node (no tracing). Initializers are streamed into one external data
file next to the model as they are added, so multi-GB graphs never sit in memory twice.

Building blocks shared by every graph (Linear, RMSNorm, RoPE, attention, SwiGLU) live here as
methods; graph modules under ``export/graphs`` compose them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qtts.export.quantize import ACCURACY_LEVEL, BlockQuant, quantize_blockwise

OPSET = 17

_NP_TO_ONNX = {
    np.dtype("float32"): TensorProto.FLOAT,
    np.dtype("float16"): TensorProto.FLOAT16,
    np.dtype("uint8"): TensorProto.UINT8,
    np.dtype("int64"): TensorProto.INT64,
    np.dtype("int32"): TensorProto.INT32,
    np.dtype("bool"): TensorProto.BOOL,
}
FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
INT32 = TensorProto.INT32
BOOL = TensorProto.BOOL

Dim = int | str | None


class GraphBuilder:
    """Accumulates nodes; ``save(path)`` writes ``path`` and ``path + '.data'``.

    ``op(...)`` returns the output name (or names). Names are made unique with a counter, and
    ``scope`` prefixes them so graphs stay readable in Netron. ``quantize`` maps a Linear's name to
    its weight quantization (``export.quantize.Profile.plan``); ``None`` (or no plan) keeps float32.
    """

    _SMALL = 64  # initializers up to this many elements stay inline

    def __init__(self, name: str, data_path: str | Path, quantize: Callable[[str], BlockQuant | None] | None = None):
        self.name = name
        self.quantize = quantize
        self.nodes: list[onnx.NodeProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._n = 0
        self._consts: dict[tuple, str] = {}
        self._weights: dict[str, str] = {}
        self._scope: list[str] = []
        self._output_values: list[tuple[str, str]] = []  # (value, output name)
        self.data_path = Path(data_path)
        self._data = open(self.data_path, "wb")  # noqa: SIM115 - closed in save()
        self._offset = 0

    # ------------------------------------------------------------------ naming / io
    def fresh(self, hint: str) -> str:
        self._n += 1
        prefix = "/".join(self._scope)
        return f"{prefix}/{hint}_{self._n}" if prefix else f"{hint}_{self._n}"

    def scope(self, name: str) -> _Scope:
        return _Scope(self, name)

    def input(self, name: str, elem_type: int, shape: Sequence[Dim]) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, list(shape)))
        return name

    def output(self, value: str, name: str, elem_type: int, shape: Sequence[Dim]) -> str:
        """Declare ``value`` as graph output ``name`` (wired up in ``save``)."""
        self._output_values.append((value, name))
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, list(shape)))
        return name

    def _wire_outputs(self) -> None:
        """Each output is written by its producing node directly when no other node or output reads
        the value (an in-place KV buffer must not pass through a copy), else through an Identity."""
        readers: dict[str, int] = {}
        for n in self.nodes:
            for i in n.input:
                readers[i] = readers.get(i, 0) + 1
        for value, _ in self._output_values:
            readers[value] = readers.get(value, 0) + 1
        producers = {o: n for n in self.nodes for o in n.output}
        for value, name in self._output_values:
            producer = producers.get(value)
            if producer is not None and readers[value] == 1:
                producer.output[list(producer.output).index(value)] = name
            else:
                self.nodes.append(helper.make_node("Identity", [value], [name], name=f"out/{name}"))

    # ------------------------------------------------------------------ constants / weights
    def _add_initializer(self, name: str, arr: np.ndarray) -> str:
        arr = np.require(arr, requirements="C")  # keeps 0-d scalars 0-d (ascontiguousarray makes them [1])
        if arr.size <= self._SMALL:
            self.initializers.append(numpy_helper.from_array(arr, name))
            return name
        t = TensorProto()
        t.name = name
        t.data_type = _NP_TO_ONNX[arr.dtype]
        t.dims.extend(arr.shape)
        pad = -self._offset % 64
        if pad:
            self._data.write(b"\0" * pad)
            self._offset += pad
        raw = arr.tobytes()
        self._data.write(raw)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.data_path.name), ("offset", str(self._offset)), ("length", str(len(raw)))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self._offset += len(raw)
        self.initializers.append(t)
        return name

    def const(self, value: np.ndarray | Sequence[int] | Sequence[float] | int | float, dtype=None) -> str:
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        key = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 4096 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.fresh("const")
        self._add_initializer(name, arr)
        if key is not None:
            self._consts[key] = name
        return name

    def weight(self, name: str, arr: np.ndarray) -> str:
        """A named weight (deduplicated by name: the same checkpoint tensor is stored once)."""
        if name not in self._weights:
            self._weights[name] = self._add_initializer(name, np.asarray(arr))
        return self._weights[name]

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, dtype=np.int64))

    # ------------------------------------------------------------------ nodes
    def op(self, op_type: str, *inputs: str, outputs: int = 1, domain: str = "", **attrs) -> str | list[str]:
        outs = [self.fresh(op_type) for _ in range(outputs)]
        node = helper.make_node(op_type, list(inputs), outs, name=self.fresh(op_type + "_node"), domain=domain or None, **attrs)
        self.nodes.append(node)
        return outs[0] if outputs == 1 else outs

    # ------------------------------------------------------------------ layers (float32)
    def plan(self, name: str) -> BlockQuant | None:
        """The weight quantization of the Linear ``name`` (``None``: float32)."""
        return self.quantize(name) if self.quantize is not None else None

    def linear(
        self, x: str, w: np.ndarray, b: np.ndarray | None = None, name: str = "linear", plan: BlockQuant | None = None
    ) -> str:
        """y = x @ w.T + b with torch layout ``w [out, in]`` (stored transposed, [in, out]), or a
        MatMulNBits over the blockwise-quantized ``w`` when the builder's plan quantizes ``name``
        (or ``plan`` is given)."""
        q = plan or self.plan(name)
        if q is None:
            y = self.op("MatMul", x, self.weight(name + ".weight_t", np.ascontiguousarray(np.asarray(w, np.float32).T)))
        else:
            n, k = np.shape(w)
            if name + ".qweight" not in self._weights:
                packed, scales = quantize_blockwise(w, q)
                self.weight(name + ".qweight", packed)
                self.weight(name + ".scales", scales)
            y = self.op(
                "MatMulNBits", x, self._weights[name + ".qweight"], self._weights[name + ".scales"], domain="com.microsoft",
                K=k, N=n, bits=q.bits, block_size=q.block, accuracy_level=ACCURACY_LEVEL,
            )
        if b is not None:
            y = self.op("Add", y, self.weight(name + ".bias", np.asarray(b, np.float32)))
        return y

    def linears(self, x: str, parts: Sequence[tuple[np.ndarray, str]], fused: str) -> list[str]:
        """Several bias-free Linears over the same ``x``, ``parts`` (torch ``w [out_i, in]``, name).
        When the plan quantizes every part alike they run as one MatMulNBits over the row-stacked
        weights (named ``fused``; blocks run along the input axis, so each row quantizes exactly as
        it would alone) and a Split into the parts' outputs: one kernel call instead of several
        small ones. Otherwise each part is its own ``linear``."""
        plans = {self.plan(name) for _, name in parts}
        if plans == {None} or len(plans) > 1:
            return [self.linear(x, w, name=name) for w, name in parts]
        sizes = [int(np.shape(w)[0]) for w, _ in parts]
        y = self.linear(x, np.concatenate([np.asarray(w, np.float32) for w, _ in parts]), name=fused, plan=plans.pop())
        return self.op("Split", y, self.ints(*sizes), axis=-1, outputs=len(parts))

    def rms_norm(self, x: str, w: np.ndarray, eps: float, name: str = "norm") -> str:
        """w * x / sqrt(mean(x^2, -1) + eps) over the last axis, statistics in fp32: one
        SimplifiedLayerNormalization node (an ONNX Runtime kernel on the CPU and CUDA EPs)."""
        weight = self.weight(name + ".weight", np.asarray(w, np.float32))
        return self.op("SimplifiedLayerNormalization", x, weight, axis=-1, epsilon=float(eps), stash_type=1)

    def layer_norm(self, x: str, w: np.ndarray, b: np.ndarray, eps: float, name: str = "ln") -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.weight(name + ".weight", np.asarray(w, np.float32)),
            self.weight(name + ".bias", np.asarray(b, np.float32)),
            axis=-1,
            epsilon=float(eps),
        )

    def silu(self, x: str) -> str:
        return self.op("Mul", x, self.op("Sigmoid", x))

    def gelu(self, x: str) -> str:
        """Exact (erf) GELU: 0.5 x (1 + erf(x / sqrt 2))."""
        e = self.op("Erf", self.op("Mul", x, self.const(np.float32(1 / np.sqrt(2)))))
        return self.op("Mul", self.op("Mul", x, self.const(np.float32(0.5))), self.op("Add", e, self.const(np.float32(1))))

    def swiglu_mlp(self, x: str, gate: np.ndarray, up: np.ndarray, down: np.ndarray, name: str) -> str:
        g, u = self.linears(x, [(gate, name + ".gate_proj"), (up, name + ".up_proj")], name + ".gate_up_proj")
        g = self.silu(g)
        return self.linear(self.op("Mul", g, u), down, name=name + ".down_proj")

    def rope_cos_sin(self, positions: str, head_dim: int, theta: float) -> tuple[str, str]:
        """positions int64 [...] -> cos, sin float32 [..., head_dim] (NeoX half-split layout)."""
        inv = (1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.int64).astype(np.float32) / head_dim))).astype(np.float32)
        pos = self.op("Unsqueeze", self.op("Cast", positions, to=FLOAT), self.ints(-1))
        ang = self.op("Mul", pos, self.const(inv))
        ang = self.op("Concat", ang, ang, axis=-1)
        return self.op("Cos", ang), self.op("Sin", ang)

    def apply_rope(self, x: str, cos: str, sin: str, head_dim: int) -> str:
        """x [..., head_dim]; cos/sin broadcastable. x*cos + rotate_half(x)*sin."""
        h = head_dim // 2
        x1, x2 = self.op("Split", x, self.ints(h, h), axis=-1, outputs=2)
        rot = self.op("Concat", self.op("Neg", x2), x1, axis=-1)
        return self.op("Add", self.op("Mul", x, cos), self.op("Mul", rot, sin))

    def conv1d(
        self, x: str, w: np.ndarray, b: np.ndarray | None, name: str, dilation: int = 1, groups: int = 1
    ) -> str:
        """Unpadded ("valid") Conv1d, stride 1: x [B, Cin, T], torch ``w [Cout, Cin/groups, k]``
        -> [B, Cout, T - (k-1)*dilation]."""
        ins = [x, self.weight(name + ".weight", np.asarray(w, np.float32))]
        if b is not None:
            ins.append(self.weight(name + ".bias", np.asarray(b, np.float32)))
        return self.op("Conv", *ins, dilations=[dilation], group=groups, kernel_shape=[w.shape[-1]])

    def conv_transpose1d(self, x: str, w: np.ndarray, b: np.ndarray | None, stride: int, name: str) -> str:
        """Unpadded ConvTranspose1d: x [B, Cin, T], torch ``w [Cin, Cout, k]`` -> [B, Cout, (T-1)*stride + k]."""
        ins = [x, self.weight(name + ".weight", np.asarray(w, np.float32))]
        if b is not None:
            ins.append(self.weight(name + ".bias", np.asarray(b, np.float32)))
        return self.op("ConvTranspose", *ins, strides=[stride], kernel_shape=[w.shape[-1]])

    # ------------------------------------------------------------------ save
    def save(self, path: str | Path, doc: str = "") -> None:
        self._data.close()
        self._wire_outputs()
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
            producer_name="qwen3-tts-runtime/export",
            doc_string=doc,
        )
        model.ir_version = 8
        path = Path(path)
        if self.data_path.parent != path.parent:
            raise ValueError("the data file must sit next to the model")
        if self._offset == 0:
            os.unlink(self.data_path)
        onnx.save_model(model, str(path))


class _Scope:
    def __init__(self, b: GraphBuilder, name: str):
        self.b, self.name = b, name

    def __enter__(self) -> GraphBuilder:
        self.b._scope.append(self.name)
        return self.b

    def __exit__(self, *exc) -> None:
        self.b._scope.pop()
