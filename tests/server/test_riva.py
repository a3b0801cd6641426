"""The Riva-compatible gRPC front end end to end: a real ``tts-run serve --grpc-port`` on 127.0.0.1
(tiny CustomVoice + Base engines), driven by the stock ``nvidia-riva-client`` and grpc's health stub."""

from __future__ import annotations

import signal
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import av
import grpc
import numpy as np
import pytest
import riva.client
import soundfile as sf
from grpc_health.v1 import health_pb2, health_pb2_grpc
from riva.client.proto import riva_tts_pb2 as rtts
from riva.client.proto.riva_audio_pb2 import AudioEncoding

from tests.server.harness import Server, free_port, start_server, stop_server

TEXT = "Hello there, how are you today?"
LONG = "This sentence keeps the stream busy for a while, with many words in it. " * 4
HOLD = "A stream that outlasts the deadline, so its slot stays busy until the deadline passes. " * 40
KEY = [["authorization", "Bearer sk-main"]]


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    tmp = tmp_path_factory.mktemp("riva")
    port = free_port()
    s = start_server(tmp, [tiny_engines["custom_voice"], tiny_engines["base"]], "[server]\n", "--api-key", "sk-main", "--grpc-port", str(port))
    yield s, f"127.0.0.1:{port}"
    stop_server(s)


def _service(uri: str, metadata: list[list[str]] | None = KEY) -> riva.client.SpeechSynthesisService:
    return riva.client.SpeechSynthesisService(riva.client.Auth(uri=uri, metadata_args=metadata))


def _pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2")


def test_list_voices(server: tuple[Server, str]) -> None:
    tts = _service(server[1])
    configs = tts.stub.GetRivaSynthesisConfig(rtts.RivaSynthesisConfigRequest(), metadata=tts.auth.get_auth_metadata()).model_config
    cv = [c for c in configs if c.model_name == "tiny-custom_voice"]
    langs = {c.parameters["language_code"] for c in cv}
    assert {"en-US", "ru-RU"} <= langs
    subvoices = [s.split(":")[0] for s in cv[0].parameters["subvoices"].split(",")]
    assert "serena" in subvoices and cv[0].parameters["voice_name"] == "tiny-custom_voice"
    assert any(c.model_name == "tiny-base" for c in configs)  # listed (no saved voice yet: cloning only)


def test_synthesize_at_24k_and_44k(server: tuple[Server, str]) -> None:
    tts = _service(server[1])
    seeded = {"seed": "7"}
    a24 = _pcm(tts.synthesize(TEXT, "tiny-custom_voice.serena", sample_rate_hz=24000, custom_configuration=seeded).audio)
    a44 = _pcm(tts.synthesize(TEXT, "serena", sample_rate_hz=44100, custom_configuration=seeded).audio)
    assert len(a24) > 2400 and np.abs(a24).max() > 0
    assert abs(len(a44) - len(a24) * 44100 / 24000) <= 2  # same seeded audio, resampled (soxr keeps the length)
    # the 44.1 kHz signal is the 24 kHz one: equal spectra below 12 kHz
    spec24 = np.abs(np.fft.rfft(a24.astype(np.float32), 24000))[:10000]
    spec44 = np.abs(np.fft.rfft(a44.astype(np.float32), 44100))[:10000]
    assert np.corrcoef(spec24, spec44)[0, 1] > 0.95


def test_synthesize_online_streams(server: tuple[Server, str]) -> None:
    tts = _service(server[1])
    one = [r.audio for r in tts.synthesize_online(LONG, "serena", sample_rate_hz=24000)]
    assert len(one) > 3 and sum(map(len, one)) > 24000 * 2
    pieces = ["Hello there, ", "how are you ", "today? Fine, ", "thank you."]
    streamed = [r.audio for r in tts.synthesize_online(pieces, "tiny-custom_voice.ryan", sample_rate_hz=44100)]
    assert len(streamed) > 1 and sum(map(len, streamed)) > 44100 * 2 * 0.2


