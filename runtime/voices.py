"""Voice registry: cloned voices encoded once, saved under a directory, reused by name.

One file per voice, ``<dir>/<name>.voice.safetensors``, written with ``runtime.safetensors_io`` (no
pickle). Tensors: ``speaker_embedding`` f32 [H], ``ref_codes`` i64 [M, 16] and, for ICL voices, the
primed codec decoder (``decoder_conv`` f32 [1, S], ``decoder_key``/``decoder_value`` f32
[L, 1, heads, window - 1, head_dim], ``decoder_tail`` f32 [1920]: the last reference frame's audio).
Metadata: ``header``, a JSON object {format, version, name, mode (icl | x_vector_only), ref_text,
ref_seconds, ref_frames, decoder_frames, created, engine {model_type, hidden_size, engine_format,
exporter_fingerprint, source_files {relpath: sha256}}, info (optional: what the caller records with
the voice, e.g. the server's consent record)}, and ``sha256``, the checksum of the header
and every tensor. A voice loads only on an engine with the same identity: the speaker and codec
encoders, the codec decoder (primed state) and the talker width all come from that checkpoint and
exporter.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qtts.runtime.codec import DecoderState
from qtts.runtime.errors import ExportError, VoiceError
from qtts.runtime.safetensors_io import SafetensorsFile, write_safetensors
from qtts.runtime.voice import PrimedDecoder, VoicePrompt, encode_reference

if TYPE_CHECKING:
    from qtts.runtime.engine import Engine

FORMAT = "qwen3-tts-voice"
VERSION = 1
SUFFIX = ".voice.safetensors"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_DECODER = ("decoder_conv", "decoder_key", "decoder_value", "decoder_tail")


class VoiceExists(VoiceError):
    """A voice of that name is already saved."""


def check_name(name: str) -> str:
    """``name`` if it is a valid voice name (1-64 of A-Z a-z 0-9 _ -, starting alphanumeric)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise VoiceError(
            f"bad voice name {name!r}: use 1-64 letters A-Z/a-z, digits, '_' or '-', starting with a letter or digit"
        )
    return name


def engine_identity(engine: Engine) -> dict[str, Any]:
    """What a saved voice depends on: model type, talker width, engine format and exporter, and the
    sha256 of every source checkpoint file (from the engine manifest)."""
    m = engine.manifest.data
    return {
        "model_type": engine.config.model_type,
        "hidden_size": engine.hidden_size,
        "engine_format": m["engine_format"],
        "exporter_fingerprint": m["exporter_fingerprint"],
        "source_files": dict(m["source"]["files"]),
    }


