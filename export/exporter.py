"""Checkpoint -> engine directory: validate, build the three graphs (plus the speaker and codec
encoders for Base models), copy the model facts, write the manifest (``engines/<name>/``)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from qtts.export.checkpoint import Checkpoint
from qtts.export.graphs.codec_decoder import build_codec_decoder
from qtts.export.graphs.codec_encoder import build_codec_encoder
from qtts.export.graphs.embed import build_embed
from qtts.export.graphs.speaker_encoder import build_speaker_encoder
from qtts.export.graphs.talker import build_talker
from qtts.export.half import halve_graph
from qtts.export.quantize import PROFILES
from qtts.runtime.errors import EngineError, ExportError
from qtts.runtime.manifest import MANIFEST, read_manifest, write_manifest
from qtts.runtime.version import ENGINE_FORMAT, exporter_fingerprint

GRAPHS = ("embed", "talker", "codec_decoder")
VOICE_GRAPHS = ("speaker_encoder", "codec_encoder")  # Base models only: voice-clone encoders
COPIED = ("config.json", "generation_config.json", "vocab.json", "merges.txt", "tokenizer_config.json")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def default_engine_name(source: str) -> str:
    return Path(source.rstrip("/")).name or "model"


def is_current(engine_dir: Path, source_hashes: dict[str, str], profile: str) -> bool:
    """True when ``engine_dir`` was exported by this code from exactly these files."""
    try:
        m = read_manifest(engine_dir).data
    except EngineError:
        return False
    return (
        m.get("engine_format") == ENGINE_FORMAT
        and m.get("exporter_fingerprint") == exporter_fingerprint()
        and m.get("profile") == profile
        and m.get("source", {}).get("files") == source_hashes
    )


def export_engine(
    source: str | Path,
    out_dir: str | Path,
    *,
    profile: str = "fp32",
    force: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Export ``source`` (model dir or hub id) to ``out_dir``; returns ``out_dir``.

    Skips the work when ``out_dir`` already holds an engine of this code from the same files
    (unless ``force``). Builds into a temporary sibling directory and renames it into place, so an
    interrupted export never leaves a half-written engine behind.
    """
    if profile not in PROFILES:
        raise ExportError(f"unknown precision profile {profile!r} (available: {', '.join(PROFILES)})")
    report = progress or (lambda *_: None)
    out = Path(out_dir)
    ckpt = Checkpoint.open(str(source))
    report("validate", 0, 1)
    ckpt.validate()
    hashes = ckpt.file_hashes()
    report("validate", 1, 1)
    if not force and is_current(out, hashes, profile):
        report("up to date", 1, 1)
        return out

    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    cfg = ckpt.config
    builders = {
        "embed": lambda p: build_embed(ckpt.model_tensor, cfg.talker, p),
        "talker": lambda p: build_talker(ckpt.model_tensor, cfg.talker, p, PROFILES[profile].plan),
        "codec_decoder": lambda p: build_codec_decoder(ckpt.codec_file, ckpt.codec_config.decoder, p),
        "speaker_encoder": lambda p: build_speaker_encoder(ckpt.model_tensor, cfg.speaker_encoder, p),
        "codec_encoder": lambda p: build_codec_encoder(ckpt.codec_file, ckpt.codec_config, p),
    }
    graphs = GRAPHS + VOICE_GRAPHS if cfg.speaker_encoder is not None else GRAPHS
    for i, name in enumerate(graphs):
        report(f"graph {name}", i, len(graphs))
        builders[name](tmp / f"{name}.onnx")
        if name == "talker" and PROFILES[profile].compute != "float32":
            halve_graph(tmp / "talker.onnx", PROFILES[profile].compute)  # fp16/bf16 profiles: export.half
    report("graphs", len(graphs), len(graphs))
    for f in COPIED:
        shutil.copyfile(ckpt.root / f, tmp / f)
    write_manifest(
        tmp,
        profile=profile,
        model_type=cfg.model_type,
        graphs=list(graphs),
        source={"location": str(source), "files": hashes, "export_seconds": round(time.perf_counter() - t0, 2)},
    )
    if out.exists():
        if not (out / MANIFEST).exists() and any(out.iterdir()):
            shutil.rmtree(tmp)
            raise ExportError(f"{out} exists and is not an engine directory; refusing to overwrite it")
        shutil.rmtree(out)
    tmp.rename(out)
    return out

