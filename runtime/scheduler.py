"""Continuous batching: one scheduler thread owns an engine's talker and codec and steps every live
stream together, one frame (80 ms of audio) per stream per iteration.

An iteration, at most one per loop turn:
1. retire: cancelled streams (explicit, consumer gone, deadline passed) and shed ones end and free
   their slot (rows stay compact and ordered by class, highest first: :class:`runtime.slots.SlotPool`);
2. admit: waiting requests in policy order (class with aging, deadline, arrival) take free slots
   and are prefilled within a per-iteration prefill budget, together: one call per run of
   consecutive slots, prompts right-padded (a burst of arrivals costs one call, not one each); a
   stream starting its next segment is prefilled again in its own slot first; each prefill
   returns the segment's frame 0; classes in order, a higher class's first audio before a lower
   class prefills, and a lower class's prefill runs in the stepper thread beside the lane (3.);
3. step: one batched talker call over the slots up to the last stepping row; rows that are paused
   (consumer back-pressure, streamed text not yet arrived) or skipped by the policy idle in that
   call. It runs in a stepper thread while arrivals of the highest live class or above (realtime
   always, batch never: :meth:`Scheduler._lane_class`; all those waiting, in one call) are
   prefilled beside it into slots past every row and get their first audio (the lane; on a CPU on
   second talker/codec sessions while the batched work runs at a lower OS priority, when the
   copies fit ``realtime_sessions_mb``), so a newcomer waits for no step of streams that already
   hear audio;
4. codec: every stream with frames due is decoded (batched calls per frame count, also in the
   stepper thread; newcomers of the highest live class are prefilled and their frame 0 decoded
   before and during these calls, so a newcomer waits for at most a step, not for the rest of the
   iteration); a streaming segment's codec calls
   grow with its frame index, 1 frame per call up to frame 8, then 2, 4, 8
   (runtime.policy.codec_group: never by timing or load, so its PCM does not depend on either);
5. deliver: PCM -> segment joiner -> chunker -> the stream's queue (:class:`runtime.stream.AudioStream`).

What a request produces does not depend on what runs beside it: each row's inputs, RNG stream
(uniforms drawn from its own seed) and KV are its own, so greedy codes equal a solo run and
seeded sampling too. Callers talk to the thread through :meth:`Scheduler.submit` (thread-safe),
which admits or refuses at once (:class:`runtime.errors.OverloadError` with a retry hint).
While a model call runs in the stepper thread the scheduler thread sleeps on its condition until
the call ends or a request arrives (no polling that would take a core from the call's threads).
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import onnxruntime as ort

from qtts.runtime import metrics
from qtts.runtime.admission import Request as Admission
from qtts.runtime.admission import WaitingQueue, check_admission
from qtts.runtime.codec import SAMPLES_PER_FRAME, CodecStream
from qtts.runtime.engine import Engine
from qtts.runtime.errors import TTSError
from qtts.runtime.plan import Job, icl_extra
from qtts.runtime.policy import Priority, StepTimes, StreamView, codec_group, first_chunk_frames
from qtts.runtime.scheduler_config import SchedulerConfig
from qtts.runtime.slots import RowStep, SlotPool, sampling_row, slot_bytes
from qtts.runtime.stream import AudioStream, Chunker, SegmentJoiner, StreamStats
from qtts.runtime.threads import lower_priority

log = logging.getLogger("qtts.scheduler")
SAMPLE_RATE = 24000
CONTINUITY_MS = 100.0  # a stream is continuous when no stall of a real-time player exceeds this


def _prompt_len(s: _Live) -> int:
    return s.job.segments[s.seg].prompt.shape[0]


@dataclass
class _Live:
    """One request inside the scheduler."""

    job: Job
    stats: StreamStats
    cancel: threading.Event
    stream: Callable[[], AudioStream | None]  # weak: a dropped stream cancels its request
    priority: Priority
    deadline: float | None
    id: str
    submitted_at: float
    rng: np.random.Generator = field(init=False)
    slot: int | None = None
    seg: int = 0  # index of the current segment
    k: int = 0  # frames made in the current segment
    position: int = 0  # KV positions filled in the slot
    limit: int = 0  # frame limit of the current segment
    limit_reason: str = "max_frames"  # finish reason when the segment reaches ``limit`` frames
    frames_total: int = 0
    needs_prefill: bool = True
    seg_end: str | None = None  # finish reason of the current segment, once it ended
    codec: CodecStream | None = None
    pending: list[np.ndarray] = field(default_factory=list)
    seg_codes: list[np.ndarray] = field(default_factory=list)
    decoded: int = 0  # frames of the current segment already decoded
    joiner: SegmentJoiner = field(init=False)
    chunker: Chunker | None = field(init=False)
    held: list[np.ndarray] = field(default_factory=list)  # PCM held back until the first chunk is full
    first_audio: float | None = None
    audio_samples: int = 0
    first_frames: int = 1  # frames in the first delivered chunk (load-dependent)
    underrun_s: float = 0.0  # the longest stall of a real-time player started at the first chunk
    ended: bool = False
    sampling: dict[str, float | int | bool] = field(default_factory=dict)  # the step's per-row settings

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.job.seed)
        self.joiner = SegmentJoiner(self.job.fade)
        self.chunker = Chunker(self.job.chunk) if self.job.chunk else None

    def text_vector(self, step: int) -> np.ndarray | None:
        """The text vector added at decode step ``step`` >= 1 (None: streamed text not here yet)."""
        seg = self.job.segments[self.seg]
        if self.job.text is not None:
            return self.job.text.vector(step - 1)
        return seg.trailing[step - 1] if step - 1 < len(seg.trailing) else seg.pad

    @property
    def audio_s(self) -> float:
        """Seconds of audio handed to the consumer."""
        return self.audio_samples / SAMPLE_RATE

    def seg_codes_array(self) -> np.ndarray:
        """The current segment's codes int64 [frames, 16] (empty before its first frame)."""
        return np.stack(self.seg_codes) if self.seg_codes else np.zeros((0, 16), np.int64)

    def view(self, ready: bool) -> StreamView:
        """The stream as the policy sees it."""
        return StreamView(self.id, self.priority, self.submitted_at, self.first_audio, self.audio_s, ready, self.deadline)


