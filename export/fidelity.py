"""Fidelity of a quantized engine against the fp32 engine of the same checkpoint.

Teacher forcing: both engines are fed the same codes (the fp32 engine's own greedy output), so each
step's logits compare like for like instead of measuring how two free-running trajectories drift
apart. Per request it reports the talker (code 0) and code-predictor (codes 1..15) logits cosine per
step, top-1 agreement (code 0 over the ids it may take, i.e. without the suppressed control ids),
both over all steps and over the *decisive* steps, where the fp32 top-1 leads the runner-up by at
least ``DECISIVE`` standard deviations of that step's logits (random-weight checkpoints have flat
logits with near-ties, e.g. a 7.5e-5 lead at std 1, which any rounding flips; a real model's choices
are rarely that close), the codec PCM of the same codes through both engines' decoders, and a free-running run of the
quantized engine (frames, finish reason, finite samples).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qtts.export.graphs.talker import suppressed_ids
from qtts.runtime.synthesizer import Synthesizer

DECISIVE = 0.05  # top-1 lead, in standard deviations of the step's fp32 logits, that makes a step decisive
OFFICIAL = {"normalize": False, "split": False, "fade_ms": 0.0}  # one segment: teacher forcing needs it


def row_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity over the last axis: [..., V] x [..., V] -> [...] (float64)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (a * b).sum(-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-30)


def _stats(x: np.ndarray) -> dict[str, float]:
    return {"min": float(x.min()), "mean": float(x.mean())}


def top1_agreement(ref: np.ndarray, got: np.ndarray) -> dict[str, float]:
    """Argmax agreement of logits [..., V] over all rows and over the decisive rows (see module doc)."""
    top2 = np.sort(ref, -1)[..., -2:]
    decisive = top2[..., 1] - top2[..., 0] >= DECISIVE * ref.std(-1)
    same = ref.argmax(-1) == got.argmax(-1)
    return {"all": float(same.mean()), "decisive": float(same[decisive].mean()) if decisive.any() else 1.0, "decisive_fraction": float(decisive.mean())}


def compare(reference: Synthesizer, test: Synthesizer, text: str, *, frames: int, **request: Any) -> dict[str, Any]:
    """Teacher-forced comparison of ``test`` against ``reference`` on one greedy request of at most
    ``frames`` frames (``request``: further :class:`runtime.synthesizer.Request` options, e.g. speaker)."""
    kw = {**OFFICIAL, "sampling": reference.default_sampling().greedy(), "seed": 0, **request}
    free_ref = reference.synthesize(text, max_frames=frames, **kw)
    codes = free_ref.codes
    forced = {"max_frames": len(codes), "forced_codes": codes, "capture": True}
    ref, got = (s.synthesize(text, **kw, **forced).capture for s in (reference, test))
    assert ref is not None and got is not None
    t_ref, t_got = np.stack(ref["talker_logits"]), np.stack(got["talker_logits"])  # [F, V]
    c_ref, c_got = np.stack(ref["cp_logits"]), np.stack(got["cp_logits"])  # [F, 15, V2]
    allowed = ~suppressed_ids(reference.engine.config.talker)
    per_codebook = (c_ref.argmax(-1) == c_got.argmax(-1)).mean(0)  # codebooks 1..15
    free = test.synthesize(text, max_frames=frames, **kw)
    pcm_ref, pcm_got = reference.decode(codes), test.decode(codes)
    return {
        "frames": len(codes),
        "talker_logits_cosine": _stats(row_cosine(t_ref, t_got)),
        "cp_logits_cosine": _stats(row_cosine(c_ref, c_got)),
        "code0_top1_agreement": top1_agreement(t_ref[:, allowed], t_got[:, allowed]),
        "cp_top1_agreement": top1_agreement(c_ref, c_got) | {"per_codebook": [round(float(a), 4) for a in per_codebook]},
        "codec_pcm_max_abs_diff": float(np.abs(pcm_ref - pcm_got).max()),
        "free_running": {
            "frames": len(free.codes),
            "finish_reason": free.finish_reason,
            "reference_frames": len(codes),
            "reference_finish_reason": free_ref.finish_reason,
            "finite": bool(np.isfinite(free.pcm).all()),
            "codes_equal_reference": bool(free.codes.shape == codes.shape and (free.codes == codes).all()),
        },
    }


if __name__ == "__main__":  # python -m export.fidelity FP32_ENGINE TEST_ENGINE FRAMES -> JSON (runtime.bench)
    import json
    import sys

    from qtts.runtime.bench import TEXT

    fp32_dir, test_dir, n = sys.argv[1:4]
    ref_synth, test_synth = Synthesizer.from_engines(fp32_dir), Synthesizer.from_engines(test_dir)
    speaker = {"speaker": ref_synth.speakers[0]} if ref_synth.model_type == "custom_voice" else {"instruct": "A calm voice."}
    print(json.dumps(compare(ref_synth, test_synth, TEXT, frames=int(n), language="auto", **speaker)))
