"""Codec decode around an onnxruntime session of the ``codec_decoder`` graph (numpy only).

The graph maps ``codes`` int64 [B, T, 16] -> ``pcm`` float32 [B, T * samples_per_frame] (24 kHz,
1920 samples per frame for the released codec), one fresh decoder state per call (spec §7.7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime as ort


def _prepare(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """codes [T, Q] -> (codes with negatives clamped to 0 as int64, valid frames = #(codes[:, 0] > -1))."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"codes must be an integer array [T, Q], got {codes.dtype} {codes.shape}")
    valid = int((codes[:, 0] > -1).sum())
    return np.maximum(codes, 0).astype(np.int64), valid


def _run(session: ort.InferenceSession, codes: np.ndarray) -> np.ndarray:
    """One fresh-state decode: codes int64 [T, Q] (T >= 1) -> float32 [T * samples_per_frame]."""
    (pcm,) = session.run(["pcm"], {"codes": codes[None]})
    return pcm[0]


def decode(session: ort.InferenceSession, codes: np.ndarray) -> np.ndarray:
    """Decode all frames in one pass: codes [T, Q] -> pcm float32 [valid * samples_per_frame] in [-1, 1].

    Frames are right-padded with -1 the official way: valid = #(codes[:, 0] > -1), negatives are
    clamped to 0 before decoding and the output is cut to the valid frames.
    """
    codes, valid = _prepare(codes)
    if len(codes) == 0:
        return np.zeros(0, np.float32)
    pcm = _run(session, codes)
    return pcm[: valid * (len(pcm) // len(codes))]


def decode_reference_chunked(
    session: ort.InferenceSession, codes: np.ndarray, chunk: int = 300, left_context: int = 25
) -> np.ndarray:
    """The official ``chunked_decode`` (spec §7.7): codes [T, Q] -> pcm float32 [valid * samples_per_frame].

    For start = 0, chunk, 2*chunk, ...: ctx = left_context if start - left_context > 0 else start; decode
    codes[start - ctx : start + chunk] from a fresh state, drop its first ctx frames of samples, concatenate.
    Padding (-1) is handled as in :func:`decode`. Equals :func:`decode` for T <= chunk.
    """
    codes, valid = _prepare(codes)
    parts: list[np.ndarray] = []
    start = 0
    while start < len(codes):
        end = min(start + chunk, len(codes))
        ctx = left_context if start - left_context > 0 else start
        pcm = _run(session, codes[start - ctx : end])
        parts.append(pcm[ctx * (len(pcm) // (end - start + ctx)) :])
        start = end
    if not parts:
        return np.zeros(0, np.float32)
    pcm = np.concatenate(parts)
    return pcm[: valid * (len(pcm) // len(codes))]
