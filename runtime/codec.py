"""Codec decode around an onnxruntime session of the stateful ``codec_decoder`` graph (numpy only).

The graph decodes N new frames (``codes`` int64 [B, N, 16]) into N * samples_per_frame samples of
24 kHz PCM and carries the decoder state explicitly (export/graphs/codec_decoder.py). A
:class:`CodecStream` owns one such state: pushing frames in any chunking gives the same signal as
one full decode (to float rounding, well under 1 LSB of 16-bit PCM). Rows of one call are
independent streams at their own frame offsets: :func:`decode_batch` (states) and
:meth:`CodecStream.push_batch` (streams) step many of them in one call (continuous batching).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime as ort

SAMPLES_PER_FRAME = 1920  # 24 kHz / 12.5 Hz, the released 12 Hz codec
REFERENCE_CHUNK = 300  # frames per fresh-state decode in the official chunked_decode (spec §7.7)
REFERENCE_CONTEXT = 25  # frames of re-decoded left context per official chunk


@dataclass
class DecoderState:
    """One stream's decoder state (batch 1): conv histories, sliding-window KV, frames decoded."""

    conv: np.ndarray  # float32 [1, S]
    key: np.ndarray  # float32 [L, 1, H, window - 1, hd]
    value: np.ndarray  # float32 [L, 1, H, window - 1, hd]
    frames: int = 0

    @classmethod
    def fresh(cls, session: ort.InferenceSession) -> DecoderState:
        """Zero state sized from the graph's declared inputs."""
        shapes = {i.name: i.shape for i in session.get_inputs()}
        kv = [1 if isinstance(d, str) else d for d in shapes["past_key"]]
        return cls(np.zeros((1, shapes["state"][1]), np.float32), np.zeros(kv, np.float32), np.zeros(kv, np.float32))

    def copy(self) -> DecoderState:
        return DecoderState(self.conv.copy(), self.key.copy(), self.value.copy(), self.frames)

    @property
    def nbytes(self) -> int:
        return self.conv.nbytes + self.key.nbytes + self.value.nbytes


def _check_codes(codes: np.ndarray, dims: str = "[T, Q]") -> np.ndarray:
    """codes as int64, checked to be an integer array of the rank ``dims`` names."""
    codes = np.asarray(codes)
    if codes.ndim != dims.count(",") + 1 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"codes must be an integer array {dims}, got {codes.dtype} {codes.shape}")
    return codes.astype(np.int64, copy=False)


