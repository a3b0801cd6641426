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
    """A cloned voice: speaker_embedding float32 [H] (the talker's speaker slot); ref_codes int64
    [M, 16] (12.5 frames/s); ref_text, the reference transcript: set = ICL mode (reference text and
    frames in the prompt, spec §6.3), None = x-vector-only mode."""

    speaker_embedding: np.ndarray
    ref_codes: np.ndarray
    ref_text: str | None = None

    @property
    def icl(self) -> bool:
        return self.ref_text is not None


def encode_reference(
    engine: Engine, pcm: np.ndarray, sample_rate: int, *, ref_text: str | None = None, x_vector_only: bool = False
) -> VoicePrompt:
    """Reference audio float [samples] or [samples, channels] at ``sample_rate`` Hz -> VoicePrompt.

    ICL (the default) needs ``ref_text``, what is said in the reference; ``x_vector_only`` ignores it.
    InputError for a missing transcript, a reference that is too short, too long or silent
    (``runtime.audio``), or an engine that cannot clone (not a Base model).
    """
    if not x_vector_only and not (ref_text and ref_text.strip()):
        raise InputError("ICL voice cloning needs the reference transcript (ref_text); or use x-vector-only mode")
    if engine.config.speaker_encoder is None or "speaker_encoder" not in engine.sessions or "codec_encoder" not in engine.sessions:
        raise InputError(
            f"{engine.dir}: a {engine.config.model_type} engine cannot clone a voice (export a Base model)"
        )
    wav = prepare_reference(pcm, sample_rate)
    (embedding,) = engine.sessions["speaker_encoder"].run(["embedding"], {"mel": mel.log_mel(wav)[None]})
    (codes,) = engine.sessions["codec_encoder"].run(["codes"], {"pcm": wav[None]})
    return VoicePrompt(
        speaker_embedding=embedding[0].astype(np.float32),
        ref_codes=codes[0].astype(np.int64),
        ref_text=None if x_vector_only else ref_text,
    )

