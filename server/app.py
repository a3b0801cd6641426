"""The ASGI application: routes, the request gate (ids, keys, drain, metrics, access log) and state.

Routes: ``POST /v1/audio/speech`` (server/speech.py), ``GET /v1/models``, ``/health`` (alive),
``/ready`` (engines warmed up and not draining), ``/metrics`` (Prometheus), the playground page
``/`` (server/playground.py). Every route but /health, /ready and the playground's files needs
``Authorization: Bearer KEY`` when keys are configured (/metrics only with ``metrics_auth``). The
app is plain ASGI (FastAPI on Starlette): any ASGI server can host it; ``server.run`` hosts it on
hypercorn (HTTP/1.1 and HTTP/2) with a graceful drain.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qtts.runtime.metrics import exposition
from qtts.runtime.settings import ServerSettings
from qtts.server import elevenlabs, playground, speech, speech_ws, voices
from qtts.server.auth import KeyRing, Limiter
from qtts.server.engines import OPENAI_MODELS, Models
from qtts.server.errors import APIError, install_handlers
from qtts.server.metrics import HTTP_IN_FLIGHT, HTTP_REQUESTS

if TYPE_CHECKING:
    from qtts.server.speech import Synthesis

log = logging.getLogger("qtts.server")
OPEN_ROUTES = ("/health", "/ready", playground.PAGE)
DRAIN_RETRY_S = 1.0  # Retry-After while draining: a retry should reach another replica
DRAIN_BODY_BYTES = 64 << 20  # an over-limit chunked body is read and dropped up to this size before the 413


@dataclass
class ServerState:
    """What the routes share: settings, engines, keys and limits, live streams, lifecycle flags."""

    settings: ServerSettings
    models: Models
    keys: KeyRing
    executor: ThreadPoolExecutor  # plans, mp3/opus/aac encoding, stream closes, reference encoding (blocking work)
    limiter: Limiter = field(default_factory=Limiter)
    streams: set[Synthesis] = field(default_factory=set)
    ready: bool = False  # engines warmed up
    draining: bool = False
    in_flight: int = 0

    def shutting_down(self) -> APIError:
        """The 503 for new work while draining (a retry should reach another replica)."""
        return APIError(503, "the server is shutting down; retry on another replica", code="shutting_down", retry_after_s=DRAIN_RETRY_S)

    def check_serving(self, *, warmed: bool = True) -> None:
        """Refuse new work with a 503 (+ Retry-After) while draining, and (``warmed``) while the engines warm up."""
        if self.draining:
            raise self.shutting_down()
        if warmed and not self.ready:
            raise APIError(503, "the engines are warming up", code="loading", retry_after_s=1.0)


class Gate:
    """Pure ASGI middleware around every HTTP request and WebSocket session: request id, key check,
    drain refusal, in-flight gauge, request counter by route and status, one access-log line.

    A WebSocket's key may also come as ``xi-api-key`` (ElevenLabs) or ``?api_key=`` (browsers cannot set
    headers on a WebSocket); a refused socket gets the HTTP error before the handshake (status 101 when
    accepted; the log adds the close code). An ElevenLabs ``stream-input`` socket without any key
    authenticates in its first message (server/elevenlabs.py)."""

    def __init__(self, app: ASGIApp, state: ServerState, routes: list[tuple[re.Pattern[str], str]]):
        self.app, self.state, self.routes = app, state, routes  # (path regex, template): metric labels

    def route(self, scope: Scope) -> str:
        """The route template a request matched (``/v1/audio/voices/{name}``), also for one refused
        before routing; "other" when none matches (unbounded paths never become label values)."""
        matched = getattr(scope.get("route"), "path", None)
        return matched or next((t for regex, t in self.routes if regex.match(scope["path"])), "other")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        socket = scope["type"] == "websocket"
        st = self.state
        started = time.perf_counter()
        rid = uuid.uuid4().hex[:12]
        info: dict[str, Any] = {"request_id": rid, "started": started}
        scope.setdefault("state", {}).update(info)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] in ("http.response.start", "websocket.http.response.start", "websocket.accept"):
                status = message.get("status", 101)
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        st.in_flight += 1
        HTTP_IN_FLIGHT.inc()
        try:
            try:
                self._admit(scope)
            except APIError as e:
                if socket:
                    await _refuse_socket(e, scope, receive, send_with_id)
                else:
                    response = e.response()
                    if _has_body(scope):  # left unread: the connection cannot carry another request
                        response.headers["connection"] = "close"
                    await response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive if socket else self._limited(scope, receive), send_with_id)
        finally:
            st.in_flight -= 1
            HTTP_IN_FLIGHT.dec()
            route = self.route(scope)
            HTTP_REQUESTS.labels(route, str(status)).inc()
            key = scope["state"].get("key")
            extra = {"close_code": scope["state"].get("close_code"), "utterances": scope["state"].get("utterances")} if socket else {}
            log.info(
                "websocket" if socket else "request",
                extra={
                    "request_id": rid, "key": key.name if key else None, "method": scope.get("method", "GET"), "route": route, "status": status,
                    "model": scope["state"].get("model"), "ttfa_s": scope["state"].get("ttfa_s"),
                    "finish_reason": scope["state"].get("finish_reason"), "seconds": round(time.perf_counter() - started, 4), **extra,
                },
            )

    @property
    def body_limit(self) -> int:
        """Largest request body in bytes: a base64 reference of max_upload_mb, the text, the JSON around."""
        s = self.state.settings.server
        return int(s.max_upload_mb * 1e6 * 4 / 3) + 4 * s.max_input_chars + 65536

    def _limited(self, scope: Scope, receive: Receive) -> Receive:
        """``receive`` that refuses a body growing over the limit (413; Content-Length is checked by ``_admit``)."""
        limit, seen = self.body_limit, 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                # read (and drop) the rest up to a bound first: an HTTP/1.1 client sends its whole body
                # before it reads the answer, and a connection closed under it loses the 413
                while message.get("more_body") and seen < DRAIN_BODY_BYTES:
                    message = await receive()
                    seen += len(message.get("body", b""))
                raise HTTPException(413, f"request body is larger than {limit} bytes")
            return message

        return receive_limited

    def _admit(self, scope: Scope) -> None:
        """Check the key (unless the route is open), the body size, and refuse new work while draining."""
        path = scope["path"]
        if path in OPEN_ROUTES or path.startswith(playground.ASSETS):
            return
        st, headers = self.state, dict(scope["headers"])
        if scope["type"] == "websocket":
            auth = _socket_authorization(scope, headers)
            deferred = auth is None and path.endswith("/stream-input") and not st.keys.open  # ElevenLabs: key in the first message
            scope["state"]["key"] = None if deferred else st.keys.check(auth)
        elif path != "/metrics" or st.settings.server.metrics_auth:
            auth = headers.get(b"authorization")
            scope["state"]["key"] = st.keys.check(auth.decode("latin-1") if auth else None)
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.body_limit:
            raise APIError(413, f"request body is larger than {self.body_limit} bytes", code="request_too_large")
        if path != "/metrics":
            st.check_serving(warmed=path.startswith(("/v1/audio", "/v1/text-to-speech")))


def _socket_authorization(scope: Scope, headers: dict[bytes, bytes]) -> str | None:
    """A WebSocket's key as an Authorization value: the header, else ``xi-api-key``, else ``?api_key=``."""
    if b"authorization" in headers:
        return headers[b"authorization"].decode("latin-1")
    token = headers.get(b"xi-api-key", b"").decode("latin-1") or parse_qs(scope.get("query_string", b"").decode("latin-1")).get("api_key", [""])[0]
    return f"Bearer {token}" if token else None


