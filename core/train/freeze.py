"""``frozen(module)``: no parameter gradients inside (a critic while its generator is trained)."""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def frozen(module: torch.nn.Module):
    """No parameter gradients for ``module`` inside (D while G is trained): saves the work."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, f in zip(module.parameters(), flags):
            p.requires_grad_(f)
