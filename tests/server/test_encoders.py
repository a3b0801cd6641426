"""server.encoders: every response_format, streamed in random chunks and whole, decoded back independently."""

import io
import struct
import wave

import numpy as np
import pytest
import soundfile as sf
import soxr

av = pytest.importorskip("av", reason="PyAV comes with the server extra: pip install -e '.[server]'")

from qtts.server.encoders import FORMATS, StreamEncoder, encode  # noqa: E402

SR = 24000
FREQ = 440.0
AMP = 0.5
SINE = (AMP * np.sin(2 * np.pi * FREQ * np.arange(int(1.3 * SR)) / SR)).astype(np.float32)
LOSSLESS = ("wav", "pcm", "flac")
# Decoded length minus input length, in samples at the output rate: (min, max). Opus trims its
# pre-skip and end padding (Ogg granule positions); MP3 does too when the whole file has its Xing/LAME
# frame; a streamed MP3 keeps the encoder + decoder delay (528 + 529) and the last frame's padding
# (< 1152); ADTS AAC keeps the 1024-sample priming and the last frame's padding (< 1024).
EXTRA = {"opus": (0, 0), "mp3-whole": (0, 0), "mp3": (1057, 1057 + 1152), "aac": (1024, 2048)}


def chunks(x: np.ndarray, seed: int = 0) -> list[np.ndarray]:
    """Random split of x (sizes 0..3000, several empty chunks, first chunk empty)."""
    rng = np.random.default_rng(seed)
    out, i = [x[:0]], 0
    while i < len(x):
        n = int(rng.choice([0, 1, 7, int(rng.integers(10, 3000))]))
        out.append(x[i : i + n])
        i += n
    return out


def stream(fmt: str, x: np.ndarray, out_rate: int | None = None) -> tuple[bytes, bytes]:
    """(bytes returned by the pushes, bytes returned by finish)."""
    enc = StreamEncoder(fmt, SR, out_rate)
    pushed = b"".join(enc.push(c) for c in chunks(x))
    return pushed, enc.finish()


def decode(fmt: str, data: bytes, rate: int) -> tuple[np.ndarray, int]:
    """PyAV (FFmpeg) decode -> (float64 samples, sample rate); raw pcm is read as s16le at ``rate``."""
    kw = {"format": "s16le", "options": {"sample_rate": str(rate), "ch_layout": "mono"}} if fmt == "pcm" else {}
    with av.open(io.BytesIO(data), **kw) as c:
        arrays = [f.to_ndarray() for f in c.decode(audio=0)]
        dec_rate = c.streams.audio[0].rate
    frames = [a / (32768.0 if a.dtype == np.int16 else 2.0**31 if a.dtype == np.int32 else 1.0) for a in arrays]
    return (np.concatenate(frames, axis=1)[0] if frames else np.zeros(0)), dec_rate


def decoded_samples(fmt: str, data: bytes, rate: int) -> int:
    """Samples decodable from a stream's first bytes; 0 while they hold no complete audio frame."""
    try:
        return len(decode(fmt, data, rate)[0])
    except (av.error.InvalidDataError, av.error.EOFError):
        return 0


def sine_fit(y: np.ndarray, rate: int) -> tuple[float, float, float]:
    """Middle of y -> (dominant frequency in Hz, RMS, SNR in dB of the best 440 Hz sine fit)."""
    seg = y[len(y) // 8 : -len(y) // 8]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), n=8 * len(seg)))
    peak = np.fft.rfftfreq(8 * len(seg), 1 / rate)[np.argmax(spec)]
    t = np.arange(len(seg)) / rate
    basis = np.stack([np.sin(2 * np.pi * FREQ * t), np.cos(2 * np.pi * FREQ * t)], axis=1)
    fit = basis @ np.linalg.lstsq(basis, seg, rcond=None)[0]
    snr = 10 * np.log10(np.sum(fit**2) / np.sum((seg - fit) ** 2))
    return float(peak), float(np.sqrt(np.mean(seg**2))), float(snr)


CASES = [(f, None) for f in FORMATS] + [
    ("wav", 16000),
    ("pcm", 48000),
    ("flac", 44100),
    ("mp3", 22050),
    ("aac", 48000),
    ("opus", 48000),
]


@pytest.mark.parametrize("mode", ["stream", "whole"])
@pytest.mark.parametrize(("fmt", "out_rate"), CASES)
def test_round_trip(fmt: str, out_rate: int | None, mode: str) -> None:
    enc = StreamEncoder(fmt, SR, out_rate)
    rate = enc.rate
    assert rate == (48000 if fmt == "opus" else out_rate or SR)
    if mode == "stream":
        pushed, tail = stream(fmt, SINE, out_rate)
        data = pushed + tail
        # The pushes already carried decodable audio: all but the encoder's and resampler's hold-back.
        assert len(decode(fmt, pushed, rate)[0]) >= rate * (len(SINE) / SR - 0.2)
    else:
        data = encode(SINE, fmt, SR, out_rate)
    y, dec_rate = decode(fmt, data, rate)
    assert dec_rate == rate

    ref = SINE if rate == SR else soxr.resample(SINE, SR, rate, "HQ")
    extra = len(y) - len(ref)
    if fmt in LOSSLESS:
        assert extra == 0
        assert np.abs(y - ref).max() <= 1 / 32768 + 1e-9  # within 1 LSB of s16
    else:
        lo, hi = EXTRA[f"{fmt}-whole" if fmt == "mp3" and mode == "whole" else fmt]
        assert lo <= extra <= hi
        peak, rms, snr = sine_fit(y, rate)
        assert abs(peak - FREQ) <= 5
        assert abs(rms - AMP / np.sqrt(2)) <= 0.2 * AMP / np.sqrt(2)
        assert snr >= 15  # a pure tone: 39-83 dB, but FFmpeg's AAC at 48 kHz, 64 kbit/s gets 20-23 dB


def test_streamed_wav_header_has_unknown_sizes_and_common_decoders_read_it() -> None:
    pushed, tail = stream("wav", SINE)
    data = pushed + tail
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    fmt_tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[20:36])
    assert (fmt_tag, channels, rate, bits) == (1, 1, SR, 16)
    assert struct.unpack("<I", data[4:8])[0] == 0xFFFFFFFF
    assert data[36:40] == b"data" and struct.unpack("<I", data[40:44])[0] == 0xFFFFFFFF
    assert len(data) == 44 + 2 * len(SINE)
    y, rate = sf.read(io.BytesIO(data), dtype="int16")  # libsndfile: reads to the end of the bytes
    assert rate == SR and len(y) == len(SINE)
    assert np.abs(y - np.round(SINE * 32768)).max() <= 1


