"""Read and write safetensors files with numpy only (no torch, no safetensors package).

Format: 8-byte little-endian header length N, N bytes of JSON header
``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``, then the
payload. BF16 tensors are widened to float32 exactly (bf16 is the top half of an f32).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from qtts.runtime.errors import CheckpointError

_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # raw bits; widened by `bf16_to_f32`
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_MAX_HEADER = 100 * 1024 * 1024


def bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    """uint16 bf16 bit patterns -> float32 (exact)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(x: np.ndarray) -> np.ndarray:
    """float32 -> uint16 bf16 bit patterns, round-to-nearest-even (as torch's `.to(bfloat16)`)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounding = ((u >> 16) & 1) + np.uint32(0x7FFF)
    out = ((u + rounding) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = 0x7FC0
    return out


class SafetensorsFile(Mapping[str, np.ndarray]):
    """A memory-mapped safetensors file. ``file[name]`` returns float32 for BF16/F16 tensors.

    Raises CheckpointError (naming the file and tensor) for a bad header, an unknown dtype,
    offsets outside the payload or a truncated file.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            raise CheckpointError(f"{self.path}: file not found") from None
        with open(self.path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(f"{self.path}: truncated (shorter than the 8-byte header length)")
            (n,) = struct.unpack("<Q", head)
            if n > _MAX_HEADER or 8 + n > size:
                raise CheckpointError(f"{self.path}: truncated or not a safetensors file (header length {n})")
            try:
                header = json.loads(f.read(n))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise CheckpointError(f"{self.path}: corrupt safetensors header ({e})") from None
        if not isinstance(header, dict):
            raise CheckpointError(f"{self.path}: corrupt safetensors header (not an object)")
        self.metadata: dict[str, str] = header.pop("__metadata__", None) or {}
        self._base = 8 + n
        payload = size - self._base
        self._entries: dict[str, tuple[np.dtype, tuple[int, ...], int, int, str]] = {}
        for name, e in header.items():
            try:
                dt = _DTYPES[e["dtype"]]
                shape = tuple(int(s) for s in e["shape"])
                begin, end = (int(o) for o in e["data_offsets"])
            except (KeyError, TypeError, ValueError):
                raise CheckpointError(f"{self.path}: tensor {name!r} has a bad header entry {e!r}") from None
            want = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
            if end - begin != want or begin < 0:
                raise CheckpointError(
                    f"{self.path}: tensor {name!r} byte range {begin}..{end} does not fit shape {shape}"
                )
            if end > payload:
                raise CheckpointError(
                    f"{self.path}: truncated: tensor {name!r} needs bytes up to {end}, file payload is {payload}"
                )
            self._entries[name] = (dt, shape, begin, end, e["dtype"])
        self._mm: np.memmap | None = None

    def _map(self) -> np.memmap:
        if self._mm is None:
            self._mm = np.memmap(self.path, dtype=np.uint8, mode="r")
        return self._mm

    def dtype_of(self, name: str) -> str:
        return self._entries[name][4]

    def shape_of(self, name: str) -> tuple[int, ...]:
        return self._entries[name][1]

    def raw(self, name: str) -> np.ndarray:
        """The stored array without conversion (BF16 as uint16 bits), read-only view."""
        dt, shape, begin, end, _ = self._entries[name]
        buf = self._map()[self._base + begin : self._base + end]
        return buf.view(dt).reshape(shape)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._entries:
            raise KeyError(name)
        arr = self.raw(name)
        kind = self._entries[name][4]
        if kind == "BF16":
            return bf16_to_f32(arr)
        if kind in ("F16", "F64"):
            return arr.astype(np.float32)
        return np.array(arr)

    def __contains__(self, name: object) -> bool:  # Mapping's default would read the tensor
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def write_safetensors(
    path: str | Path,
    tensors: Mapping[str, np.ndarray],
    dtype: str = "F32",
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write float tensors as ``dtype`` ("F32" or "BF16"); integer/bool arrays keep their type.

    Tensors are streamed to disk one at a time in sorted name order (as safetensors does).
    """
    inv = {v: k for k, v in _DTYPES.items() if k != "BF16"}
    names = sorted(tensors)
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    plan = []
    for name in names:
        a = tensors[name]
        if np.issubdtype(a.dtype, np.floating):
            kind = dtype
            itemsize = 2 if dtype in ("BF16", "F16") else 4
        else:
            kind = inv[a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype]
            itemsize = a.dtype.itemsize
        nbytes = int(a.size) * itemsize
        header[name] = {"dtype": kind, "shape": list(a.shape), "data_offsets": [offset, offset + nbytes]}
        plan.append((name, kind))
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, kind in plan:
            a = tensors[name]
            if kind == "BF16":
                f.write(f32_to_bf16(a).tobytes())
            elif kind == "F16":
                f.write(np.asarray(a, dtype="<f2").tobytes())
            elif kind == "F32":
                f.write(np.asarray(a, dtype="<f4").tobytes())
            else:
                f.write(np.ascontiguousarray(a).tobytes())
