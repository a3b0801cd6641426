"""Build the server's state from settings and run it on uvicorn with a graceful drain.

Drain (SIGTERM or SIGINT): /ready turns 503 and new requests get 503 + Retry-After while the server
keeps listening (a load balancer sees the state instead of refused connections); running streams
get ``drain_grace_s`` to finish, then the ones left are cancelled; then uvicorn shuts down and the
process exits 0. A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from runtime.settings import RuntimeSettings, ServerSettings
from runtime.synthesizer import Synthesizer
from server.app import ServerState, create_app
from server.auth import KeyRing
from server.engines import Models

if TYPE_CHECKING:
    from normalize import Normalizer

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
    # one thread per stream that can be live or waiting (each blocks on its next chunk), plus spare
    workers = len(synths) * (sched.max_streams + sched.max_waiting) + 8
    return ServerState(settings, models, keys, ThreadPoolExecutor(workers, thread_name_prefix="tts-http"))


class DrainingServer(uvicorn.Server):
    """uvicorn whose first exit signal starts a drain instead of closing the listeners."""

    def __init__(self, config: uvicorn.Config, state: ServerState):
        super().__init__(config)
        self.state = state
        self._drain: asyncio.Task[None] | None = None

    def handle_exit(self, sig: int, frame: object) -> None:  # signal handler: only set flags
        if self.state.draining or not self.started:
            self.should_exit = True
        else:
            self.state.draining = True

    async def on_tick(self, counter: int) -> bool:
        if self.state.draining and self._drain is None:
            self._drain = asyncio.create_task(self.drain())
        return await super().on_tick(counter)

    async def drain(self) -> None:
        """Let running requests finish within the grace period, cancel what is left, then exit."""
        grace = self.state.settings.server.drain_grace_s
        log.warning("draining", extra={"in_flight": self.state.in_flight, "grace_s": grace})
        if not await self._wait_idle(grace):
            log.warning("drain grace period over: cancelling streams", extra={"streams": len(self.state.streams)})
            for syn in list(self.state.streams):
                syn.stream.cancel()
            await self._wait_idle(5.0)
        self.should_exit = True

    async def _wait_idle(self, seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.state.in_flight and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return not self.state.in_flight


def run(state: ServerState) -> None:
    """Serve until drained (returns normally: exit status 0)."""
    s = state.settings.server
    config = uvicorn.Config(
        create_app(state), host=s.host, port=s.port, log_config=None, access_log=False, timeout_graceful_shutdown=5,
        ssl_certfile=s.tls_cert or None, ssl_keyfile=s.tls_key or None, lifespan="on",
    )
    DrainingServer(config, state).run()
