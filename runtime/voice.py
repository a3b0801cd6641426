"""Voice-clone prompt from reference audio (Base engines, spec §6.2-6.3): speaker x-vector + codec codes.

Same recipe as the reference's ``create_voice_clone_prompt``: mono mix-down, one resample to 24 kHz
serving both encoders, log-mel -> ECAPA speaker encoder (x-vector), codec encoder -> reference codes
(used by ICL mode; x-vector-only mode ignores them).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from qtts.runtime import mel
from qtts.runtime.audio import prepare_reference
from qtts.runtime.codec import CodecStream, DecoderState
from qtts.runtime.errors import InputError

if TYPE_CHECKING:
    from qtts.runtime.engine import Engine


@dataclass(frozen=True)
class PrimedDecoder:
    """The codec decoder of a fresh full-context stream after an ICL voice's reference frames:
    its state, and the last frame of the reference audio, float32 [samples_per_frame] (the
    official ICL trim can keep a sample of it, spec §6.3)."""

    state: DecoderState
    tail: np.ndarray


@dataclass(frozen=True)
class VoicePrompt:
    """A cloned voice: speaker_embedding float32 [H] (the talker's speaker slot); ref_codes int64
    [M, 16] (12.5 frames/s); ref_text, the reference transcript: set = ICL mode (reference text and
    frames in the prompt, spec §6.3), None = x-vector-only mode. ``primed``: the decoder after the
    reference frames, computed once (saved voices), so requests need not decode them again."""

    speaker_embedding: np.ndarray
    ref_codes: np.ndarray
    ref_text: str | None = None
    primed: PrimedDecoder | None = field(default=None, repr=False)

    @property
    def icl(self) -> bool:
        return self.ref_text is not None

    def prime(self, stream: CodecStream) -> np.ndarray | None:
        """Feed an ICL voice's reference frames to a fresh codec stream: from ``primed`` when it
        applies (``CodecStream.resume``), else by decoding them. Returns the reference audio float32
        (only its last frame when resumed); None for an x-vector voice (nothing to prime)."""
        if not self.icl:
            return None
        if self.primed is not None and stream.resume(self.primed.state, self.ref_codes):
            return self.primed.tail
        return stream.prime(self.ref_codes)

    def with_primed_decoder(self, engine: Engine) -> VoicePrompt:
        """This voice with ``primed`` computed on ``engine``'s codec decoder (ICL voices only)."""
        if not self.icl:
            return self
        stream = CodecStream(engine.sessions["codec_decoder"])
        audio = stream.prime(self.ref_codes)
        spf = len(audio) // len(self.ref_codes)
        return replace(self, primed=PrimedDecoder(stream.state, audio[len(audio) - spf :]))


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