def test_whole_wav_and_flac_have_exact_sizes() -> None:
    data = encode(SINE, "wav")
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert struct.unpack("<I", data[40:44])[0] == len(data) - 44
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (SR, 1, 2, len(SINE))
    info = sf.info(io.BytesIO(encode(SINE, "flac")))
    assert (info.samplerate, info.frames, info.channels) == (SR, len(SINE), 1)
    y, _ = sf.read(io.BytesIO(encode(SINE, "flac")), dtype="int16")
    assert np.abs(y - np.round(SINE * 32768)).max() <= 1


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_first_audio_leaves_before_finish(fmt: str) -> None:
    """Pushing 10 ms at a time, decodable audio is sent after at most 200 ms of input.

    Measured (PyAV 18): wav, pcm 10 ms; opus 80; aac 90; flac 100 (one 2304-sample block); mp3 150 (bytes
    leave after 80 ms, FFmpeg's probe wants a few frames)."""
    enc = StreamEncoder(fmt)
    sent = enc.push(SINE[:0])
    if fmt in ("wav", "flac", "opus"):
        assert sent  # the container header goes out with the first push, even an empty one
    for i in range(240, 200 * 24 + 1, 240):
        sent += enc.push(SINE[i - 240 : i])
        if decoded_samples(fmt, sent, enc.rate) > 0:
            break
    else:
        pytest.fail(f"{fmt}: no decodable audio after 200 ms of input")
    enc.close()


def test_empty_audio_gives_valid_files() -> None:
    with wave.open(io.BytesIO(encode(np.zeros(0, np.float32), "wav"))) as w:
        assert w.getnframes() == 0 and w.getframerate() == SR
    enc = StreamEncoder("wav")
    assert len(enc.push(np.zeros(0, np.float32)) + enc.finish()) == 44
    assert encode(np.zeros(0, np.float32), "pcm") == b""


def test_out_of_range_samples_are_clipped() -> None:
    x = np.array([1.5, -1.5, 1.0, -1.0, 0.0], np.float32)
    assert np.frombuffer(encode(x, "pcm"), "<i2").tolist() == [32767, -32768, 32767, -32768, 0]


def test_mime_types() -> None:
    assert FORMATS == {
        "wav": "audio/wav",
        "pcm": "audio/pcm",
        "flac": "audio/flac",
        "mp3": "audio/mpeg",
        "opus": "audio/opus",
        "aac": "audio/aac",
    }
    assert StreamEncoder("mp3").mime == "audio/mpeg"


def test_errors() -> None:
    with pytest.raises(ValueError, match="wav, pcm, flac, mp3, opus, aac"):
        StreamEncoder("ogg")
    with pytest.raises(ValueError, match="opus"):
        StreamEncoder("opus", out_rate=16000)
    with pytest.raises(ValueError, match="mp3 cannot be encoded at 96000"):
        StreamEncoder("mp3", out_rate=96000)
    with pytest.raises(ValueError, match="mono"):
        StreamEncoder("wav").push(np.zeros((2, 10), np.float32))
    enc = StreamEncoder("aac")
    enc.push(SINE[:1000])
    enc.finish()
    with pytest.raises(RuntimeError):
        enc.push(SINE[:10])
    with pytest.raises(RuntimeError):
        enc.finish()
    enc = StreamEncoder("opus")
    enc.close()
    enc.close()
    with pytest.raises(RuntimeError):
        enc.push(SINE[:10])
