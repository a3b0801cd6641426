"""Precision profiles and the weight-only blockwise quantizer behind them.

A profile says which Linear layers of the talker step graph become ``com.microsoft::MatMulNBits``
(weight-only, symmetric, per block along the input axis) and with how many bits; everything else
(embeddings, norms, the codec decoder and encoders, the speaker encoder) stays float32. Activations
stay float32 in the graph; ``accuracy_level`` 4 lets the CPU kernel quantize them per block to int8
internally, which is the only fast 8-bit kernel (any other level dequantizes the whole weight on
every call, ~20x slower) and 1.5-4x faster for 4-bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACCURACY_LEVEL = 4  # MatMulNBits: int8 compute on the CPU EP (see the module docstring)


@dataclass(frozen=True)
class BlockQuant:
    """``bits`` (4 or 8) per weight, one float32 scale per ``block`` consecutive inputs."""

    bits: int
    block: int

    def __post_init__(self) -> None:
        if self.bits not in (4, 8) or self.block < 16 or self.block & (self.block - 1):
            raise ValueError(f"unsupported block quantization {self.bits} bits, block {self.block}")


@dataclass(frozen=True)
class Profile:
    """``talker``: the talker's decoder-layer projections (q, k, v, o, gate, up, down); ``predictor``:
    the code predictor's (and its input projection); ``heads``: the talker's codec head and the 15
    code-predictor lm heads. ``None`` keeps float32. ``compute``: the talker step graph's activation
    and KV type, float32 or a half type (``export.half``; with no quantized layers)."""

    name: str
    talker: BlockQuant | None
    predictor: BlockQuant | None
    heads: BlockQuant | None
    compute: str = "float32"

    def plan(self, linear: str) -> BlockQuant | None:
        """The quantization of the talker-graph Linear named ``linear`` (its checkpoint prefix)."""
        if linear == "talker.codec_head" or ".lm_head." in linear:
            return self.heads
        return self.predictor if linear.startswith("talker.code_predictor.") else self.talker


PROFILES = {
    p.name: p
    for p in (
        Profile("fp32", None, None, None),  # the reference: bit-exact against the official implementation
        # the CPU default; heads fp32. Blocks by measurement (0.6B, README, Precision profiles): talker 64,
        # predictor 128 is 1.08x faster per frame than 64 everywhere, itself 1.14-1.20x faster than 32,
        # at the gates; 128 everywhere misses the predictor's top-1 gate (98.8 % < 99 % of decisive steps)
        Profile("cpu-int8", BlockQuant(8, 64), BlockQuant(8, 128), None),
        Profile("cpu-int4", BlockQuant(4, 32), BlockQuant(4, 32), BlockQuant(8, 32)),  # speed tier: measurably less faithful
        # the CUDA EP (GroupQueryAttention has no fp32 CUDA kernel): fp32 islands for sampling and embedding sums
        Profile("fp16", None, None, None, "float16"),
        Profile("bf16", None, None, None, "bfloat16"),
    )
}


def quantize_blockwise(w: np.ndarray, q: BlockQuant) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric blockwise quantization in the MatMulNBits layout.

    ``w`` float [N, K] (torch Linear layout: N outputs, K inputs) -> (packed uint8
    [N, ceil(K / block), block * bits / 8], scales float32 [N, ceil(K / block)]). K is zero-padded to
    whole blocks. Each block stores ``round(w / scale) + 2^(bits-1)`` (the kernel's default zero
    point, so no zero-point input is needed) with a signed scale that maps the block's largest-
    magnitude weight exactly onto -2^(bits-1): the full code range is used on that side. 4-bit
    codes are packed two per byte, the lower-index one in the low nibble.
    """
    w = np.asarray(w, np.float32)
    n, k = w.shape
    nblocks = -(-k // q.block)
    blocks = np.zeros((n, nblocks * q.block), np.float32)
    blocks[:, :k] = w
    blocks = blocks.reshape(n, nblocks, q.block)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(-1)[..., None], -1)[..., 0]  # [N, blocks], signed
    half = 2 ** (q.bits - 1)
    scales = (peak / -half).astype(np.float32)
    inv = np.divide(1.0, scales, out=np.zeros_like(scales), where=scales != 0)
    codes = (np.clip(np.rint(blocks * inv[..., None]), -half, half - 1) + half).astype(np.uint8)
    if q.bits == 4:
        codes = codes[..., 0::2] | (codes[..., 1::2] << 4)
    return np.ascontiguousarray(codes), scales
