"""API keys and per-key limits.

Keys come from ``--api-key`` (named ``cli-1``, ``cli-2``, ... with the [server] default class and
limits) and from a keys file of ``[[keys]]`` tables::

    [[keys]]
    name = "app"               # what logs and metrics show (never the key itself)
    key = "sk-..."             # or sha256 = "<hex digest of the key>"
    priority = "realtime"      # scheduler class: realtime | standard | batch
    max_streams = 4            # concurrent streams; 0 = no limit
    requests_per_minute = 120  # 0 = no limit

Only sha256 digests are kept in memory; a presented key is hashed and looked up. :class:`Limiter`
holds each key's live streams and its requests of the last minute (429 + Retry-After past either).
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qtts.runtime.settings import ConfigError, ServerSection, load
from qtts.server.errors import APIError

PRIORITIES = ("realtime", "standard", "batch")
_FIELDS = {"name", "key", "sha256", "priority", "max_streams", "requests_per_minute"}


@dataclass(frozen=True)
class ApiKey:
    """One caller: ``name`` (logged), scheduler ``priority``, limits (0 = none)."""

    name: str
    priority: str = "standard"
    max_streams: int = 0
    requests_per_minute: int = 0


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class _KeysFile:
    keys: list = field(default_factory=list)


def _entry(raw: Any, where: str) -> tuple[str, ApiKey]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_FIELDS))})")
    name, secret, sha = raw.get("name"), raw.get("key"), raw.get("sha256")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: name must be a non-empty string")
    if (secret is None) == (sha is None):
        raise ConfigError(f"{where} ({name}): give exactly one of key or sha256")
    if sha is not None and (not isinstance(sha, str) or len(sha) != 64 or not all(c in "0123456789abcdefABCDEF" for c in sha)):
        raise ConfigError(f"{where} ({name}): sha256 must be 64 hex digits")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise ConfigError(f"{where} ({name}): key must be a non-empty string")
    priority = raw.get("priority", "standard")
    if priority not in PRIORITIES:
        raise ConfigError(f"{where} ({name}): priority must be one of {', '.join(PRIORITIES)}")
    limits = {k: raw.get(k, 0) for k in ("max_streams", "requests_per_minute")}
    for k, v in limits.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ConfigError(f"{where} ({name}): {k} must be an integer >= 0")
    return (sha.lower() if sha else digest(secret)), ApiKey(name, priority, **limits)


def bearer(value: str | None) -> str | None:
    """A key given bare or as ``Bearer KEY`` (gRPC metadata, a socket's first message) as an
    ``Authorization`` value for :meth:`KeyRing.check`."""
    return value if value is None or value.lower().startswith("bearer ") else f"Bearer {value}"


class KeyRing:
    """sha256 digest -> :class:`ApiKey`; empty = open server, where every caller is ``anonymous``."""

    def __init__(self, keys: dict[str, ApiKey], anonymous: ApiKey):
        self._keys, self.anonymous = keys, anonymous

    @classmethod
    def build(cls, cli_keys: Iterable[str], keys_file: str | Path | None, defaults: ServerSection) -> KeyRing:
        """``--api-key`` keys with the [server] defaults, plus the entries of ``keys_file``."""
        if defaults.default_priority not in PRIORITIES:
            raise ConfigError(f"[server] default_priority must be one of {', '.join(PRIORITIES)}")
        limits = (defaults.default_priority, defaults.default_max_streams, defaults.default_requests_per_minute)
        keys = {digest(k): ApiKey(f"cli-{i}", *limits) for i, k in enumerate(cli_keys, 1)}
        if keys_file:
            raw = load(_KeysFile, keys_file).keys
            for i, entry in enumerate(raw):
                sha, key = _entry(entry, f"{Path(keys_file).name} keys[{i}]")
                keys[sha] = key
        return cls(keys, ApiKey("anonymous", *limits))

    @property
    def open(self) -> bool:
        return not self._keys

    def check(self, authorization: str | None) -> ApiKey:
        """The key presented as ``Authorization: Bearer KEY``; APIError 401 when missing or unknown."""
        if self.open:
            return self.anonymous
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise APIError(401, "missing API key: send 'Authorization: Bearer <key>'", code="missing_api_key")
        presented = digest(token.strip())
        for sha, key in self._keys.items():
            if hmac.compare_digest(sha, presented):
                return key
        raise APIError(401, "invalid API key", code="invalid_api_key")


class Limiter:
    """Per-key concurrent streams and requests per minute (thread-safe)."""

    WINDOW_S = 60.0

    def __init__(self, clock: Any = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._live: collections.Counter[str] = collections.Counter()
        self._recent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def acquire(self, key: ApiKey) -> Lease:
        """Count one request and one live stream of ``key``; APIError 429 + Retry-After when over a limit."""
        now = self._clock()
        with self._lock:
            recent = self._recent[key.name]
            while recent and recent[0] <= now - self.WINDOW_S:
                recent.popleft()
            if key.requests_per_minute and len(recent) >= key.requests_per_minute:
                raise APIError(
                    429, f"rate limit reached for key {key.name!r}: {key.requests_per_minute} requests per minute",
                    code="rate_limit_exceeded", retry_after_s=recent[0] + self.WINDOW_S - now,
                )
            if key.max_streams and self._live[key.name] >= key.max_streams:
                raise APIError(
                    429, f"too many concurrent streams for key {key.name!r} (limit {key.max_streams})",
                    code="concurrency_limit_exceeded", retry_after_s=1.0,
                )
            recent.append(now)
            self._live[key.name] += 1
        return Lease(self, key.name)

    def _release(self, name: str) -> None:
        with self._lock:
            self._live[name] -= 1


class Lease:
    """One live stream of a key; ``release`` (idempotent) frees it."""

    def __init__(self, limiter: Limiter, name: str):
        self._limiter, self._name, self._held = limiter, name, True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._limiter._release(self._name)
