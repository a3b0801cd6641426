"""Talker prefill assembly as a symbolic layout (spec §3.5, §6.1, §6.3); no embeddings here.

A row's input vector is ``T(text) + codec part`` where ``T`` is the text projection (§2.5) and the codec
part is a talker codec-embedding row (int), the speaker vector (``"speaker"``: x-vector of a Base model),
the summed embeddings of reference frame ``j`` (``RefFrame(j)``), or nothing (``None``).
``trailing_text_ids`` are added to decode steps 0..n-1; later steps get ``tts_pad``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from qtts.runtime.errors import InputError, TTSError
from qtts.runtime.model_config import ModelConfig
from qtts.runtime.tokenizer import TextTokenizer

SPEAKER: Literal["speaker"] = "speaker"


@dataclass(frozen=True)
class RefFrame:
    """Codec part = sum of the 16 codebook embeddings of reference frame ``j`` (ICL clone)."""

    j: int


Codec = int | None | Literal["speaker"] | RefFrame


@dataclass(frozen=True)
class Row:
    """One prefill position: text token id (or none) plus codec part."""

    text: int | None
    codec: Codec


@dataclass
class PromptLayout:
    """Prefill rows plus the text ids added to the first decode steps (spec §3.5 step D)."""

    rows: list[Row]
    trailing_text_ids: list[int]


def supported_languages(cfg: ModelConfig) -> list[str]:
    """``auto`` plus every codec language that is not a dialect (dialects come only via speakers)."""
    return ["auto"] + [k for k in cfg.talker.languages if "dialect" not in k]


def build_prompt(
    cfg: ModelConfig,
    tokenizer: TextTokenizer,
    text: str,
    *,
    language: str | None = None,
    speaker: str | None = None,
    instruct: str | None = None,
    non_streaming_mode: bool | None = None,
    x_vector_only_mode: bool = False,
    ref_text: str | None = None,
    ref_frames: int = 0,
    body_ids: list[int] | None = None,
) -> PromptLayout:
    """Prefill layout for one utterance; the mode follows ``cfg.model_type``.

    - ``custom_voice``: ``speaker`` required (case-insensitive); ``instruct`` optional and dropped by
      0.6B models (official wrapper); dialect speakers override ``chinese``/``auto``.
    - ``voice_design``: ``instruct`` describes the voice (``""``/None: no instruction segment).
    - ``base`` (voice clone): speaker slot holds the x-vector; ``x_vector_only_mode=False`` is ICL and
      needs ``ref_text`` and ``ref_frames`` (number M of reference codec frames).

    ``language``: ``auto`` (default) or a supported name, case-insensitive. ``non_streaming_mode``
    defaults to the wrapper's: True for custom_voice/voice_design, False for voice clone.
    ``body_ids`` replaces the tokenized ``text`` (text-in streaming: the ids known so far).
    """
    mt = cfg.model_type
    clone = mt == "base"
    if speaker and mt != "custom_voice":
        raise InputError(f"speaker is only accepted by CustomVoice models (this model is {mt})")
    if instruct and clone:
        raise InputError("instruct is not accepted by Base (voice clone) models")
    if not clone and (ref_text is not None or ref_frames or x_vector_only_mode):
        raise InputError(f"ref_text/ref_frames/x_vector_only_mode need a Base model (this model is {mt})")
    if non_streaming_mode is None:
        non_streaming_mode = not clone
    icl = clone and not x_vector_only_mode

    lang = (language or "auto").lower()
    lang_id = _language_id(cfg, lang)
    spk: Codec = None
    if mt == "custom_voice":
        spk = _speaker_id(cfg, speaker)
        dialect = cfg.talker.speaker_dialect[speaker.lower()]
        if dialect and lang in ("chinese", "auto"):
            if dialect not in cfg.talker.languages:
                raise TTSError(
                    f"config: speaker {speaker!r} has dialect {dialect!r} missing from codec_language_id"
                )
            lang_id = cfg.talker.languages[dialect]
        if cfg.model_size == "0b6":
            instruct = None
    elif clone:
        spk = SPEAKER

    target = tokenizer.target_ids(text)
    if body_ids is not None:
        target = target._replace(body=body_ids)
    ref_body = tokenizer.ref_ids(ref_text) if icl else []
    if icl and ref_frames < 1:
        raise InputError("ICL voice clone needs at least one reference codec frame (ref_frames >= 1)")

    c = cfg.talker.codec_ids
    pad, bos, eos = (cfg.token_ids[k] for k in ("tts_pad", "tts_bos", "tts_eos"))
    if lang_id is None:
        codec_seq: list[Codec] = [c["nothink"], c["think_bos"], c["think_eos"]]
    else:
        codec_seq = [c["think"], c["think_bos"], lang_id, c["think_eos"]]
    if spk is not None:
        codec_seq.append(spk)
    codec_seq.append(c["pad"])  # C(bos) closes the header but is held back for the tail

    rows = [Row(t, None) for t in (tokenizer.instruct_ids(instruct) if instruct else [])]
    rows += [Row(t, None) for t in target.role]
    rows += [Row(pad, k) for k in codec_seq[:-1]] + [Row(bos, codec_seq[-1])]

    body = target.body
    trailing: list[int] = []
    if icl:
        xs = ref_body + body + [eos]
        ys: list[Codec] = [c["bos"]] + [RefFrame(j) for j in range(ref_frames)]
        if non_streaming_mode:
            rows += [Row(x, c["pad"]) for x in xs] + [Row(pad, y) for y in ys]
        else:
            trailing = xs[len(ys) :]
            xs = xs[: len(ys)] + [pad] * (len(ys) - len(xs))
            rows += [Row(x, y) for x, y in zip(xs, ys, strict=True)]
    elif non_streaming_mode:
        rows += [Row(t, c["pad"]) for t in body + [eos]] + [Row(pad, c["bos"])]
    else:
        rows.append(Row(body[0], c["bos"]))
        trailing = body[1:] + [eos]
    return PromptLayout(rows=rows, trailing_text_ids=trailing)


def _language_id(cfg: ModelConfig, lang: str) -> int | None:
    """Codec row of the lower-cased language name (None for ``auto``)."""
    valid = supported_languages(cfg)
    if lang not in valid:
        raise InputError(f"unsupported language {lang!r}; choose one of: {', '.join(valid)}")
    return None if lang == "auto" else cfg.talker.languages[lang]


def _speaker_id(cfg: ModelConfig, speaker: str | None) -> int:
    valid = ", ".join(sorted(cfg.talker.speakers))
    if not speaker:
        raise InputError(f"a speaker is required; choose one of: {valid}")
    if speaker.lower() not in cfg.talker.speakers:
        raise InputError(f"unknown speaker {speaker!r}; choose one of: {valid}")
    return cfg.talker.speakers[speaker.lower()]
