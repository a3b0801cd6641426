"""Pure QoS decisions for the batching scheduler: which streams get a row in the next talker step,
which waiting request is admitted next, which streams are shed under sustained overload, and how
many frames the first chunk holds. No model and no clock here: every call takes ``now`` (seconds,
any monotonic origin) so the policy runs under a simulated clock in tests.

Vocabulary (notes/batching-qos.md D4):

* **slack** (s) = audio handed to the consumer − (now − first_audio_at): audio buffered ahead of a
  player that started at the first chunk. Before its first chunk a stream is **pressing** (its TTFA
  is at stake) and has no slack.
* **critical**: ready and pressing, or slack below the low watermark. Critical streams always run.
* One talker step makes one frame (``frame_s`` = 80 ms of audio) per included stream, so the
  real-time budget of a step is ``frame_s * safety``.

API:

* :class:`Priority` (``Priority.parse("realtime" | "standard" | "batch")``),
  :class:`StreamView` (a live stream as the policy sees it), :class:`StepTimes` (measured costs).
* :func:`slack_s`, :func:`is_critical`, :func:`order_waiting` (with :func:`effective_class`),
  :func:`first_chunk_frames`, :func:`codec_group`, :func:`fit_rows`, :func:`interpolate` (StepTimes' predictor).
* :class:`Policy` (configuration only): ``select_rows``, ``critical_overloaded``,
  ``overload_since``, ``shed``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol, TypeVar

from qtts.runtime.errors import InputError

DEFAULT_STEP_S = 0.05  # s per batch row before any measurement (linear in the batch size)
DEFAULT_PREFILL_S = 5e-4  # s per prompt position before any measurement
DEFAULT_STREAM_FRAMES = 125.0  # frames a stream lasts before any finished one is seen (10 s of audio)
DEFAULT_AGING_S = 10.0  # a waiting request gains one class per this many seconds
# (load = active / max_streams, first-chunk frames): below each load bound, that many frames; 8 above
FIRST_CHUNK_FRAMES = ((0.25, 1), (0.5, 2), (0.75, 4))
MAX_FIRST_CHUNK_FRAMES = 8
MAX_CODEC_GROUP = 8  # frames per codec call of a streaming segment, at most (640 ms of audio)


class Priority(IntEnum):
    """Priority classes, higher value = more important."""

    BATCH = 0
    STANDARD = 1
    REALTIME = 2

    @classmethod
    def parse(cls, name: str) -> Priority:
        """The class named ``name`` as on the API (``"realtime"``, ``"standard"``, ``"batch"``)."""
        try:
            return cls[name.upper()]
        except KeyError:
            names = ", ".join(p.name.lower() for p in cls)
            raise InputError(f"unknown priority class {name!r} (expected one of: {names})") from None


@dataclass(frozen=True)
class StreamView:
    """A live stream as the policy sees it; times are seconds on the scheduler's clock."""

    id: str
    priority: Priority
    submitted_at: float
    first_audio_at: float | None = None  # None before the first chunk (pressing)
    audio_s: float = 0.0  # seconds of audio handed to the consumer's queue so far
    ready: bool = True  # has work this step (not paused by back-pressure, not waiting for text)
    deadline: float | None = None  # latest acceptable first-audio time, or None


class Queued(Protocol):
    """What :func:`order_waiting` reads from a waiting request."""

    @property
    def priority(self) -> Priority: ...
    @property
    def submitted_at(self) -> float: ...
    @property
    def deadline(self) -> float | None: ...


Q = TypeVar("Q", bound=Queued)


def slack_s(stream: StreamView, now: float) -> float | None:
    """Seconds of audio buffered ahead of real-time playback; None before the first chunk."""
    if stream.first_audio_at is None:
        return None
    return stream.audio_s - (now - stream.first_audio_at)


def is_critical(stream: StreamView, now: float, low_watermark_s: float) -> bool:
    """Ready and either pressing (no audio yet) or with slack below ``low_watermark_s``."""
    slack = slack_s(stream, now)
    return stream.ready and (slack is None or slack < low_watermark_s)


