"""Audio response encoders for the OpenAI-compatible server: float32 PCM chunks -> bytes of one format.

Input: mono float32 PCM in [-1, 1] at ``sample_rate`` (24 kHz from the codec), pushed in chunks of any
size as they are generated. Each ``push`` returns the bytes that can be sent now (chunked transfer),
``finish`` the rest. Formats (OpenAI ``response_format``) and what is sent:

- ``wav``: RIFF/WAVE, PCM s16le. Streaming header: RIFF and ``data`` sizes 0xFFFFFFFF ("unknown",
  what FFmpeg's muxer leaves on a non-seekable output; libsndfile and FFmpeg read to the end of the
  bytes). ``encode``/``seekable=True`` write exact sizes.
- ``pcm``: raw s16le, no header.
- ``flac``: native FLAC; streaming STREAMINFO has total samples 0 (unknown) and no MD5.
- ``mp3``: MPEG audio layer III (LAME), 64 kbit/s, no ID3 tag; ``seekable=True`` adds the Xing/LAME
  frame (exact duration, gapless trim of the encoder delay).
- ``opus``: Opus (libopus) in Ogg, 32 kbit/s, 20 ms packets, one Ogg page per packet (first bytes
  early). Opus decodes at 48 kHz, so the audio is resampled to 48 kHz; ``out_rate`` must be None or
  48000.
- ``aac``: AAC-LC (FFmpeg's native encoder) in ADTS frames, 64 kbit/s.

Library: PyAV (``av``, BSD-3-Clause; its manylinux/macOS/Windows abi3 wheels bundle an LGPL build of
FFmpeg with libmp3lame (LGPL) and libopus (BSD)). One muxing path serves every format and writes to a
non-seekable sink, which is what streaming needs; soundfile/libsndfile needs a seekable file to write
FLAC/WAV, and lameenc would cover MP3 only. Sample-rate conversion (``out_rate``) uses soxr (HQ) as a
stream; FFmpeg only converts the sample format (float -> s16 for the lossless formats).
"""

from __future__ import annotations

import io

import av
import numpy as np
import soxr

FORMATS: dict[str, str] = {
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
}
"""OpenAI ``response_format`` -> MIME type of the response."""

OPUS_RATE = 48000
"""Sample rate (Hz) of every Opus stream: the rate Opus decoders output."""

LIGHT = frozenset({"pcm", "wav", "flac"})
"""Formats whose push costs ~20 µs per 40 ms chunk on this CPU (mp3, opus, aac: 0.2-0.4 ms)."""

# format -> (FFmpeg muxer, encoder, encoder sample format, bit rate in bit/s or None, muxer options)
_SPECS: dict[str, tuple[str, str, str, int | None, dict[str, str]]] = {
    "wav": ("wav", "pcm_s16le", "s16", None, {}),
    "pcm": ("s16le", "pcm_s16le", "s16", None, {}),
    "flac": ("flac", "flac", "s16", None, {"metadata_header_padding": "0"}),
    "mp3": ("mp3", "libmp3lame", "fltp", 64000, {"id3v2_version": "0"}),
    "opus": ("ogg", "libopus", "flt", 32000, {"page_duration": "20000"}),
    "aac": ("adts", "aac", "fltp", 64000, {}),
}


