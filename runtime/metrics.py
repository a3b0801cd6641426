"""Prometheus metrics (one registry for the library, the bench and the server)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from qtts.runtime.stream import StreamStats

REGISTRY = CollectorRegistry()
REQUESTS = Counter("qtts_requests", "Synthesis requests by model type and finish reason", ["model_type", "finish_reason"], registry=REGISTRY)
FRAMES = Counter("qtts_frames", "Codec frames generated (80 ms each)", ["model_type"], registry=REGISTRY)
AUDIO_SECONDS = Counter("qtts_audio_seconds", "Seconds of audio produced", ["model_type"], registry=REGISTRY)
TTFA = Histogram(
    "qtts_time_to_first_audio_seconds",
    "Request start to first PCM sample available",
    ["model_type"],
    buckets=(0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30),
    registry=REGISTRY,
)
RTF = Histogram(
    "qtts_real_time_factor",
    "Processing time / audio duration",
    ["model_type"],
    buckets=(0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10),
    registry=REGISTRY,
)


def observe_request(model_type: str, finish_reason: str, frames: int, audio_s: float, ttfa_s: float, rtf: float) -> None:
    """A finished whole-utterance request (``Synthesizer.synthesize``)."""
    REQUESTS.labels(model_type, finish_reason).inc()
    FRAMES.labels(model_type).inc(frames)
    AUDIO_SECONDS.labels(model_type).inc(audio_s)
    TTFA.labels(model_type).observe(ttfa_s)
    if audio_s > 0:
        RTF.labels(model_type).observe(rtf)


CHUNK_GAP = Histogram(
    "qtts_stream_chunk_gap_seconds",
    "Time between consecutive PCM chunks handed to a streaming consumer",
    ["model_type"],
    buckets=(0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.5, 1, 2),
    registry=REGISTRY,
)


def observe_stream(stats: StreamStats, model_type: str, sample_rate: int) -> None:
    """A finished stream: request count, frames, audio seconds, time to first chunk, chunk gaps."""
    REQUESTS.labels(model_type, stats.finish_reason).inc()
    FRAMES.labels(model_type).inc(stats.frames)
    AUDIO_SECONDS.labels(model_type).inc(stats.samples / sample_rate)
    if stats.time_to_first_audio is not None:
        TTFA.labels(model_type).observe(stats.time_to_first_audio)
    for a, b in zip(stats.chunk_times, stats.chunk_times[1:], strict=False):
        CHUNK_GAP.labels(model_type).observe(b - a)


# ------------------------------------------------------------------ scheduler (runtime.scheduler)
# Every scheduler metric carries ``engine`` (the engine directory's name, the server's model name):
# a process may run one scheduler per engine.
_STEP_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2)
_E = ["engine"]
SLOTS_USED = Gauge("qtts_slots_used", "Slots held by live streams", _E, registry=REGISTRY)
SLOTS_TOTAL = Gauge("qtts_slots_total", "Slots in the pool (max concurrent streams)", _E, registry=REGISTRY)
QUEUE_DEPTH = Gauge("qtts_queue_depth", "Requests waiting for a slot", _E, registry=REGISTRY)
REJECTIONS = Counter("qtts_rejections", "Requests refused at admission, by reason", [*_E, "reason"], registry=REGISTRY)
FINISHED = Counter("qtts_scheduler_finished", "Scheduled requests by finish reason", [*_E, "reason"], registry=REGISTRY)
QUEUE_WAIT = Histogram("qtts_queue_wait_seconds", "Submission to slot", _E, buckets=_STEP_BUCKETS, registry=REGISTRY)
PREFILL_SECONDS = Histogram("qtts_prefill_seconds", "One prefill call (batch 1)", _E, buckets=_STEP_BUCKETS, registry=REGISTRY)
STEP_SECONDS = Histogram("qtts_step_seconds", "One batched talker call, by batch size", [*_E, "batch"], buckets=_STEP_BUCKETS, registry=REGISTRY)
CODEC_SECONDS = Histogram("qtts_codec_seconds", "One codec decoder call, by batch size", [*_E, "batch"], buckets=_STEP_BUCKETS, registry=REGISTRY)
TTFA_SCHEDULED = Histogram(
    "qtts_scheduler_ttfa_seconds", "Submission to the first chunk handed to the stream", _E, buckets=TTFA._upper_bounds[:-1], registry=REGISTRY
)
UNDERRUN_SECONDS = Counter("qtts_underrun_seconds", "Seconds a real-time player started at the first chunk would have starved", _E, registry=REGISTRY)
CONTINUITY = Counter("qtts_continuity", "Finished streams by whether every stall stayed <= 100 ms (ok=true)", [*_E, "ok"], registry=REGISTRY)
SKIPPED_ROWS = Counter("qtts_skipped_rows", "Stream-steps skipped by the policy to keep the step within the frame budget", _E, registry=REGISTRY)
SHED = Counter("qtts_shed", "Streams ended by overload shedding, by class", [*_E, "priority"], registry=REGISTRY)


def exposition() -> bytes:
    """The registry in Prometheus text format."""
    return generate_latest(REGISTRY)
