"""Loopback scale-out: three ``tts-run serve`` replicas (tiny engine, the pods' server.toml) behind nginx
with a consistent hash of ``X-Voice``, and Prometheus scraping them.

Checked here: voice affinity through the proxy; the KEDA ScaledObject's own PromQL, evaluated by
Prometheus under a scripted load, and the replica count KEDA derives from it; SIGTERM drain mid-stream
(the stream finishes, new requests go to the other replicas, exit 0); SIGKILL (only that replica's
streams fail, with a closed-connection error on the client). The tests share one stack and may stop
replicas, so each picks the replicas it needs among those still running.

Streams are WebSocket utterances (``/v1/audio/speech/stream``) whose text has not ended: such an
utterance holds its scheduler slot (or waits for one) until the client sends the rest, which makes
the load exact and independent of how fast the tiny engine generates."""

from __future__ import annotations

import json
import math
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from websockets.sync.client import ClientConnection, connect

from tests.deploy.manifests import pod_config, render, scaled_object_trigger
from tests.deploy.stack import (
    NGINX,
    PROMETHEUS,
    SERVICE,
    Service,
    promql,
    start_nginx,
    start_prometheus,
    tiny_engine,
)
from tests.server.harness import Server, start_server, stop_server

pytestmark = pytest.mark.skipif(
    NGINX is None or PROMETHEUS is None, reason="needs Debian's nginx and prometheus binaries (apt-get install nginx prometheus)"
)

ROOT = Path(__file__).resolve().parents[2]
POD_CONFIG = ROOT / "deploy/k8s/base/server-config.toml"
REPLICAS = 3
SPEECH = 'qtts_http_requests_total{route="/v1/audio/speech",status="200"'
FRAMES = 40  # per utterance: bounds every stream these tests finish


