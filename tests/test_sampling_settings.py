"""Sampling parameters, settings files, logs and metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from qtts.runtime import logs, metrics
from qtts.runtime.errors import InputError
from qtts.runtime.sampling import SamplingParams
from qtts.runtime.settings import ConfigError, RuntimeSettings, ServerSettings, load


def test_sampling_params_from_generation_config() -> None:
    gen = {"do_sample": True, "temperature": 0.7, "subtalker_top_k": 20, "max_new_tokens": 8192}
    p = SamplingParams.from_generation_config(gen, top_p=0.9)
    assert (p.temperature, p.sub_top_k, p.top_p) == (0.7, 20, 0.9)
    g = p.greedy()
    assert not g.do_sample and not g.sub_do_sample and g.repetition_penalty == p.repetition_penalty
    with pytest.raises(InputError, match="unknown sampling"):
        SamplingParams.from_generation_config({}, warmth=1)


def test_settings_unknown_keys_and_types_are_errors(tmp_path: Path) -> None:
    p = tmp_path / "runtime.toml"
    p.write_text('[runtime]\nprovider = "cpu"\nthreads = 2\n')
    s = load(RuntimeSettings, p, {"runtime": {"threads": 4, "provider": None}})
    assert s.runtime.threads == 4 and s.runtime.provider == "cpu"
    p.write_text("[runtime]\nthredas = 2\n")
    with pytest.raises(ConfigError, match="unknown key.*thredas"):
        load(RuntimeSettings, p)
    p.write_text('[runtime]\nthreads = "two"\n')
    with pytest.raises(ConfigError, match="expected int"):
        load(RuntimeSettings, p)
    p.write_text('[runtime]\nprovider = "gpu"\n')
    with pytest.raises(ConfigError, match="not one of"):
        load(RuntimeSettings, p)
    p.write_text("[servr]\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load(ServerSettings, p)


def test_committed_configs_parse() -> None:
    from qtts.runtime.settings import ModelSettings, default_path

    for cls, name in ((RuntimeSettings, "runtime.toml"), (ServerSettings, "server.toml"), (ModelSettings, "model.toml")):
        assert load(cls, default_path(name)) is not None


def test_json_logs_carry_request_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("json", "info")
    logging.getLogger("qtts.test").info("synthesized", extra={"request_id": "abc123", "frames": 5})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    rec = json.loads(line)
    assert rec["msg"] == "synthesized" and rec["request_id"] == "abc123" and rec["frames"] == 5
    logs.configure("text", "warning")


def test_metrics_exposition_counts_requests(cv_synth) -> None:
    cv_synth.synthesize("Привет!", speaker="ryan", seed=0, max_frames=2)
    text = metrics.exposition().decode()
    assert 'qtts_requests_total{finish_reason="max_frames",model_type="custom_voice"}' in text
    assert "qtts_time_to_first_audio_seconds_bucket" in text