def _checksum(header: str, tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(header.encode())
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        h.update(f"{name}:{a.dtype.str}:{list(a.shape)}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _mismatch(saved: dict[str, Any], current: dict[str, Any]) -> str | None:
    """Why a voice made for engine ``saved`` cannot run on ``current`` (None: it can)."""
    for key in ("model_type", "hidden_size"):
        if saved.get(key) != current[key]:
            return f"it was made for a {saved.get('model_type')} model of hidden size {saved.get('hidden_size')}, this engine is a {current['model_type']} model of hidden size {current['hidden_size']}"
    if saved.get("source_files") != current["source_files"]:
        files = saved.get("source_files") or {}
        differ = sorted(k for k in set(files) | set(current["source_files"]) if files.get(k) != current["source_files"].get(k))
        return f"it was made from another checkpoint (differing files: {', '.join(differ)})"
    for key in ("engine_format", "exporter_fingerprint"):
        if saved.get(key) != current[key]:
            return f"it was made with another engine version ({key} {saved.get(key)!r}, this engine has {current[key]!r})"
    return None


def fits(saved: dict[str, Any], engine: Engine) -> bool:
    """Whether a voice made for the engine identity ``saved`` (a header's ``engine``) loads on ``engine``."""
    return _mismatch(saved, engine_identity(engine)) is None


class VoiceRegistry:
    """Saved voices in one directory (created on the first ``add``). Names: see :func:`check_name`."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)

    def path(self, name: str) -> Path:
        return self.dir / f"{check_name(name)}{SUFFIX}"

    def add(
        self,
        name: str,
        engine: Engine,
        pcm: np.ndarray,
        sample_rate: int,
        *,
        ref_text: str | None = None,
        x_vector_only: bool = False,
        overwrite: bool = False,
        info: dict[str, Any] | None = None,
    ) -> VoicePrompt:
        """Encode reference audio float [samples] or [samples, channels] at ``sample_rate`` Hz on a
        Base ``engine`` (``runtime.voice.encode_reference``), prime the decoder (ICL) and save it with
        ``info`` (JSON values) in its header. VoiceExists when the name is taken, also by a voice saved
        meanwhile (unless ``overwrite``); InputError for a bad reference."""
        path = self.path(name)
        if path.exists() and not overwrite:
            raise self._exists(name)
        voice = encode_reference(engine, pcm, sample_rate, ref_text=ref_text, x_vector_only=x_vector_only).with_primed_decoder(engine)
        tensors = {"speaker_embedding": voice.speaker_embedding, "ref_codes": voice.ref_codes}
        if voice.primed is not None:
            st = voice.primed.state
            tensors |= dict(zip(_DECODER, (st.conv, st.key, st.value, voice.primed.tail), strict=True))
        header = json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "name": name,
                "mode": "icl" if voice.icl else "x_vector_only",
                "ref_text": voice.ref_text,
                "ref_seconds": round(len(pcm) / sample_rate, 3),
                "ref_frames": len(voice.ref_codes),
                "decoder_frames": voice.primed.state.frames if voice.primed is not None else 0,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "engine": engine_identity(engine),
                **({"info": info} if info else {}),
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # written whole, then renamed
        try:
            write_safetensors(tmp, tensors, metadata={"header": header, "sha256": _checksum(header, tensors)})
            if overwrite:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # fails if the name was taken meanwhile: never replaces a voice
        except FileExistsError:
            raise self._exists(name) from None
        finally:
            Path(tmp).unlink(missing_ok=True)
        return voice

    def _exists(self, name: str) -> VoiceExists:
        return VoiceExists(f"voice {name!r} already exists in {self.dir} (remove it first, or overwrite it: --force)")

    def _read(self, name: str) -> tuple[dict[str, Any], SafetensorsFile]:
        path = self.path(name)
        if not path.is_file():
            known = ", ".join(v["name"] for v in self.list()) or "none"
            raise VoiceError(f"unknown voice {name!r} in {self.dir} (saved voices: {known})")
        try:
            f = SafetensorsFile(path)
            header = json.loads(f.metadata["header"])
        except (ExportError, KeyError, json.JSONDecodeError) as e:
            raise VoiceError(f"voice {name!r}: {path} is not a readable voice file ({e})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise VoiceError(f"voice {name!r}: {path} is not a {FORMAT} file")
        if header.get("version") != VERSION:
            raise VoiceError(
                f"voice {name!r}: voice file format version {header.get('version')}, this runtime reads version {VERSION}; add the voice again"
            )
        return header, f

    def load(self, name: str, engine: Engine) -> VoicePrompt:
        """The saved voice ``name``, checked against ``engine``. VoiceError for an unknown name, a
        corrupt or truncated file, or a voice made for another checkpoint or engine version."""
        header, f = self._read(name)
        why = _mismatch(header.get("engine") or {}, engine_identity(engine))
        if why:
            raise VoiceError(f"voice {name!r} cannot be used with {engine.dir}: {why}; add it again with this engine")
        try:
            tensors = {k: f[k] for k in f}
            intact = f.metadata.get("sha256") == _checksum(f.metadata["header"], tensors)
        except (ExportError, OSError, ValueError) as e:
            raise VoiceError(f"voice {name!r}: corrupt voice file {f.path} ({e})") from None
        if not intact:
            raise VoiceError(f"voice {name!r}: {f.path} is corrupt (checksum mismatch); add the voice again")
        primed = None
        if header["mode"] == "icl":
            conv, key, value, tail = (tensors[k] for k in _DECODER)
            primed = PrimedDecoder(DecoderState(conv, key, value, int(header["decoder_frames"])), tail)
        return VoicePrompt(
            speaker_embedding=tensors["speaker_embedding"],
            ref_codes=tensors["ref_codes"],
            ref_text=header["ref_text"] if header["mode"] == "icl" else None,
            primed=primed,
        )

    def list(self) -> list[dict[str, Any]]:
        """Saved voices, sorted by name: {name, mode, ref_text, ref_seconds, ref_frames, created,
        model_type, hidden_size, engine (the identity it was made for), info} from the file headers;
        an unreadable file is listed as {name, error}."""
        out = []
        for path in sorted(self.dir.glob(f"*{SUFFIX}")):
            name = path.name[: -len(SUFFIX)]
            try:
                h, _ = self._read(name)
            except VoiceError as e:
                out.append({"name": name, "error": str(e)})
                continue
            eng = h.get("engine") or {}
            out.append(
                {"name": name, "mode": h.get("mode"), "ref_text": h.get("ref_text"), "ref_seconds": h.get("ref_seconds"),
                 "ref_frames": h.get("ref_frames"), "created": h.get("created"), "model_type": eng.get("model_type"),
                 "hidden_size": eng.get("hidden_size"), "engine": eng, "info": h.get("info") or {}}
            )
        return out

    def remove(self, name: str) -> None:
        """Delete the saved voice ``name`` (VoiceError when there is none)."""
        path = self.path(name)
        if not path.is_file():
            raise VoiceError(f"unknown voice {name!r} in {self.dir}")
        path.unlink()
