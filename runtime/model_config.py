"""Typed views of a checkpoint's ``config.json`` and ``speech_tokenizer/config.json``.

Only keys the model really uses are read; every one of them must be present (class defaults of
the official code differ from the released values, so a missing key is an error, never a default).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qtts.runtime.errors import CheckpointError, UnsupportedModelError

MODEL_TYPES = ("custom_voice", "base", "voice_design")


def read_json(path: str | Path) -> dict[str, Any]:
    """A JSON object from ``path``; CheckpointError naming the file when missing or malformed."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: invalid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: expected a JSON object")
    return raw


def _get(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise CheckpointError(f"{where}: missing key {key!r}")
    return d[key]


@dataclass(frozen=True)
class DecoderLMConfig:
    """A Qwen3-style decoder stack (talker or code predictor)."""

    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rms_norm_eps: float
    rope_theta: float
    vocab_size: int
    max_positions: int = 32768  # max_position_embeddings: RoPE table length of the talker's KV buffer

    @classmethod
    def parse(cls, d: dict[str, Any], where: str) -> DecoderLMConfig:
        if _get(d, "hidden_act", where) != "silu":
            raise UnsupportedModelError(f"{where}: hidden_act {d['hidden_act']!r} (only silu)")
        c = cls(
            hidden_size=int(_get(d, "hidden_size", where)),
            intermediate_size=int(_get(d, "intermediate_size", where)),
            num_layers=int(_get(d, "num_hidden_layers", where)),
            num_heads=int(_get(d, "num_attention_heads", where)),
            num_kv_heads=int(_get(d, "num_key_value_heads", where)),
            head_dim=int(_get(d, "head_dim", where)),
            rms_norm_eps=float(_get(d, "rms_norm_eps", where)),
            rope_theta=float(_get(d, "rope_theta", where)),
            vocab_size=int(_get(d, "vocab_size", where)),
            max_positions=int(d.get("max_position_embeddings", 32768)),
        )
        check_heads(c.num_heads, c.num_kv_heads, c.head_dim, where)
        if c.num_heads % c.num_kv_heads:
            raise UnsupportedModelError(f"{where}: heads {c.num_heads} not a multiple of kv heads {c.num_kv_heads}")
        return c


def check_heads(heads: int, kv_heads: int, head_dim: int, where: str) -> None:
    """Attention shapes every graph needs: positive head counts and a positive even head_dim (the
    rotary embedding rotates the two halves of a head against each other; the official code fails
    on an odd one). Any even head_dim is supported, a multiple of 16 or not."""
    if heads <= 0 or kv_heads <= 0:
        raise UnsupportedModelError(f"{where}: num_attention_heads {heads} and num_key_value_heads {kv_heads} must be positive")
    if head_dim <= 0 or head_dim % 2:
        raise UnsupportedModelError(f"{where}: head_dim {head_dim} must be positive and even (rotary embedding)")


@dataclass(frozen=True)
class TalkerConfig:
    lm: DecoderLMConfig
    text_hidden_size: int
    text_vocab_size: int
    num_code_groups: int
    code_predictor: DecoderLMConfig
    codec_ids: dict[str, int]  # pad, bos, eos, think, nothink, think_bos, think_eos
    languages: dict[str, int]  # lower-case name -> codec row (dialects included)
    speakers: dict[str, int]  # lower-case name -> codec row
    speaker_dialect: dict[str, str | None]  # speaker -> dialect language key or None


@dataclass(frozen=True)
class SpeakerEncoderConfig:
    enc_dim: int
    mel_dim: int
    channels: tuple[int, ...]
    kernel_sizes: tuple[int, ...]
    dilations: tuple[int, ...]
    attention_channels: int
    res2net_scale: int
    se_channels: int
    sample_rate: int


@dataclass(frozen=True)
class ModelConfig:
    """``config.json`` of a Qwen3-TTS 12 Hz model directory."""

    model_type: str  # custom_voice | base | voice_design
    model_size: str  # 0b6 | 1b7 | tiny | ...
    talker: TalkerConfig
    speaker_encoder: SpeakerEncoderConfig | None
    token_ids: dict[str, int]  # im_start, im_end, assistant, tts_pad, tts_bos, tts_eos
    transformers_version: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def load(cls, path: str | Path) -> ModelConfig:
        return cls.parse(read_json(path), str(path))

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str = "config.json") -> ModelConfig:
        mt = raw.get("model_type")
        if mt != "qwen3_tts":
            raise UnsupportedModelError(f"{where}: model_type {mt!r} is not 'qwen3_tts'")
        if raw.get("tokenizer_type", "qwen3_tts_tokenizer_12hz") != "qwen3_tts_tokenizer_12hz":
            raise UnsupportedModelError(f"{where}: tokenizer_type {raw['tokenizer_type']!r} (only the 12 Hz codec)")
        tts_type = _get(raw, "tts_model_type", where)
        if tts_type not in MODEL_TYPES:
            raise UnsupportedModelError(f"{where}: unsupported tts_model_type {tts_type!r} (expected one of {MODEL_TYPES})")
        t = _get(raw, "talker_config", where)
        tw = f"{where}: talker_config"
        cpw = f"{tw}.code_predictor_config"
        cp = DecoderLMConfig.parse(_get(t, "code_predictor_config", tw), cpw)
        lm = DecoderLMConfig.parse(t, tw)
        groups = int(_get(t, "num_code_groups", tw))
        if groups != 16 or int(_get(t["code_predictor_config"], "num_code_groups", cpw)) != groups:
            raise UnsupportedModelError(f"{tw}: num_code_groups must be 16")
        codec_ids = {
            "pad": int(_get(t, "codec_pad_id", tw)),
            "bos": int(_get(t, "codec_bos_id", tw)),
            "eos": int(_get(t, "codec_eos_token_id", tw)),
            "think": int(_get(t, "codec_think_id", tw)),
            "nothink": int(_get(t, "codec_nothink_id", tw)),
            "think_bos": int(_get(t, "codec_think_bos_id", tw)),
            "think_eos": int(_get(t, "codec_think_eos_id", tw)),
        }
        speakers = {k.lower(): _as_int(v, f"{tw}.spk_id[{k!r}]") for k, v in (t.get("spk_id") or {}).items()}
        dialect = {k.lower(): (v or None) for k, v in (t.get("spk_is_dialect") or {}).items()}
        languages = {k.lower(): int(v) for k, v in _get(t, "codec_language_id", tw).items()}
        talker = TalkerConfig(
            lm=lm,
            text_hidden_size=int(_get(t, "text_hidden_size", tw)),
            text_vocab_size=int(_get(t, "text_vocab_size", tw)),
            num_code_groups=groups,
            code_predictor=cp,
            codec_ids=codec_ids,
            languages=languages,
            speakers=speakers,
            speaker_dialect={s: dialect.get(s) for s in speakers},
        )
        spk = None
        if tts_type == "base":
            s = _get(raw, "speaker_encoder_config", where)
            sw = f"{where}: speaker_encoder_config"
            spk = SpeakerEncoderConfig(
                enc_dim=int(_get(s, "enc_dim", sw)),
                mel_dim=int(s.get("mel_dim", 128)),
                channels=tuple(s.get("enc_channels", [512, 512, 512, 512, 1536])),
                kernel_sizes=tuple(s.get("enc_kernel_sizes", [5, 3, 3, 3, 1])),
                dilations=tuple(s.get("enc_dilations", [1, 2, 3, 4, 1])),
                attention_channels=int(s.get("enc_attention_channels", 128)),
                res2net_scale=int(s.get("enc_res2net_scale", 8)),
                se_channels=int(s.get("enc_se_channels", 128)),
                sample_rate=int(s.get("sample_rate", 24000)),
            )
        token_ids = {
            k: int(_get(raw, f"{k}_token_id", where))
            for k in ("im_start", "im_end", "assistant", "tts_pad", "tts_bos", "tts_eos")
        }
        return cls(
            model_type=tts_type,
            model_size=str(raw.get("tts_model_size", "")),
            talker=talker,
            speaker_encoder=spk,
            token_ids=token_ids,
            transformers_version=str(raw.get("transformers_version", "")),
            raw=raw,
        )


