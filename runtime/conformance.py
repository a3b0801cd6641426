"""Conformance runs on official-format cases (``reference/cases/*.json``) and golden comparison.

Per case the engine writes ``<out>/<case>/codes.npy`` (int64 [frames, 16]) and ``pcm.npy``
(float32, 24 kHz). With a golden directory (dump format of the reference harness) it checks:
greedy cases -> codes exact and PCM max abs error <= ``PCM_TOL``; sampled cases -> teacher-forced
(golden codes fed back) talker and code-predictor logits within ``LOGIT_TOL`` of the golden ones,
relative to the logits' scale.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from qtts.runtime.errors import InputError
from qtts.runtime.sampling import SamplingParams
from qtts.runtime.scheduler import SchedulerConfig
from qtts.runtime.synthesizer import Synthesizer
from qtts.runtime.voice import VoicePrompt, encode_reference

PCM_TOL = 1e-4
OFFICIAL = {"normalize": False, "split": False, "fade_ms": 0.0, "reference_chunking": True}  # the reference pipeline
LOGIT_TOL = 1e-4
_MODE_TO_TYPE = {"custom_voice": "custom_voice", "voice_design": "voice_design", "voice_clone": "base"}
# official generate() kwarg -> SamplingParams field
_KWARGS = {
    "do_sample": "do_sample", "temperature": "temperature", "top_k": "top_k", "top_p": "top_p",
    "repetition_penalty": "repetition_penalty", "subtalker_dosample": "sub_do_sample",
    "subtalker_temperature": "sub_temperature", "subtalker_top_k": "sub_top_k", "subtalker_top_p": "sub_top_p",
}


def case_sampling(synth: Synthesizer, case: dict[str, Any]) -> SamplingParams:
    extra = case.get("generate") or {}
    unknown = set(extra) - set(_KWARGS) - {"max_new_tokens"}
    if unknown:
        raise InputError(f"case {case['name']}: unsupported generate kwargs {sorted(unknown)}")
    params = synth.default_sampling(**{_KWARGS[k]: v for k, v in extra.items() if k in _KWARGS})
    return params.greedy() if case.get("greedy", True) else params


def case_max_frames(synth: Synthesizer, case: dict[str, Any]) -> int:
    """The official ``max_new_tokens = M`` yields at most M - 1 frames (spec §3.7)."""
    m = case.get("max_new_tokens") or (case.get("generate") or {}).get("max_new_tokens")
    m = m or synth.engine.generation_config.get("max_new_tokens", 8192)
    return int(m) - 1


def skip_reason(synth: Synthesizer, case: dict[str, Any]) -> str | None:
    want = _MODE_TO_TYPE.get(case.get("mode", ""))
    if want is None:
        return f"unknown mode {case.get('mode')!r}"
    if want != synth.model_type:
        return f"mode {case['mode']} needs a {want} engine; this engine is {synth.model_type}"
    return None


def synthetic_audio(seconds: float, sr: int = 24000, seed: int = 0, f0: float = 140.0) -> np.ndarray:
    """The reference harness's deterministic speech-like test signal (its voice-clone reference):
    harmonic tone with vibrato, amplitude modulation and a little noise; float32 [seconds * sr]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1.0 + 0.05 * np.sin(2 * np.pi * 3.0 * t))) / sr
    sig = sum((0.6 / k) * np.sin(k * phase + 0.3 * k) for k in range(1, 9))
    env = 0.5 * (1 - np.cos(2 * np.pi * np.minimum(t / 0.05, 1) / 2)) * (0.6 + 0.4 * np.sin(2 * np.pi * 2.5 * t) ** 2)
    return (0.25 * sig * env + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def case_voice(synth: Synthesizer, case: dict[str, Any], golden_case: Path | None) -> VoicePrompt | None:
    """The cloned voice of a voice_clone case: the golden's reference audio if present, else the
    harness's synthetic signal (same seed), encoded by this engine."""
    if case.get("mode") != "voice_clone":
        return None
    path = golden_case / "ref_audio.npy" if golden_case is not None else None
    if path is not None and path.is_file():
        ref = np.load(path)
    else:
        ref = synthetic_audio(case.get("ref_seconds", 2.0), seed=case.get("ref_seed", 7))
    xvec = bool(case.get("x_vector_only_mode", False))
    return encode_reference(synth.engine, ref, 24000, ref_text=case.get("ref_text"), x_vector_only=xvec)


def _rel_err(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / max(1.0, float(np.abs(want).max())))


def run_case(synth: Synthesizer, case: dict[str, Any], out: Path, golden: Path | None) -> dict[str, Any]:
    kw = {
        "speaker": case.get("speaker"),
        "language": case.get("language"),
        "instruct": case.get("instruct"),
        "non_streaming_mode": case.get("non_streaming_mode"),
        "sampling": case_sampling(synth, case),
        "seed": case.get("seed", 0),
        "max_frames": case_max_frames(synth, case),
        "voice": case_voice(synth, case, golden / case["name"] if golden is not None else None),
        **OFFICIAL,
    }
    audio = synth.synthesize(case["text"], **kw)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "codes.npy", audio.codes.astype(np.int64))
    np.save(out / "pcm.npy", audio.pcm.astype(np.float32))
    rec: dict[str, Any] = {"status": "ran", "frames": len(audio.codes), "finish_reason": audio.finish_reason, "seconds": round(audio.timings["total_s"], 3)}
    if golden is None:
        return rec
    gdir = golden / case["name"]
    gcodes = np.load(gdir / "codes.npy")
    if case.get("greedy", True):
        same = audio.codes.shape == gcodes.shape and bool((audio.codes == gcodes).all())
        gpcm = np.load(gdir / "pcm.npy")
        pcm_err = float(np.abs(audio.pcm - gpcm).max()) if audio.pcm.shape == gpcm.shape else float("inf")
        rec.update(codes_equal=same, pcm_max_abs_err=pcm_err, passed=same and pcm_err <= PCM_TOL)
    else:
        tf = synth.synthesize(case["text"], **(kw | {"max_frames": len(gcodes)}), forced_codes=gcodes, capture=True)
        assert tf.capture is not None
        gt, gc = np.load(gdir / "talker_logits.npy"), np.load(gdir / "cp_logits.npy")
        t_err = _rel_err(np.stack(tf.capture["talker_logits"]), gt[: len(gcodes)])
        n = min(len(gc), len(tf.capture["cp_logits"]))
        c_err = _rel_err(np.stack(tf.capture["cp_logits"][:n]), gc[:n])
        rec.update(mode="teacher_forced", talker_logits_rel_err=t_err, cp_logits_rel_err=c_err, passed=t_err <= LOGIT_TOL and c_err <= LOGIT_TOL)
    return rec


