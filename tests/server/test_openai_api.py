"""The OpenAI-compatible server end to end: a real ``tts-run serve`` subprocess on 127.0.0.1 (tiny
engines), driven by the official ``openai`` SDK and httpx2 (the SDK's HTTP client)."""

from __future__ import annotations

import base64
import io
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import openai
import pytest
import soundfile as sf

from tests.server.harness import Server, start_server, stop_server

TEXT = "Hello there, how are you today?"
LONG = "This sentence keeps the stream busy for a while, with many words in it. " * 4
# minutes of audio: more than the socket buffers hold, so a client that stops reading pauses its generation
HOLD = "A stream that outlasts the socket buffers, so its slot stays busy while the client waits. " * 40


KEYS = """
[[keys]]
name = "main"
key = "sk-main"
[[keys]]
name = "solo"
sha256 = "%s"
priority = "realtime"
max_streams = 1
[[keys]]
name = "slow"
key = "sk-slow"
requests_per_minute = 1
"""


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """CustomVoice (default model) + Base engines, keys from a file (one stored as its sha256) and --api-key."""
    import hashlib

    tmp = tmp_path_factory.mktemp("server")
    (tmp / "keys.toml").write_text(KEYS % hashlib.sha256(b"sk-solo").hexdigest())
    toml = f'[server]\nkeys_file = "{tmp / "keys.toml"}"\nmax_upload_mb = 1.0\n'
    s = start_server(tmp, [tiny_engines["custom_voice"], tiny_engines["base"]], toml, "--api-key", "sk-cli")
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def small(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One stream slot, one waiting place, no keys (open), CORS for one origin."""
    toml = '[server]\ncors_origins = ["http://app.example"]\n[scheduler]\nmax_waiting = 1\n'
    s = start_server(tmp_path_factory.mktemp("small"), [tiny_engines["custom_voice"]], toml, "--max-streams", "1")
    yield s
    stop_server(s)


def _decode(data: bytes) -> tuple[int, float]:
    """(sample rate, seconds) of an encoded file, decoded by FFmpeg (PyAV)."""
    with av.open(io.BytesIO(data)) as f:
        samples, rate = 0, 0
        for frame in f.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return rate, samples / rate


# ------------------------------------------------------------------------------------- audio
def test_pcm_and_wav(server: Server) -> None:
    client = server.client()
    pcm = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm", extra_body={"seed": 5}).content
    samples = np.frombuffer(pcm, "<i2")
    assert len(pcm) % 2 == 0 and len(samples) > 0 and np.abs(samples).max() > 0
    wav = client.audio.speech.create(model="tiny-custom_voice", voice="serena", input=TEXT, response_format="wav", extra_body={"seed": 5}).content
    data, rate = sf.read(io.BytesIO(wav), dtype="int16")
    assert rate == 24000 and np.array_equal(data, samples)  # alloy is serena; same seed, same audio


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_speed_stretches_keeping_pitch(server: Server, speed: float) -> None:
    client = server.client()
    base, fast = (
        np.frombuffer(
            client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm", speed=s, extra_body={"seed": 11}).content, "<i2"
        ).astype(np.float32)
        for s in (1.0, speed)
    )
    assert abs(len(fast) / len(base) - 1 / speed) < 0.03

    def peak_hz(x: np.ndarray) -> float:
        return float(np.argmax(np.abs(np.fft.rfft(x[: 24000 // 2]))) * 2)  # 0.5 s window: 2 Hz bins

    assert abs(peak_hz(fast) - peak_hz(base)) <= 0.05 * peak_hz(base)


@pytest.mark.parametrize(("fmt", "rate"), [("mp3", 24000), ("flac", 24000), ("opus", 48000), ("aac", 24000)])
def test_compressed_formats(server: Server, fmt: str, rate: int) -> None:
    client = server.client()
    pcm = client.audio.speech.create(model="tts-1", voice="echo", input=TEXT, response_format="pcm", extra_body={"seed": 3}).content
    data = client.audio.speech.create(model="tts-1", voice="echo", input=TEXT, response_format=fmt, extra_body={"seed": 3}).content
    got_rate, seconds = _decode(data)
    assert got_rate == rate and seconds > 0 and abs(seconds - len(pcm) / 2 / 24000) < 0.1  # the same audio (seeded)


def test_default_format_is_mp3(server: Server) -> None:
    with server.http() as h:
        r = h.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, "voice": "nova"}, headers={"Authorization": "Bearer sk-main"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg" and r.headers["x-request-id"]
    assert _decode(r.content)[1] > 0.5


def test_streaming_response_arrives_in_chunks(server: Server) -> None:
    client = server.client()
    chunks = []
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice={"id": "ryan"}, input=LONG, response_format="pcm") as r:
        assert r.headers.get("transfer-encoding") == "chunked"
        chunks = [c for c in r.iter_bytes() if c]
    assert len(chunks) > 3 and sum(map(len, chunks)) > 24000 * 2


def test_sse_events(server: Server) -> None:
    body = {"model": "tts-1", "input": TEXT, "voice": "alloy", "response_format": "pcm", "stream_format": "sse"}
    events = []
    with server.http() as h, h.stream("POST", "/v1/audio/speech", json=body, headers={"Authorization": "Bearer sk-main"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")]
    deltas, done = events[:-1], events[-1]
    assert deltas and all(e["type"] == "speech.audio.delta" for e in deltas)
    pcm = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    assert len(pcm) > 24000
    assert done["type"] == "speech.audio.done"
    usage = done["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0 and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_clone_from_ref_audio(server: Server) -> None:
    t = np.arange(48000) / 24000
    ref = io.BytesIO()
    sf.write(ref, (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32), 24000, format="WAV")
    url = "data:audio/wav;base64," + base64.b64encode(ref.getvalue()).decode()
    client = server.client()
    for extra in ({"x_vector_only_mode": True}, {"ref_text": "a steady humming tone"}):
        pcm = client.audio.speech.create(
            model="tts-1", voice="alloy", input=TEXT, response_format="pcm", extra_body={"task_type": "Base", "ref_audio": url, "seed": 3, **extra}
        ).content
        assert len(pcm) > 24000
    with pytest.raises(openai.APIStatusError) as e:  # decoded reference over max_upload_mb (1 MB)
        client.audio.speech.create(model="tiny-base", voice="x", input=TEXT, extra_body={"ref_audio": "A" * 1_400_000, "x_vector_only_mode": True})
    assert e.value.status_code == 413 and e.value.body["param"] == "ref_audio"


def test_body_size_limit(server: Server) -> None:
    big = json.dumps({"model": "tts-1", "input": TEXT, "voice": "alloy", "ref_audio": "A" * 2_000_000}).encode()
    auth = {"Authorization": "Bearer sk-main", "Content-Type": "application/json"}
    with server.http() as h:
        r = h.post("/v1/audio/speech", content=big, headers=auth)  # refused by its Content-Length
        assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
        r = h.post("/v1/audio/speech", content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]), headers=auth)  # chunked
        assert r.status_code == 413 and "larger than" in r.json()["error"]["message"]


# ------------------------------------------------------------------------------------- errors
def test_auth(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError) as e:
        server.client("sk-wrong").audio.speech.create(model="tts-1", voice="alloy", input=TEXT)
    assert e.value.status_code == 401 and e.value.body["code"] == "invalid_api_key"
    with server.http() as h:
        r = h.get("/v1/models")
        assert r.status_code == 401 and r.json()["error"]["type"] == "invalid_request_error"
        assert h.get("/health").status_code == 200 and h.get("/ready").status_code == 200 and h.get("/metrics").status_code == 200
    assert [m.id for m in server.client("sk-cli").models.list()][:2] == ["tiny-custom_voice", "tiny-base"]


def test_openai_error_shapes(server: Server) -> None:
    client = server.client()
    with pytest.raises(openai.NotFoundError) as e:
        client.audio.speech.create(model="nope", voice="alloy", input=TEXT)
    assert e.value.body["param"] == "model" and "tiny-custom_voice" in e.value.message and "tiny-base" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.audio.speech.create(model="tts-1", voice="nobody", input=TEXT)
    assert e.value.body["param"] == "voice" and "ryan" in e.value.message and "alloy" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, speed=5.0)
    assert e.value.body["param"] == "speed"
    with pytest.raises(openai.BadRequestError) as e:
        client.post("/audio/speech", cast_to=bytes, content=b'{"input": "hi", ', options={"headers": {"Content-Type": "application/json"}})
    assert "malformed JSON" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="ogg")  # type: ignore[arg-type]
    assert e.value.body["param"] == "response_format"
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="alloy", input="   ")
    with pytest.raises(openai.APIStatusError) as e:
        client.audio.speech.create(model="tts-1", voice="alloy", input="a" * 4097)
    assert e.value.status_code == 413 and e.value.body["param"] == "input"
    with server.http() as h:
        r = h.get("/v1/nothing", headers={"Authorization": "Bearer sk-main"})
    assert r.status_code == 404 and set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_key_limits(server: Server) -> None:
    solo = server.client("sk-solo")
    with solo.audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input=HOLD, response_format="pcm") as held:
        chunks = held.iter_bytes()  # kept: a dropped iterator closes the connection
        next(chunks)
        with pytest.raises(openai.RateLimitError) as e:
            solo.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm")
        assert int(e.value.response.headers["retry-after"]) >= 1 and e.value.body["code"] == "concurrency_limit_exceeded"
    deadline = time.monotonic() + 10  # the slot of the closed stream is released
    while True:
        try:
            assert solo.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm").content
            break
        except openai.RateLimitError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    slow = server.client("sk-slow")
    assert slow.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm").content
    with pytest.raises(openai.RateLimitError) as e:
        slow.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm")
    assert 1 <= int(e.value.response.headers["retry-after"]) <= 60 and e.value.body["code"] == "rate_limit_exceeded"


def test_models_health_metrics_and_logs(server: Server) -> None:
    models = server.client().models.list()
    by_id = {m.id: m for m in models}
    assert {"tiny-custom_voice", "tiny-base", "tts-1", "tts-1-hd", "gpt-4o-mini-tts"} <= set(by_id)
    assert models.object == "list" and by_id["tiny-custom_voice"].object == "model"
    with server.http() as h:
        assert h.get("/health").json() == {"status": "ok"}
        assert h.get("/ready").json()["models"] == ["tiny-custom_voice", "tiny-base"]
        auth = {"Authorization": "Bearer sk-main"}
        assert h.delete("/v1/audio/voices/nobody", headers=auth).status_code == 404
        assert h.get("/no/such/path", headers=auth).status_code == 404
        text = h.get("/metrics").text
    assert 'qtts_http_requests_total{route="/v1/audio/speech",status="200"}' in text
    assert 'qtts_http_requests_total{route="/v1/audio/speech",status="401"}' in text
    assert 'qtts_http_requests_total{route="/v1/audio/voices/{name}",status="404"}' in text  # a template, not the path
    assert 'qtts_http_requests_total{route="other",status="404"}' in text
    assert "qtts_http_in_flight " in text and "qtts_http_ttfa_seconds_bucket" in text
    for engine in ("tiny-custom_voice", "tiny-base"):  # one scheduler per engine, each its own gauges
        assert f'qtts_slots_used{{engine="{engine}"}}' in text and f'qtts_slots_total{{engine="{engine}"}}' in text
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    speech = [r for r in lines if r.get("msg") == "request" and r["route"] == "/v1/audio/speech" and r["status"] == 200]
    assert speech and all(r["request_id"] and r["seconds"] > 0 for r in speech)
    assert {r["key"] for r in speech} >= {"main", "solo"} and any(r["ttfa_s"] for r in speech)
    assert "sk-main" not in server.log.read_text() and "sk-solo" not in server.log.read_text()


def test_cors_preflight(small: Server) -> None:
    headers = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    with small.http() as h:
        r = h.options("/v1/audio/speech", headers=headers)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://app.example"
        r = h.options("/v1/audio/speech", headers={**headers, "Origin": "http://other.example"})
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers


# ------------------------------------------------------------------------------------- load, cancel, drain
def test_overload_is_503_with_retry_after(small: Server) -> None:
    client = small.client(None)
    stream = client.audio.speech.with_streaming_response.create
    with stream(model="tts-1", voice="alloy", input=HOLD, response_format="pcm") as held:
        chunks = held.iter_bytes()  # kept: a dropped iterator closes the connection
        next(chunks)  # admitted: it holds the only slot
        with stream(model="tts-1", voice="alloy", input=TEXT, response_format="pcm") as waiting:
            assert waiting.status_code == 200
            small.wait_metric("qtts_queue_depth", 1)
            with pytest.raises(openai.InternalServerError) as e:
                client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm")
            assert e.value.status_code == 503 and int(e.value.response.headers["retry-after"]) >= 1
            assert e.value.body["code"] == "queue_full"


def test_disconnect_cancels_generation(small: Server) -> None:
    body = {"model": "tts-1", "input": HOLD, "voice": "alloy", "response_format": "pcm"}
    with small.http() as h, h.stream("POST", "/v1/audio/speech", json=body) as r:
        assert r.status_code == 200
        chunks = r.iter_bytes()
        next(chunks)
        small.wait_metric("qtts_slots_used", 1)  # the consumer stopped reading: generation is paused, slot held
        time.sleep(0.3)
        assert small.metric("qtts_slots_used") == 1
    small.wait_metric("qtts_slots_used", 0)  # the disconnect cancelled it
    assert small.metric('qtts_scheduler_finished_total{engine="tiny-custom_voice",reason="cancelled"') >= 1


def test_sigterm_drains(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    s = start_server(tmp_path, [tiny_engines["custom_voice"]], "[server]\ndrain_grace_s = 20.0\n")
    try:
        client = s.client(None)
        with client.audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input=LONG, response_format="pcm") as held:
            chunks = held.iter_bytes()
            received = len(next(chunks))
            s.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            with s.http() as h:
                while h.get("/ready").status_code != 503:
                    assert time.monotonic() < deadline
                    time.sleep(0.02)
                r = h.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, "voice": "alloy"})
            assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1 and r.json()["error"]["code"] == "shutting_down"
            received += sum(len(c) for c in chunks)
        assert s.proc.wait(30) == 0
    finally:
        stop_server(s)
    lines = [json.loads(line) for line in s.log.read_text().splitlines() if line.startswith("{")]
    drain = next(r for r in lines if r["msg"] == "draining")
    (stream,) = [r for r in lines if r["msg"] == "request" and r["route"] == "/v1/audio/speech" and r["status"] == 200]
    assert stream["ts"] > drain["ts"] and stream["finish_reason"] in ("eos", "frame_budget", "max_frames")  # ran to its end
    assert received > 24000 * 2


def test_sigterm_cancels_streams_past_the_grace_period(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    s = start_server(tmp_path, [tiny_engines["custom_voice"]], "[server]\ndrain_grace_s = 0.5\n")
    try:
        with s.client(None).audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input=HOLD, response_format="pcm") as held:
            chunks = held.iter_bytes()
            next(chunks)
            started = time.monotonic()
            s.proc.send_signal(signal.SIGTERM)
            assert s.proc.wait(20) == 0 and time.monotonic() - started < 10
    finally:
        stop_server(s)
    lines = [json.loads(line) for line in s.log.read_text().splitlines() if line.startswith("{")]
    over = next(r for r in lines if r["msg"].startswith("drain grace period over"))
    (stream,) = [r for r in lines if r["msg"] == "request" and r["route"] == "/v1/audio/speech"]
    assert over["streams"] == 1 and stream["ts"] >= over["ts"] and stream["seconds"] < 5  # cut, not run to its end
