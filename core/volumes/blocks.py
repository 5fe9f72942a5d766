"""Network blocks the volume generators share: PixelNorm (per-voxel normalisation, no spatial statistics)."""

from __future__ import annotations

import torch
from torch import nn


class PixelNorm(nn.Module):
    """Per-voxel RMS normalisation across channels, then a per-channel affine (local: no spatial statistics)."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        # same parameter names and shapes as GroupNorm's affine, so --init can start from a GroupNorm model
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        x = x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + self.eps)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return x * self.weight.view(shape) + self.bias.view(shape)
