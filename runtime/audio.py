"""Reference audio for voice cloning: load, mix down to mono, check, resample to 24 kHz.

Loading goes through soundfile (libsndfile: WAV, FLAC, OGG/Vorbis/Opus, and MP3 with libsndfile
>= 1.1). Multi-channel audio is mixed down by the channel mean, like the reference. Resampling uses
soxr at "HQ" quality, then cuts or zero-pads to ceil(n · (out / in)) samples. That is what the
reference does (``librosa.resample``, whose default ``soxr_hq`` calls the same library), so with the
same soxr build a 16 or 44.1 kHz reference reaches the encoders as the very same samples.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf
import soxr

from qtts.runtime.errors import InputError

SAMPLE_RATE = 24000  # the speaker encoder's and the codec's input rate
MIN_REFERENCE_SECONDS = 1.0
# Longer references only lengthen the ICL prompt (12.5 frames/s go into the talker prompt) and the
# codec encoder's attention (quadratic in 25 Hz frames); the official examples use a few seconds.
MAX_REFERENCE_SECONDS = 30.0
SILENCE_PEAK = 1e-4  # a reference whose peak |sample| is below this (-80 dBFS) counts as silent


def load_audio(source: str | Path | BinaryIO) -> tuple[np.ndarray, int]:
    """Read an audio file (path or binary file object) -> (mono float32 [samples], sample rate in Hz).

    Raises InputError when the file is missing or libsndfile cannot decode it.
    """
    name = source if isinstance(source, str | Path) else getattr(source, "name", "audio")
    if isinstance(source, str | Path) and not Path(source).is_file():
        raise InputError(f"{name}: no such audio file")
    try:
        data, sr = sf.read(source, dtype="float32", always_2d=True)
    except sf.SoundFileError as e:  # unknown format, corrupt or truncated data
        reason = getattr(e, "error_string", str(e))
        raise InputError(
            f"{name}: cannot read this audio ({reason}); use WAV, FLAC or OGG (MP3 where libsndfile supports it)"
        ) from None
    return to_mono(data), int(sr)


def to_mono(pcm: np.ndarray) -> np.ndarray:
    """[samples] or [samples, channels] -> float32 [samples] (mean over channels)."""
    x = np.asarray(pcm, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=-1, dtype=np.float32)
    if x.ndim != 1:
        raise InputError(f"reference audio must be [samples] or [samples, channels], got shape {x.shape}")
    return x


def resample(pcm: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling (soxr HQ) of mono float32 [n] -> float32 [ceil(n · (sr_out / sr_in))]."""
    x = np.asarray(pcm, dtype=np.float32)
    if sr_in == sr_out:
        return x
    if sr_in <= 0 or sr_out <= 0:
        raise InputError(f"sample rates must be positive, got {sr_in} -> {sr_out}")
    y = soxr.resample(x, sr_in, sr_out, quality="HQ")
    n = math.ceil(len(x) * (sr_out / sr_in))  # ratio first, as the reference: 119070 @ 44.1 kHz -> 64801
    return np.asarray(np.pad(y, (0, max(0, n - len(y))))[:n], dtype=np.float32)


def check_reference(
    pcm: np.ndarray,
    sample_rate: int,
    *,
    min_seconds: float = MIN_REFERENCE_SECONDS,
    max_seconds: float = MAX_REFERENCE_SECONDS,
) -> None:
    """Refuse (InputError) a mono reference that is too short, too long, silent or not finite."""
    if sample_rate <= 0:
        raise InputError(f"reference audio: sample rate must be positive, got {sample_rate}")
    seconds = len(pcm) / sample_rate
    if seconds < min_seconds:
        raise InputError(f"reference audio is {seconds:.2f} s long; at least {min_seconds:g} s is needed")
    if seconds > max_seconds:
        raise InputError(f"reference audio is {seconds:.1f} s long; at most {max_seconds:g} s is allowed (trim it)")
    if not np.isfinite(pcm).all():
        raise InputError("reference audio contains NaN or infinite samples")
    if float(np.abs(pcm).max()) < SILENCE_PEAK:
        raise InputError("reference audio is silent")


def prepare_reference(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    """Reference audio [samples] or [samples, channels] at ``sample_rate`` -> checked mono float32
    [ceil(samples · (24000 / sample_rate))] at 24 kHz."""
    x = to_mono(pcm)
    check_reference(x, sample_rate)
    return resample(x, sample_rate, SAMPLE_RATE)
