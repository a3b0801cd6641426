"""The fp16/bf16 profiles (export/half.py): graph structure (half compute and KV, the float32
islands, Casts only at their borders), the slot pool's KV in the graph's type, and fp16 against the
fp32 engine teacher forced on the CPU EP (ORT runs fp16 nodes it has no kernel for through float32
with the outputs rounded to fp16). bf16 is structural only: ORT's CPU EP has no bf16 MatMul.
The ``gpu`` tests run the same comparison on the CUDA EP and skip without one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from qtts.export.exporter import export_engine
from qtts.export.fidelity import compare
from qtts.export.half import ALWAYS_HALF, HALF_TYPES, ort131_copy
from qtts.runtime.engine import Engine, input_storage
from qtts.runtime.manifest import read_manifest
from qtts.runtime.sampling import SamplingParams
from qtts.runtime.slots import RowStep, SlotPool, _Bound, sampling_row
from qtts.runtime.synthesizer import Synthesizer

HALF = {"fp16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16}
FLOAT = TensorProto.FLOAT
TEXT = "Hello there, this is a half precision check."
HAS_CUDA = "CUDAExecutionProvider" in ort.get_available_providers()


@pytest.fixture(scope="module")
def half_engines(tiny_checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("half_engines")
    src = tiny_checkpoints["custom_voice"]
    return {p: export_engine(src, root / p, profile=p) for p in ("fp32", *HALF)}


def types(values) -> dict[str, int]:
    return {v.name: v.type.tensor_type.elem_type for v in values}


@pytest.mark.parametrize("profile", list(HALF))
def test_half_graph_structure(profile: str, half_engines: dict[str, Path]) -> None:
    half = HALF[profile]
    assert read_manifest(half_engines[profile]).data["profile"] == profile
    model = onnx.load(str(half_engines[profile] / "talker.onnx"))
    ins, outs = types(model.graph.input), types(model.graph.output)
    # KV in the half type; hidden inputs, sampling settings, logits and the carried embedding float32
    assert {n for n, t in ins.items() if t == half} == {n for n in ins if n.startswith("past_")}
    assert {n for n, t in outs.items() if t == half} == {n for n in outs if n.startswith("present_")}
    for name in ("inputs_embeds", "frame_embed", "uniforms", "temperature", "top_p"):
        assert ins[name] == FLOAT
    for name in ("logits", "cp_logits", "frame_embed_out"):
        assert outs[name] == FLOAT
    inits = {t.name: t.data_type for t in model.graph.initializer}
    produced = {o: n for n in model.graph.node for o in n.output}
    heavy = [n for n in model.graph.node if n.op_type in ALWAYS_HALF]
    assert {n.op_type for n in heavy} >= {"MatMul", "GroupQueryAttention", "SimplifiedLayerNormalization"}
    # the embedding tables stay float32 (gathered rows are summed in float32)
    assert inits["talker.model.codec_embedding.weight"] == FLOAT
    assert all(inits[i] != FLOAT for n in heavy for i in n.input if i in inits)
    # every Cast the pass added sits at an island border: half <-> float32, never to the same type
    added = [n for n in model.graph.node if n.name.endswith("_cast")]
    assert added and all(helper.get_attribute_value(n.attribute[0]) in (FLOAT, half) for n in added)
    assert all(n.input[0] in produced or n.input[0] in ins for n in added)
    # graph-level type consistency: ONNX Runtime resolves the graph against its op schemas (contrib ops
    # included) before it picks kernels, so a bf16 graph that only lacks CPU kernels fails at the kernel
    if profile == "fp16":
        ort.InferenceSession(str(half_engines[profile] / "talker.onnx"), providers=["CPUExecutionProvider"])
    else:
        with pytest.raises(Exception, match="Could not find an implementation for"):
            ort.InferenceSession(str(half_engines[profile] / "talker.onnx"), providers=["CPUExecutionProvider"])


def test_fp16_against_fp32_teacher_forced(half_engines: dict[str, Path]) -> None:
    ref = Synthesizer.from_engines(half_engines["fp32"], threads=1)
    test = Synthesizer.from_engines(half_engines["fp16"], threads=1)
    pool = SlotPool(test.engine, 2, 64)
    assert pool.kv[0][0].dtype == np.float16 and pool.frame_embed.dtype == np.float32 and pool.kv_type is None
    r = compare(ref, test, TEXT, frames=24, speaker=ref.speakers[0], language="auto")
    assert r["talker_logits_cosine"]["min"] >= 0.999 and r["cp_logits_cosine"]["min"] >= 0.999  # measured 0.9999999 / 0.9999992
    assert r["code0_top1_agreement"]["decisive"] == 1.0 and r["cp_top1_agreement"]["decisive"] >= 0.99
    assert r["codec_pcm_max_abs_diff"] == 0.0  # the codec decoder stays float32
    assert r["free_running"]["finite"]


@pytest.mark.parametrize("profile", ["fp32", "fp16"])
def test_an_idle_row_keeps_its_kv(profile: str, half_engines: dict[str, Path]) -> None:
    """Row 1 idles through two decode calls of row 0, then steps: its logits equal those of a pool
    where it stepped at once. fp32 graphs skip idle rows by ``query_seqlens``; the half graphs have
    none (ORT 1.31) and an idle row writes one position past its KV instead."""
    engine = Engine(half_engines[profile], threads=1)
    cfg = engine.config.talker
    sampling = sampling_row(SamplingParams.from_generation_config(engine.generation_config).greedy(), cfg.lm.vocab_size, cfg.code_predictor.vocab_size)
    rng = np.random.default_rng(0)
    prompts = [rng.standard_normal((n, engine.hidden_size)).astype(np.float32) * 0.05 for n in (5, 7)]
    text = rng.standard_normal((4, engine.hidden_size)).astype(np.float32) * 0.05
    u, forced = np.full(16, 0.5, np.float32), np.full(16, -1, np.int64)

    def row(slot: int, k: int) -> RowStep:
        return RowStep(slot, k, len(prompts[slot]) + k - 1, text[k], u, forced, sampling)

    def run(idle_calls: int) -> np.ndarray:
        pool = SlotPool(engine, 2, 32)
        assert pool.has_query_seqlens == (profile == "fp32")
        for slot, prompt in enumerate(prompts):
            pool.prefill(slot, [prompt], [u], [forced], [sampling])
        pool.step(2, [row(0, 1), row(1, 1)])
        for k in range(idle_calls):
            pool.step(2, [row(0, 2 + k)])
        pool.step(2, [row(1, 2)])
        return pool.out["logits"][1].copy()

    np.testing.assert_array_equal(run(2), run(0))


def test_the_ort131_reference_copy_equals_its_engine(half_engines: dict[str, Path], tmp_path: Path) -> None:
    """onnxruntime-gpu 1.31 cannot load the fp32 talker (query_seqlens): its copy without it gives the same audio."""
    copy = ort131_copy(half_engines["fp32"], tmp_path / "fp32-ort131")
    a, b = (Synthesizer.from_engines(d, threads=1) for d in (half_engines["fp32"], copy))
    assert not any(i.name == "query_seqlens" for i in b.engine.sessions["talker"].get_inputs())
    kw = {"sampling": a.default_sampling().greedy(), "speaker": a.speakers[0], "language": "auto", "max_frames": 12}
    x, y = a.synthesize(TEXT, **kw), b.synthesize(TEXT, **kw)
    assert np.array_equal(x.codes, y.codes) and np.array_equal(x.pcm, y.pcm)
    assert (tmp_path / "fp32-ort131" / "talker.onnx.data").stat().st_nlink == 2  # weights linked, not copied


def test_bf16_storage_is_shared_bit_patterns(tmp_path: Path) -> None:
    """The pool holds bf16 KV as uint16 bit patterns wrapped as bf16 OrtValues (no copy): a bound
    Identity reads and writes the very arrays."""
    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph([node], "id", [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [3])], [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [3])])
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "id.onnx"))
    session = ort.InferenceSession(str(tmp_path / "id.onnx"), providers=["CPUExecutionProvider"])
    dtype, onnx_type = input_storage(session, "x")
    assert dtype == np.uint16 and onnx_type == HALF_TYPES["bfloat16"]
    x, y = np.array([0x3F80, 0xC000, 0x7F80], np.uint16), np.zeros(3, np.uint16)  # 1.0, -2.0, +inf
    bound = _Bound(session.io_binding(), [], np.zeros((), np.int32))
    bound.io.bind_ortvalue_input("x", bound.value(x, onnx_type))
    bound.io.bind_ortvalue_output("y", bound.value(y, onnx_type))
    session.run_with_iobinding(bound.io)
    np.testing.assert_array_equal(y, x)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs onnxruntime-gpu and a CUDA device")
@pytest.mark.parametrize("profile", list(HALF))
def test_half_on_cuda_against_fp32_cpu(profile: str, half_engines: dict[str, Path], tmp_path: Path) -> None:
    ref = Synthesizer.from_engines(ort131_copy(half_engines["fp32"], tmp_path / "ref"), threads=1)
    test = Synthesizer(Engine(half_engines[profile], provider="cuda"))
    assert test.engine.provider == "CUDAExecutionProvider"
    r = compare(ref, test, TEXT, frames=24, speaker=ref.speakers[0], language="auto")
    assert r["talker_logits_cosine"]["min"] >= 0.999 and r["cp_logits_cosine"]["min"] >= 0.999
    assert r["free_running"]["finite"]
