"""gRPC front end, wire-compatible with NVIDIA Riva's text-to-speech API (``nvidia-riva-client``,
``riva_tts_client``): :func:`start` serves ``nvidia.riva.tts.RivaSpeechSynthesis`` (server/riva/service.py)
with the standard ``grpc.health.v1`` health service and server reflection on the running event loop.
The messages come from our own ``server/riva/proto/*.proto`` (``make protos`` regenerates the modules).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

from qtts.server.riva.proto import POOL, riva_tts_pb2_grpc
from qtts.server.riva.service import SERVICE, RivaSynthesis

if TYPE_CHECKING:
    from qtts.server.app import ServerState

HEALTH_POLL_S = 0.2


class GrpcServer:
    """The running gRPC server; health follows the HTTP server's /ready (SERVING once warmed up,
    NOT_SERVING while draining)."""

    def __init__(self, state: ServerState, server: grpc.aio.Server, health: health.aio.HealthServicer, port: int):
        self.state, self.server, self.health, self.port = state, server, health, port
        self._watch = asyncio.create_task(self._follow_readiness())

    async def _follow_readiness(self) -> None:
        current = None
        while True:
            serving = self.state.ready and not self.state.draining
            if serving != current:
                current = serving
                status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
                for name in ("", SERVICE):
                    await self.health.set(name, status)
            await asyncio.sleep(HEALTH_POLL_S)

    async def stop(self, grace_s: float = 1.0) -> None:
        """Stop listening; calls still running get ``grace_s`` (the HTTP drain has already waited for them)."""
        self._watch.cancel()
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_s)


def _reflection_pool() -> descriptor_pool.DescriptorPool:
    """The private pool of our messages (server/riva/proto) plus the health and reflection services,
    so reflection describes all three (once: a file is added to a pool only once)."""
    for module in (health_pb2, reflection_pb2):
        try:
            POOL.FindFileByName(module.DESCRIPTOR.name)
        except KeyError:
            POOL.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    return POOL


async def start(state: ServerState, port: int) -> GrpcServer:
    """Listen on ``[server] host``:``port`` (TLS with ``tls_cert``/``tls_key``) and serve."""
    s = state.settings.server
    limit = int(s.max_upload_mb * 1e6) + (1 << 20)  # a zero-shot reference and the rest of the request
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", limit)])
    riva_tts_pb2_grpc.add_RivaSpeechSynthesisServicer_to_server(RivaSynthesis(state), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME), server, pool=_reflection_pool())
    address = f"[{s.host}]:{port}" if ":" in s.host else f"{s.host}:{port}"
    if s.tls_cert:
        creds = grpc.ssl_server_credentials([(Path(s.tls_key).read_bytes(), Path(s.tls_cert).read_bytes())])
        bound = server.add_secure_port(address, creds)
    else:
        bound = server.add_insecure_port(address)
    await server.start()
    return GrpcServer(state, server, health_servicer, bound)