class Stack:
    def __init__(self, replicas: list[Server], nginx: Service, prometheus: Service):
        self.replicas, self.nginx, self.prometheus = replicas, nginx, prometheus

    def live(self) -> list[Server]:
        return [r for r in self.replicas if r.proc.poll() is None]

    def speak(self, voice: str) -> int:
        """One short synthesis through nginx with ``X-Voice: voice``; its HTTP status."""
        with self.replicas[0].http() as client:
            r = client.post(
                f"{self.nginx.url}/v1/audio/speech", headers={"X-Voice": voice},
                json={"input": "Hello there.", "voice": "ryan", "response_format": "pcm", "max_new_tokens": 8, "seed": 0},
            )
        return r.status_code

    def served_by(self, voice: str) -> Server:
        """The live replica whose count of successful syntheses rose for one request of ``voice``."""
        live = self.live()
        before = [r.metric(SPEECH) for r in live]
        assert self.speak(voice) == 200
        moved = [r for r, b in zip(live, before, strict=True) if r.metric(SPEECH) > b]
        assert len(moved) == 1, f"one request counted on {len(moved)} replicas"
        return moved[0]

    def slots(self) -> list[float]:
        """Slots in use plus requests waiting, per live replica (from each replica's /metrics)."""
        return [r.metric("qtts_slots_used") + r.metric("qtts_queue_depth") for r in self.live()]

    def wait_idle(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while any(self.slots()):
            assert time.monotonic() < deadline, f"streams still held: {self.slots()}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("scale_out")
    engine = tiny_engine(tmp)
    config = POD_CONFIG.read_text()  # the pods' settings; loopback host and ports come from the flags
    replicas: list[Server] = []
    services: list[Service] = []
    try:
        for i in range(REPLICAS):
            replicas.append(start_server(tmp / f"replica-{i}", [engine], config, "--grpc-port", "0"))
        services.append(start_nginx(tmp / "nginx", replicas))
        services.append(start_prometheus(tmp / "prometheus", replicas))
        yield Stack(replicas, *services)
    finally:
        for s in services:
            s.stop()
        for r in replicas:
            stop_server(r)


def open_utterance(stack: Stack, voice: str) -> ClientConnection:
    """A WebSocket session through nginx whose utterance has started and not ended (it holds a slot,
    or waits for one, until ``finish_utterance``)."""
    ws = connect(f"{stack.nginx.url.replace('http', 'ws')}/v1/audio/speech/stream", additional_headers={"X-Voice": voice}, open_timeout=10)
    ws.send(json.dumps({"type": "session.config", "voice": "ryan", "seed": 0, "max_new_tokens": FRAMES}))
    assert json.loads(ws.recv(10))["type"] == "session.updated"
    ws.send(json.dumps({"type": "input.text", "text": "Hello there, this is "}))
    return ws


def finish_utterance(ws: ClientConnection, seconds: float = 30.0) -> tuple[str, int]:
    """Send the rest of the text and read to ``audio.done``: (finish_reason, PCM bytes received)."""
    ws.send(json.dumps({"type": "input.text", "text": "the rest of the sentence."}))
    ws.send(json.dumps({"type": "input.done"}))
    pcm = 0
    deadline = time.monotonic() + seconds
    while True:
        message = ws.recv(max(0.1, deadline - time.monotonic()))
        if isinstance(message, bytes):
            pcm += len(message)
        elif (event := json.loads(message))["type"] == "audio.done":
            return event["finish_reason"], pcm
        else:
            assert event["type"] == "audio.start", event


def keda_replicas(value: float, threshold: float, min_replicas: int, max_replicas: int) -> int:
    """Replicas KEDA's HPA asks for on an ``AverageValue`` trigger: ceil(value / threshold), clamped
    (the HPA's 10 % tolerance band and the stabilization windows only delay a change)."""
    return min(max_replicas, max(min_replicas, math.ceil(value / threshold)))


def test_keda_formula() -> None:
    assert [keda_replicas(v, 12, 1, 8) for v in (0, 1, 12, 13, 24, 25, 200)] == [1, 1, 1, 2, 2, 3, 8]


def test_voice_affinity(stack: Stack) -> None:
    """Every request of one voice reaches one replica, and the voices spread over replicas."""
    voices = [f"voice-{i}" for i in range(12)]
    homes = {v: [stack.served_by(v).url for _ in range(3)] for v in voices}
    hits = sum(max(map(urls.count, urls)) for urls in homes.values())
    ratio = hits / sum(map(len, homes.values()))
    print(f"affinity hit ratio {ratio:.3f} over {len(voices)} voices x 3 requests; replicas used {len({u[0] for u in homes.values()})}")
    assert ratio == 1.0, homes
    assert len({urls[0] for urls in homes.values()}) >= 2, "the hash sent every voice to one replica"


def test_scaled_object_query(stack: Stack) -> None:
    """The ScaledObject's PromQL counts the streams in slots and in queues over all replicas, and
    KEDA's formula turns it into the replica count the load needs."""
    docs = render("keda")
    trigger, min_replicas, max_replicas = scaled_object_trigger(docs)
    query, threshold = trigger["query"], float(trigger["threshold"])
    spread, slots = int(threshold) + 1, pod_config(docs)["scheduler"]["max_streams"]
    # idle; just over one pod's target; then one voice gets more streams than a replica has slots
    # (its replica fills up and requests wait), the others spread by the hash
    loads = [0, spread, spread + slots + 1]
    sessions: list[ClientConnection] = []
    measured = {}
    try:
        for load in loads:
            while len(sessions) < load:
                sessions.append(open_utterance(stack, "hot" if len(sessions) >= spread else f"spread-{len(sessions)}"))
            deadline = time.monotonic() + 15
            while (value := promql(stack.prometheus, query)) != load:
                assert time.monotonic() < deadline, f"{query} = {value}, expected {load} (per replica {stack.slots()})"
                time.sleep(0.2)
            measured[load] = keda_replicas(value, threshold, min_replicas, max_replicas)
        queued = promql(stack.prometheus, f'sum(qtts_queue_depth{{service="{SERVICE}"}})')
        print(f"query {query!r} threshold {threshold}: streams -> replicas {measured}; waiting at the top load {queued}")
        assert queued and queued > 0
        idle, over_one, top = measured.values()  # top > 2 x threshold, as the ScaledObject test keeps threshold < slots
        assert (idle, over_one) == (min_replicas, 2) and top >= 3, measured
    finally:
        for ws in sessions:
            ws.close()
    stack.wait_idle()


def test_sigterm_drains_mid_stream(stack: Stack) -> None:
    """SIGTERM to the replica holding a stream: /ready turns 503, that voice's new requests are served
    by another replica, the stream still finishes, and the process exits 0."""
    assert len(stack.live()) >= 2
    stack.wait_idle()
    voice = "drain-me"
    victim = stack.served_by(voice)
    ws = open_utterance(stack, voice)
    deadline = time.monotonic() + 10
    while victim.metric("qtts_slots_used") < 1:
        assert time.monotonic() < deadline, "the stream did not start on the voice's replica"
        time.sleep(0.05)
    victim.proc.send_signal(signal.SIGTERM)
    with victim.http() as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 503:
            assert time.monotonic() < deadline, "/ready did not turn 503 on SIGTERM"
            time.sleep(0.05)
    rerouted = [stack.served_by(voice) for _ in range(3)]
    assert victim not in rerouted and len({r.url for r in rerouted}) == 1  # the voice moved to one other replica
    started = time.monotonic()
    reason, pcm = finish_utterance(ws)
    ws.close()
    print(f"drain: stream finished after SIGTERM ({reason}, {pcm} bytes, {time.monotonic() - started:.2f} s); "
          f"3/3 new requests served by {rerouted[0].url}; exit {victim.proc.wait(30)}")
    assert reason in ("eos", "max_frames") and pcm > 0
    assert victim.proc.returncode == 0


def test_sigkill_fails_only_its_streams(stack: Stack) -> None:
    """SIGKILL to a replica: its streams end with a closed-connection error on the client at once;
    the other replicas' streams finish, and the killed replica's voices move on."""
    live = stack.live()
    assert len(live) >= 2
    stack.wait_idle()
    homes = {f"kill-{i}": stack.served_by(f"kill-{i}") for i in range(12)}
    victim = max(live, key=lambda r: sum(h is r for h in homes.values()))
    doomed = [v for v, h in homes.items() if h is victim]
    others = [v for v, h in homes.items() if h is not victim]
    assert doomed and others, homes
    sessions = {v: open_utterance(stack, v) for v in homes}
    deadline = time.monotonic() + 10
    while victim.metric("qtts_slots_used") < len(doomed):
        assert time.monotonic() < deadline, "the streams did not start"
        time.sleep(0.05)
    victim.proc.kill()
    victim.proc.wait()
    killed = time.monotonic()
    failed, finished = [], []
    for v, ws in sessions.items():
        try:
            reason, pcm = finish_utterance(ws, seconds=15)
            assert reason in ("eos", "max_frames") and pcm > 0
            finished.append(v)
        except websockets.ConnectionClosedError as e:
            assert e.rcvd is None, "a close frame from a killed replica"  # the proxy drops the connection
            failed.append(v)
        finally:
            ws.close()
    print(f"kill: {len(failed)} streams on the killed replica failed with ConnectionClosedError "
          f"within {time.monotonic() - killed:.2f} s, {len(finished)} on others finished")
    assert sorted(failed) == sorted(doomed) and sorted(finished) == sorted(others)
    assert all(stack.served_by(v) is not victim for v in doomed)
