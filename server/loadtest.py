"""Load harness for a running ``tts-run serve`` (``tts-run loadtest``): a client only, it never imports the app.

Per concurrency C (closed loop): C clients in one asyncio loop, each sending its next request as soon
as the previous one ended, for ``duration_s`` seconds or until ``requests_max`` requests were sent,
whichever comes first (a request already sent runs to its end, at most ``timeout_s``). Client i sends
seed i, so a run repeats request for request.

- ``http``: streaming ``POST /v1/audio/speech`` with ``response_format=pcm`` (24 kHz s16le, chunked);
  TTFA = request sent -> first audio sample received.
- ``ws``: the native socket ``/v1/audio/speech/stream``, one session per client (reopened after an
  error); each request is an utterance: ``input.text`` pieces (one per word) then ``input.done``, the
  server answers ``audio.start``, binary PCM s16le frames, ``audio.done`` (its sample count must match
  the bytes received); TTFA = first piece sent -> first audio sample received. An ``error`` event of
  type rate_limit_error counts as 429, a server_error other than internal_error as 503.

Per request the statistics of runtime/loadstats.py (TTFA, RTF, worst underrun of a real-time player
started at the first chunk); per level its summary (``ttfa_ms`` p50/p95/p99, ``rtf``, ``continuity``,
``audio_s_per_s``), ``errors`` by kind (an HTTP status such as "429" or "503", "timeout",
"transport:<exception>", "ws:<code>", "empty"), ``refused`` (429 and 503: the client waits for the
Retry-After, at most ``REFUSED_WAIT_MAX_S``, before its next request) and ``failed`` (every other
error), ``audio_bytes``, and the server's finish reasons from /metrics when it exposes them.
Only loopback targets unless ``allow_remote``: a load tool should not hammer a server by accident.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import itertools
import json
import re
import socket
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from qtts.runtime.bench import TEXT
from qtts.runtime.errors import InputError, TTSError
from qtts.runtime.loadstats import ceilings, compare_to_c1, request_stats, summarize

PCM_RATE = 24000  # OpenAI's response_format "pcm": 24 kHz, 16-bit little-endian, mono, no header
REFUSED_WAIT_MAX_S = 5.0  # longest pause of a refused client before its next request
MODES = ("http", "ws")


class TargetError(TTSError):
    """The server cannot be load-tested: unreachable, or not ready in time."""


@dataclass(frozen=True)
class LoadConfig:
    """One run: the target, the levels and the request every client repeats."""

    url: str  # base URL, e.g. http://127.0.0.1:8080
    concurrency: tuple[int, ...] = (1, 2, 4, 8, 16)
    duration_s: float = 30.0  # per level
    requests_max: int | None = None  # per level; None: 20 per client, at least 100 (a p95 needs the samples)
    mode: str = "http"
    api_key: str | None = None
    text: str = TEXT
    model: str = "tts-1"
    voice: str = "alloy"
    max_new_tokens: int | None = None  # frames per request (80 ms each); None: the server's default
    timeout_s: float = 60.0  # per request
    wait_ready_s: float = 60.0  # how long to wait for /ready before the first level
    allow_remote: bool = False

    def check(self) -> None:
        """InputError for settings out of range or a non-loopback target without ``allow_remote``."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"--url: expected http(s)://host[:port], got {self.url!r}")
        if self.mode not in MODES:
            raise InputError(f"--mode: expected one of {', '.join(MODES)}, got {self.mode!r}")
        if not self.concurrency or min(self.concurrency) < 1 or max(self.concurrency) > 256:
            raise InputError("--concurrency levels must be in 1..256")
        if not 0 < self.duration_s <= 3600:
            raise InputError("--duration must be in (0, 3600] seconds")
        if self.requests_max is not None and not 1 <= self.requests_max <= 100_000:
            raise InputError("--requests-max must be in 1..100000")
        if not 0 < self.timeout_s <= 3600:
            raise InputError("--timeout must be in (0, 3600] seconds")
        if not self.text.strip():
            raise InputError("--text is empty")
        if not self.allow_remote and not is_loopback(parts.hostname):
            raise InputError(f"{parts.hostname!r} is not a loopback address; pass --allow-remote to load a remote server")


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address (unresolvable: False)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(info[4][0].partition("%")[0]).is_loopback for info in infos)


