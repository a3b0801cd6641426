"""The HTTP API over HTTP/2 (hypercorn): h2c by prior knowledge and h2 over TLS (ALPN), with
HTTP/1.1 on the same port; streamed audio arrives whole, several streams share one connection."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest

from tests.server.harness import Server, self_signed, start_server, stop_server

pytest.importorskip("h2")

TEXT = "Hello there, how are you today?"


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
