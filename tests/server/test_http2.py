"""The HTTP API over HTTP/2 (hypercorn): h2c by prior knowledge and h2 over TLS (ALPN), with
HTTP/1.1 on the same port; streamed audio arrives whole, several streams share one connection."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import httpx2 as httpx
import numpy as np
import pytest

from tests.server.harness import Server, self_signed, start_server, stop_server

TEXT = "Hello there, how are you today?"
# minutes of audio: far more than the flow-control windows and socket buffers hold
HOLD = "A stream that outlasts the windows and buffers, so its slot stays busy while the client waits. " * 40


def _speech(seed: int) -> dict[str, object]:
    return {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "pcm", "seed": seed}


def _stream(client: httpx.Client, seed: int) -> tuple[str, bytes]:
    """(protocol, streamed pcm) of one seeded request, read chunk by chunk."""
    with client.stream("POST", "/v1/audio/speech", json=_speech(seed)) as r:
        assert r.status_code == 200, r.read()
        return r.http_version, b"".join(r.iter_bytes())


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("h2c"), [tiny_engines["custom_voice"]], "[server]\n")
    yield s
    stop_server(s)


def test_h2c_prior_knowledge_streams_the_same_audio_as_http1(server: Server) -> None:
    with httpx.Client(base_url=server.url, http1=False, http2=True, timeout=60) as h2, httpx.Client(base_url=server.url, timeout=60) as h1:
        models = h2.get("/v1/models")
        assert models.http_version == "HTTP/2" and models.json()["data"][0]["id"] == "tiny-custom_voice"
        (v2, pcm2), (v1, pcm1) = _stream(h2, 7), _stream(h1, 7)
    assert (v2, v1) == ("HTTP/2", "HTTP/1.1")
    samples = np.frombuffer(pcm2, "<i2")
    assert len(pcm2) % 2 == 0 and len(samples) > 24000 // 2 and np.abs(samples).max() > 0
    assert pcm2 == pcm1  # seeded: the whole stream, byte for byte


def test_h2c_multiplexes_streams_on_one_connection(server: Server) -> None:
    async def both() -> list[bytes]:
        async with httpx.AsyncClient(base_url=server.url, http1=False, http2=True, timeout=60) as client:
            async def one(seed: int) -> bytes:
                async with client.stream("POST", "/v1/audio/speech", json=_speech(seed)) as r:
                    assert r.status_code == 200 and r.http_version == "HTTP/2"
                    return b"".join([c async for c in r.aiter_bytes()])

            return await asyncio.gather(one(1), one(2))

    got = asyncio.run(both())
    with httpx.Client(base_url=server.url, timeout=60) as h1:
        alone = [_stream(h1, 1)[1], _stream(h1, 2)[1]]
    for shared, solo in zip(got, alone, strict=True):  # whole streams; batched rows differ by float rounding only
        a, b = np.frombuffer(shared, "<i2").astype(np.int32), np.frombuffer(solo, "<i2").astype(np.int32)
        assert len(a) == len(b) > 0 and np.abs(a - b).max() <= 2
    assert got[0] != got[1]


def test_errors_keep_the_openai_shape_over_h2c(server: Server) -> None:
    with httpx.Client(base_url=server.url, http1=False, http2=True, timeout=60) as h2:
        r = h2.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, "voice": "nobody"})
    assert r.http_version == "HTTP/2" and r.status_code == 400 and r.json()["error"]["param"] == "voice"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a self-signed certificate")
def test_tls_negotiates_h2_or_http1_by_alpn(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    cert, key, trust = self_signed(tmp_path)
    s = start_server(tmp_path, [tiny_engines["custom_voice"]], f'[server]\ntls_cert = "{cert}"\ntls_key = "{key}"\n', verify=trust)
    try:
        assert s.url.startswith("https://")
        with httpx.Client(base_url=s.url, verify=trust, http2=True, timeout=60) as h2, httpx.Client(base_url=s.url, verify=trust, timeout=60) as h1:
            (v2, pcm2), (v1, pcm1) = _stream(h2, 3), _stream(h1, 3)
        assert (v2, v1) == ("HTTP/2", "HTTP/1.1") and len(pcm2) > 0 and pcm2 == pcm1
    finally:
        stop_server(s)


def test_h2_stream_reset_cancels_generation(server: Server) -> None:
    """A client that resets one stream (RST_STREAM, as a browser's aborted fetch) frees its scheduler
    slot while the connection goes on serving (a raw h2 client: httpx never resets a stream)."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    body = json.dumps({"model": "tts-1", "voice": "alloy", "input": HOLD, "response_format": "pcm"}).encode()

    def request(method: str, path: str, data: bytes = b"") -> int:
        sid = conn.get_next_available_stream_id()
        headers = [(":method", method), (":path", path), (":scheme", "http"), (":authority", f"{host}:{port}")]
        conn.send_headers(sid, [*headers, ("content-type", "application/json")] if data else headers, end_stream=not data)
        if data:
            conn.send_data(sid, data, end_stream=True)
        sock.sendall(conn.data_to_send())
        return sid

    def until(kind: type, sid: int) -> h2.events.Event:
        while True:
            events = conn.receive_data(sock.recv(65536))  # never acknowledged: the stream's window stays shut
            sock.sendall(conn.data_to_send())
            if hit := next((e for e in events if isinstance(e, kind) and e.stream_id == sid), None):
                return hit

    with socket.create_connection((host, int(port)), timeout=30) as sock:
        conn.initiate_connection()
        speech = request("POST", "/v1/audio/speech", body)
        until(h2.events.DataReceived, speech)
        server.wait_metric("qtts_slots_used", 1)  # flow control pauses the generation
        time.sleep(0.3)
        assert server.metric("qtts_slots_used") == 1
        conn.reset_stream(speech)
        sock.sendall(conn.data_to_send())
        server.wait_metric("qtts_slots_used", 0)
        health = request("GET", "/health")
        response = until(h2.events.ResponseReceived, health)
        assert dict(response.headers)[b":status"] == b"200"  # the connection outlived its stream
