"""The installed distribution: a wheel built from this checkout, installed into a fresh virtual
environment outside it, exposes one top-level package (``qtts``) and runs without the exporter's
``onnx``: ``tts-run --help``, the public import, the bundled tokenizer and normalizer data, and a
synthesis with an engine exported here."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)], check=True, timeout=600)
    (found,) = out.glob("*.whl")
    return found


def test_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"qtts"}, sorted(top)
    for needed in ("qtts/__init__.py", "qtts/cli.py", "qtts/runtime/synthesizer.py", "qtts/export/assets/tokenizer/vocab.json",
                   "qtts/server/static/index.html", "qtts/normalize/data"):
        assert any(n.startswith(needed) for n in names), needed
    assert not any(n.startswith(("qtts/tests/", "qtts/golden/", "qtts/deploy/")) for n in names)


@pytest.mark.slow
def test_fresh_venv_without_onnx(wheel: Path, tiny_engines: dict[str, Path], tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", f"{wheel}[cpu]"], check=True, timeout=900)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    probe = f"""
import importlib.util, sys
assert importlib.util.find_spec("onnx") is None, "onnx must not come with the runtime"
assert importlib.util.find_spec("runtime") is None and importlib.util.find_spec("export") is None
import qtts
from qtts import Normalizer, Synthesizer
assert qtts.__file__.startswith({str(venv)!r}), qtts.__file__
print(Normalizer().normalize("12 рублей", "ru").text)
s = Synthesizer.from_engines({str(tiny_engines["custom_voice"])!r}, threads=1)
audio = s.synthesize("Hello there.", speaker=s.speakers[0], seed=0, max_frames=4)
print(audio.sample_rate, len(audio.pcm))
"""
    r = subprocess.run([str(py), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    words, (rate, samples) = r.stdout.splitlines()[0], r.stdout.split()[-2:]
    assert words == "двенадцать рублей" and rate == "24000" and int(samples) > 0
    help_ = subprocess.run([str(venv / "bin" / "tts-run"), "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert help_.returncode == 0 and "serve" in help_.stdout
    export = subprocess.run([str(venv / "bin" / "tts-run"), "export", str(tmp_path / "nowhere")], env=env, capture_output=True, text=True, timeout=120)
    assert export.returncode != 0 and "export" in (export.stdout + export.stderr).lower()
