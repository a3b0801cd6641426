"""Audio bytes as Riva's clients expect them: ``LINEAR_PCM`` = raw s16le at ``sample_rate_hz``
(server.encoders' ``pcm``, soxr-resampled), ``OGGOPUS`` = Opus packets in Riva's own framing,
repeated ``[int32 little-endian length][raw Opus packet]`` (what the stock clients split and feed to
``opus_decode``; not an Ogg file). Reference audio of ``zero_shot_data`` is decoded here too.
"""

from __future__ import annotations

import io
import struct

import av
import numpy as np

from qtts.runtime.audio import load_audio
from qtts.runtime.errors import InputError
from qtts.server.encoders import FrameFeed, StreamEncoder
from qtts.server.errors import APIError
from qtts.server.riva.proto.riva_audio_pb2 import LINEAR_PCM, OGGOPUS, AudioEncoding

OPUS_RATES = (8000, 16000, 24000, 48000)


class OpusPackets:
    """Mono float32 PCM at ``sample_rate`` -> Opus (libopus via PyAV, 20 ms, 32 kbit/s) at ``rate``
    Hz, each packet prefixed with its int32 LE length. ``push``/``finish`` like StreamEncoder."""

    def __init__(self, sample_rate: int, rate: int):
        self.rate = rate
        self._ctx = av.CodecContext.create("libopus", "w")
        self._ctx.sample_rate, self._ctx.layout, self._ctx.format, self._ctx.bit_rate = rate, "mono", "flt", 32000
        self._feed = FrameFeed(sample_rate, rate)

    def push(self, pcm: np.ndarray) -> bytes:
        return self._encode(self._feed.frame(pcm))

    def finish(self) -> bytes:
        return self._encode(self._feed.frame(np.zeros(0, np.float32), last=True)) + self._framed(self._ctx.encode(None))

    def _encode(self, frame: av.AudioFrame | None) -> bytes:
        return b"" if frame is None else self._framed(self._ctx.encode(frame))

    def close(self) -> None:
        """Nothing to release (the codec context is freed with the object)."""

    @staticmethod
    def _framed(packets: list[av.Packet]) -> bytes:
        return b"".join(struct.pack("<i", p.size) + bytes(p) for p in packets)


def encoder(encoding: int, sample_rate: int, rate: int) -> StreamEncoder | OpusPackets:
    """The response encoder for a request's ``encoding`` and ``sample_rate_hz`` (0 = ``sample_rate``)."""
    rate = rate or sample_rate
    if not 8000 <= rate <= 192000:
        raise APIError(400, f"sample_rate_hz must be in [8000, 192000], got {rate}", param="sample_rate_hz", code="invalid_value")
    if encoding in (LINEAR_PCM, 0):
        return StreamEncoder("pcm", sample_rate, rate)
    if encoding == OGGOPUS:
        if rate not in OPUS_RATES:
            raise APIError(400, f"OGGOPUS needs sample_rate_hz in {OPUS_RATES}, got {rate}", param="sample_rate_hz", code="invalid_value")
        return OpusPackets(sample_rate, rate)
    name = AudioEncoding.Name(encoding) if encoding in AudioEncoding.values() else str(encoding)
    raise APIError(400, f"encoding {name} is not supported; use LINEAR_PCM or OGGOPUS", param="encoding", code="invalid_value")


def reference_audio(data: bytes, encoding: int, sample_rate: int) -> tuple[np.ndarray, int]:
    """``zero_shot_data.audio_prompt`` -> (mono float32 [samples], Hz): an audio file (WAV, FLAC, OGG),
    or raw s16le at ``sample_rate`` when ``encoding`` is LINEAR_PCM and the bytes are not a file."""
    try:
        return load_audio(io.BytesIO(data))
    except InputError:
        if encoding != LINEAR_PCM or sample_rate <= 0:
            raise APIError(400, "zero_shot_data.audio_prompt must be an audio file (WAV, FLAC, OGG) or LINEAR_PCM with sample_rate_hz",
                           param="zero_shot_data", code="invalid_value") from None
    pcm = np.frombuffer(data[: len(data) // 2 * 2], "<i2").astype(np.float32) / 32768.0
    return pcm, sample_rate
