"""Voice-clone prompt from reference audio (Base engines, spec §6.2-6.3): speaker x-vector + codec codes.

Same recipe as the reference's ``create_voice_clone_prompt``: mono mix-down, one resample to 24 kHz
serving both encoders, log-mel -> ECAPA speaker encoder (x-vector), codec encoder -> reference codes
(used by ICL mode; x-vector-only mode ignores them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from runtime import mel
from runtime.audio import prepare_reference
from runtime.errors import InputError

if TYPE_CHECKING:
    from runtime.engine import Engine


@dataclass(frozen=True)
class VoicePrompt:
    """speaker_embedding float32 [H] (the talker's speaker slot); ref_codes int64 [M, 16] (12.5 frames/s)."""

    speaker_embedding: np.ndarray
    ref_codes: np.ndarray


def encode_reference(engine: Engine, pcm: np.ndarray, sample_rate: int) -> VoicePrompt:
    """Reference audio float [samples] or [samples, channels] at ``sample_rate`` Hz -> VoicePrompt.

    InputError for a reference that is too short, too long or silent (``runtime.audio``), or for an
    engine that cannot clone (not a Base model).
    """
    if engine.config.speaker_encoder is None or "speaker_encoder" not in engine.sessions or "codec_encoder" not in engine.sessions:
        raise InputError(
            f"{engine.dir}: a {engine.config.model_type} engine cannot clone a voice (export a Base model)"
        )
    wav = prepare_reference(pcm, sample_rate)
    (embedding,) = engine.sessions["speaker_encoder"].run(["embedding"], {"mel": mel.log_mel(wav)[None]})
    (codes,) = engine.sessions["codec_encoder"].run(["codes"], {"pcm": wav[None]})
    return VoicePrompt(speaker_embedding=embedding[0].astype(np.float32), ref_codes=codes[0].astype(np.int64))