def effective_class(item: Queued, now: float, aging_s: float) -> int:
    """Class after aging: one class up per ``aging_s`` seconds waited, capped at realtime."""
    waited = max(0.0, now - item.submitted_at)
    return min(int(Priority.REALTIME), int(item.priority) + int(waited // aging_s))


def order_waiting(waiting: Sequence[Q], now: float, aging_s: float = DEFAULT_AGING_S) -> list[Q]:
    """Admission order: aged class (highest first), then earliest deadline (None last), then FIFO."""
    if aging_s <= 0:
        raise ValueError(f"aging_s must be > 0, got {aging_s}")
    return sorted(
        waiting,
        key=lambda w: (
            -effective_class(w, now, aging_s),
            math.inf if w.deadline is None else w.deadline,
            w.submitted_at,
        ),
    )


def first_chunk_frames(active: int, max_streams: int) -> int:
    """Frames in a newcomer's first chunk at load ``active / max_streams`` (active = live streams
    before it joins): 1 below 25 %, 2 below 50 %, 4 below 75 %, else 8 (640 ms of prebuffer)."""
    if max_streams < 1:
        raise ValueError(f"max_streams must be >= 1, got {max_streams}")
    load = max(0, active) / max_streams
    for bound, frames in FIRST_CHUNK_FRAMES:
        if load < bound:
            return frames
    return MAX_FIRST_CHUNK_FRAMES


def codec_group(decoded: int, least: int = 1, cap: int = MAX_CODEC_GROUP) -> int:
    """Frames of a streaming segment's next codec call once ``decoded`` of its frames are decoded:
    the largest power of two <= decoded / 4, so 1 frame per call up to frame 8, then 2, 4 and
    ``cap`` (at least ``least``: the request's ``decode_frames``). A function of the frame index
    only, never of timing or load: the codec's float rounding depends on the frames per call, so
    this is what keeps a request's PCM identical alone, batched and across runs. Calls end on every
    power of two (every load-based first chunk is a call boundary), and a call never waits for more
    than a quarter of the audio already out (a player fed at RTF <= 0.8 does not run dry). On a CPU
    the codec is compute-bound: a 4-frame call costs ~30 % less per frame than 4 calls of one."""
    if decoded < 0 or least < 1 or cap < 1:
        raise ValueError(f"need decoded >= 0, least >= 1, cap >= 1, got {decoded}, {least}, {cap}")
    grown = 1 << max(0, (decoded // 4).bit_length() - 1)
    return max(least, min(cap, grown))


def _ewma(old: float, new: float, alpha: float) -> float:
    return old + alpha * (new - old)


def _pow2_bucket(n: int) -> int:
    """The smallest power of two >= n (prompt lengths share an estimate per bucket)."""
    return 1 << max(0, n - 1).bit_length()


def interpolate(points: Sequence[tuple[float, float]], x: float, default_slope: float) -> float:
    """Seconds at size ``x`` from measured (size, seconds) points, non-decreasing in ``x``.

    Points are sorted and made non-decreasing (running max). Between points: linear; below the
    first: its value; above the last: proportional to size from it (an upper bound when the cost is
    sublinear); no points: ``default_slope * x``. 0 for x <= 0."""
    if x <= 0:
        return 0.0
    if not points:
        return default_slope * x
    xs, ys = [], []
    for px, py in sorted(points):
        xs.append(px)
        ys.append(max(py, ys[-1]) if ys else py)
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1] * x / xs[-1]
    i = next(i for i in range(1, len(xs)) if x <= xs[i])
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1])


@dataclass
class _Curve:
    """EWMA (size, seconds) points keyed by a bucket of the size."""

    default_slope: float
    alpha: float
    bucket: Callable[[int], int]
    points: dict[int, tuple[float, float]] = field(default_factory=dict)

    def observe(self, size: int, seconds: float) -> None:
        key = self.bucket(size)
        old = self.points.get(key)
        if old is None:
            self.points[key] = (float(size), seconds)
        else:
            self.points[key] = (_ewma(old[0], size, self.alpha), _ewma(old[1], seconds, self.alpha))

    def predict(self, size: float) -> float:
        return interpolate(list(self.points.values()), size, self.default_slope)


class StepTimes:
    """Measured costs, fed by the scheduler: batched step (talker + codec) seconds by batch size,
    prefill seconds by prompt length (power-of-two buckets), frames per finished stream. Each is an
    EWMA with weight ``alpha`` on the newest observation; predictions are non-decreasing in size."""

    def __init__(
        self,
        alpha: float = 0.2,
        default_step_s: float = DEFAULT_STEP_S,
        default_prefill_s: float = DEFAULT_PREFILL_S,
        default_stream_frames: float = DEFAULT_STREAM_FRAMES,
    ):
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.alpha = alpha
        self._step = _Curve(default_step_s, alpha, lambda b: b)
        self._prefill = _Curve(default_prefill_s, alpha, _pow2_bucket)
        self.stream_frames = default_stream_frames  # EWMA of frames per finished stream

    def observe_step(self, batch: int, seconds: float) -> None:
        """One batched step over ``batch`` rows took ``seconds``."""
        _check_observation(batch, seconds)
        self._step.observe(batch, seconds)

    def observe_prefill(self, prompt_len: int, seconds: float) -> None:
        """A prefill of ``prompt_len`` positions took ``seconds``."""
        _check_observation(prompt_len, seconds)
        self._prefill.observe(prompt_len, seconds)

    def observe_finish(self, frames: int) -> None:
        """A stream ended after ``frames`` frames."""
        if frames < 0:
            raise ValueError(f"frames must be >= 0, got {frames}")
        self.stream_frames = _ewma(self.stream_frames, frames, self.alpha)

    def predict_step(self, batch: int) -> float:
        """Predicted seconds of one step over ``batch`` rows (0 for no rows)."""
        return self._step.predict(batch)

    def predict_prefill(self, prompt_len: int) -> float:
        """Predicted seconds of one prefill of ``prompt_len`` positions."""
        return self._prefill.predict(prompt_len)


def _check_observation(size: int, seconds: float) -> None:
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if not seconds >= 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}")


