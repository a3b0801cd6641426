"""Slot pool: the talker step's per-stream state for up to ``slots`` concurrent streams, and the
batched step over it (graph: export/graphs/talker.py).

Row r of every pooled buffer belongs to the stream in slot r:
- the KV cache, per layer one K and one V buffer [slots, kv, capacity, hd] in the graph's KV type
  (float32; fp16/bf16 profiles: float16, or bfloat16 held as uint16 bit patterns), bound as the step's
  past and present (GroupQueryAttention writes the new positions in place);
- the carried buffers ``frame_embed`` f32 [2, slots, H] and ``generated`` bool [2, slots, V]: each
  call reads copy ``parity`` and writes copy ``1 - parity``, then the parity flips for all rows;
- the per-row step inputs (text vector, frame index, uniforms, forced codes, positions, sampling
  settings) and outputs (codes, raw logits).

Occupied slots are kept compact ([0, n)): a freed slot is filled by moving the last row into it
(:meth:`SlotPool.move`), so a step binds a prefix [0, b) of every buffer, b from a small set of
batch buckets. A prefill is a batch-1 call on one slot's row views while the other rows wait.
The buffers are numpy arrays wrapped as OrtValues without copies (CPU); bindings are made once per
(bucket, parity), so every call of a bucket sees the same addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from qtts.runtime.engine import Engine, input_storage
from qtts.runtime.errors import EngineError
from qtts.runtime.sampling import SamplingParams

_PER_ROW = (  # name, trailing shape key, dtype
    ("step", (), np.int64), ("uniforms", ("groups",), np.float32), ("forced_codes", ("groups",), np.int64),
    ("seqlens_k", (), np.int32), ("query_seqlens", (), np.int32), ("active", (), np.bool_),
    ("repetition_penalty", (), np.float32),
    ("do_sample", (), np.bool_), ("temperature", (), np.float32), ("top_k", (), np.int64), ("top_p", (), np.float32),
    ("sub_do_sample", (), np.bool_), ("sub_temperature", (), np.float32), ("sub_top_k", (), np.int64), ("sub_top_p", (), np.float32),
)


def slot_bytes(engine: Engine, capacity: int) -> int:
    """Bytes one slot holds: its KV (all layers, K and V) at ``capacity`` positions plus carried rows."""
    n_layers, n_kv, hd = engine.kv_shape
    cfg = engine.config.talker.lm
    kv_bytes = input_storage(engine.sessions["talker"], "past_key_0")[0].itemsize
    return 2 * n_layers * n_kv * capacity * hd * kv_bytes + 2 * (cfg.hidden_size * 4 + cfg.vocab_size)


def sampling_row(params: SamplingParams, vocab: int, cp_vocab: int) -> dict[str, float | int | bool]:
    """A request's sampling settings as the step's per-row inputs (top_k 0 = off = the vocabulary)."""
    return {
        "repetition_penalty": params.repetition_penalty,
        "do_sample": params.do_sample, "temperature": params.temperature,
        "top_k": min(params.top_k, vocab) if params.top_k > 0 else vocab, "top_p": params.top_p,
        "sub_do_sample": params.sub_do_sample, "sub_temperature": params.sub_temperature,
        "sub_top_k": min(params.sub_top_k, cp_vocab) if params.sub_top_k > 0 else cp_vocab, "sub_top_p": params.sub_top_p,
    }


@dataclass
class _Bound:
    """An IOBinding plus the OrtValues it binds (they must outlive it) and its host scalar
    ``total_sequence_length``, updated in place before each call."""

    io: ort.IOBinding
    values: list[ort.OrtValue]
    total: np.ndarray

    def value(self, arr: np.ndarray, onnx_type: int | None = None) -> ort.OrtValue:
        """``arr`` as an OrtValue sharing its memory (``onnx_type``: the element type its bytes hold, e.g. bfloat16)."""
        v = ort.OrtValue.ortvalue_from_numpy(arr) if onnx_type is None else ort.OrtValue.ortvalue_from_numpy_with_onnx_type(arr, onnx_type)
        self.values.append(v)
        return v


@dataclass
class RowStep:
    """One row's inputs for a batched decode call (slot = row index)."""

    slot: int
    step: int  # frame index k >= 1 within the segment
    position: int  # KV positions already filled (the new one is written here)
    text: np.ndarray  # f32 [H]: the text vector of step k - 1
    uniforms: np.ndarray  # f32 [16]
    forced: np.ndarray  # i64 [16], -1 = sample
    sampling: dict[str, float | int | bool]


