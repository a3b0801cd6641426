"""Build the server's state from settings and serve it on hypercorn with a graceful drain.

Hypercorn serves HTTP/1.1 and HTTP/2 on the same port: h2c by prior knowledge or ``Upgrade: h2c``
on plain TCP, and ALPN ``h2``/``http/1.1`` with TLS (``tls_cert``/``tls_key``); WebSockets over
both. Drain (SIGTERM or SIGINT): /ready turns 503 and new requests get 503 + Retry-After while the
server keeps listening (a load balancer sees the state instead of refused connections); running
streams get ``drain_grace_s`` to finish, then the ones left are cancelled; then the listeners close
and the process exits 0. A second signal cancels the running streams and stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from hypercorn.asyncio import serve
from hypercorn.config import Config

from qtts.runtime.settings import RuntimeSettings, ServerSection, ServerSettings
from qtts.runtime.synthesizer import Synthesizer
from qtts.server.app import ServerState, create_app
from qtts.server.auth import KeyRing
from qtts.server.engines import Models
from qtts.server.listeners import with_listeners

if TYPE_CHECKING:
    from qtts.normalize import Normalizer

log = logging.getLogger("qtts.server")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def build_state(
    engine_dirs: Iterable[str | Path], runtime: RuntimeSettings, settings: ServerSettings, api_keys: Iterable[str], normalizer: Normalizer
) -> ServerState:
    """Load every engine (the first is the default model) and the keys; TTSError on bad input."""
    r, sched = runtime.runtime, runtime.scheduler
    keys = KeyRing.build(api_keys, settings.server.keys_file or None, settings.server)
    synths = []
    for d in engine_dirs:
        s = Synthesizer.from_engines(
            d, provider=r.provider, threads=r.threads or None, device_id=r.device_id, gpu_mem_limit_mb=r.gpu_mem_limit_mb,
            tokenizer_regex=r.tokenizer_regex, normalizer=normalizer, scheduler=sched,
        )
        s.default_max_frames = r.max_frames
        synths.append(s)
    models = Models(
        synths, settings.voices, settings.server.voices_dir or r.voices_dir, per_key=not keys.open,
        max_upload_bytes=int(settings.server.max_upload_mb * 1e6),
    )
    if keys.open:
        where = "" if settings.server.host in LOOPBACK else f" and listening on {settings.server.host}"
        log.warning(f"no API key configured: the server is open to every caller{where}")
    # streams wait for audio on the event loop; a close blocks its thread for up to one step, so one
    # thread per stream that can be live or waiting (all may end at once), plus spare for plans
    workers = len(synths) * (sched.max_streams + sched.max_waiting) + 8
    return ServerState(settings, models, keys, ThreadPoolExecutor(workers, thread_name_prefix="tts-http"))


async def drain_on_signal(state: ServerState) -> None:
    """Hypercorn's shutdown trigger: returns when the server should close its listeners and stop.

    The first SIGTERM/SIGINT starts the drain; it returns once nothing is in flight (streams left
    after ``drain_grace_s`` are cancelled first). A second signal cancels every stream and returns."""
    loop = asyncio.get_running_loop()
    signals: asyncio.Queue[int] = asyncio.Queue()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, signals.put_nowait, sig)
    await signals.get()
    state.draining = True
    drain, again = asyncio.ensure_future(_drain(state)), asyncio.ensure_future(signals.get())
    await asyncio.wait((drain, again), return_when=asyncio.FIRST_COMPLETED)
    if again.done():
        log.warning("second signal: stopping now", extra={"streams": len(state.streams)})
        drain.cancel()
        _cancel_streams(state)
    again.cancel()


async def _drain(state: ServerState) -> None:
    """Let running requests finish within the grace period, then cancel what is left."""
    grace = state.settings.server.drain_grace_s
    log.warning("draining", extra={"in_flight": state.in_flight, "grace_s": grace})
    if not await _wait_idle(state, grace):
        log.warning("drain grace period over: cancelling streams", extra={"streams": len(state.streams)})
        _cancel_streams(state)
        await _wait_idle(state, 5.0)


def _cancel_streams(state: ServerState) -> None:
    for syn in list(state.streams):
        syn.stream.cancel()


async def _wait_idle(state: ServerState, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while state.in_flight and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return not state.in_flight


def hypercorn_config(s: ServerSection) -> Config:
    """Listen address, TLS (ALPN h2 + http/1.1) and logging of ``[server]`` as hypercorn's Config."""
    config = Config()
    config.bind = [f"[{s.host}]:{s.port}" if ":" in s.host else f"{s.host}:{s.port}"]
    config.certfile, config.keyfile = s.tls_cert or None, s.tls_key or None
    config.accesslog, config.errorlog = None, logging.getLogger("hypercorn.error")  # the app logs each request
    config.graceful_timeout = 5.0  # after the drain: for connections still closing
    return config


def run(state: ServerState) -> None:
    """Serve until drained (returns normally: exit status 0)."""
    http = serve(create_app(state), hypercorn_config(state.settings.server), shutdown_trigger=lambda: drain_on_signal(state))
    asyncio.run(with_listeners(state, http))  # + gRPC and Wyoming when their ports are set (server/listeners.py)
