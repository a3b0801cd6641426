"""Write a Qwen3-TTS 12 Hz model directory with random weights (pure numpy, no torch).

Layout and config values are those of the released checkpoints (spec §1; JSON contents equal to
the team's reference generator). Sizes: ``tiny`` (CPU-second tests, every component present),
``tiny-hd24`` (tiny, with head sizes that are not multiples of 16: talker 24, code predictor 20
with as many kv heads as heads, codec decoder and encoder 24), ``0.6b`` and ``1.7b`` (real
dimensions). Variants: ``custom_voice``, ``base`` (+ ECAPA speaker
encoder), ``voice_design``.

Every tensor is drawn from its own ``np.random.Generator`` seeded with
``sha256(f"{seed}:{name}")``, so a tensor depends only on (seed, name, shape): the variants of
one size share all common weights bit for bit. Init rules (all drawn in float32):

* Embedding ``N(0, 1)``; Linear/Conv weight ``N(0, gain/sqrt(fan_in))``, gain 1 except 0.3 on
  the vocoder residual-unit ``conv2`` and 0.06 on the final 1-channel conv;
* bias ``N(0, 0.02)``; RMSNorm/LayerNorm weight ``1 + N(0, 0.1)``; LayerNorm bias ``N(0, 0.02)``;
  LayerScale / ConvNeXt gamma ``0.1 + N(0, 0.02)``; SnakeBeta log-alpha/beta ``N(0, 0.1)``;
* codebooks: ``cluster_usage ~ U(0.5, 2)``, ``embedding_sum = N(0, 1) * cluster_usage[:, None]``
  (both from one generator seeded with ``"{seed}:{codebook}.__codebook__"``); Mimi
  ``initialized = 1``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import shutil
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from qtts.export.schema import TensorSpec, codec_tensor_specs, model_tensor_specs
from qtts.runtime.model_config import CodecConfig, ModelConfig
from qtts.runtime.safetensors_io import f32_to_bf16

SIZE_NAMES = ("tiny", "tiny-hd24", "0.6b", "1.7b")
VARIANTS = ("custom_voice", "base", "voice_design")
TOKENIZER_ASSETS = Path(__file__).parent / "assets" / "tokenizer"
TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer_config.json")
TRANSFORMERS_VERSION = "4.57.3"  # written into the configs; selects the official tokenizer regex patch

Progress = Callable[[str, int, int], None]  # (tensor name, elements done, elements total)

_CODEC_SPECIAL = {
    "codec_pad_id": 2148, "codec_bos_id": 2149, "codec_eos_token_id": 2150, "codec_think_id": 2154,
    "codec_nothink_id": 2155, "codec_think_bos_id": 2156, "codec_think_eos_id": 2157,
}
_LANGUAGE_IDS = {
    "chinese": 2055, "english": 2050, "german": 2053, "italian": 2070, "portuguese": 2071,
    "spanish": 2054, "japanese": 2058, "korean": 2064, "french": 2061, "russian": 2069,
}
_DIALECT_IDS = {"beijing_dialect": 2074, "sichuan_dialect": 2062}
_SPEAKER_IDS = {
    "serena": 3066, "vivian": 3065, "uncle_fu": 3010, "ryan": 3061, "aiden": 2861,
    "ono_anna": 2873, "sohee": 2864, "eric": 2875, "dylan": 2878,
}
_SPEAKER_DIALECT = {
    "serena": False, "vivian": False, "uncle_fu": False, "ryan": False, "aiden": False,
    "ono_anna": False, "sohee": False, "eric": "sichuan_dialect", "dylan": "beijing_dialect",
}
_TOP_TOKENS = {
    "assistant_token_id": 77091, "im_start_token_id": 151644, "im_end_token_id": 151645,
    "tts_pad_token_id": 151671, "tts_bos_token_id": 151672, "tts_eos_token_id": 151673,
}
GENERATION_CONFIG = {  # spec §1.4
    "do_sample": True, "top_k": 50, "top_p": 1.0, "temperature": 0.9, "repetition_penalty": 1.05,
    "subtalker_dosample": True, "subtalker_top_k": 50, "subtalker_top_p": 1.0,
    "subtalker_temperature": 0.9, "max_new_tokens": 8192,
}
_TOP_PREPROCESSOR = {
    "padding_side": "left", "padding_value": 0.0, "processor_class": "Qwen3TTSProcessor",
    "return_attention_mask": True,
}
_CODEC_PREPROCESSOR = {
    "chunk_length_s": None, "feature_extractor_type": "EncodecFeatureExtractor", "feature_size": 1,
    "overlap": None, "padding_side": "right", "padding_value": 0.0, "return_attention_mask": True,
    "sampling_rate": 24000,
}
_MODELSCOPE = {  # speech_tokenizer/configuration.json: ModelScope marker, never read by loaders
    "framework": "pytorch", "task": "text-to-speech",
    "_harness_note": "placeholder; the real file's content was not available",
}

_REAL_CP = {"hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 5,
            "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128}
_REAL_SPK = {"enc_channels": [512, 512, 512, 512, 1536], "enc_attention_channels": 128,
             "enc_res2net_scale": 8, "enc_se_channels": 128}
_SIZES: dict[str, dict[str, Any]] = {
    "tiny": {
        "tag": "tiny",
        "talker": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                   "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                   "text_hidden_size": 32, "mrope_section": [4, 2, 2]},
        "cp": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
               "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8},
        "spk": {"enc_channels": [32, 32, 32, 32, 96], "enc_attention_channels": 16,
                "enc_res2net_scale": 8, "enc_se_channels": 16},
        "dec": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 16, "latent_dim": 32,
                "codebook_dim": 32, "decoder_dim": 64, "vector_quantization_hidden_dimension": 32},
        "enc": {"hidden_size": 32, "num_filters": 4, "num_hidden_layers": 1, "num_attention_heads": 2,
                "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 64, "codebook_dim": 16,
                "vector_quantization_hidden_dimension": 16, "upsample_groups": 32},
    },
    "tiny-hd24": {
        "tag": "tiny-hd24",
        "talker": {"hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 2,
                   "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 24,
                   "text_hidden_size": 32, "mrope_section": [6, 3, 3]},
        "cp": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
               "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 20},
        "spk": {"enc_channels": [32, 32, 32, 32, 96], "enc_attention_channels": 16,
                "enc_res2net_scale": 8, "enc_se_channels": 16},
        "dec": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 24, "latent_dim": 32,
                "codebook_dim": 32, "decoder_dim": 64, "vector_quantization_hidden_dimension": 32},
        "enc": {"hidden_size": 32, "num_filters": 4, "num_hidden_layers": 1, "num_attention_heads": 2,
                "num_key_value_heads": 2, "head_dim": 24, "intermediate_size": 64, "codebook_dim": 16,
                "vector_quantization_hidden_dimension": 16, "upsample_groups": 32},
    },
    "0.6b": {
        "tag": "0b6",
        "talker": {"hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28,
                   "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
                   "text_hidden_size": 2048, "mrope_section": [24, 20, 20]},
        "cp": _REAL_CP, "spk": _REAL_SPK, "dec": {}, "enc": {},
    },
    "1.7b": {
        "tag": "1b7",
        "talker": {"hidden_size": 2048, "intermediate_size": 6144, "num_hidden_layers": 28,
                   "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
                   "text_hidden_size": 2048, "mrope_section": [24, 20, 20]},
        "cp": _REAL_CP, "spk": _REAL_SPK, "dec": {}, "enc": {},
    },
}
_REAL_DECODER = {
    "attention_bias": False, "codebook_dim": 512, "codebook_size": 2048, "decoder_dim": 1536,
    "head_dim": 64, "hidden_act": "silu", "hidden_size": 512, "intermediate_size": 1024,
    "latent_dim": 1024, "layer_scale_initial_scale": 0.01, "max_position_embeddings": 8000,
    "num_attention_heads": 16, "num_hidden_layers": 8, "num_key_value_heads": 16, "num_quantizers": 16,
    "num_semantic_quantizers": 1, "rms_norm_eps": 1e-5, "rope_theta": 10000,
    "semantic_codebook_size": 4096, "sliding_window": 72, "upsample_rates": [8, 5, 4, 3],
    "upsampling_ratios": [2, 2], "vector_quantization_hidden_dimension": 512,
}
_REAL_ENCODER = {  # MimiConfig of the 12 Hz tokenizer (Mimi defaults + 12.5 Hz frame rate)
    "_frame_rate": 12.5, "attention_bias": False, "attention_dropout": 0.0, "audio_channels": 1,
    "codebook_dim": 256, "codebook_size": 2048, "compress": 2, "dilation_growth_rate": 2, "head_dim": 64,
    "hidden_act": "gelu", "hidden_size": 512, "initializer_range": 0.02, "intermediate_size": 2048,
    "kernel_size": 7, "last_kernel_size": 3, "layer_scale_initial_scale": 0.01,
    "max_position_embeddings": 8000, "model_type": "mimi", "norm_eps": 1e-5, "num_attention_heads": 8,
    "num_filters": 64, "num_hidden_layers": 8, "num_key_value_heads": 8, "num_quantizers": 32,
    "num_residual_layers": 1, "num_semantic_quantizers": 1, "pad_mode": "constant",
    "residual_kernel_size": 3, "rope_theta": 10000.0, "sampling_rate": 24000, "sliding_window": 250,
    "trim_right_ratio": 1.0, "upsample_groups": 512, "upsampling_ratios": [8, 6, 5, 4],
    "use_cache": False, "use_causal_conv": True, "use_conv_shortcut": False, "use_streaming": False,
    "vector_quantization_hidden_dimension": 256,
}
_GAINS = (  # keep the random vocoder's waveform at RMS ~0.15 instead of saturating clamp(-1, 1)
    (re.compile(r"^decoder\.decoder\.\d+\.block\.\d+\.conv2\.conv\.weight$"), 0.3),
    (re.compile(r"^decoder\.decoder\.6\.conv\.weight$"), 0.06),
)
_CHUNK = 1 << 22  # elements generated / converted / written at a time (16 MiB of float32)


def build_model_config(size: str, variant: str, dtype: str = "bf16") -> dict[str, Any]:
    """``config.json`` contents (Qwen3TTSConfig) for a size and variant."""
    s = _sizes(size)
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} (expected one of {VARIANTS})")
    t, c = s["talker"], s["cp"]
    cv = variant == "custom_voice"
    talker = {
        "attention_bias": False,
        "code_predictor_config": {
            "attention_bias": False, "attention_dropout": 0.0, "head_dim": c["head_dim"],
            "hidden_act": "silu", "hidden_size": c["hidden_size"], "intermediate_size": c["intermediate_size"],
            "layer_types": ["full_attention"] * c["num_hidden_layers"], "max_position_embeddings": 65536,
            "max_window_layers": 28, "model_type": "qwen3_tts_talker_code_predictor",
            "num_attention_heads": c["num_attention_heads"], "num_code_groups": 16,
            "num_hidden_layers": c["num_hidden_layers"], "num_key_value_heads": c["num_key_value_heads"],
            "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None,
            "use_cache": True, "use_sliding_window": False, "vocab_size": 2048,
        },
        **_CODEC_SPECIAL,
        "codec_language_id": dict(_LANGUAGE_IDS, **(_DIALECT_IDS if cv else {})),
        "head_dim": t["head_dim"], "hidden_act": "silu", "hidden_size": t["hidden_size"],
        "intermediate_size": t["intermediate_size"], "max_position_embeddings": 32768,
        "model_type": "qwen3_tts_talker", "num_attention_heads": t["num_attention_heads"],
        "num_code_groups": 16, "num_hidden_layers": t["num_hidden_layers"],
        "num_key_value_heads": t["num_key_value_heads"], "position_id_per_seconds": 13,
        "rms_norm_eps": 1e-06,
        "rope_scaling": {"interleaved": True, "mrope_section": t["mrope_section"],
                         "rope_type": "default", "type": "default"},
        "rope_theta": 1000000, "sliding_window": None,
        "spk_id": dict(_SPEAKER_IDS) if cv else {},
        "spk_is_dialect": dict(_SPEAKER_DIALECT) if cv else {},
        "text_hidden_size": t["text_hidden_size"], "text_vocab_size": 151936,
        "use_cache": True, "use_sliding_window": False, "vocab_size": 3072,
    }
    cfg: dict[str, Any] = {
        "architectures": ["Qwen3TTSForConditionalGeneration"],
        **_TOP_TOKENS,
        "model_type": "qwen3_tts",
        "talker_config": talker,
        "tokenizer_type": "qwen3_tts_tokenizer_12hz",
        "torch_dtype": {"bf16": "bfloat16", "f32": "float32"}[_check_dtype(dtype)],
        "transformers_version": TRANSFORMERS_VERSION,
        "tts_model_size": s["tag"],
        "tts_model_type": variant,
    }
    if variant == "base":
        cfg["speaker_encoder_config"] = {
            "enc_dim": t["hidden_size"], "sample_rate": 24000, "mel_dim": 128,
            "enc_channels": s["spk"]["enc_channels"], "enc_kernel_sizes": [5, 3, 3, 3, 1],
            "enc_dilations": [1, 2, 3, 4, 1], "enc_attention_channels": s["spk"]["enc_attention_channels"],
            "enc_res2net_scale": s["spk"]["enc_res2net_scale"], "enc_se_channels": s["spk"]["enc_se_channels"],
        }
    return dict(sorted(cfg.items()))


def build_codec_config(size: str) -> dict[str, Any]:
    """``speech_tokenizer/config.json`` contents (Qwen3TTSTokenizerV2Config)."""
    s = _sizes(size)
    dec = dict(copy.deepcopy(_REAL_DECODER), **s["dec"])
    enc = dict(copy.deepcopy(_REAL_ENCODER), **s["enc"])
    return {
        "architectures": ["Qwen3TTSTokenizerV2Model"],
        "decode_upsample_rate": 1920,
        "decoder_config": dict(sorted(dec.items())),
        "encode_downsample_rate": 1920,
        "encoder_config": dict(sorted(enc.items())),
        "encoder_valid_num_quantizers": 16,
        "input_sample_rate": 24000,
        "model_type": "qwen3_tts_tokenizer_12hz",
        "output_sample_rate": 24000,
        "transformers_version": TRANSFORMERS_VERSION,
    }


def generate_checkpoint(
    out_dir: str | Path,
    size: str,
    variant: str,
    seed: int = 0,
    dtype: str = "bf16",
    progress: Progress | None = None,
) -> Path:
    """Write a complete random-weight model directory; returns its path.

    ``dtype`` ("bf16" like the release, or "f32") applies to ``model.safetensors``; the codec file
    is always F32 (as released). Tensors are streamed to disk in chunks, so memory stays at a few
    tens of MB whatever the size. ``progress(name, done, total)`` is called after each tensor with
    element counts over both weight files.
    """
    dtype = _check_dtype(dtype)
    out = Path(out_dir)
    (out / "speech_tokenizer").mkdir(parents=True, exist_ok=True)
    model_cfg = build_model_config(size, variant, dtype)
    codec_cfg = build_codec_config(size)
    _write_json(out / "config.json", model_cfg)
    _write_json(out / "generation_config.json", GENERATION_CONFIG)
    _write_json(out / "preprocessor_config.json", _TOP_PREPROCESSOR)
    _write_json(out / "speech_tokenizer" / "config.json", codec_cfg)
    _write_json(out / "speech_tokenizer" / "configuration.json", _MODELSCOPE)
    _write_json(out / "speech_tokenizer" / "preprocessor_config.json", _CODEC_PREPROCESSOR)
    for name in TOKENIZER_FILES:
        shutil.copyfile(TOKENIZER_ASSETS / name, out / name)

    model_specs = model_tensor_specs(ModelConfig.parse(model_cfg))
    codec_specs = codec_tensor_specs(CodecConfig.parse(codec_cfg))
    total = sum(math.prod(s.shape) for s in model_specs + codec_specs)
    counter = _Counter(total, progress)
    write_random_safetensors(out / "model.safetensors", model_specs, seed, dtype, counter)
    write_random_safetensors(out / "speech_tokenizer" / "model.safetensors", codec_specs, seed, "f32", counter)
    return out


def write_random_safetensors(
    path: Path, specs: list[TensorSpec], seed: int, dtype: str, counter: _Counter | None = None
) -> None:
    """Stream the random tensors of ``specs`` into a safetensors file (``dtype`` "bf16"/"f32"),
    sorted by name; written to ``path.partial`` then renamed."""
    itemsize, kind = {"bf16": (2, "BF16"), "f32": (4, "F32")}[_check_dtype(dtype)]
    specs = sorted(specs, key=lambda s: s.name)
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for s in specs:
        n = math.prod(s.shape) * itemsize
        header[s.name] = {"dtype": kind, "shape": list(s.shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for s in specs:
            for chunk in random_tensor_chunks(s, seed):
                f.write((f32_to_bf16(chunk) if kind == "BF16" else chunk).data)
            if counter is not None:
                counter.step(s.name, math.prod(s.shape))
    os.replace(tmp, path)


def random_tensor(spec: TensorSpec, seed: int) -> np.ndarray:
    """The whole random float32 tensor for ``spec`` (for tests and small tensors)."""
    return np.concatenate(list(random_tensor_chunks(spec, seed))).reshape(spec.shape)


def random_tensor_chunks(spec: TensorSpec, seed: int) -> Iterator[np.ndarray]:
    """The tensor's float32 values in C order, as flat chunks of at most ``_CHUNK`` elements.

    Chunking does not change the values (a Generator's stream is consumed sequentially).
    """
    name, shape, role = spec.name, spec.shape, spec.role
    n = math.prod(shape)
    if role in ("cb_usage", "cb_sum"):
        rows, dim = shape[0], (shape[1] if role == "cb_sum" else 0)
        g = tensor_rng(seed, name.rsplit(".", 1)[0] + ".__codebook__")
        usage = g.random(rows, dtype=np.float32) * np.float32(1.5) + np.float32(0.5)
        if role == "cb_usage":
            yield usage
        else:
            yield (g.standard_normal((rows, dim), dtype=np.float32) * usage[:, None]).reshape(-1)
        return
    if role == "cb_initialized":
        yield np.ones(n, dtype=np.float32)
        return
    std, mean = {
        "embedding": (1.0, 0.0), "bias": (0.02, 0.0), "norm": (0.1, 1.0), "norm_bias": (0.02, 0.0),
        "layer_scale": (0.02, 0.1), "snake": (0.1, 0.0),
    }.get(role, (0.0, 0.0))
    if role == "weight":
        gain = next((g for pat, g in _GAINS if pat.match(name)), 1.0)
        std = gain / math.sqrt(spec.fan_in)
    g = tensor_rng(seed, name)
    for start in range(0, n, _CHUNK):
        x = g.standard_normal(min(_CHUNK, n - start), dtype=np.float32)
        x *= np.float32(std)
        if mean:
            x += np.float32(mean)
        yield x


def tensor_rng(seed: int, name: str) -> np.random.Generator:
    """PCG64 generator seeded with the full sha256 of ``"{seed}:{name}"``."""
    return np.random.default_rng(int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest(), "little"))


class _Counter:
    """Element-count progress over several files."""

    def __init__(self, total: int, progress: Progress | None):
        self.total, self.done, self.progress = total, 0, progress

    def step(self, name: str, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(name, self.done, self.total)


def _sizes(size: str) -> dict[str, Any]:
    if size not in _SIZES:
        raise ValueError(f"unknown size {size!r} (expected one of {SIZE_NAMES})")
    return _SIZES[size]


def _check_dtype(dtype: str) -> str:
    if dtype not in ("bf16", "f32"):
        raise ValueError(f"unknown dtype {dtype!r} (expected 'bf16' or 'f32')")
    return dtype


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