def test_oggopus_framing(server: tuple[Server, str]) -> None:
    tts = _service(server[1])
    seeded = {"seed": "3"}
    pcm = _pcm(tts.synthesize(TEXT, "eric", sample_rate_hz=48000, custom_configuration=seeded).audio)
    data = tts.synthesize(TEXT, "eric", encoding=AudioEncoding.OGGOPUS, sample_rate_hz=48000, custom_configuration=seeded).audio
    decoder = av.CodecContext.create("libopus", "r")
    decoder.sample_rate, decoder.layout = 48000, "mono"
    samples, offset = 0, 0
    while offset < len(data):  # [int32 LE length][Opus packet] ...
        (n,) = struct.unpack_from("<i", data, offset)
        samples += sum(f.samples for f in decoder.decode(av.Packet(data[offset + 4 : offset + 4 + n])))
        offset += 4 + n
    assert offset == len(data) and abs(samples - len(pcm)) < 0.05 * 48000


def test_zero_shot_clone_on_base(server: tuple[Server, str], tmp_path: Path) -> None:
    ref = tmp_path / "ref.wav"
    t = np.arange(3 * 24000) / 24000
    sf.write(ref, (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32), 24000)
    tts = _service(server[1])
    audio = _pcm(tts.synthesize(TEXT, sample_rate_hz=24000, zero_shot_audio_prompt_file=ref, zero_shot_transcript="A humming tone.").audio)
    assert len(audio) > 2400 and np.abs(audio).max() > 0
    with pytest.raises(grpc.RpcError) as e:  # a CustomVoice engine cannot clone
        tts.synthesize(TEXT, "tiny-custom_voice", zero_shot_audio_prompt_file=ref)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_deadline_expires_and_frees_the_slot(server: tuple[Server, str]) -> None:
    s, uri = server
    tts = _service(uri)
    req = rtts.SynthesizeSpeechRequest(text=HOLD, voice_name="serena", sample_rate_hz=24000, encoding=AudioEncoding.LINEAR_PCM)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as e:
        tts.stub.Synthesize(req, timeout=0.5, metadata=tts.auth.get_auth_metadata())
    assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED and time.monotonic() - started < 5
    s.wait_metric("qtts_slots_used", 0)


def test_missing_or_wrong_key(server: tuple[Server, str]) -> None:
    for metadata in (None, [["authorization", "Bearer sk-wrong"]]):
        with pytest.raises(grpc.RpcError) as e:
            _service(server[1], metadata).synthesize(TEXT, "serena")
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _service(server[1], [["authorization", "sk-main"]]).synthesize(TEXT, "serena").audio  # the bare key works too


def test_bad_input_is_invalid_argument(server: tuple[Server, str]) -> None:
    tts = _service(server[1])
    for kw in ({"voice_name": "nobody"}, {"voice_name": "serena", "language_code": "xx-XX"}, {"voice_name": "serena", "encoding": AudioEncoding.MULAW}):
        with pytest.raises(grpc.RpcError) as e:
            tts.synthesize(TEXT, **kw)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and e.value.details()


def test_cancel_mid_stream_frees_the_slot(server: tuple[Server, str]) -> None:
    s, uri = server
    cancelled = s.metric('qtts_scheduler_finished_total{engine="tiny-custom_voice",reason="cancelled"')
    responses = _service(uri).synthesize_online(HOLD, "serena", sample_rate_hz=24000)
    assert next(responses).audio
    responses.cancel()
    s.wait_metric("qtts_slots_used", 0)
    assert s.metric('qtts_scheduler_finished_total{engine="tiny-custom_voice",reason="cancelled"') == cancelled + 1
    s.wait_metric('qtts_frontend_requests_total{method="SynthesizeOnline",protocol="grpc",status="CANCELLED"', 1)


def test_health_service(server: tuple[Server, str]) -> None:
    with grpc.insecure_channel(server[1]) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for name in ("", "nvidia.riva.tts.RivaSpeechSynthesis"):
            assert stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status == health_pb2.HealthCheckResponse.SERVING


