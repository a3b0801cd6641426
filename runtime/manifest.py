"""Engine manifest: what an engine directory holds, where it came from, and who built it.

``manifest.json`` keys: format, engine_format, exporter_fingerprint, profile, model_type,
source {location, files {relpath: sha256}}, graphs [names], files {relpath: {bytes, sha256}},
created. ``check`` refuses a directory whose manifest is from other code or whose files differ.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qtts.runtime.errors import EngineError
from qtts.runtime.version import ENGINE_FORMAT, exporter_fingerprint

MANIFEST = "manifest.json"
FORMAT = "qwen3-tts-engine"


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Manifest:
    data: dict[str, Any]

    @property
    def profile(self) -> str:
        return self.data["profile"]

    @property
    def graphs(self) -> list[str]:
        return list(self.data["graphs"])

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.data["files"]


def write_manifest(
    engine_dir: Path, *, profile: str, model_type: str, graphs: list[str], source: dict[str, Any]
) -> Manifest:
    """Hash every file in ``engine_dir`` (except the manifest) and write ``manifest.json``."""
    files = {
        p.relative_to(engine_dir).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(engine_dir.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    data = {
        "format": FORMAT,
        "engine_format": ENGINE_FORMAT,
        "exporter_fingerprint": exporter_fingerprint(),
        "profile": profile,
        "model_type": model_type,
        "source": source,
        "graphs": graphs,
        "files": files,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (engine_dir / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return Manifest(data)


def read_manifest(engine_dir: Path) -> Manifest:
    path = engine_dir / MANIFEST
    if not engine_dir.is_dir():
        raise EngineError(f"engine directory {engine_dir} does not exist (run `tts-run export` first)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EngineError(f"{path}: no manifest; {engine_dir} is not an exported engine directory") from None
    except json.JSONDecodeError as e:
        raise EngineError(f"{path}: corrupt manifest ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise EngineError(f"{path}: not a {FORMAT} manifest")
    return Manifest(data)


def check(engine_dir: Path, *, verify_hashes: bool = False) -> Manifest:
    """Read the manifest and refuse an engine built by other code or with changed/missing files.

    Sizes are always checked; full sha256 hashes when ``verify_hashes`` (slow for GB-sized graphs).
    """
    m = read_manifest(engine_dir)
    d = m.data
    if d.get("engine_format") != ENGINE_FORMAT or d.get("exporter_fingerprint") != exporter_fingerprint():
        raise EngineError(
            f"{engine_dir}: exported by another code version (engine format {d.get('engine_format')}, "
            f"exporter {d.get('exporter_fingerprint')}; this runtime needs {ENGINE_FORMAT}, {exporter_fingerprint()}); "
            "re-export it with `tts-run export`"
        )
    for rel, info in m.files.items():
        p = engine_dir / rel
        if not p.is_file():
            raise EngineError(f"{engine_dir}: file {rel} listed in the manifest is missing")
        if p.stat().st_size != info["bytes"]:
            raise EngineError(f"{engine_dir}: file {rel} has {p.stat().st_size} bytes, manifest says {info['bytes']}")
        if verify_hashes and sha256_file(p) != info["sha256"]:
            raise EngineError(f"{engine_dir}: file {rel} does not match its manifest hash")
    return m
