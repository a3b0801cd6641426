"""Log-mel front end of the ECAPA speaker encoder, in numpy (spec §6.2).

24 kHz mono float32 -> [frames, 128] natural-log mel: reflect pad 384 samples per side, STFT
(n_fft 1024, hop 256, periodic Hann window, no centring), magnitude sqrt(re² + im² + 1e-9),
Slaney-scale / Slaney-normalised mel filterbank (0-12 kHz), log(max(mel, 1e-5)).
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 24000
N_FFT = 1024
HOP = 256
N_MELS = 128
F_MIN = 0.0
F_MAX = 12000.0
MAG_EPS = 1e-9
LOG_FLOOR = 1e-5

# Slaney mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above (27 mels per factor 6.4).
_LIN_HZ_PER_MEL = 200.0 / 3.0
_BREAK_HZ = 1000.0
_BREAK_MEL = _BREAK_HZ / _LIN_HZ_PER_MEL
_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale: Hz (float64 array) -> mel."""
    hz = np.asarray(hz, dtype=np.float64)
    log_part = _BREAK_MEL + np.log(np.maximum(hz, _BREAK_HZ) / _BREAK_HZ) / _LOG_STEP
    return np.where(hz >= _BREAK_HZ, log_part, hz / _LIN_HZ_PER_MEL)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    log_part = _BREAK_HZ * np.exp(_LOG_STEP * (np.maximum(mel, _BREAK_MEL) - _BREAK_MEL))
    return np.where(mel >= _BREAK_MEL, log_part, mel * _LIN_HZ_PER_MEL)


@functools.cache
def mel_filterbank(
    sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS, fmin: float = F_MIN, fmax: float = F_MAX
) -> np.ndarray:
    """Triangular Slaney filters, area-normalised: float32 [n_mels, n_fft // 2 + 1].

    Filter i rises from edge i to edge i+1 and falls to edge i+2 of ``n_mels + 2`` edges spaced
    evenly in mel between ``fmin`` and ``fmax``; each is scaled by 2 / (edge[i+2] - edge[i]) in Hz.
    Computed in float64, stored as float32 (the reference's filterbank dtype).
    """
    bins_hz = np.arange(n_fft // 2 + 1, dtype=np.float64) * (sr / n_fft)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    dist = edges[:, None] - bins_hz[None, :]  # [n_mels + 2, bins]
    rising = -dist[:-2] / widths[:-1, None]
    falling = dist[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    out = weights.astype(np.float32)
    out.flags.writeable = False
    return out


@functools.cache
def _hann(n: int) -> np.ndarray:
    """Periodic Hann window [n]: 0.5 - 0.5 cos(2πk/n)."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float64)


def log_mel(pcm: np.ndarray) -> np.ndarray:
    """pcm float32 [samples] at 24 kHz (> 384 samples) -> log-mel float32 [samples // 256, 128]."""
    x = np.asarray(pcm, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"log_mel expects mono audio [samples], got shape {x.shape}")
    pad = (N_FFT - HOP) // 2
    if len(x) <= pad:
        raise ValueError(f"log_mel needs more than {pad} samples, got {len(x)}")
    x = np.pad(x, pad, mode="reflect").astype(np.float64)
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]  # [T, n_fft]
    spec = np.fft.rfft(frames * _hann(N_FFT), axis=-1)
    mag = np.sqrt(spec.real**2 + spec.imag**2 + MAG_EPS)
    mel = mag @ mel_filterbank().T.astype(np.float64)
    return np.log(np.maximum(mel, LOG_FLOOR)).astype(np.float32)