def _as_int(v: Any, where: str) -> int:
    """Speaker ids are an int or a one-element list in released configs (spec §6.1)."""
    if isinstance(v, list):
        if len(v) != 1:
            raise CheckpointError(f"{where}: expected an int or a one-element list, got {v!r}")
        v = v[0]
    return int(v)


@dataclass(frozen=True)
class CodecDecoderConfig:
    codebook_size: int
    codebook_dim: int
    latent_dim: int
    decoder_dim: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rms_norm_eps: float
    rope_theta: float
    sliding_window: int
    num_quantizers: int
    num_semantic_quantizers: int
    upsample_rates: tuple[int, ...]
    upsampling_ratios: tuple[int, ...]


@dataclass(frozen=True)
class CodecConfig:
    """``speech_tokenizer/config.json`` (Qwen3-TTS-Tokenizer-12Hz)."""

    decoder: CodecDecoderConfig
    encoder: dict[str, Any]  # MimiConfig keys, used by the voice-clone export
    sample_rate: int
    samples_per_frame: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def load(cls, path: str | Path) -> CodecConfig:
        return cls.parse(read_json(path), str(path))

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str = "speech_tokenizer/config.json") -> CodecConfig:
        if raw.get("model_type") != "qwen3_tts_tokenizer_12hz":
            raise UnsupportedModelError(f"{where}: model_type {raw.get('model_type')!r} is not 'qwen3_tts_tokenizer_12hz'")
        d = _get(raw, "decoder_config", where)
        dw = f"{where}: decoder_config"
        dec = CodecDecoderConfig(
            codebook_size=int(_get(d, "codebook_size", dw)),
            codebook_dim=int(_get(d, "codebook_dim", dw)),
            latent_dim=int(_get(d, "latent_dim", dw)),
            decoder_dim=int(_get(d, "decoder_dim", dw)),
            hidden_size=int(_get(d, "hidden_size", dw)),
            intermediate_size=int(_get(d, "intermediate_size", dw)),
            num_layers=int(_get(d, "num_hidden_layers", dw)),
            num_heads=int(_get(d, "num_attention_heads", dw)),
            num_kv_heads=int(_get(d, "num_key_value_heads", dw)),
            head_dim=int(_get(d, "head_dim", dw)),
            rms_norm_eps=float(_get(d, "rms_norm_eps", dw)),
            rope_theta=float(_get(d, "rope_theta", dw)),
            sliding_window=int(_get(d, "sliding_window", dw)),
            num_quantizers=int(_get(d, "num_quantizers", dw)),
            num_semantic_quantizers=int(_get(d, "num_semantic_quantizers", dw)),
            upsample_rates=tuple(int(x) for x in _get(d, "upsample_rates", dw)),
            upsampling_ratios=tuple(int(x) for x in _get(d, "upsampling_ratios", dw)),
        )
        check_heads(dec.num_heads, dec.num_kv_heads, dec.head_dim, dw)
        if dec.num_kv_heads != dec.num_heads:
            raise UnsupportedModelError(f"{dw}: grouped-query attention is not supported (num_key_value_heads must equal num_attention_heads)")
        if dec.num_quantizers != 16 or dec.num_semantic_quantizers != 1:
            raise UnsupportedModelError(f"{dw}: expected 16 quantizers with 1 semantic")
        spf = int(_get(raw, "decode_upsample_rate", where))
        if spf != math.prod(dec.upsample_rates) * math.prod(dec.upsampling_ratios):
            raise CheckpointError(f"{dw}: decode_upsample_rate {spf} != product of the upsampling rates")
        return cls(
            decoder=dec,
            encoder=dict(_get(raw, "encoder_config", where)),
            sample_rate=int(_get(raw, "output_sample_rate", where)),
            samples_per_frame=spf,
            raw=raw,
        )
