"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis) against a real
``tts-run serve`` on 127.0.0.1 (tiny CustomVoice + Base engines): every operation, valid and
invalid data; no 5xx, every response documented (status, media type, body schema), no hang."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import schemathesis
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import checks

from tests.server.harness import Server, start_server, stop_server

KEY = "sk-fuzz"
AUTH = {"Authorization": f"Bearer {KEY}"}
EXAMPLES = {"POST /v1/audio/speech": 60, "POST /v1/audio/voices": 20}  # cases per operation and mode (others: 12)
MAX_FRAMES = 24  # frames a synthesis may make: every generation stays short
REQUEST_TIMEOUT_S = 30.0  # a response (the whole body) slower than this is a hang


def _tone() -> bytes:
    """1.5 s of a 180 Hz tone as WAV: a reference audio long enough to clone."""
    t = np.arange(36000) / 24000
    wav = io.BytesIO()
    sf.write(wav, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 24000, format="WAV")
    return wav.getvalue()


# Valid choices for the fields an arbitrary value almost never hits: a positive case takes them half
# the time, so the fuzzer reaches synthesis (arbitrary text, formats, speeds, seeds) and voice saving.
REALISTIC = {
    "POST /v1/audio/speech": {
        "model": st.sampled_from([None, "tts-1", "gpt-4o-mini-tts", "tiny-custom_voice"]),
        "voice": st.sampled_from(["alloy", "ryan", {"id": "serena"}]),
        "task_type": st.sampled_from([None, "CustomVoice"]),
        "language": st.sampled_from([None, "Auto", "English", "Russian"]),
        "ref_audio": st.none(),  # the CustomVoice engine does not clone
        "ref_text": st.none(),
        "x_vector_only_mode": st.just(False),
    },
    "POST /v1/audio/voices": {
        "name": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}", fullmatch=True),
        "consent": st.sampled_from(["yes", "true", "the speaker agreed"]),
        "model": st.just("tiny-base"),
        "audio_sample": st.just(_tone()),
    },
}


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Small limits keep every case cheap: input over 48 characters and uploads over 0.2 MB are 413."""
    tmp = tmp_path_factory.mktemp("fuzz")
    toml = f'[server]\nmax_input_chars = 48\nmax_upload_mb = 0.2\nvoices_dir = "{tmp / "voices"}"\n'
    s = start_server(tmp, [tiny_engines["custom_voice"], tiny_engines["base"]], toml, "--api-key", KEY)
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def api(server: Server) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json", headers=AUTH)


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_every_operation(api: schemathesis.BaseSchema, mode: schemathesis.GenerationMode) -> None:
    """Each operation of /openapi.json with valid (positive) or invalid (negative) data; all the
    operations' failures are reported together."""
    failures: list[str] = []
    seen: Counter[tuple[str, int]] = Counter()
    for result in api.get_all_operations():
        operation = result.ok()
        try:
            _fuzz(operation, mode, seen)
        except Unsatisfiable:  # no invalid data exists for an operation without parameters
            assert not mode.is_positive
        except (Exception, BaseExceptionGroup) as e:  # a failed check, a timeout
            failures.append(f"{operation.label}: {e}")
    assert not failures, "\n\n".join(failures)
    if mode.is_positive:  # every operation answered, and the fuzzer reached synthesis
        assert {label for label, _ in seen} == {r.ok().label for r in api.get_all_operations()}
        assert seen["POST /v1/audio/speech", 200] > 0 and seen["POST /v1/audio/voices", 200] > 0


def _fuzz(operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode, seen: Counter[tuple[str, int]]) -> None:
    """Up to EXAMPLES cases of ``operation``, each response through schemathesis's checks (all but
    positive_data_acceptance: valid data may name a voice that does not exist); ``seen`` counts
    (operation, status)."""

    @given(case=operation.as_strategy(mode, headers=AUTH), data=st.data())
    @settings(max_examples=EXAMPLES.get(operation.label, 12), deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        body = case.body
        realistic = REALISTIC.get(operation.label)
        if realistic and isinstance(body, dict) and mode.is_positive and data.draw(st.booleans()):
            body.update({field: data.draw(choice) for field, choice in realistic.items()})
        asked = body.get("max_new_tokens") if isinstance(body, dict) else 0
        if operation.label == "POST /v1/audio/speech" and (asked is None or (isinstance(asked, int) and asked > MAX_FRAMES)):
            body["max_new_tokens"] = MAX_FRAMES
        response = case.call_and_validate(timeout=REQUEST_TIMEOUT_S, excluded_checks=[checks.positive_data_acceptance])
        seen[operation.label, response.status_code] += 1

    run()


def test_initial_codec_chunk_frames(server: Server) -> None:
    """vLLM-Omni's first-chunk size: 1-25 frames, 400 outside; it does not change the audio."""
    speech = {"model": "tts-1", "voice": "alloy", "input": "Hello there.", "response_format": "pcm", "seed": 9, "max_new_tokens": MAX_FRAMES}
    with server.http() as h:
        pcm = [h.post("/v1/audio/speech", json={**speech, "initial_codec_chunk_frames": n}, headers=AUTH) for n in (None, 1, 25)]
        refused = [h.post("/v1/audio/speech", json={**speech, "initial_codec_chunk_frames": n}, headers=AUTH) for n in (0, 26)]
    assert all(r.status_code == 200 for r in pcm) and len(pcm[0].content) > 0
    assert pcm[0].content == pcm[1].content == pcm[2].content
    assert all(r.status_code == 400 and r.json()["error"]["param"] == "initial_codec_chunk_frames" for r in refused)