async def _refuse_socket(error: APIError, scope: Scope, receive: Receive, send: Send) -> None:
    """Refuse a WebSocket handshake with ``error``'s HTTP response; a server without the denial-response
    extension gets an accepted socket, an ``error`` event and close 1008 instead."""
    if "websocket.http.response" in scope.get("extensions", {}):
        await error.response()(scope, receive, send)
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": json.dumps({"type": "error", **error.body()})})
    await send({"type": "websocket.close", "code": 1008, "reason": error.message.encode()[:120].decode(errors="ignore")})


def create_app(state: ServerState) -> ASGIApp:
    """The ASGI app over ``state`` (warm-up starts with the app's lifespan; engines close at its end)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warm = asyncio.get_running_loop().run_in_executor(state.executor, _warm_up, state)
        try:
            yield
        finally:
            warm.cancel()
            for m in state.models.models:
                m.synth.close()
            state.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Qwen3-TTS runtime", lifespan=lifespan)
    app.state.server = state
    install_handlers(app, OPEN_ROUTES if state.settings.server.metrics_auth else (*OPEN_ROUTES, "/metrics"))
    app.add_api_route(
        "/v1/audio/speech", speech.create_speech, methods=["POST"], status_code=200, response_class=speech.SynthesisResponse, responses=speech.RESPONSES
    )
    for module in (voices, speech_ws, elevenlabs, playground):
        app.include_router(module.router)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", responses={503: {"description": "Loading (warm-up) or draining"}})
    async def ready() -> JSONResponse:
        if state.draining or not state.ready:
            return JSONResponse({"status": "draining" if state.draining else "loading"}, status_code=503)
        return JSONResponse({"status": "ready", "models": state.models.names()})

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        entries = [
            {"id": m.name, "object": "model", "created": m.created, "owned_by": "qwen3-tts-runtime",
             "model_type": m.synth.model_type, "speakers": m.synth.speakers, "languages": m.synth.languages}
            for m in state.models.models
        ]
        default = state.models.models[0]
        entries += [{"id": a, "object": "model", "created": default.created, "owned_by": "qwen3-tts-runtime", "root": default.name} for a in OPENAI_MODELS]
        return {"object": "list", "data": entries}

    outer: ASGIApp = Gate(app, state, _templates(app.routes))
    if state.settings.server.cors_origins:
        outer = CORSMiddleware(outer, allow_origins=state.settings.server.cors_origins, allow_methods=["*"], allow_headers=["*"])
    return outer


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers


def _templates(routes: list[Any]) -> list[tuple[re.Pattern[str], str]]:
    """(path regex, path template) of every route, included routers flattened."""
    out = []
    for r in routes:
        if hasattr(r, "original_router"):  # FastAPI's included router
            out += _templates(r.original_router.routes)
        elif hasattr(r, "path_regex"):
            out.append((r.path_regex, r.path))
    return out


def _warm_up(state: ServerState) -> None:
    try:
        state.models.warm_up(state.settings.server.warm_up_streams)
    except Exception:
        log.exception("warm-up failed: the server stays not ready")
        return
    # what start-up and warm-up built (sessions, tokenizers, the normalizer's tables: ~70k objects)
    # lives as long as the server: out of the collector's sight, a full collection no longer stalls
    # every thread, the scheduler's included, for ~20 ms (~40 ms on a busy 2-core machine)
    gc.freeze()
    state.ready = True
    log.info("ready", extra={"models": state.models.names()})