class Budget:
    """A level's shared request budget: ``requests`` requests, until ``seconds`` from now."""

    def __init__(self, requests: int, seconds: float):
        self.left_requests, self.end = requests, time.monotonic() + seconds

    def left_s(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def take(self) -> bool:
        """Whether a client may send another request (and count it)."""
        if self.left_requests <= 0 or not self.left_s():
            return False
        self.left_requests -= 1
        return True

    async def pause(self, retry_after_s: float) -> None:
        """A refused client's wait: the server's hint, capped by REFUSED_WAIT_MAX_S and the time left."""
        await asyncio.sleep(min(retry_after_s, REFUSED_WAIT_MAX_S, self.left_s()))


# ---------------------------------------------------------------------------------------- results
def _failure(kind: str, message: str) -> dict[str, Any]:
    return {"failed": True, "error": kind, "message": message[:300]}


def _refusal(status: int, retry_after: str | None, message: str) -> dict[str, Any]:
    """A non-200 answer: 429 and 503 are refusals (with the Retry-After hint), others failures."""
    if status not in (429, 503):
        return _failure(str(status), message)
    try:
        wait = float(retry_after) if retry_after else 1.0
    except ValueError:
        wait = 1.0
    return {"refused": True, "error": str(status), "retry_after_s": wait, "message": message[:300]}


def _streamed(arrivals: list[float], sizes: list[int], sample_rate: int) -> dict[str, Any]:
    """A finished stream from its pieces' arrival times (s) and sizes (bytes of s16le PCM)."""
    total = sum(sizes)
    if total == 0:
        return _failure("empty", "the stream ended without audio")
    if total % 2:
        return _failure("odd_length", f"{total} bytes of 16-bit PCM")
    times, samples, prev = [], [], 0
    for t, n in zip(arrivals, itertools.accumulate(sizes), strict=True):
        if n // 2 > prev:  # a piece may end inside a sample: the samples it completes
            times.append(t)
            samples.append(n // 2 - prev)
            prev = n // 2
    return request_stats(times, samples, sample_rate) | {"bytes": total}


def _fields(cfg: LoadConfig, i: int) -> dict[str, Any]:
    """The request fields client ``i`` sends (seed ``i``: a run repeats request for request)."""
    fields = {"model": cfg.model, "voice": cfg.voice, "seed": i}
    return fields | ({"max_new_tokens": cfg.max_new_tokens} if cfg.max_new_tokens is not None else {})


# ---------------------------------------------------------------------------------------- http
async def _http_request(http: httpx.AsyncClient, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    arrivals, sizes = [], []
    try:
        async with asyncio.timeout(timeout_s), http.stream("POST", "/v1/audio/speech", json=body) as resp:
            if resp.status_code != 200:
                await resp.aread()
                return _refusal(resp.status_code, resp.headers.get("retry-after"), resp.text)
            async for data in resp.aiter_raw():
                arrivals.append(time.perf_counter() - t0)
                sizes.append(len(data))
    except TimeoutError:
        return _failure("timeout", f"not finished within {timeout_s} s")
    except httpx.HTTPError as e:
        return _failure(f"transport:{type(e).__name__}", str(e))
    return _streamed(arrivals, sizes, PCM_RATE)


async def _http_client(cfg: LoadConfig, http: httpx.AsyncClient, budget: Budget, results: list[dict[str, Any]], i: int) -> None:
    body = _fields(cfg, i) | {"input": cfg.text, "response_format": "pcm"}
    while budget.take():
        r = await _http_request(http, body, cfg.timeout_s)
        results.append(r)
        if "refused" in r:
            await budget.pause(r["retry_after_s"])


# ---------------------------------------------------------------------------------------- websocket
def ws_url(url: str) -> str:
    """The native socket's URL on the server at ``url`` (http -> ws, https -> wss)."""
    parts = urlsplit(url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}{parts.path.rstrip('/')}/v1/audio/speech/stream"


async def _ws_open(cfg: LoadConfig, i: int) -> ClientConnection | dict[str, Any]:
    """An open, configured session, or the refusal/failure that prevented it."""
    headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else None
    try:
        ws = await connect(ws_url(cfg.url), additional_headers=headers, open_timeout=cfg.timeout_s, proxy=None, compression=None)
    except InvalidStatus as e:
        return _refusal(e.response.status_code, e.response.headers.get("Retry-After"), e.response.body.decode("utf-8", "replace") if e.response.body else "")
    except (OSError, TimeoutError, WebSocketException) as e:
        return _failure(f"transport:{type(e).__name__}", str(e))
    try:
        await ws.send(json.dumps({"type": "session.config"} | _fields(cfg, i)))
    except WebSocketException as e:
        await ws.close()
        return _failure(f"transport:{type(e).__name__}", str(e))
    return ws


def _ws_error(event: dict[str, Any]) -> dict[str, Any]:
    """A server ``error`` event (OpenAI's error body, no status): its ``type`` tells a key over its
    limit (rate_limit_error: counted as 429) and a refusal for load (server_error other than an
    internal error: counted as 503) from a failure."""
    err = event.get("error") if isinstance(event.get("error"), dict) else {}
    code, message = err.get("code") or "error", str(err.get("message", event))
    if err.get("type") == "rate_limit_error":
        return _refusal(429, None, message)
    if err.get("type") == "server_error" and code != "internal_error":
        return _refusal(503, None, message)
    return _failure(f"ws:{code}", message)


async def _ws_utterance(ws: ClientConnection, text: str, timeout_s: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    arrivals, sizes, rate = [], [], PCM_RATE
    try:
        async with asyncio.timeout(timeout_s):
            for piece in re.findall(r"\S+\s*", text):
                await ws.send(json.dumps({"type": "input.text", "text": piece}))
            await ws.send(json.dumps({"type": "input.done"}))
            async for message in ws:
                if isinstance(message, bytes):
                    arrivals.append(time.perf_counter() - t0)
                    sizes.append(len(message))
                    continue
                event = json.loads(message)
                kind = event.get("type")
                if kind == "audio.start":
                    rate = int(event.get("sample_rate") or rate)
                elif kind == "error":
                    return _ws_error(event)
                elif kind == "audio.done":
                    if "samples" in event and event["samples"] * 2 != sum(sizes):
                        return _failure("ws:samples_mismatch", f"audio.done counts {event['samples']} samples, {sum(sizes)} bytes arrived")
                    return _streamed(arrivals, sizes, rate)
    except TimeoutError:
        return _failure("timeout", f"not finished within {timeout_s} s")
    except WebSocketException as e:
        return _failure(f"transport:{type(e).__name__}", str(e))
    return _failure("transport:closed", "the server closed the session before audio.done")


async def _ws_client(cfg: LoadConfig, _: httpx.AsyncClient, budget: Budget, results: list[dict[str, Any]], i: int) -> None:
    ws: ClientConnection | None = None
    try:
        while budget.take():
            if ws is None:
                opened = await _ws_open(cfg, i)
                if isinstance(opened, dict):  # the handshake was refused or failed: that request is counted
                    results.append(opened)
                    if "refused" in opened:
                        await budget.pause(opened["retry_after_s"])
                    continue
                ws = opened
            r = await _ws_utterance(ws, cfg.text, cfg.timeout_s)
            results.append(r)
            if "ttfa_s" not in r:  # a session that saw an error starts afresh
                await ws.close()
                ws = None
                if "refused" in r:
                    await budget.pause(r["retry_after_s"])
    finally:
        if ws is not None:
            await ws.close()


# ---------------------------------------------------------------------------------------- run
async def _finish_reasons(http: httpx.AsyncClient) -> collections.Counter[str] | None:
    """The server's scheduler finish reasons so far (from /metrics), or None when it does not expose them."""
    try:
        resp = await http.get("/metrics")
    except httpx.HTTPError:
        return None
    if resp.status_code != 200:
        return None
    out: collections.Counter[str] = collections.Counter()
    try:
        for family in text_string_to_metric_families(resp.text):
            if family.name == "qtts_scheduler_finished":
                for s in family.samples:
                    if s.name.endswith("_total"):
                        out[s.labels.get("reason", "")] += int(s.value)
    except ValueError:  # not Prometheus text
        return None
    return out


async def _wait_ready(http: httpx.AsyncClient, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    last = ""
    while True:
        try:
            resp = await http.get("/ready")
            if resp.status_code == 200:
                return
            last = f"/ready answered {resp.status_code}"
        except httpx.HTTPError as e:
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise TargetError(f"{http.base_url} is not ready after {seconds:g} s ({last})")
        await asyncio.sleep(0.2)


async def _level(cfg: LoadConfig, http: httpx.AsyncClient, c: int) -> dict[str, Any]:
    before = await _finish_reasons(http)
    budget = Budget(cfg.requests_max or max(20 * c, 100), cfg.duration_s)
    results: list[dict[str, Any]] = []
    client = _http_client if cfg.mode == "http" else _ws_client
    t0 = time.perf_counter()
    await asyncio.gather(*(client(cfg, http, budget, results, i) for i in range(c)))
    wall = time.perf_counter() - t0
    errors = collections.Counter(r["error"] for r in results if "error" in r)
    level = {"concurrency": c} | summarize(results, wall) | {
        "errors": dict(sorted(errors.items())),
        "error_messages": sorted({r["message"] for r in results if r.get("message")})[:5],
        "audio_bytes": sum(r.get("bytes", 0) for r in results),
    }
    if before is not None:
        streamed = sum("ttfa_s" in r for r in results)
        deadline = time.monotonic() + 2.0  # the scheduler counts a finish at the end of its iteration
        while (after := await _finish_reasons(http)) is not None and sum((after - before).values()) < streamed and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if after is not None:
            level["server_finish_reasons"] = dict(sorted((after - before).items()))
    return level


async def _run(cfg: LoadConfig) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}
    limits = httpx.Limits(max_connections=max(cfg.concurrency) + 1, max_keepalive_connections=max(cfg.concurrency) + 1)
    async with httpx.AsyncClient(base_url=cfg.url, headers=headers, timeout=cfg.timeout_s, limits=limits, trust_env=False) as http:
        await _wait_ready(http, cfg.wait_ready_s)
        levels = [await _level(cfg, http, c) for c in cfg.concurrency]
    compare_to_c1(levels)
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("api_key", "concurrency")}
    return settings | {"sample_rate": PCM_RATE, "levels": levels, "ceilings": ceilings(levels)}


def run(cfg: LoadConfig) -> dict[str, Any]:
    """Every level of ``cfg`` in turn (module docstring) -> JSON-able report (the key is never in it)."""
    cfg.check()
    return asyncio.run(_run(cfg))
