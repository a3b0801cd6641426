"""HTTPS served directly: the shipped configs/server.toml with its ``tls_cert``/``tls_key`` filled in
(a self-signed certificate for 127.0.0.1), driven by the official ``openai`` SDK over https."""

from __future__ import annotations

import io
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import numpy as np
import openai
import pytest
import soundfile as sf

from tests.server.harness import Server, self_signed, start_server, stop_server

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a self-signed certificate")

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "server.toml"
TEXT = "Hello there, how are you today?"


@pytest.fixture(scope="module")
def tls(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, ssl.SSLContext]]:
    tmp = tmp_path_factory.mktemp("tls")
    cert, key, trust = self_signed(tmp)
    toml = CONFIG.read_text().replace('tls_cert = ""', f'tls_cert = "{cert}"').replace('tls_key = ""', f'tls_key = "{key}"')
    assert str(cert) in toml and str(key) in toml  # the settings file still names them so
    s = start_server(tmp, [tiny_engines["custom_voice"]], toml, "--api-key", "sk-tls", verify=trust)
    yield s, trust
    stop_server(s)


def test_openai_sdk_over_https(tls: tuple[Server, ssl.SSLContext]) -> None:
    server, trust = tls
    assert server.url.startswith("https://")
    with httpx.Client(verify=trust) as http:
        client = server.client("sk-tls", http_client=http)
        assert "tiny-custom_voice" in [m.id for m in client.models.list()]
        pcm = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm", extra_body={"seed": 4}).content
        wav = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="wav", extra_body={"seed": 4}).content
        with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="alloy", input=TEXT, response_format="pcm", extra_body={"seed": 4}
        ) as r:
            streamed = b"".join(r.iter_bytes())
        samples = np.frombuffer(pcm, "<i2")
        data, rate = sf.read(io.BytesIO(wav), dtype="int16")
        assert len(samples) > 0 and rate == 24000 and np.array_equal(data, samples) and streamed == pcm
        with pytest.raises(openai.BadRequestError) as e:  # errors keep their type and shape over TLS
            client.audio.speech.create(model="tts-1", voice="nobody", input=TEXT)
        assert e.value.body["param"] == "voice"
        with pytest.raises(openai.AuthenticationError):
            server.client("sk-wrong", http_client=http).models.list()


def test_a_client_that_does_not_trust_the_certificate_is_refused(tls: tuple[Server, ssl.SSLContext]) -> None:
    server, _ = tls
    with pytest.raises(openai.APIConnectionError) as e:
        server.client("sk-tls").models.list()  # the system's CAs only
    assert isinstance(e.value.__cause__, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(e.value.__cause__)


def test_plain_http_gets_no_answer_on_the_tls_port(tls: tuple[Server, ssl.SSLContext]) -> None:
    server, _ = tls
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url.replace("https://", "http://") + "/health", timeout=10)
