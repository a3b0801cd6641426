"""``tts-run loadtest`` against a real ``tts-run serve`` on 127.0.0.1 (tiny CustomVoice engine): the
harness's counts and audio agree with the server's own /metrics; over-limit keys are counted, not fatal."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qtts.cli import app
from qtts.runtime.errors import InputError
from qtts.server.loadtest import LoadConfig, is_loopback, run
from tests.server.harness import Server, start_server, stop_server

KEYS = """
[[keys]]
name = "main"
key = "sk-main"
[[keys]]
name = "slow"
key = "sk-slow"
requests_per_minute = 1
"""
FRAMES = 8  # per request: 0.64 s of audio


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("loadtest")
    (tmp / "keys.toml").write_text(KEYS)
    s = start_server(tmp, [tiny_engines["custom_voice"]], f'[server]\nkeys_file = "{tmp / "keys.toml"}"\n', "--max-streams", "2")
    yield s
    stop_server(s)


def _served(server: Server) -> tuple[float, float]:
    """(speech requests answered 200 over HTTP, seconds of audio produced) so far, by the server's /metrics."""
    return server.metric('qtts_http_requests_total{route="/v1/audio/speech",status="200"'), server.metric("qtts_audio_seconds_total")


def _check_levels(levels: list[dict], cap: int, finish_reason: str) -> None:
    assert [lv["concurrency"] for lv in levels] == [1, 2]
    for lv in levels:
        assert 1 <= lv["requests"] <= cap and lv["refused"] == lv["failed"] == 0 and lv["errors"] == {}
        assert lv["ttfa_ms"]["p50"] > 0 and lv["rtf"]["p50"] > 0 and 0 <= lv["continuity"] <= 1
        assert lv["wall_s"] < 2 + 30  # the duration, plus the requests already sent
        # every request ran to its end, as the server's scheduler counted it
        assert lv["server_finish_reasons"] == {finish_reason: lv["requests"]}
        assert lv["audio_s"] == pytest.approx(lv["audio_bytes"] / 2 / 24000, abs=1e-3)


def test_http_levels_agree_with_the_server(server: Server, tmp_path: Path) -> None:
    ok_before, audio_before = _served(server)
    out = tmp_path / "lt.json"
    r = CliRunner().invoke(app, [
        "loadtest", "--url", server.url, "--concurrency", "2,1", "--duration", "2", "--requests-max", "4",
        "--max-new-tokens", str(FRAMES), "--api-key", "sk-main", "--out", str(out),
    ])
    assert r.exit_code == 0, r.output
    report = json.loads(out.read_text())
    assert "sk-main" not in out.read_text()
    levels = report["levels"]
    _check_levels(levels, 4, "max_frames")
    assert all(lv["audio_bytes"] >= lv["requests"] * FRAMES * 1920 * 2 for lv in levels)
    ok_after, audio_after = _served(server)
    assert ok_after - ok_before == sum(lv["requests"] for lv in levels)
    # the PCM bytes received are the audio the server produced, to the sample
    assert audio_after - audio_before == pytest.approx(sum(lv["audio_bytes"] for lv in levels) / 2 / 24000, abs=1e-6)
    png = out.with_suffix(".png")
    if importlib.util.find_spec("matplotlib") is None:  # the bench extra; CI installs dev + server only
        assert not png.exists() and "plot: skipped" in r.output
    else:
        assert png.stat().st_size > 0


def test_websocket_levels_agree_with_the_server(server: Server) -> None:
    """The native socket; the text is short so that the random-weight model's utterances (seeds 0
    and 1) end by EOS within a few seconds of audio."""
    _, audio_before = _served(server)
    cfg = LoadConfig(url=server.url, concurrency=(1, 2), duration_s=2, requests_max=4, mode="ws", api_key="sk-main", text="Hello there.", wait_ready_s=5)
    levels = run(cfg)["levels"]
    _check_levels(levels, 4, "eos")
    _, audio_after = _served(server)
    assert audio_after - audio_before == pytest.approx(sum(lv["audio_bytes"] for lv in levels) / 2 / 24000, abs=1e-6)


def test_over_limit_key_is_counted_as_429(server: Server) -> None:
    report = run(LoadConfig(url=server.url, concurrency=(2,), duration_s=1.5, requests_max=6, api_key="sk-slow", max_new_tokens=FRAMES, wait_ready_s=5))
    (lv,) = report["levels"]
    ok = lv["requests"] - lv["refused"]
    assert ok <= 1 and lv["refused"] >= 1 and lv["failed"] == 0  # one request a minute; the rest are refused
    assert lv["errors"] == {"429": lv["refused"]}
    assert lv["wall_s"] < 1.5 + 30  # a refused client waits for Retry-After only while the level lasts


def test_wrong_key_is_a_failure_not_a_crash(server: Server) -> None:
    (lv,) = run(LoadConfig(url=server.url, concurrency=(1,), duration_s=1, requests_max=3, api_key="sk-wrong", wait_ready_s=5))["levels"]
    assert lv["requests"] == lv["failed"] == 3 and lv["errors"] == {"401": 3} and lv["ttfa_ms"] == {}


def test_only_loopback_unless_allowed() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("192.0.2.1") and not is_loopback("no-such-host.invalid")
    with pytest.raises(InputError, match="allow-remote"):
        LoadConfig(url="http://192.0.2.1:8080").check()
    LoadConfig(url="http://192.0.2.1:8080", allow_remote=True).check()
    for bad in ({"mode": "grpc"}, {"concurrency": (0,)}, {"duration_s": 0}, {"url": "ftp://127.0.0.1"}):
        with pytest.raises(InputError):
            LoadConfig(**{"url": "http://127.0.0.1:1"} | bad).check()  # type: ignore[arg-type]
