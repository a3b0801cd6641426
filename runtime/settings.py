"""Typed settings from ``configs/*.toml``. Unknown sections or keys and wrong types are errors.

Precedence: built-in defaults < TOML file < CLI flags (the CLI passes its overrides to ``load``).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints

from qtts.runtime.errors import TTSError
from qtts.runtime.scheduler_config import SchedulerConfig

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


class ConfigError(TTSError):
    """A settings file is unreadable, has unknown keys, or a value of the wrong type."""


@dataclass(frozen=True)
class ExportSettings:
    model: str = ""
    engines_dir: str = "engines"
    profile: str = "fp32"
    random_seed: int = 0


@dataclass(frozen=True)
class ModelSettings:
    export: ExportSettings = field(default_factory=ExportSettings)
    normalize: dict[str, Any] = field(default_factory=dict)  # validated by the normalizer itself


@dataclass(frozen=True)
class RuntimeSection:
    engines: str = "engines/tiny-custom_voice"
    provider: str = "cpu"
    device_id: int = 0
    gpu_mem_limit_mb: int = 0
    threads: int = 0
    tokenizer_regex: str = "official"
    max_frames: int = 2048
    voices_dir: str = "voices"


@dataclass(frozen=True)
class LoggingSection:
    format: str = "text"
    level: str = "warning"


@dataclass(frozen=True)
class RuntimeSettings:
    runtime: RuntimeSection = field(default_factory=RuntimeSection)
    sampling: dict[str, Any] = field(default_factory=dict)  # validated by SamplingParams
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    logging: LoggingSection = field(default_factory=LoggingSection)


@dataclass(frozen=True)
class ServerSection:
    """[server]: ``tts-run serve`` (server/)."""

    host: str = "127.0.0.1"
    port: int = 8080
    keys_file: str = ""  # TOML [[keys]] tables (server/auth.py); empty = only --api-key keys
    metrics_auth: bool = False  # /metrics needs a key too
    default_priority: str = "standard"  # of --api-key keys (and of everyone when no key is configured)
    default_max_streams: int = 0  # concurrent streams per --api-key key; 0 = no limit
    default_requests_per_minute: int = 0  # per --api-key key; 0 = no limit
    max_input_chars: int = 4096
    max_upload_mb: float = 10.0  # decoded ref_audio
    voices_dir: str = ""  # saved voices (POST /v1/audio/voices); empty = runtime.toml voices_dir
    max_voices_per_key: int = 100  # saved voices one key may own; 0 = no limit
    cors_origins: list = field(default_factory=list)
    tls_cert: str = ""
    tls_key: str = ""
    drain_grace_s: float = 30.0
    chunk_ms: float = 40.0
    grpc_port: int = 0  # Riva-compatible gRPC (server/riva/); 0 = off
    wyoming_port: int = 0  # Wyoming TCP server (server/wyoming_tts.py); 0 = off
    ws_max_message_bytes: int = 131072  # largest WebSocket text message from a client
    ws_idle_timeout_s: float = 30.0  # a WebSocket session with no client message this long closes (not while audio plays out)
    ws_session_timeout_s: float = 3600.0  # longest WebSocket session
    warm_up_streams: int = 8  # requests at once in the warm-up before /ready (after a single one); 0 or 1 = that one only


# OpenAI voice names -> built-in speakers of the CustomVoice models
OPENAI_VOICES = {
    "alloy": "serena", "ash": "ryan", "ballad": "aiden", "coral": "vivian", "echo": "eric", "fable": "dylan",
    "onyx": "uncle_fu", "nova": "ono_anna", "sage": "sohee", "shimmer": "serena", "verse": "ryan",
}


@dataclass(frozen=True)
class ServerSettings:
    server: ServerSection = field(default_factory=ServerSection)
    voices: dict[str, Any] = field(default_factory=lambda: dict(OPENAI_VOICES))
    scheduler: dict[str, Any] = field(default_factory=dict)  # overrides of runtime.toml [scheduler]


_CHOICES = {
    "provider": ("cpu", "cuda", "tensorrt", "auto"),
    "tokenizer_regex": ("official", "qwen2"),
    "format": ("text", "json"),
    "level": ("debug", "info", "warning", "error"),
    "profile": ("fp32", "cpu-int8", "cpu-int4", "fp16", "bf16"),  # export.quantize.PROFILES
}


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table")
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    values: dict[str, Any] = {}
    for k, v in data.items():
        t = hints[k]
        if is_dataclass(t):
            values[k] = _build(t, v, f"{where}.{k}")
            continue
        base = next((b for b in (dict, list, tuple) if str(t).startswith(b.__name__)), t)
        if base is tuple and isinstance(v, list):
            v = tuple(v)
        if base is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, base) or (base is int and isinstance(v, bool)):
            raise ConfigError(f"{where}.{k}: expected {base.__name__}, got {type(v).__name__} {v!r}")
        if k in _CHOICES and v not in _CHOICES[k]:
            raise ConfigError(f"{where}.{k}: {v!r} is not one of {', '.join(_CHOICES[k])}")
        values[k] = v
    try:
        return cls(**values)
    except ValueError as e:  # a dataclass's own checks
        raise ConfigError(f"{where}: {e}") from None


def load(cls: type, path: str | Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> Any:
    """Parse ``path`` (None: defaults only) into ``cls`` and apply ``{section: {key: value}}`` overrides
    (None values are ignored, so unset CLI flags keep the file's value)."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: settings file not found") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{p}: invalid TOML ({e})") from None
    settings = _build(cls, data, Path(path).name if path else cls.__name__)
    for section, kv in (overrides or {}).items():
        kv = {k: v for k, v in kv.items() if v is not None}
        if kv:
            current = getattr(settings, section)
            merged = _build(type(current), {**asdict(current), **kv}, f"--{section}")  # nested tables as dicts: re-validated
            settings = replace(settings, **{section: merged})
    return settings



def default_path(name: str) -> Path | None:
    """``configs/<name>`` of the source tree when present (an installed package has none)."""
    p = CONFIG_DIR / name
    return p if p.is_file() else None