def run_conformance(
    engine_dir: Path, cases_path: Path, out_dir: Path, *, golden: Path | None = None, threads: int | None = None, concurrency: int = 1
) -> dict[str, Any]:
    """Run every case of ``cases_path`` (``concurrency`` of them submitted at once: the scheduler
    batches them, and every result must still equal the golden one)."""
    try:
        cases = json.loads(Path(cases_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"cannot read cases file {cases_path}: {e}") from None
    synth = Synthesizer.from_engines(engine_dir, threads=threads, scheduler=SchedulerConfig(max_streams=max(concurrency, 1), capacity=2048))
    try:
        skipped = {case["name"]: skip_reason(synth, case) for case in cases}
        runnable = [case for case in cases if skipped[case["name"]] is None]
        with ThreadPoolExecutor(max(concurrency, 1)) as pool:
            ran = dict(zip(
                [c["name"] for c in runnable],
                pool.map(lambda c: run_case(synth, c, Path(out_dir) / c["name"], golden), runnable),
                strict=True,
            ))
    finally:
        synth.close()
    results = {c["name"]: ran[c["name"]] if c["name"] in ran else {"status": "skipped", "reason": skipped[c["name"]]} for c in cases}
    return {
        "engine": str(engine_dir),
        "concurrency": concurrency,
        "cases": results,
        "ran": len(ran),
        "skipped": len(results) - len(ran),
        "passed": all(r.get("passed", True) for r in ran.values()),
    }
