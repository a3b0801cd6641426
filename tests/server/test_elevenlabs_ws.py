"""The ElevenLabs-compatible ``/v1/text-to-speech/{voice_id}/stream-input`` socket end to end: a real
``tts-run serve`` subprocess on 127.0.0.1 over TLS (the ``elevenlabs`` SDK always opens ``wss://``),
driven by the SDK's ``convert_realtime`` and by the documented messages sent with ``websockets``."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from websockets.exceptions import ConnectionClosed, InvalidMessage
from websockets.sync.client import connect

from tests.server.harness import Server, self_signed, start_server, stop_server

PIECES = ["Hello ", "there, ", "how ", "are ", "you ", "today? "]


@pytest.fixture(scope="module")
def tls(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, ssl.SSLContext]]:
    tmp = tmp_path_factory.mktemp("elevenlabs")
    cert, key, context = self_signed(tmp)
    # capacity: the tiny engine never stops by itself; 200 positions keep each utterance ~10 s of audio
    toml = f'[server]\ntls_cert = "{cert}"\ntls_key = "{key}"\n[scheduler]\ncapacity = 200\n'
    s = start_server(tmp, [tiny_engines["custom_voice"]], toml, "--api-key", "sk-el", verify=context)
    yield s, cert, context
    stop_server(s)


def _session(tls: tuple[Server, Path, ssl.SSLContext], voice: str, query: str, messages: list[dict[str, Any]], headers: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Send ``messages`` on one socket; returns (every server message, the close code)."""
    server, _, context = tls
    url = f"{server.url.replace('https', 'wss', 1)}/v1/text-to-speech/{voice}/stream-input?{query}"
    received = []
    with connect(url, ssl=context, additional_headers=headers or {}, open_timeout=30) as ws:
        for m in messages:
            ws.send(json.dumps(m))
        try:
            while True:
                received.append(json.loads(ws.recv(timeout=30)))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return received, closed.rcvd.code


def _pcm(messages: list[dict[str, Any]]) -> np.ndarray:
    return np.frombuffer(b"".join(base64.b64decode(m["audio"]) for m in messages if m.get("audio")), "<i2")


def _text(*pieces: str) -> list[dict[str, Any]]:
    return [{"text": p} for p in pieces]


INIT = {"text": " ", "voice_settings": {"stability": 0.5, "similarity_boost": 0.8}, "generation_config": {"chunk_length_schedule": [120, 160, 250, 290]}}


def _realtime(client: ElevenLabs, **kw: Any) -> bytes:
    """The SDK's convert_realtime, its handshake retried once: in one of four full CI-sized runs the
    server closed a TLS WebSocket handshake without an HTTP response (not reproduced alone, not yet
    diagnosed; a persistent failure still fails the test)."""
    try:
        return b"".join(client.text_to_speech.convert_realtime(voice_id="serena", text=iter(PIECES), **kw))
    except InvalidMessage:
        return b"".join(client.text_to_speech.convert_realtime(voice_id="serena", text=iter(PIECES), **kw))


def test_sdk_convert_realtime(tls: tuple[Server, Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch) -> None:
    server, cert, _ = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the SDK's socket uses the default trust store
    client = ElevenLabs(api_key="sk-el", base_url=server.url)
    audio = _realtime(client, output_format="pcm_24000")
    pcm = np.frombuffer(audio, "<i2")
    assert len(audio) % 2 == 0 and len(pcm) > 24000 and np.abs(pcm).max() > 0
    with pytest.raises(ApiError) as refused:  # the SDK's default mp3_44100_128 is not produced: a clear error
        _realtime(client)
    assert refused.value.status_code == 1008 and "output_format" in str(refused.value.body)


def test_messages_resampling_and_flush(tls: tuple[Server, Path, ssl.SSLContext]) -> None:
    auth = {"xi-api-key": "sk-el"}
    one, code = _session(tls, "serena", "output_format=pcm_24000&seed=3", [INIT, *_text(*PIECES[:2], " ", "")], auth)
    assert code == 1000 and one[-1] == {"isFinal": True}
    assert all(set(m) == {"audio", "isFinal", "normalizedAlignment", "alignment"} for m in one[:-1])
    first = _pcm(one)
    # the same utterance at 16 kHz: soxr resampling, two thirds of the samples
    low, _ = _session(tls, "serena", "output_format=pcm_16000&seed=3", [INIT, *_text(*PIECES[:2], " ", "")], auth)
    assert abs(len(_pcm(low)) - len(first) * 2 / 3) <= 0.01 * len(first)
    # flush ends an utterance (its audio is that of the text alone); the text after it is the next one
    flushed = [INIT, *_text(*PIECES[:2]), {"text": " ", "flush": True}, *_text(*PIECES[2:], "")]
    both, code = _session(tls, "serena", "output_format=pcm_24000&seed=3", flushed, auth)
    pcm = _pcm(both)
    assert code == 1000 and len(pcm) > len(first) and np.array_equal(pcm[: len(first)], first)


def test_key_in_the_first_message(tls: tuple[Server, Path, ssl.SSLContext]) -> None:
    ok, code = _session(tls, "ryan", "output_format=pcm_22050", [INIT | {"xi_api_key": "sk-el"}, *_text(*PIECES[:2], "")])
    assert code == 1000 and len(_pcm(ok)) > 0 and ok[-1] == {"isFinal": True}
    bad, code = _session(tls, "ryan", "output_format=pcm_22050", [INIT | {"xi-api-key": "sk-wrong"}, *_text(*PIECES[:2], "")])
    assert code == 1008 and bad == [{"message": "invalid API key", "error": "invalid_api_key", "code": 1008}]


def test_errors_close_with_a_message(tls: tuple[Server, Path, ssl.SSLContext]) -> None:
    auth = {"xi-api-key": "sk-el"}
    unknown, code = _session(tls, "21m00Tcm4TlvDq8ikWAM", "output_format=pcm_24000", [INIT, *_text("Hi. ", "")], auth)
    assert code == 1008 and unknown[0]["error"] == "invalid_value" and "serena" in unknown[0]["message"]  # names the voices
    bad, code = _session(tls, "serena", "output_format=ulaw_8000", [INIT], auth)
    assert code == 1008 and "pcm_24000" in bad[0]["message"]
    garbage, code = _session(tls, "serena", "output_format=pcm_24000", [INIT, {"txt": "no text field"}], auth)
    assert code == 1008 and garbage[-1]["error"] == "invalid_value"