class SlotPool:
    """Pooled talker-step buffers for ``slots`` streams of up to ``capacity`` positions each."""

    def __init__(self, engine: Engine, slots: int, capacity: int, buckets: tuple[int, ...] | None = None):
        cfg = engine.config.talker
        self.session = engine.sessions["talker"]
        self.slots, self.capacity = slots, capacity
        self.buckets = tuple(sorted(b for b in (buckets or ()) if b < slots)) + (slots,) if buckets else None
        n_layers, n_kv, hd = engine.kv_shape
        hidden, vocab, groups = cfg.lm.hidden_size, cfg.lm.vocab_size, cfg.num_code_groups
        self.vocab, self.cp_vocab = vocab, cfg.code_predictor.vocab_size
        kv_dtype, self.kv_type = input_storage(self.session, "past_key_0")  # float32, or fp16/bf16 (export.half)
        text_dtype, carried_dtype = (input_storage(self.session, n) for n in ("inputs_embeds", "frame_embed"))
        if text_dtype[1] is not None or carried_dtype[1] is not None:
            raise EngineError("the talker graph's hidden inputs must be float32 or float16 (the host writes them)")
        self.kv = [tuple(np.zeros((slots, n_kv, capacity, hd), kv_dtype) for _ in range(2)) for _ in range(n_layers)]
        self.frame_embed = np.zeros((2, slots, hidden), carried_dtype[0])
        self.generated = np.zeros((2, slots, vocab), np.bool_)
        self.parity = 0
        dims = {"groups": groups}
        # a graph without query_seqlens (ORT 1.31: export.half.drop_query_seqlens) has every bound row take one
        # new position: an idle row writes its discarded one just past its KV (``step``)
        self.has_query_seqlens = any(i.name == "query_seqlens" for i in self.session.get_inputs())
        per_row = [r for r in _PER_ROW if self.has_query_seqlens or r[0] != "query_seqlens"]
        self.rows = {name: np.zeros((slots, *(dims[d] for d in shape)), dtype) for name, shape, dtype in per_row}
        self.text = np.zeros((slots, 1, hidden), text_dtype[0])
        self.out = {
            "codes": np.zeros((slots, groups), np.int64),
            "logits": np.zeros((slots, vocab), np.float32),
            "cp_logits": np.zeros((slots, groups - 1, self.cp_vocab), np.float32),
        }
        self._bindings: dict[tuple[int, int], _Bound] = {}  # (bucket, parity) -> binding

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + v.nbytes for k, v in self.kv) + self.frame_embed.nbytes + self.generated.nbytes

    def bucket(self, n: int) -> int:
        """Rows a step over n occupied slots binds: n itself, or the smallest bucket >= n."""
        if self.buckets is None:
            return n
        return next(b for b in self.buckets if b >= n)

    # ------------------------------------------------------------------ binding
    def _bind(
        self, session: ort.InferenceSession, rows: slice, text: np.ndarray, carried_in: tuple[np.ndarray, np.ndarray],
        carried_out: tuple[np.ndarray, np.ndarray],
    ) -> _Bound:
        """An IOBinding of ``session`` (a talker session) to the given rows of every pooled buffer (views: no copies)."""
        bound = _Bound(session.io_binding(), [], np.zeros((), np.int32))
        io = bound.io
        for i, (k, v) in enumerate(self.kv):
            for kind, buf in (("key", k), ("value", v)):
                ov = bound.value(buf[rows], self.kv_type)
                io.bind_ortvalue_input(f"past_{kind}_{i}", ov)
                io.bind_ortvalue_output(f"present_{kind}_{i}", ov)
        for name, arr in self.rows.items():
            io.bind_ortvalue_input(name, bound.value(arr[rows]))
        io.bind_ortvalue_input("inputs_embeds", bound.value(text))
        io.bind_ortvalue_input("total_sequence_length", bound.value(bound.total))
        for name, arr in zip(("frame_embed", "generated"), carried_in, strict=True):
            io.bind_ortvalue_input(name, bound.value(arr))
        for name, arr in zip(("frame_embed_out", "generated_out"), carried_out, strict=True):
            io.bind_ortvalue_output(name, bound.value(arr))
        for name, arr in self.out.items():
            io.bind_ortvalue_output(name, bound.value(arr[rows]))
        return bound

    # ------------------------------------------------------------------ calls
    def prefill(
        self, first: int, prompts: list[np.ndarray], uniforms: list[np.ndarray], forced: list[np.ndarray],
        sampling: list[dict[str, float | int | bool]], parity: int | None = None, session: ort.InferenceSession | None = None,
    ) -> np.ndarray:
        """Frame 0 of n streams in slots [first, first + n), in one call: prompt i f32 [L_i, H] fills
        positions [0, L_i) of its slot's KV (prompts right-padded to the longest; rows of different
        lengths need a graph with ``query_seqlens``); the frames' embeddings and repetition masks land
        in the carried copy ``parity`` (default: the one the next decode call reads). Returns codes
        i64 [n, 16] (raw logits in those rows of ``out``). Rows outside a running step's binding may
        prefill during it, from another thread, into the parity that step reads (then :meth:`carry` them over).
        ``session``: another session of the same talker graph to run it on (the realtime lane's)."""
        lengths = [p.shape[0] for p in prompts]
        longest, n = max(lengths), len(prompts)
        if longest > self.capacity:
            raise ValueError(f"prompt of {longest} positions exceeds the slot capacity {self.capacity}")
        if min(lengths) != longest and not self.has_query_seqlens:
            raise ValueError("prompts of different lengths prefill together only in a graph with query_seqlens")
        text = np.zeros((n, longest, self.text.shape[-1]), self.text.dtype)
        for i, (prompt, u, f, sp) in enumerate(zip(prompts, uniforms, forced, sampling, strict=True)):
            self._set_row(first + i, 0, 0, prompt.shape[0], u, f, sp)
            text[i, : prompt.shape[0]] = prompt
        rows, p = slice(first, first + n), self.parity if parity is None else parity
        fresh = (np.zeros((n, self.frame_embed.shape[-1]), self.frame_embed.dtype), np.zeros((n, self.vocab), np.bool_))
        session = session or self.session
        bound = self._bind(session, rows, text, fresh, (self.frame_embed[p][rows], self.generated[p][rows]))
        bound.total[()] = longest
        session.run_with_iobinding(bound.io)
        return self.out["codes"][rows].copy()

    def step(self, n: int, rows: list[RowStep], occupied: int | None = None) -> np.ndarray:
        """One batched decode call over slots [0, n): the given rows step (one new position each);
        every other row idles, its KV and carried state unchanged, including the occupied slots
        [n, occupied) the call does not bind. Returns codes i64 [n, 16] (meaningful for the
        stepped rows)."""
        b = self.bucket(n)
        self.rows["active"][:b] = False
        held = None if self.has_query_seqlens else self.rows["seqlens_k"][:b].copy()
        if held is None:
            self.rows["query_seqlens"][:b] = 0  # idle rows: seqlens_k still says how much KV they hold
        else:  # idle rows write one position past their KV (a full row, which steps no more, its last)
            self.rows["seqlens_k"][:b] = np.minimum(held + 1, self.capacity - 1)
        for r in rows:
            self.text[r.slot, 0] = r.text
            self._set_row(r.slot, r.step, r.position, 1, r.uniforms, r.forced, r.sampling)
        p = self.parity
        bound = self._bindings.get((b, p))
        if bound is None:
            rb = slice(0, b)
            bound = self._bindings[(b, p)] = self._bind(
                self.session, rb, self.text[rb], (self.frame_embed[p][rb], self.generated[p][rb]), (self.frame_embed[1 - p][rb], self.generated[1 - p][rb])
            )
        bound.total[()] = int(self.rows["seqlens_k"][:b].max()) + 1  # idle rows count too
        self.session.run_with_iobinding(bound.io)
        if held is not None:
            idle = ~self.rows["active"][:b]
            self.rows["seqlens_k"][:b][idle] = held[idle]
        self.carry(slice(b, occupied or b), p)  # rows left out of the call keep their carried state across the flip
        self.parity = 1 - p
        return self.out["codes"][:n]

    def _set_row(self, slot: int, step: int, position: int, new: int, uniforms: np.ndarray, forced: np.ndarray, sampling: dict[str, float | int | bool]) -> None:
        """Row inputs of a call that appends ``new`` positions after ``position`` filled ones."""
        r = self.rows
        r["step"][slot] = step
        r["seqlens_k"][slot] = position + new - 1
        if self.has_query_seqlens:
            r["query_seqlens"][slot] = new
        r["active"][slot] = True
        r["uniforms"][slot] = uniforms
        r["forced_codes"][slot] = forced
        for name, v in sampling.items():
            r[name][slot] = v

    def carry(self, rows: int | slice, parity: int) -> None:
        """Copy rows' carried state from copy ``parity`` to the other one (rows a step left unbound,
        or a row prefilled while a step over other rows flipped the parity)."""
        self.frame_embed[1 - parity][rows] = self.frame_embed[parity][rows]
        self.generated[1 - parity][rows] = self.generated[parity][rows]

    def move(self, src: int, dst: int, used: int) -> None:
        """Compaction: slot ``src``'s state (its first ``used`` KV positions and the carried rows the
        next call reads) moves to ``dst``."""
        for k, v in self.kv:
            k[dst, :, :used] = k[src, :, :used]
            v[dst, :, :used] = v[src, :, :used]
        self.frame_embed[self.parity][dst] = self.frame_embed[self.parity][src]
        self.generated[self.parity][dst] = self.generated[self.parity][src]
        for arr in self.rows.values():
            arr[dst] = arr[src]
