"""The playground page (``/``) in headless Chromium against a real ``tts-run serve`` on 127.0.0.1 with
the tiny CustomVoice and Base engines: Debian's ``chromium`` driven by Playwright.

The page and its files load without a key and without console errors and list the engine's speakers;
Speak streams over the native WebSocket into the Web Audio graph (every sample of the utterance is
scheduled: as many as ``audio.done`` counts and as a plain WebSocket client receives for the same
request and seed), TTFA and RTF show numbers, the WAV download holds exactly that PCM, Stop cancels,
and a voice cloned from an uploaded recording is selected and speaks.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Browser, Page, sync_playwright
from websockets.sync.client import connect

from tests.server.harness import Server, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
KEY = "sk-play"
TEXT = "Hello there, how are you today?"
LONG = "This sentence keeps the stream busy for a while, with many words in it. " * 8
SEED = 8  # a short utterance (11.5 s of audio) from the tiny random engine on the text-in path

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("playground")
    s = start_server(tmp, [tiny_engines["custom_voice"], tiny_engines["base"]], f'[server]\nvoices_dir = "{tmp / "voices"}"\n', "--api-key", KEY)
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """The page with the key in localStorage (as a visitor who typed it before), its lists loaded.
    Console errors and uncaught exceptions fail the test."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(f"localStorage.setItem('qtts.apiKey', {json.dumps(KEY)})")
    response = page.goto(f"{server.url}/")
    assert response is not None and response.status == 200
    page.wait_for_function("document.querySelector('#voice').options.length > 0", timeout=10_000)
    yield page
    context.close()
    assert errors == []


def _speak(page: Page, text: str, voice: str) -> dict[str, Any]:
    page.fill("#text", text)
    page.select_option("#voice", voice)
    page.fill("#seed", str(SEED))
    page.click("#speak")
    page.wait_for_function("window.playground.stats.done", timeout=30_000)
    page.wait_for_function("!document.querySelector('#speak').disabled")  # the session closed
    return page.evaluate("window.playground.stats")


def _socket(server: Server, config: dict[str, Any], text: str) -> tuple[bytes, dict[str, Any]]:
    """PCM and ``audio.done`` of one utterance from a plain WebSocket client."""
    url = server.url.replace("http://", "ws://") + "/v1/audio/speech/stream"
    with connect(url, additional_headers={"Authorization": f"Bearer {KEY}"}, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "session.config", **config}))
        assert json.loads(ws.recv(timeout=10))["type"] == "session.updated"
        ws.send(json.dumps({"type": "input.text", "text": text}))
        ws.send(json.dumps({"type": "input.done"}))
        pcm = b""
        while True:
            message = ws.recv(timeout=30)
            if isinstance(message, bytes):
                pcm += message
            elif (event := json.loads(message))["type"] == "audio.done":
                return pcm, event


def test_page_is_open_and_lists_the_engine(page: Page, server: Server) -> None:
    with server.http() as http:
        assert http.get("/static/playground.js").status_code == 200  # no key needed for the page's files
        assert http.get("/v1/models").status_code == 401  # the API still needs one
        models = http.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).json()["data"]
    served = {m["id"]: m for m in models if "model_type" in m}
    assert page.input_value("#key") == KEY
    assert page.eval_on_selector_all("#model option", "os => os.map(o => o.value)") == list(served)
    speakers = page.eval_on_selector_all("#voice option", "os => os.map(o => o.value)")
    assert speakers == served[page.input_value("#model")]["speakers"] and "ryan" in speakers
    assert page.eval_on_selector_all("#language option", "os => os.map(o => o.value)")[0] == "auto"


def test_speak_streams_into_the_audio_graph(page: Page, server: Server) -> None:
    stats = _speak(page, TEXT, "ryan")
    done = stats["done"]
    assert done["finish_reason"] == "eos"
    pcm, reference = _socket(server, {"model": page.input_value("#model"), "voice": "ryan", "language": "auto", "seed": SEED}, TEXT)
    assert reference["samples"] == len(pcm) // 2 > 0
    assert stats["samples"] == done["samples"] == reference["samples"]  # every sample went into the audio graph
    assert stats["chunks"] > 1  # streamed, not one buffer at the end
    assert float(page.text_content("#ttfa").removesuffix(" ms")) == pytest.approx(stats["ttfa_ms"], abs=1)
    assert float(page.text_content("#rtf")) > 0
    assert page.text_content("#finish") == "eos"

    with page.expect_download() as download:
        page.click("#download")
    data = Path(download.value.path()).read_bytes()
    assert len(data) == stats["wav_bytes"] == 44 + len(pcm)
    audio, rate = sf.read(io.BytesIO(data), dtype="int16")
    assert rate == 24000 and audio.tobytes() == pcm


def test_stop_cancels_the_utterance(page: Page) -> None:
    page.fill("#text", LONG)
    page.select_option("#voice", "ryan")
    page.click("#speak")
    page.wait_for_function("window.playground.stats.chunks > 0", timeout=30_000)
    page.click("#stop")
    page.wait_for_function("window.playground.stats.done", timeout=10_000)
    page.wait_for_function("!document.querySelector('#speak').disabled")
    stats = page.evaluate("window.playground.stats")
    assert stats["done"]["finish_reason"] == "cancelled"
    assert 0 < stats["samples"] <= stats["done"]["samples"]  # chunks that came after Stop are not played


def test_a_refused_utterance_shows_the_error(page: Page) -> None:
    base = next(v for v in page.eval_on_selector_all("#model option", "os => os.map(o => o.value)") if v.endswith("base"))
    page.select_option("#model", base)
    page.eval_on_selector("#voice", "s => { s.value = '' }")  # no voice: a Base model needs one
    page.click("#speak")
    page.wait_for_function("!document.querySelector('#speak').disabled", timeout=10_000)
    assert "voice" in page.text_content("#status")
    assert page.get_attribute("#status", "class") == "error"
    assert page.evaluate("window.playground.stats.samples") == 0


def test_clone_from_upload_selects_and_speaks(page: Page, tmp_path: Path) -> None:
    t = np.arange(2 * 24000) / 24000
    reference = tmp_path / "me.wav"
    sf.write(reference, 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2, 24000)
    page.click("summary")
    page.set_input_files("#clone-file", reference)
    page.fill("#clone-name", "me")
    page.check("#clone-consent")
    page.click("#clone button")
    page.wait_for_function("document.querySelector('#voice').value === 'me'", timeout=30_000)
    assert page.input_value("#model").endswith("base")
    stats = _speak(page, TEXT, "me")
    assert stats["done"]["finish_reason"] in ("eos", "max_frames")
    assert stats["samples"] == stats["done"]["samples"] > 0