class Scheduler:
    """Owns ``engine`` and a :class:`SlotPool`; steps all live streams in one thread."""

    def __init__(self, engine: Engine, config: SchedulerConfig | None = None, *, clock: Callable[[], float] = time.perf_counter):
        self.engine, self.config, self.clock = engine, config or SchedulerConfig(), clock
        self.name = engine.dir.name  # the ``engine`` label of its metrics (the server's model name)
        cfg = self.config
        capacity = min(cfg.capacity, engine.config.talker.lm.max_positions)
        per_slot = slot_bytes(engine, capacity)
        slots = max(1, min(cfg.max_streams, cfg.memory_mb * 2**20 // per_slot))
        self.pool = SlotPool(engine, slots, capacity, cfg.buckets or None)
        self.capacity, self.max_streams = capacity, slots
        if engine.device[0] != "cpu":
            log.warning("the slot pool lives in host memory: on %s every step copies the KV (device-resident pools come with the GPU work)", engine.device[0])
        log.info(
            "slot pool",
            extra={"slots": slots, "capacity": capacity, "slot_mb": round(per_slot / 2**20, 2), "pool_mb": round(self.pool.nbytes / 2**20, 1)},
        )
        self.eos = engine.config.talker.codec_ids["eos"]
        self._rows: list[_Live] = []  # slot -> stream (compact)
        self._queue: WaitingQueue[_Live] = WaitingQueue(cfg.max_waiting, cfg.aging_s)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._ids = itertools.count()
        self._submitted = 0  # requests submitted so far (the scheduler thread waits for a change or a model call's end)
        self._closing = False
        self.times = StepTimes()  # measured step and prefill costs (admission, row selection)
        self._totals: dict[str, dict[int, list[float]]] = {k: collections.defaultdict(lambda: [0, 0.0]) for k in ("step", "codec", "prefill")}
        self._overloaded_since: float | None = None
        self.limits = replace(cfg.limits, max_prompt_len=min(cfg.limits.max_prompt_len, capacity - 1))
        metrics.SLOTS_TOTAL.labels(self.name).set(slots)
        self._own = self._lane_sessions(engine, cfg)  # graph -> the scheduler thread's own session (CPU realtime lane)
        self._side = False  # the scheduler thread is working beside a call in the stepper thread
        background = (lambda: lower_priority({threading.get_native_id()}, cfg.background_nice)) if self._own else None
        self._stepper = ThreadPoolExecutor(1, thread_name_prefix="tts-step", initializer=background)  # runs the batched step (realtime lane)
        self.lane_admitted = 0  # requests admitted beside a running call (the lane)
        self._thread = threading.Thread(target=self._run, name="tts-scheduler", daemon=True)
        self._thread.start()

    def _lane_sessions(self, engine: Engine, cfg: SchedulerConfig) -> dict[str, ort.InferenceSession]:
        """On a CPU, second talker and codec sessions for the calls the scheduler thread makes
        itself (the realtime lane's), and a lower priority for the first sessions' pool threads
        (the stepper thread's calls), when the copies fit ``realtime_sessions_mb``; else none."""
        names = ("talker", "codec_decoder")
        size = engine.graph_bytes(names)
        if not cfg.realtime_lane or engine.device[0] != "cpu" or size > cfg.realtime_sessions_mb * 2**20:
            return {}
        sessions = engine.session_copies(names)
        lowered = lower_priority(set().union(*(engine.session_threads[n] for n in names)), cfg.background_nice)
        log.info("realtime lane sessions", extra={"copy_mb": round(size / 2**20, 1), "background_nice": cfg.background_nice, "threads_lowered": lowered})
        return sessions

    # ------------------------------------------------------------------ client API (any thread)
    def submit(self, job: Job, stream: AudioStream, *, priority: str = "standard", deadline: float | None = None) -> AudioStream:
        """Queue ``job``; its audio goes to ``stream``. ``priority``: realtime | standard | batch.
        ``deadline``: seconds from now by which the request must be done (it is refused now if its
        first audio cannot come before then, and ends with finish reason ``deadline`` when it
        passes). Raises InputError for a bad priority, RequestTooLarge for a request over the
        limits, OverloadError (with ``retry_after_s``) when the queue is full or the deadline cannot
        be met. Never blocks on the scheduler's work."""
        cls = Priority.parse(priority)
        now = self.clock()
        if not self._thread.is_alive():
            raise TTSError("the scheduler has stopped (see the log); create a new Synthesizer")
        stream.on_read = self._poke
        if job.text is not None:
            job.text.on_extend = self._poke
        with self._lock:
            live = _Live(job, stream.stats, stream.cancel_event, weakref.ref(stream), cls, None if deadline is None else now + deadline, str(next(self._ids)), now)
            ask = Admission(
                live.id, cls, now, job.text_chars, max(seg.prompt.shape[0] for seg in job.segments), job.max_frames, deadline=live.deadline
            )
            try:
                ttfa = check_admission(
                    ask, self._queue, now, len(self._rows), self.max_streams, self.times, self.limits,
                    first_frames=job.first_chunk or first_chunk_frames(len(self._rows), self.max_streams), shutting_down=self._closing,
                )
            except TTSError as e:
                metrics.REJECTIONS.labels(self.name, getattr(e, "reason", "invalid")).inc()
                raise
            self._queue.push(ask, live)
            self._submitted += 1
            stream.stats.info["predicted_ttfa_s"] = round(ttfa, 4)
            metrics.QUEUE_DEPTH.labels(self.name).set(len(self._queue))
            self._wake.notify_all()
        return stream

    def _poke(self) -> None:
        """Wake the loop: a paused consumer read, or streamed text arrived."""
        with self._lock:
            self._wake.notify_all()

    def close(self) -> None:
        """Stop accepting, cancel everything, stop the thread."""
        with self._lock:
            self._closing = True
            for s in self._everyone():
                s.cancel.set()
            self._wake.notify_all()
        self._thread.join(timeout=30)
        self._stepper.shutdown(wait=False)

    def _everyone(self) -> list[_Live]:
        return self._rows + [live for _, live in self._queue.ordered(self.clock())]

    def totals(self) -> dict[str, dict[int, tuple[int, float]]]:
        """Calls and seconds so far: ``step`` (talker) and ``codec`` by batch size, ``prefill``."""
        with self._lock:
            return {kind: {b: (int(n), s) for b, (n, s) in rows.items()} for kind, rows in self._totals.items()}

    def _count(self, kind: str, batch: int, seconds: float) -> None:
        with self._lock:
            row = self._totals[kind][batch]
            row[0] += 1
            row[1] += seconds

    @property
    def active(self) -> int:
        """Streams holding a slot."""
        return len(self._rows)

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        return len(self._queue)

    # ------------------------------------------------------------------ the loop (scheduler thread)
    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    while not self._rows and not len(self._queue) and not self._closing:
                        self._wake.wait()
                    if self._closing and not self._rows and not len(self._queue):
                        return
                    idle = not self._rows
                if idle and self.config.window_ms > 0:
                    time.sleep(self.config.window_ms / 1000)  # let near-simultaneous arrivals share this iteration
                try:
                    if not self._iteration():  # nothing could run (paused consumers, late text): wait for a poke
                        with self._lock:
                            self._wake.wait(0.05)
                except Exception as e:  # a failed model call must not hang its streams: end them with the error
                    log.exception("scheduler iteration failed")
                    self._finish_all(TTSError(f"synthesis failed: {e}"))
        finally:
            self._finish_all(TTSError("the scheduler stopped"))

    def _finish_all(self, error: TTSError) -> None:
        with self._lock:
            everyone = self._everyone()
        for s in everyone:
            try:
                self._finish(s, "error", error=error)
            except Exception:  # never leave the others' consumers waiting
                log.exception("could not end a stream")
                stream = s.stream()
                if stream is not None:
                    stream.end(error)

    def _fail(self, s: _Live, e: Exception) -> None:
        """A failure of one request's own work (its callback, its prompt): end that request only."""
        log.warning("request failed", extra={"request_id": s.job.request_id, "error": str(e)})
        self._finish(s, "error", error=e if isinstance(e, TTSError) else TTSError(f"synthesis failed: {e}"))

    def _iteration(self) -> bool:
        """One iteration; False when it did no model work."""
        now = self.clock()
        with self._lock:
            everyone = self._everyone()
        for s in everyone:
            reason = self._gone(s, now)
            if reason:
                self._finish(s, reason)
        self._shed(now)
        prefilled = self._admit()
        urgent: set[int] = set()  # arrivals admitted between and during model calls
        decoded, _ = self._decode_due(prefilled, urgent=urgent)  # newcomers' first audio does not wait for the batched step
        prefilled |= urgent
        stepped, batch, step_s = self._step(prefilled)
        n, codec_s = self._decode_due(urgent=urgent)
        decoded += n
        if stepped:  # what one frame of every stream costs: the talker step and the codec after it
            with self._lock:
                self.times.observe_step(batch, step_s + codec_s)
        prefilled |= urgent
        ended = [s for s in self._rows if s.seg_end is not None]
        for s in ended:
            self._end_segment(s)
        metrics.SLOTS_USED.labels(self.name).set(len(self._rows))
        metrics.QUEUE_DEPTH.labels(self.name).set(len(self._queue))
        return bool(prefilled or stepped or decoded or ended)

    def _gone(self, s: _Live, now: float) -> str | None:
        if s.cancel.is_set() or s.stream() is None:
            return "cancelled"
        if s.deadline is not None and now > s.deadline:
            return "deadline"
        return None

    def _shed(self, now: float) -> None:
        """Sustained overload: end lower-class streams (finish reason ``shed``) so that the streams
        about to underrun fit the frame budget again; the highest class present is never shed."""
        if not self.config.shed or not self._rows:
            return
        views = [s.view(self._ready(s)) for s in self._rows]
        policy = self.config.policy
        self._overloaded_since = policy.overload_since(self._overloaded_since, views, now, self.times)
        top = self._top_class()
        by_id = {s.id: s for s in self._rows}
        for sid in policy.shed(views, now, self.times, self._overloaded_since):
            s = by_id[sid]
            if s.priority < top:
                metrics.SHED.labels(self.name, s.priority.name.lower()).inc()
                self._finish(s, "shed")

    # ------------------------------------------------------------------ admission and prefill
    def _admit(self, *, only: Priority | None = None) -> set[int]:
        """Prefill streams starting a segment: continuing ones first (they hold a slot), then
        newcomers into free slots in policy order, within the prefill budget in positions and in
        predicted seconds (``only``: newcomers of that class and above, no continuing streams);
        newcomers below the highest class live are admitted only while the predicted iteration stays
        within the frame budget (at least one per iteration). The streams picked prefill together
        (:meth:`_prefill_runs`: one call for a burst of newcomers, not one each). Returns the ids
        of the streams prefilled."""
        budget, seconds = self.config.prefill_tokens, self.config.prefill_ms / 1000
        picked: list[_Live] = []
        continuing = [s for s in self._rows if s.needs_prefill] if only is None else []
        # while a higher class is live, lower-class newcomers get only what the frame budget leaves
        spare = self.config.policy.budget_s - self.times.predict_step(len(self._rows))
        for s in itertools.chain(continuing, iter(lambda: self._head(only), None)):
            prompt_len = _prompt_len(s)
            cost = self.times.predict_prefill(prompt_len)
            if picked and (prompt_len > budget or cost > seconds):
                break
            if s.slot is None:
                if len(self._rows) >= self.max_streams:
                    break
                if s.priority < self._top_class():
                    spare -= cost
                    if picked and spare < 0:
                        break
                with self._lock:
                    self._queue.remove(s.id)
                    self._insert(s)
                self._start_stream(s)
            budget, seconds = budget - prompt_len, seconds - cost
            picked.append(s)
        return self._prefill_runs(picked)

    def _head(self, only: Priority | None) -> _Live | None:
        """The first waiting request in policy order (of class ``only`` and above), if any."""
        with self._lock:
            return self._first_waiting(only)

    def _first_waiting(self, only: Priority | None) -> _Live | None:
        """:meth:`_head` for a caller that holds the lock."""
        return next((live for _, live in self._queue.ordered(self.clock()) if only is None or live.priority >= only), None)

    def _top_class(self) -> Priority:
        """The highest class among the live streams (``batch`` when none is live)."""
        return max((o.priority for o in self._rows), default=Priority.BATCH)

    def _insert(self, s: _Live) -> None:
        """Give newcomer ``s`` a slot, keeping rows ordered by class (highest first), so the rows a
        step leaves out under load (the lowest classes) sit at the end and are not bound at all.
        The first row of each later block moves to its block's end (usually at most 2 moves)."""
        rows = self._rows
        at = next((i for i, o in enumerate(rows) if o.priority < s.priority), len(rows))
        rows.append(s)  # placeholder at the end, replaced below when rows move
        self._open_row(at, len(rows) - 1)
        rows[at], s.slot = s, at

    def _open_row(self, at: int, free: int) -> None:
        """Free row ``at`` by shifting the class blocks in [at, free) up by one row into the free
        row ``free``: each block's first row moves to its end (one move per block)."""
        rows = self._rows
        heads = [i for i in range(at, free) if i == at or rows[i].priority != rows[i - 1].priority]
        for head in reversed(heads):
            self._move(head, free)
            free = head

    def _remove(self, s: _Live) -> None:
        """Free ``s``'s slot: the last row of its class block fills the hole, then the last row of
        each following block fills the hole its block left (at most 3 moves); rows stay compact
        and ordered by class."""
        rows, n = self._rows, len(self._rows)
        assert s.slot is not None and rows[s.slot] is s
        ends, j = [], s.slot
        while j < n:
            cls = s.priority if j == s.slot else rows[j].priority
            while j + 1 < n and rows[j + 1].priority == cls:
                j += 1
            ends.append(j)
            j += 1
        hole = s.slot
        for end in ends:
            if end != hole:
                self._move(end, hole)
            hole = end
        rows.pop()
        s.slot = None

    def _move(self, src: int, dst: int) -> None:
        """Row ``src``'s stream moves to slot ``dst`` (its KV and carried state with it)."""
        o = self._rows[src]
        self.pool.move(src, dst, o.position)
        self._rows[dst], o.slot = o, dst

    def _start_stream(self, s: _Live) -> None:
        job = s.job
        # the request's own choice, else by load as this stream sees it: the streams it cannot overtake (its class and
        # above) that came before it (a lane group's rows are all placed first; each counts only those before it)
        ahead = self._rows[: s.slot]
        s.first_frames = job.first_chunk or first_chunk_frames(sum(o.priority >= s.priority for o in ahead), self.max_streams)
        s.sampling = sampling_row(job.params, self.pool.vocab, self.pool.cp_vocab)
        s.stats.info.update(seed=job.seed, request_id=job.request_id, segments=[seg.text for seg in job.segments], first_chunk_frames=s.first_frames)
        metrics.QUEUE_WAIT.labels(self.name).observe(self.clock() - s.submitted_at)

    def _prefill(self, group: list[_Live], parity: int | None = None, *, beside: bool = False) -> None:
        """Prefill ``group`` (streams starting a segment, in consecutive slots, in slot order) in one
        call (:meth:`SlotPool.prefill`); each stream gets its segment's frame 0. ``beside``: the call
        runs in the stepper thread with the realtime lane open (:meth:`_lane`)."""
        for s in group:
            job, seg = s.job, s.job.segments[s.seg]
            remaining = job.max_frames - s.frames_total
            room = self.capacity - seg.prompt.shape[0]
            guarded = seg.budget is not None and seg.budget < remaining
            s.limit, s.limit_reason = (seg.budget, "frame_budget") if guarded else (remaining, "max_frames")  # type: ignore[assignment]
            if room < s.limit:  # the slot is shorter than this segment may run
                s.limit, s.limit_reason = room, "capacity"
            s.k, s.decoded, s.seg_end, s.needs_prefill = 0, 0, None, False
            s.pending, s.seg_codes = [], []
            s.codec = job.codec.copy()  # type: ignore[union-attr]
            s.joiner.begin()
        prompts = [s.job.segments[s.seg].prompt for s in group]
        args = (
            group[0].slot, prompts, [s.rng.random(16, dtype=np.float32) for s in group], [self._forced(s) for s in group],
            [s.sampling for s in group], parity,
        )
        t = self.clock()
        if not beside:
            self._prefilled(group, prompts, self.pool.prefill(*args, session=self._lane_session("talker")), t)  # type: ignore[arg-type]
            return
        running = self._run_in_stepper(self.pool.prefill, *args)  # the lane's arrivals prefill beside it, past every row
        lane = self._lane(running, self.pool.parity, above=max(s.priority for s in group))
        try:
            self._prefilled(group, prompts, running.result(), t)
        finally:  # the lane's streams move only once the group holds its positions
            self._settle(lane, self.pool.parity)

    def _prefilled(self, group: list[_Live], prompts: list[np.ndarray], codes: np.ndarray, t: float) -> None:
        """``group``'s prefill (started at ``t``) returned frame 0 of each stream (codes i64 [n, 16])."""
        dt = self.clock() - t
        with self._lock:
            self.times.observe_prefill(sum(p.shape[0] for p in prompts), dt)
        self._count("prefill", len(group), dt)
        metrics.PREFILL_SECONDS.labels(self.name).observe(dt)
        for s, prompt, row in zip(group, prompts, codes, strict=True):
            s.stats.generate_s += dt
            s.position = prompt.shape[0]
            self._frame(s, row)

    def _prefill_runs(self, streams: list[_Live]) -> set[int]:
        """Prefill ``streams`` in as few calls as their slots allow: one per run of consecutive slots
        (of equal prompt lengths where the graph lacks ``query_seqlens``), in slot order, so by
        class; a higher class hears its first audio before a lower one prefills (beside the realtime
        lane, whose streams may move rows: runs are taken one at a time). Returns the ids
        prefilled; a failing call ends its own streams only."""
        done: set[int] = set()
        left, top = list(streams), Priority.REALTIME
        while left:
            left.sort(key=lambda o: o.slot)  # type: ignore[arg-type,return-value]
            run = left[:1]
            for s in left[1:]:
                same_length = self.pool.has_query_seqlens or _prompt_len(run[-1]) == _prompt_len(s)
                if s.slot != run[-1].slot + 1 or not same_length:  # type: ignore[operator]
                    break
                run.append(s)
            del left[: len(run)]
            if done and run[0].priority < top:
                self._decode_due(done)  # no-op for streams already heard
            top = run[0].priority
            try:
                self._prefill(run, beside=self.config.realtime_lane and run[0].priority < Priority.REALTIME)
            except (TTSError, ValueError) as e:  # a request's prompt or callback
                for s in run:
                    self._fail(s, e)
                continue
            done |= {id(s) for s in run}
        return done

    def _forced(self, s: _Live) -> np.ndarray:
        f = s.job.forced_codes
        return f[s.k] if f is not None and s.k < len(f) else np.full(16, -1, np.int64)

    # ------------------------------------------------------------------ the batched step
    def _ready(self, s: _Live) -> bool:
        stream = s.stream()
        return stream is not None and stream.backlog < stream.max_buffered and s.text_vector(s.k) is not None

    def _step(self, prefilled: set[int]) -> tuple[int, int, float]:
        """The batched talker call over the slots up to the last stepping row (rows are ordered by
        class, so lower classes left out under load are not bound); returns (rows stepped, batch
        size bound, seconds)."""
        rows, now = [], self.clock()
        candidates = [s for s in self._rows if id(s) not in prefilled and not s.needs_prefill and s.seg_end is None and self._ready(s)]
        for s in self._select(candidates, now):
            text = s.text_vector(s.k)
            rows.append(RowStep(s.slot, s.k, s.position, text, s.rng.random(16, dtype=np.float32), self._forced(s), s.sampling))  # type: ignore[arg-type]
        if not rows:
            return 0, 0, 0.0
        n = max(r.slot for r in rows) + 1
        b, occupied, parity = self.pool.bucket(n), len(self._rows), self.pool.parity
        t = self.clock()
        running = self._run_in_stepper(self.pool.step, n, rows, occupied)
        lane = self._lane(running, parity) if self.config.realtime_lane and b <= occupied else []
        codes = running.result()
        dt = self.clock() - t
        self._count("step", b, dt)
        metrics.STEP_SECONDS.labels(self.name, str(b)).observe(dt)
        for r in rows:
            s = self._rows[r.slot]
            s.stats.generate_s += dt
            s.position += 1
            self._frame(s, codes[r.slot].copy())
        self._settle(lane, parity)
        return len(rows), b, dt

    def _lane(self, running: Future[np.ndarray], parity: int, *, above: Priority | None = None) -> list[tuple[_Live, Exception | None]]:
        """While a model call of other streams runs in the stepper thread (a step, or a prefill),
        admit arrivals of the lane's classes (:meth:`_lane_class`; beside a prefill of newcomers of
        class ``above``, only classes above it, and realtime always: the lane's calls take the cores
        from the stepper's, so a later arrival of the same class would delay the earlier ones) into
        the slots past every row (prefill into the parity that call reads; those arriving together in
        one call) and hand them their first audio at once, so they need not wait for other streams'
        work. Returns the streams admitted (with a deferred failure: nothing may move rows until the
        call is done; then :meth:`_settle`)."""
        admitted: list[tuple[_Live, Exception | None]] = []
        least = Priority.BATCH if above is None else Priority(min(above + 1, Priority.REALTIME))
        self._while_running(running, lambda: admitted.extend(self._lane_admit(parity, least)))
        return admitted

    def _lane_admit(self, parity: int, least: Priority) -> list[tuple[_Live, Exception | None]]:
        """:meth:`_lane`'s admission: every request waiting of the lane's classes and of class
        ``least`` or above, prefilled in one call and their first frame decoded (a failure is
        deferred with them)."""
        group: list[_Live] = []
        with self._lock:
            while len(self._rows) < self.max_streams and (s := self._first_waiting(max(least, self._lane_class()))) is not None:
                self._queue.remove(s.id)
                s.slot = len(self._rows)
                self._rows.append(s)
                group.append(s)
        if not group:
            return []
        self.lane_admitted += len(group)
        error: Exception | None = None
        try:
            for s in group:
                self._start_stream(s)
            self._prefill(group, parity)
            self._decode_due({id(s) for s in group})
        except (TTSError, ValueError) as e:
            error = e
        return [(s, error) for s in group]

    def _lane_class(self) -> Priority:
        """The lowest class the lane admits: arrivals of the highest live class or above (as between
        codec calls, :meth:`_admit_now`), but never ``batch``, whose time to first audio is not at
        stake: beside batch load a realtime arrival never waits behind batch work in the lane."""
        return max(self._top_class(), Priority.STANDARD)

    def _while_running(self, running: Future[np.ndarray], work: Callable[[], object]) -> None:
        """Until the stepper thread's call ``running`` ends, run ``work`` at once and again whenever
        requests arrive; its model calls use the lane's sessions (:meth:`_lane_session`)."""
        seen = -1
        while not running.done():
            seen = self._await(running, seen)
            self._side = True
            try:
                work()
            finally:
                self._side = False

    def _lane_session(self, graph: str) -> ort.InferenceSession | None:
        """The lane's own session of ``graph`` for a call beside a running one (None: the engine's;
        with nothing beside it the engine's sessions, whose weights the steps keep in cache, are faster)."""
        return self._own.get(graph) if self._side else None

    def _settle(self, lane: list[tuple[_Live, Exception | None]], parity: int) -> None:
        """After the call: the lane's streams keep their carried state across a parity flip and move
        to their class position, the last row first (the others stay at the end meanwhile); a
        deferred failure ends its stream."""
        mine = {id(s) for s, _ in lane}
        for s, _ in lane:
            self.pool.carry(s.slot, parity)  # type: ignore[arg-type]
        while mine and id(self._rows[-1]) in mine:
            s = self._rows[-1]
            mine.discard(id(s))
            self._place(s)
            if s.slot == len(self._rows) - 1:  # no room to move: the rest stay at the end too
                break
        for s, error in lane:
            if error is not None:
                self._fail(s, error)

    def _run_in_stepper(self, fn: Callable[..., np.ndarray], *args: object) -> Future[np.ndarray]:
        """``fn(*args)`` in the stepper thread; its end wakes the scheduler thread (:meth:`_await`)."""
        running = self._stepper.submit(fn, *args)
        running.add_done_callback(lambda _: self._poke())  # not under the lock: it runs here if already done
        return running

    def _await(self, running: Future[np.ndarray], seen: int) -> int:
        """Sleep until ``running`` is done or more than ``seen`` requests were submitted; returns the
        count submitted (pass -1 first: no wait)."""
        with self._lock:
            while not running.done() and self._submitted == seen:
                self._wake.wait()
            return self._submitted

    def _place(self, s: _Live) -> None:
        """Move ``s`` from the last slot to its class position through the spare slot after it
        (lower class blocks shift by one row). With no spare slot it stays last: the order by class
        only decides which rows a step can leave unbound; compaction does not depend on it."""
        rows, last = self._rows, s.slot
        assert last == len(rows) - 1
        at = next((i for i, o in enumerate(rows[:last]) if o.priority < s.priority), last)
        if at == last or len(rows) >= self.max_streams:
            return
        rows.append(s)
        self._move(last, last + 1)  # to the spare slot
        self._open_row(at, last)
        self._move(last + 1, at)
        rows.pop()

    def _select(self, candidates: list[_Live], now: float) -> list[_Live]:
        """All ready streams, unless the predicted step exceeds the frame budget: then the policy
        lets streams with seconds of audio buffered (lowest class first) sit this step out."""
        if len(candidates) <= 1:
            return candidates
        run, skipped = self.config.policy.select_rows([s.view(True) for s in candidates], now, self.times)
        if skipped:
            metrics.SKIPPED_ROWS.labels(self.name).inc(len(skipped))
        keep = set(run)
        return [s for s in candidates if s.id in keep]

    def _frame(self, s: _Live, codes: np.ndarray) -> None:
        """A frame from the talker for stream ``s`` (codes i64 [16])."""
        if s.job.capture:
            s.stats.info.setdefault("capture", {"talker_logits": [], "cp_logits": []})["talker_logits"].append(self.pool.out["logits"][s.slot].copy())
        if codes[0] == self.eos:
            s.seg_end = "eos"
            return
        if s.job.capture:
            s.stats.info["capture"]["cp_logits"].append(self.pool.out["cp_logits"][s.slot].copy())
        if s.job.on_frame is not None:
            try:
                s.job.on_frame(s.frames_total, codes)
            except Exception as e:  # the caller's callback: ends only its own request
                s.seg_end = "error"
                s.stats.info["callback_error"] = e
                return
        s.k += 1
        s.frames_total += 1
        s.stats.frames += 1
        s.pending.append(codes)
        s.seg_codes.append(codes)
        if s.k >= s.limit:
            s.seg_end = s.limit_reason

    # ------------------------------------------------------------------ codec and delivery
    def _due(self, s: _Live) -> bool:
        if not s.pending:
            return False
        if s.seg_end is not None:
            return True
        job = s.job
        if s.decoded < job.first_frames:
            return True
        if job.decode_frames is None:
            return False
        group = codec_group(s.decoded, job.decode_frames)
        if s.seg == 0 and job.first_chunk and s.decoded < job.first_chunk:  # the request's own first chunk ends a call
            group = min(group, job.first_chunk - s.decoded)
        return len(s.pending) >= group

    def _decode_due(self, only: set[int] | None = None, *, urgent: set[int] | None = None) -> tuple[int, float]:
        """Decode the due frames of every stream (of those in ``only``): batched calls of at most
        ``codec_rows`` streams with the same frame count (usually every stream's new frame). With
        ``urgent`` (a set to fill), each call runs in the stepper thread while newcomers of the highest
        live class are admitted and their first audio decoded (also those waiting before a call), so
        they never wait for a codec call. Returns
        (streams decoded, seconds in the codec for the due streams)."""
        due = [s for s in self._rows if (only is None or id(s) in only) and self._due(s)]
        groups: dict[int, list[_Live]] = collections.defaultdict(list)
        for s in due:
            groups[len(s.pending)].append(s)
        rows = self.config.codec_rows
        calls = [g[i : i + rows] for g in groups.values() for i in range(0, len(g), rows)]
        spent = 0.0
        for group in calls:
            if urgent is not None:  # arrivals of any class since the last call: first audio now, not after the iteration
                self._admit_now(urgent)
            t = self.clock()
            args = ([s.codec for s in group], np.stack([np.stack(s.pending) for s in group]))
            if urgent is None:
                pcm = CodecStream.push_batch(*args, session=self._lane_session("codec_decoder"))  # type: ignore[arg-type]
            else:  # the call runs in the stepper thread; arrivals are admitted meanwhile (the codec never touches the pool)
                running = self._run_in_stepper(CodecStream.push_batch, *args)
                self._while_running(running, lambda: self._admit_now(urgent))
                pcm = running.result()
            dt = self.clock() - t
            spent += dt
            metrics.CODEC_SECONDS.labels(self.name, str(len(group))).observe(dt)
            self._count("codec", len(group), dt)
            for s, row in zip(group, pcm, strict=True):
                s.stats.decode_s += dt
                self._decoded(s, row)
        return len(due), spent

    def _admit_now(self, urgent: set[int]) -> None:
        """Admit waiting newcomers of the highest live class (or above; of the highest waiting class
        alone when it is above every live one) before and during the codec calls of an iteration,
        decode their first frame and add their ids to ``urgent`` (they sit out this iteration's
        step). Lower classes wait for the iteration's admission point, where the frame budget
        decides."""
        with self._lock:
            head = self._first_waiting(None)
        if head is None:
            return
        new = self._admit(only=max(self._top_class(), head.priority))  # a higher class waiting: it alone
        urgent |= new
        self._decode_due(new)

    def _decoded(self, s: _Live, pcm: np.ndarray) -> None:
        """``s``'s pending frames came back from the codec as ``pcm``: to the joiner and the consumer
        (an ICL voice's whole-segment decode under reference chunking keeps the official trim)."""
        n = len(s.pending)
        whole = n == s.k
        s.decoded += n
        s.pending = []
        tail = s.job.ref_tail
        if tail is not None and s.job.reference_chunking and s.seg_end is not None and whole:
            extra = icl_extra(len(s.job.voice.ref_codes), n)  # type: ignore[union-attr]
            pcm = np.concatenate([tail[len(tail) - extra :], pcm])
        self._deliver(s, s.joiner.push(pcm))

    def _deliver(self, s: _Live, pcm: np.ndarray, *, last: bool = False) -> None:
        """PCM of ``s`` to its consumer, in chunks; the first chunk waits for ``first_frames`` frames."""
        if s.chunker is not None:
            pieces = s.chunker.push(pcm) + (s.chunker.flush() if last else [])
        else:
            pieces = [pcm] if len(pcm) else []
        if s.first_audio is None:
            s.held += pieces
            if not s.held or (sum(map(len, s.held)) < s.first_frames * SAMPLES_PER_FRAME and not last):
                return
            pieces, s.held = s.held, []
            s.first_audio = self.clock()
            metrics.TTFA_SCHEDULED.labels(self.name).observe(s.first_audio - s.submitted_at)
        elif pieces:
            late = self.clock() - (s.first_audio + s.audio_s)
            if late > 0:  # a real-time player started at the first chunk has run dry: it waits, then resumes
                metrics.UNDERRUN_SECONDS.labels(self.name).inc(late)
                s.first_audio += late
                s.underrun_s = max(s.underrun_s, late)
        stream = s.stream()
        if stream is None:
            return
        for p in pieces:
            s.audio_samples += len(p)
            stream.put(p)

    def _end_segment(self, s: _Live) -> None:
        reason = s.seg_end
        if reason == "error":  # the request's own callback failed
            self._fail(s, s.stats.info.pop("callback_error"))
            return
        s.stats.finish_reasons.append(reason)  # type: ignore[arg-type]
        s.stats.codes.append(s.seg_codes_array())
        s.seg_end, s.seg_codes = None, []
        last = s.seg == len(s.job.segments) - 1 or s.frames_total >= s.job.max_frames
        tail = s.joiner.end(0 if last else s.job.segments[s.seg].pause)
        s.stats.join_samples += len(tail)
        self._deliver(s, tail, last=last)
        if last:
            self._finish(s, None)
        else:
            s.seg += 1
            s.needs_prefill = True

    def _finish(self, s: _Live, reason: str | None, *, error: BaseException | None = None) -> None:
        """End ``s`` (``reason`` appended as its last segment's finish reason unless None) and free its slot."""
        if s.ended:
            return
        s.ended = True
        if reason is not None:  # one codes array per finish reason, empty when nothing was made
            s.stats.finish_reasons.append(reason)
            s.stats.codes.append(s.seg_codes_array())
        with self._lock:
            if s.slot is None:
                self._queue.remove(s.id)
            else:
                self._remove(s)
            self.times.observe_finish(s.frames_total)
        metrics.FINISHED.labels(self.name, reason or s.stats.finish_reason).inc()
        if s.first_audio is not None:
            metrics.CONTINUITY.labels(self.name, str(s.underrun_s * 1000 <= CONTINUITY_MS).lower()).inc()
        s.stats.info["underrun_s"] = s.underrun_s
        stream = s.stream()
        if stream is not None:
            stream.end(error)

