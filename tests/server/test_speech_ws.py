"""The native text-in WebSocket ``/v1/audio/speech/stream`` end to end: a real ``tts-run serve``
subprocess on 127.0.0.1 (tiny CustomVoice engine) and a plain ``websockets`` client."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.server.harness import Server, start_server, stop_server

FINISHED = ("eos", "max_frames", "capacity")  # ran to its end (the tiny engine stops at its context capacity)
PIECES = ["Hello", " there,", " how", " are", " you", " today?"]
# an utterance's first words: with no more text (and no input.done) its stream pauses, holding its slot
OPENING = "Hold on, I am still thinking about"
KEYS = """
[[keys]]
name = "main"
key = "sk-main"
[[keys]]
name = "solo"
key = "sk-solo"
max_streams = 1
"""


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ws")
    (tmp / "keys.toml").write_text(KEYS)
    # capacity: the tiny engine never stops by itself; 200 positions keep each utterance ~10 s of audio
    toml = f'[server]\nkeys_file = "{tmp / "keys.toml"}"\nws_max_message_bytes = 4096\nmax_input_chars = 600\n[scheduler]\ncapacity = 200\n'
    s = start_server(tmp, [tiny_engines["custom_voice"]], toml)
    yield s
    stop_server(s)


def _open(server: Server, key: str | None = "sk-main", query: str = "") -> ClientConnection:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return connect(f"{server.url.replace('http', 'ws', 1)}/v1/audio/speech/stream{query}", additional_headers=headers, open_timeout=30)


def _send(ws: ClientConnection, kind: str, **fields: Any) -> None:
    ws.send(json.dumps({"type": kind, **fields}))


def _event(ws: ClientConnection) -> dict[str, Any]:
    message = ws.recv(timeout=30)
    assert isinstance(message, str), "expected a JSON event, got audio"
    return json.loads(message)


def _utterance(ws: ClientConnection) -> tuple[dict[str, Any], np.ndarray, dict[str, Any]]:
    """Read one utterance: (audio.start, PCM int16, audio.done)."""
    start = _event(ws)
    assert start["type"] == "audio.start", start
    chunks = []
    while isinstance(message := ws.recv(timeout=30), bytes):
        chunks.append(message)
    done = json.loads(message)
    assert done["type"] == "audio.done" and done["utterance_id"] == start["utterance_id"], done
    return start, np.frombuffer(b"".join(chunks), "<i2"), done


def _speak(ws: ClientConnection, pieces: list[str]) -> tuple[dict[str, Any], np.ndarray, dict[str, Any]]:
    for p in pieces:
        _send(ws, "input.text", text=p)
    _send(ws, "input.done")
    return _utterance(ws)


def test_text_in_streaming_utterances(server: Server) -> None:
    with _open(server) as ws:
        _send(ws, "session.config", voice="alloy", seed=7)
        updated = _event(ws)
        assert updated["type"] == "session.updated"
        assert updated["config"]["voice"] == "alloy" and updated["config"]["seed"] == 7 and updated["config"]["model"] == "tiny-custom_voice"
        start, pcm, done = _speak(ws, PIECES)
        assert start["sample_rate"] == 24000 and start["channels"] == 1 and start["format"] == "pcm_s16le"
        assert done["finish_reason"] in FINISHED and done["samples"] == len(pcm) > 0 and np.abs(pcm).max() > 0
        t = done["timings"]
        assert 0 < t["ttfa_s"] <= t["elapsed_s"] and t["audio_s"] == pytest.approx(len(pcm) / 24000, abs=1e-3)
        # a second utterance on the same session: same text and seed, the same audio
        start2, pcm2, done2 = _speak(ws, PIECES)
        assert start2["utterance_id"] != start["utterance_id"] and np.array_equal(pcm2, pcm)
        _send(ws, "session.close")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


def test_frame_cap_and_first_chunk(server: Server) -> None:
    """``max_new_tokens`` caps an utterance's frames (1920 samples = 80 ms each); ``initial_codec_chunk_frames``
    is accepted in its range (1-25) and leaves the audio unchanged."""
    with _open(server) as ws:
        _send(ws, "session.config", voice="alloy", seed=7, max_new_tokens=6, chunk_ms=40)
        assert _event(ws)["config"]["max_new_tokens"] == 6
        _, pcm, done = _speak(ws, PIECES)
        # 6 frames of 1920 samples, plus the codec's short tail once the stream ends
        assert done["finish_reason"] == "max_frames" and done["samples"] == len(pcm) and 6 * 1920 <= len(pcm) < 6 * 1920 + 240
        # the first chunk's frame count (tests/test_first_chunk.py checks when audio goes out) leaves the audio as is
        _send(ws, "session.config", initial_codec_chunk_frames=4)
        assert _event(ws)["config"]["initial_codec_chunk_frames"] == 4
        _, pcm4, _ = _speak(ws, PIECES)
        assert np.array_equal(pcm4, pcm)
        _send(ws, "session.config", initial_codec_chunk_frames=40)
        assert _event(ws)["error"]["param"] == "initial_codec_chunk_frames"


def test_auth(server: Server) -> None:
    for key in (None, "sk-wrong"):
        with pytest.raises(InvalidStatus) as refused:
            _open(server, key)
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error"]["code"] in ("missing_api_key", "invalid_api_key")
    with _open(server, None, "?api_key=sk-main") as ws:  # browsers: the key as a query parameter
        _send(ws, "session.config", voice="ryan")
        assert _event(ws)["type"] == "session.updated"


def test_message_errors_keep_the_session(server: Server) -> None:
    with _open(server) as ws:
        ws.send("{not json")
        assert _event(ws)["error"]["code"] == "invalid_json"
        _send(ws, "input.nonsense")
        error = _event(ws)
        assert error["type"] == "error" and error["error"]["code"] == "unknown_type" and error["error"]["param"] == "type"
        _send(ws, "session.config", voice="nobody")
        error = _event(ws)["error"]
        assert error["param"] == "voice" and "serena" in error["message"]  # names the available voices
        _send(ws, "session.config", chunk_ms=5)
        assert _event(ws)["error"]["param"] == "chunk_ms"
        _send(ws, "input.done")
        assert _event(ws)["error"]["code"] == "no_utterance"
        ws.send(b"\x00\x01")
        assert _event(ws)["error"]["code"] == "invalid_message"
        # no voice configured: the utterance fails (error + audio.done "error"), its text is dropped
        _send(ws, "input.text", text="Hello there. ")
        error = _event(ws)
        assert error["error"]["param"] == "voice" and error["utterance_id"]
        done = _event(ws)
        assert done["type"] == "audio.done" and done["finish_reason"] == "error" and done["samples"] == 0
        _send(ws, "input.text", text="still dropped ")
        _send(ws, "input.done")
        # the session still works
        _send(ws, "session.config", voice="serena")
        assert _event(ws)["type"] == "session.updated"
        _, pcm, done = _speak(ws, PIECES)
        assert done["finish_reason"] in FINISHED and len(pcm) > 0


def test_one_utterance_at_a_time(server: Server) -> None:
    with _open(server) as ws:
        _send(ws, "session.config", voice="serena")
        _event(ws)
        _send(ws, "input.text", text=" ".join(PIECES) * 4)
        _send(ws, "input.done")
        _send(ws, "input.text", text="Too early.")
        _send(ws, "session.config", voice="ryan")
        events = []
        while len(events) < 2:
            message = ws.recv(timeout=30)
            if isinstance(message, str) and json.loads(message)["type"] == "error":
                events.append(json.loads(message)["error"]["code"])
        assert events == ["utterance_in_progress", "utterance_in_progress"]


def _paused(ws: ClientConnection) -> int:
    """Start an utterance whose text stops after its first words; returns the samples of its first chunk."""
    _send(ws, "session.config", voice="serena")
    _event(ws)
    for word in OPENING.split():
        _send(ws, "input.text", text=word + " ")
    assert _event(ws)["type"] == "audio.start"
    return len(ws.recv(timeout=30)) // 2


def test_barge_in_frees_the_slot(server: Server) -> None:
    with _open(server) as ws:
        received = _paused(ws)
        server.wait_metric("qtts_slots_used", 1)  # waiting for text, holding its slot
        _send(ws, "input.cancel")
        sent = time.monotonic()
        while isinstance(message := ws.recv(timeout=30), bytes):
            received += len(message) // 2
        done = json.loads(message)
        assert done["type"] == "audio.done" and done["finish_reason"] == "cancelled"
        assert done["samples"] == received and time.monotonic() - sent < 5  # stopped early; every sample counted
        server.wait_metric("qtts_slots_used", 0)
        _, pcm, done = _speak(ws, PIECES)  # the session still works
        assert done["finish_reason"] in FINISHED and len(pcm) > 0


def test_disconnect_frees_the_slot_and_the_lease(server: Server) -> None:
    ws = _open(server, "sk-solo")
    _paused(ws)
    server.wait_metric("qtts_slots_used", 1)
    ws.socket.shutdown(socket.SHUT_RDWR)  # gone without a close handshake
    server.wait_metric("qtts_slots_used", 0)
    with _open(server, "sk-solo") as ws:  # max_streams = 1: a leaked lease would refuse this utterance
        _send(ws, "session.config", voice="serena")
        _event(ws)
        _, pcm, done = _speak(ws, PIECES)
        assert done["finish_reason"] in FINISHED and len(pcm) > 0


def test_size_limits_close_the_session(server: Server) -> None:
    with _open(server) as ws:
        _send(ws, "input.text", text="x" * 5000)
        error = _event(ws)
        assert error["error"]["code"] == "message_too_large"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    with _open(server) as ws:
        _send(ws, "session.config", voice="serena")
        _event(ws)
        for _ in range(4):  # 4 x 200 characters > max_input_chars = 600
            _send(ws, "input.text", text="word " * 40)
        while not (isinstance(m := ws.recv(timeout=30), str) and json.loads(m)["type"] == "error"):
            pass
        assert json.loads(m)["error"]["code"] == "input_too_long"
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_idle_timeout_and_drain(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    toml = "[server]\nws_idle_timeout_s = 2.0\ndrain_grace_s = 20.0\n[scheduler]\ncapacity = 200\n"
    s = start_server(tmp_path, [tiny_engines["custom_voice"]], toml)
    try:
        with _open(s, None) as ws:  # an open server: no key needed
            started = time.monotonic()  # the server times from its accept, a little earlier than this
            assert _event(ws)["error"]["code"] == "idle_timeout"
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008 and 1.0 < time.monotonic() - started < 6
        with _open(s, None) as ws:
            _paused(ws)  # an utterance in progress keeps its session through the drain
            s.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            while True:  # new sockets are refused while draining
                try:
                    _open(s, None).close()
                except InvalidStatus as e:
                    assert e.response.status_code == 503 and json.loads(e.response.body)["error"]["code"] == "shutting_down"
                    break
                assert time.monotonic() < deadline
                time.sleep(0.02)
            _send(ws, "input.text", text="what to say next.")
            _send(ws, "input.done")
            while isinstance(message := ws.recv(timeout=30), bytes):
                pass
            assert json.loads(message)["finish_reason"] in FINISHED  # the running utterance completes
            assert _event(ws)["error"]["code"] == "shutting_down"
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert s.proc.wait(30) == 0
    finally:
        stop_server(s)
    lines = [json.loads(line) for line in s.log.read_text().splitlines() if line.startswith("{")]
    sessions = [r for r in lines if r["msg"] == "websocket"]
    assert [r["close_code"] for r in sessions if r["status"] == 101] == [1008, 1001]
    assert any(r["status"] == 503 for r in sessions)
