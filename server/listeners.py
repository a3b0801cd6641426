"""The listeners beside HTTP: Riva-compatible gRPC (``grpc_port``) and Wyoming (``wyoming_port``),
on the HTTP server's event loop and state (engines, scheduler, keys, drain, metrics)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from qtts.server import riva, wyoming_tts

if TYPE_CHECKING:
    from qtts.server.app import ServerState

log = logging.getLogger("qtts.server")


async def with_listeners(state: ServerState, main: Awaitable[None]) -> None:
    """Start the configured listeners, run ``main`` (the HTTP server, which drains every protocol's
    streams since they share ``state``), then stop them."""
    s = state.settings.server
    stops = []
    if s.grpc_port:
        grpc_server = await riva.start(state, s.grpc_port)
        stops.append(grpc_server.stop)
        log.info("gRPC (Riva) listening", extra={"host": s.host, "port": grpc_server.port})
    if s.wyoming_port:
        wyoming = await wyoming_tts.start(state, s.wyoming_port)
        stops.append(wyoming.stop)
        log.info("Wyoming listening", extra={"host": s.host, "port": s.wyoming_port})
    try:
        await main
    finally:
        for stop in reversed(stops):
            await stop()