def test_reference_audio_is_not_a_file(server: tuple[Server, str]) -> None:
    """Raw LINEAR_PCM reference bytes with their rate clone too (not only audio files)."""
    tts = _service(server[1])
    t = np.arange(3 * 16000) / 16000
    raw = (0.3 * np.sin(2 * np.pi * 150 * t) * 32767).astype("<i2").tobytes()
    req = rtts.SynthesizeSpeechRequest(text=TEXT, sample_rate_hz=24000, encoding=AudioEncoding.LINEAR_PCM)
    req.zero_shot_data.audio_prompt, req.zero_shot_data.sample_rate_hz, req.zero_shot_data.encoding = raw, 16000, AudioEncoding.LINEAR_PCM
    assert len(tts.stub.Synthesize(req, metadata=tts.auth.get_auth_metadata()).audio) > 4800


def test_reflection_and_one_process_with_the_stock_client(server: tuple[Server, str]) -> None:
    """Reflection lists the three services and describes ours; our generated messages load beside the
    stock client's (same ``nvidia.riva.*`` names: ours live in a private descriptor pool) and the two
    encode the same bytes."""
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    from qtts.server.riva.proto import riva_tts_pb2 as ours

    with grpc.insecure_channel(server[1]) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        asks = [reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol="nvidia.riva.tts.RivaSpeechSynthesis")]
        listed, described = list(stub.ServerReflectionInfo(iter(asks), timeout=30))
    names = {s.name for s in listed.list_services_response.service}
    assert names == {"nvidia.riva.tts.RivaSpeechSynthesis", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}
    assert described.file_descriptor_response.file_descriptor_proto  # the service's file, not an error
    stock = rtts.SynthesizeSpeechRequest(text="Hi", language_code="en-US", sample_rate_hz=44100, voice_name="ryan")
    assert ours.SynthesizeSpeechRequest.FromString(stock.SerializeToString()).SerializeToString() == stock.SerializeToString()


def test_streamed_text_over_the_input_limit(server: tuple[Server, str]) -> None:
    """Text pieces that add up past max_input_chars (4096) end the call (INVALID_ARGUMENT) and free the slot."""
    tts = _service(server[1])
    pieces = ["Hello there, ", "how are you? "] + ["A few more words arrive. "] * 200  # 5026 characters
    with pytest.raises(grpc.RpcError) as e:
        for _ in tts.synthesize_online(pieces, "serena", sample_rate_hz=24000):
            pass
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "4096" in e.value.details()  # as an over-limit unary text
    server[0].wait_metric("qtts_slots_used", 0)


def test_drain_refuses_new_calls_and_finishes_running_ones(tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    """SIGTERM: health turns NOT_SERVING, a new call gets UNAVAILABLE (shutting down), a running stream
    plays to its end, then the process exits 0."""
    port = free_port()
    s = start_server(tmp_path, [tiny_engines["custom_voice"]], "[server]\ndrain_grace_s = 30.0\n", "--grpc-port", str(port))
    uri = f"127.0.0.1:{port}"
    try:
        running = _service(uri, None).synthesize_online(LONG, "serena", sample_rate_hz=24000)
        received = len(next(running).audio)
        s.proc.send_signal(signal.SIGTERM)
        with grpc.insecure_channel(uri) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            deadline = time.monotonic() + 10
            while stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status != health_pb2.HealthCheckResponse.NOT_SERVING:
                assert time.monotonic() < deadline, "health still SERVING while draining"
                time.sleep(0.05)
        with pytest.raises(grpc.RpcError) as e:
            _service(uri, None).synthesize(TEXT, "serena")
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE and "shutting down" in e.value.details()
        received += sum(len(r.audio) for r in running)  # the running stream completes
        assert received > 24000 * 2 and s.proc.wait(30) == 0
    finally:
        stop_server(s)
