"""Settings of the continuous-batching scheduler (``runtime.toml`` [scheduler], with its
[scheduler.policy] and [scheduler.limits] tables): pool size, admission, QoS."""

from __future__ import annotations

from dataclasses import dataclass, field

from qtts.runtime.admission import Limits
from qtts.runtime.policy import Policy


@dataclass(frozen=True)
class SchedulerConfig:
    """Pool and policy settings (``runtime.toml`` [scheduler]).

    ``max_streams`` slots of ``capacity`` talker positions (prompt + the frames of one segment)
    each, at most as many as fit in ``memory_mb`` of KV; ``max_waiting`` queued requests beyond
    them; ``window_ms``: how long an idle scheduler waits so near-simultaneous arrivals share the
    first iteration; ``prefill_tokens``/``prefill_ms``: prompt positions and predicted seconds
    of prefill per iteration, so a burst of newcomers never stalls running streams for long (at
    least one prefill always runs); ``aging_s``: a waiting request gains one priority class per aging_s;
    ``buckets``: batch sizes a step may bind (empty: exactly the occupied slots); ``codec_rows``:
    streams per codec call (between calls newcomers of the highest live class are admitted; batching more streams
    saves little on a CPU, whose codec is compute-bound); ``realtime_lane``: arrivals of the highest
    live class or above (realtime always, batch never) are prefilled, and get their first audio,
    while the batched step of the others runs (needs two free slots; not with ``buckets`` past the
    live rows); ``realtime_sessions_mb``: on a CPU, the
    calls the scheduler thread makes beside a running call (the lane's, and admissions during a codec
    call) run on second sessions of the talker and codec when those cost at most this much memory
    (0: never), while the stepper
    thread and the first sessions' pool threads run at nice ``background_nice``: the lane then
    takes the cores from the batched work instead of sharing them; ``shed``: under
    sustained overload end lower-class streams so higher classes keep real time (streams of the
    highest class present are never shed: alone, they all just run slower); ``policy``: slack
    watermarks and the step budget (runtime.policy); ``limits``: per-request limits (the slot
    capacity bounds the prompt anyway)."""

    max_streams: int = 16
    capacity: int = 1024
    memory_mb: int = 4096
    max_waiting: int = 64
    window_ms: float = 10.0
    prefill_tokens: int = 512
    prefill_ms: float = 60.0
    aging_s: float = 10.0
    buckets: tuple[int, ...] = ()
    codec_rows: int = 8
    realtime_lane: bool = True
    realtime_sessions_mb: int = 512
    background_nice: int = 10
    shed: bool = True
    policy: Policy = field(default_factory=Policy)
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        for name in ("max_streams", "capacity", "memory_mb", "max_waiting", "prefill_tokens", "codec_rows"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 0 <= self.window_ms <= 100 or self.aging_s <= 0 or self.prefill_ms <= 0:
            raise ValueError("window_ms must be in [0, 100], aging_s and prefill_ms > 0")
        if self.realtime_sessions_mb < 0 or not 0 <= self.background_nice <= 19:
            raise ValueError("realtime_sessions_mb must be >= 0 and background_nice in [0, 19]")
        if any(not isinstance(b, int) or b < 1 for b in self.buckets):
            raise ValueError("buckets must be positive integers")