class _Sink:
    """File object PyAV muxes into; collects the bytes written since the last ``drain``."""

    def __init__(self, seekable: bool) -> None:
        self._buf = io.BytesIO()
        self._seekable = seekable

    def write(self, data: bytes) -> int:
        return self._buf.write(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._buf.seek(offset, whence)

    def tell(self) -> int:
        return self._buf.tell()

    def seekable(self) -> bool:
        return self._seekable

    def drain(self) -> bytes:
        data = self._buf.getvalue()
        self._buf = io.BytesIO()
        return data


def output_rate(fmt: str, sample_rate: int = 24000, out_rate: int | None = None) -> int:
    """Sample rate (Hz) of the encoded audio for ``fmt``; raises ValueError if it is not supported."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown response_format {fmt!r}; supported: {', '.join(FORMATS)}")
    if fmt == "opus":
        if out_rate not in (None, OPUS_RATE):
            raise ValueError(f"opus is always {OPUS_RATE} Hz; got out_rate={out_rate}")
        return OPUS_RATE
    rate = sample_rate if out_rate is None else out_rate
    allowed = av.codec.Codec(_SPECS[fmt][1], "w").audio_rates
    if rate <= 0 or (allowed and rate not in allowed):
        raise ValueError(f"{fmt} cannot be encoded at {rate} Hz" + (f"; allowed: {allowed}" if allowed else ""))
    return rate


class FrameFeed:
    """Mono float32 PCM chunks at ``sample_rate`` -> PyAV frames at ``rate`` (soxr HQ streaming
    resampler when the two differ), with pts counted in output samples."""

    def __init__(self, sample_rate: int, rate: int):
        self.rate = rate
        self._resampler = soxr.ResampleStream(sample_rate, rate, 1, dtype="float32", quality="HQ") if rate != sample_rate else None
        self._pts = 0

    def frame(self, pcm: np.ndarray, last: bool = False) -> av.AudioFrame | None:
        """The frame of chunk ``pcm`` of shape (n,) (``last``: also flush the resampler); None when empty."""
        pcm = np.ascontiguousarray(pcm, np.float32)
        if self._resampler is not None:
            pcm = self._resampler.resample_chunk(pcm, last=last)
        if pcm.size == 0:
            return None
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="flt", layout="mono")
        frame.sample_rate, frame.pts = self.rate, self._pts
        self._pts += pcm.size
        return frame


class StreamEncoder:
    """Incremental encoder of mono float32 PCM into one response format.

    ``push(pcm)`` takes a chunk of shape (n,) at ``sample_rate`` Hz (n may be 0) and returns the bytes
    ready to send; ``finish()`` returns the rest and ends the stream. With ``seekable=True`` everything is
    kept until ``finish`` so the muxer can rewrite its header (exact WAV sizes, FLAC total samples and
    MD5, MP3 Xing/LAME frame); ``push`` then returns b"".
    """

    def __init__(
        self, fmt: str, sample_rate: int = 24000, out_rate: int | None = None, *, seekable: bool = False
    ) -> None:
        self.format = fmt
        self.rate = output_rate(fmt, sample_rate, out_rate)
        """Sample rate (Hz) of the encoded audio."""
        self.mime = FORMATS[fmt]
        muxer, codec, sample_fmt, bit_rate, mux_options = _SPECS[fmt]
        self._sink = _Sink(seekable)
        # flush_packets: hand each muxed packet to the sink at once (no AVIO buffering).
        self._container = av.open(
            self._sink,
            "w",
            format=muxer,
            container_options={"fflags": "+bitexact", "flush_packets": "1", **mux_options},
        )
        self._stream = self._container.add_stream(codec, rate=self.rate)
        self._stream.layout = "mono"
        self._stream.format = sample_fmt
        if bit_rate is not None:
            self._stream.bit_rate = bit_rate
        self._feed = FrameFeed(sample_rate, self.rate)
        self._container.start_encoding()  # header now: the first push returns it, even if empty
        self._closed = False
        self.light = fmt in LIGHT and self.rate == sample_rate
        """Cheap enough per chunk for the event loop (tens of µs per 40 ms chunk; no resampling)."""

    def push(self, pcm: np.ndarray) -> bytes:
        """Encode a chunk of shape (n,), float in [-1, 1]; return the bytes ready to send.

        Lossless formats clip to the s16 range; lossy ones keep float overshoot for their decoder."""
        if self._closed:
            raise RuntimeError("encoder already finished or closed")
        pcm = np.asarray(pcm, dtype=np.float32)
        if pcm.ndim != 1:
            raise ValueError(f"expected mono PCM of shape (n,), got {pcm.shape}")
        self._mux(self._feed.frame(pcm))
        return b"" if self._sink.seekable() else self._sink.drain()

    def finish(self) -> bytes:
        """Flush the resampler, the encoder and the muxer; return the remaining bytes (all, if seekable)."""
        if self._closed:
            raise RuntimeError("encoder already finished or closed")
        self._mux(self._feed.frame(np.zeros(0, np.float32), last=True))
        self._container.mux(self._stream.encode(None))
        self.close()
        return self._sink.drain()

    def close(self) -> None:
        """Release the encoder without finishing (e.g. the client went away); idempotent."""
        if not self._closed:
            self._closed = True
            self._container.close()

    def _mux(self, frame: av.AudioFrame | None) -> None:
        if frame is not None:
            self._container.mux(self._stream.encode(frame))


def encode(pcm: np.ndarray, fmt: str, sample_rate: int = 24000, out_rate: int | None = None) -> bytes:
    """Whole audio of shape (n,) at ``sample_rate`` Hz -> one ``fmt`` file with exact header fields."""
    encoder = StreamEncoder(fmt, sample_rate, out_rate, seekable=True)
    encoder.push(pcm)
    return encoder.finish()
