"""Numeric precision of a run: 'fp32', 'bf16' or 'auto' (bf16 where the CPU computes it natively).

One definition for inference (cleanup, video) and the shared trainer (core.train): AMX on recent
Xeons and AVX-512 BF16 on AMD Zen 4/5 run bfloat16 convolutions ~1.7-3× faster than float32.
"""

from __future__ import annotations

import contextlib

import torch

from .errors import InputError

PRECISIONS = ("auto", "fp32", "bf16")


def cpu_has_fast_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AMX or AVX-512 BF16)."""
    try:
        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except Exception:  # private helpers: absent in some builds
        return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto' → 'bf16' on a CPU with native bfloat16, else 'fp32' (GPUs use their own fp16 AMP)."""
    if precision not in PRECISIONS:
        raise InputError(f"Unknown precision '{precision}' (use {', '.join(PRECISIONS)}).")
    if precision == "auto":
        return "bf16" if torch.device(device).type == "cpu" and cpu_has_fast_bf16() else "fp32"
    return precision


def cpu_autocast(precision: str):
    """A bfloat16 autocast region on the CPU for 'bf16', else a no-op (precision already resolved)."""
    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()