def fit_rows(times: StepTimes, budget_s: float, limit: int) -> int:
    """The most rows (<= ``limit``) whose predicted step fits in ``budget_s`` seconds (maybe 0)."""
    n = limit
    while n > 0 and times.predict_step(n) > budget_s:
        n -= 1
    return n


@dataclass(frozen=True)
class Policy:
    """Configuration of the per-step decisions (seconds throughout).

    ``low_watermark_s`` 0.3 ≈ 2 frames + network jitter: below it a stream always runs.
    ``high_watermark_s`` 2.0: only streams with more slack may skip a step. ``shed_after_s`` 1.0:
    how long the critical set may stay over budget before streams are shed (longer than a burst of
    prefills or a GC pause, short enough to save higher classes from underrun)."""

    frame_s: float = 0.08
    safety: float = 0.9
    low_watermark_s: float = 0.3
    high_watermark_s: float = 2.0
    shed_after_s: float = 1.0

    def __post_init__(self) -> None:
        if self.frame_s <= 0 or not 0 < self.safety <= 1:
            raise ValueError(f"need frame_s > 0 and 0 < safety <= 1, got {self.frame_s}, {self.safety}")
        if not 0 <= self.low_watermark_s <= self.high_watermark_s:
            raise ValueError(
                f"need 0 <= low <= high watermark, got {self.low_watermark_s}, {self.high_watermark_s}"
            )

    @property
    def budget_s(self) -> float:
        """Real-time budget of one step: ``frame_s * safety``."""
        return self.frame_s * self.safety

    def select_rows(
        self, streams: Sequence[StreamView], now: float, times: StepTimes
    ) -> tuple[list[str], list[str]]:
        """``(run_ids, skip_ids)`` over the ready streams (not-ready ones are in neither).

        Every ready stream runs unless the predicted step exceeds the budget; then streams are
        skipped until it fits, in two passes. First those with slack above the high watermark
        (they lose nothing), lowest class first and largest slack first within a class; the scan
        stops at the first that cannot be skipped, so a higher class is never skipped while a lower
        one runs. Then, if still over budget, streams of every class below the highest class
        present, lowest class first, most slack first (pressing ones last): a lower class gives
        way rather than make a higher one underrun. The highest class present is never skipped
        below the high watermark: alone, its streams all just run slower."""
        ready = [s for s in streams if s.ready]
        excess = len(ready) - fit_rows(times, self.budget_s, len(ready))
        skip: list[str] = []
        order = sorted(ready, key=lambda s: (s.priority, -_sort_slack(s, now)))
        for s in order:
            slack = slack_s(s, now)
            if len(skip) == excess or slack is None or slack <= self.high_watermark_s:
                break
            skip.append(s.id)
        if len(skip) < excess:
            top = max(s.priority for s in ready)
            for s in order:
                if len(skip) == excess or s.priority == top:
                    break
                if s.id not in skip:
                    skip.append(s.id)
        skipped = set(skip)
        return [s.id for s in ready if s.id not in skipped], [s.id for s in ready if s.id in skipped]

    def critical_overloaded(self, streams: Sequence[StreamView], now: float, times: StepTimes) -> bool:
        """Whether the critical streams alone exceed the step budget."""
        critical = sum(is_critical(s, now, self.low_watermark_s) for s in streams)
        return fit_rows(times, self.budget_s, critical) < critical

    def overload_since(
        self, since: float | None, streams: Sequence[StreamView], now: float, times: StepTimes
    ) -> float | None:
        """When the current overload began: ``since`` carried over (``now`` if new), None if not overloaded."""
        if not self.critical_overloaded(streams, now, times):
            return None
        return now if since is None else since

    def shed(
        self, streams: Sequence[StreamView], now: float, times: StepTimes, overloaded_since: float | None
    ) -> list[str]:
        """Streams to end with finish_reason "shed" once overload has lasted ``shed_after_s``.

        Lowest class first (a class is shed only when no lower class is left); within a class pressing
        streams, then other critical ones, then the rest, newest first; stops once the remaining
        critical streams fit the budget. Realtime is shed only if realtime alone does not fit."""
        if overloaded_since is None or now - overloaded_since < self.shed_after_s:
            return []
        critical = sum(is_critical(s, now, self.low_watermark_s) for s in streams)
        fits = fit_rows(times, self.budget_s, critical)
        shed: list[str] = []
        for s in sorted(streams, key=lambda s: (s.priority, self._shed_rank(s, now), -s.submitted_at)):
            if critical <= fits:
                break
            shed.append(s.id)
            critical -= is_critical(s, now, self.low_watermark_s)
        return shed

    def _shed_rank(self, stream: StreamView, now: float) -> int:
        """0 pressing, 1 other critical, 2 the rest (shed in this order within a class)."""
        if not is_critical(stream, now, self.low_watermark_s):
            return 2
        return 0 if stream.first_audio_at is None else 1


def _sort_slack(stream: StreamView, now: float) -> float:
    """Slack for sorting; pressing streams sort as having the least."""
    slack = slack_s(stream, now)
    return -math.inf if slack is None else slack