def _stacked(arrays: list[np.ndarray], axis: int) -> np.ndarray:
    """The row states joined along the batch ``axis`` (a single stream's own array, not a copy)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=axis)


def decode_batch(session: ort.InferenceSession, states: Sequence[DecoderState], codes: np.ndarray) -> np.ndarray:
    """Step B streams in one decoder call: codes int [B, N, Q] (row i continues ``states[i]``)
    -> pcm float32 [B, N * samples_per_frame]. Each state advances by N frames (its arrays are
    replaced, never written in place, so copies and saved states stay intact). Rows may be at any
    frame offsets; each equals that stream decoded alone (to float rounding)."""
    codes = _check_codes(codes, "[B, N, Q]")
    if not states or len(states) != len(codes) or len({id(st) for st in states}) != len(states):
        raise ValueError(f"need one distinct state per row: {len(states)} states, codes {codes.shape}")
    if codes.shape[1] == 0:
        return np.zeros((len(codes), 0), np.float32)
    pcm, conv, key, value = session.run(
        None,
        {
            "codes": codes,
            "state": _stacked([st.conv for st in states], 0),
            "past_key": _stacked([st.key for st in states], 1),
            "past_value": _stacked([st.value for st in states], 1),
            "offset": np.array([st.frames for st in states], np.int64),
        },
    )
    for i, st in enumerate(states):
        if len(states) == 1:  # the outputs are the row
            st.conv, st.key, st.value = conv, key, value
        else:
            st.conv, st.key, st.value = conv[i : i + 1].copy(), key[:, i : i + 1].copy(), value[:, i : i + 1].copy()
        st.frames += codes.shape[1]
    return pcm


class CodecStream:
    """Incremental decoder: ``push(codes [N, 16]) -> pcm float32 [N * samples_per_frame]``.

    ``reference_chunking`` reproduces the official ``chunked_decode`` (spec §7.7) instead of the exact
    full-context stream: at every ``chunk``-frame boundary (300) the state restarts from zeros and is
    primed with the previous ``context`` frames (25; their audio discarded), which is exactly that
    chunk's fresh decode. ``prime(codes)`` decodes frames whose audio is not wanted (ICL reference).
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        *,
        reference_chunking: bool = False,
        chunk: int = REFERENCE_CHUNK,
        context: int = REFERENCE_CONTEXT,
    ):
        if not 0 <= context < chunk:
            raise ValueError("reference chunking needs 0 <= context < chunk")
        self.session = session
        self.reference_chunking = reference_chunking
        self.chunk, self.context = chunk, context
        self.state = DecoderState.fresh(session)
        self.frames = 0  # frames pushed (the state's own count restarts on reference boundaries)
        self._recent = np.zeros((0, 16), np.int64)  # the last ``context`` frames pushed

    def copy(self) -> CodecStream:
        """An independent stream continuing from this one's state (e.g. a primed voice)."""
        other = CodecStream(self.session, reference_chunking=self.reference_chunking, chunk=self.chunk, context=self.context)
        other.state, other.frames, other._recent = self.state.copy(), self.frames, self._recent.copy()
        return other

    def prime(self, codes: np.ndarray) -> np.ndarray:
        """Decode frames whose audio is not played (the reference frames of an ICL voice, spec §6.3);
        returns that audio."""
        return self.push(codes)

    def resume(self, state: DecoderState, codes: np.ndarray) -> bool:
        """Make this fresh stream continue from ``state``, the state a fresh full-context stream
        reaches after ``codes`` (e.g. a saved voice's primed decoder), without decoding them again.
        False, and nothing changed, when that is not this stream's state after ``prime(codes)``:
        the stream is not fresh, ``state`` is for another frame count, or reference chunking
        would restart within ``codes``."""
        codes = _check_codes(codes)
        if self.frames or state.frames != len(codes) or (self.reference_chunking and len(codes) > self.chunk):
            return False
        self.state, self.frames = state.copy(), len(codes)
        self._recent = codes[max(0, len(codes) - self.context) :].copy()
        return True

    def push_chunks(self, codes: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
        """``push`` consecutive pieces of ``codes`` of the given frame counts; the decoded pieces."""
        out, at = [], 0
        for n in sizes:
            out.append(self.push(codes[at : at + n]))
            at += n
        return out

    def _room(self) -> int:
        """Frames that can be decoded before the next reference chunk boundary (unbounded without
        reference chunking)."""
        return self.chunk - self.frames % self.chunk if self.reference_chunking else sys.maxsize

    def _restart_if_due(self) -> None:
        """Reference chunking at a chunk boundary: restart the state from zeros, primed with the
        last ``context`` frames. Call once before each decode."""
        if self.reference_chunking and self.frames and self.frames % self.chunk == 0:
            self.state = DecoderState.fresh(self.session)
            decode_batch(self.session, [self.state], self._recent[None])

    def _advance(self, codes: np.ndarray) -> None:
        """Account for decoded frames codes [N, Q]."""
        self.frames += len(codes)
        if self.reference_chunking:
            self._recent = np.concatenate([self._recent, codes])[len(self._recent) + len(codes) - self.context :]

    def push(self, codes: np.ndarray) -> np.ndarray:
        """Decode the next frames: codes int [N, Q] (N >= 0, no -1 padding) -> pcm [N * spf]."""
        codes = _check_codes(codes)
        parts = [np.zeros(0, np.float32)]
        while len(codes):
            self._restart_if_due()
            head, codes = codes[: self._room()], codes[self._room() :]
            parts.append(decode_batch(self.session, [self.state], head[None])[0])
            self._advance(head)
        return np.concatenate(parts)

    @staticmethod
    def push_batch(streams: Sequence[CodecStream], codes: np.ndarray, session: ort.InferenceSession | None = None) -> np.ndarray:
        """Push codes int [B, N, Q] (row i to ``streams[i]``, all on one session) in one decoder
        call -> pcm float32 [B, N * spf]; row i equals ``streams[i].push(codes[i])``. A stream
        whose reference chunk ends inside the N frames is pushed on its own instead. ``session``:
        another session of the same decoder graph to run the call on (the realtime lane's)."""
        codes = _check_codes(codes, "[B, N, Q]")
        if not streams or len(streams) != len(codes) or len({id(s) for s in streams}) != len(streams):
            raise ValueError(f"need one distinct stream per row: {len(streams)} streams, codes {codes.shape}")
        if any(s.session is not streams[0].session for s in streams):
            raise ValueError("push_batch: the streams decode on different sessions")
        n = codes.shape[1]
        together = [i for i, s in enumerate(streams) if s._room() >= n]
        rows = {i: s.push(codes[i]) for i, s in enumerate(streams) if i not in together}
        if together:
            for i in together:
                streams[i]._restart_if_due()
            pcm = decode_batch(session or streams[0].session, [streams[i].state for i in together], codes[together])
            for i, row in zip(together, pcm, strict=True):
                streams[i]._advance(codes[i])
                rows[i] = row
        return np.stack([rows[i] for i in range(len(streams))])


def random_chunk_sizes(rng: np.random.Generator, frames: int, lo: int = 1, hi: int = 25) -> list[int]:
    """Random frame counts in [lo, hi] that add up to ``frames`` (the last one cut to fit)."""
    sizes: list[int] = []
    while sum(sizes) < frames:
        sizes.append(int(rng.integers(lo, hi + 1)))
    if sizes:
        sizes[-1] -= sum(sizes) - frames
    return sizes


def _valid_frames(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """codes [T, Q] -> (negatives clamped to 0, valid = #(codes[:, 0] > -1)): the official padding rule."""
    codes = _check_codes(codes)
    return np.maximum(codes, 0), int((codes[:, 0] > -1).sum())


def decode(session: ort.InferenceSession, codes: np.ndarray, *, reference_chunking: bool = False) -> np.ndarray:
    """Decode all frames at once: codes [T, Q] -> pcm float32 [valid * samples_per_frame] in [-1, 1].

    Frames are right-padded with -1 the official way: valid = #(codes[:, 0] > -1), negatives are
    clamped to 0 before decoding and the output is cut to the valid frames. With
    ``reference_chunking`` this is the official ``chunked_decode(300, 25)``; without, one
    full-context decode (they are equal for T <= 300).
    """
    codes, valid = _valid_frames(codes)
    if len(codes) == 0:
        return np.zeros(0, np.float32)
    pcm = CodecStream(session, reference_chunking=reference_chunking).push(codes)
    return pcm[: valid * (len(pcm) // len(codes))]
