"""Encoder E, generator G and discriminator D of the rock GAN (all fully convolutional).

E(s): binary slice (B,1,H,W) → features at full, 1/2 and 1/4 resolution (the code h).
G(h, z): h and a 3D noise field z (B,nz,L,H/4,W/4) → pore probability (B,1,4L,H,W). The slice
features are lifted into 3D multiplied by w(d) = exp(-|d − centre|/decay): at the central slice G
sees s in full detail, far from it only noise, so the neighbourhood follows s and the rest is
free (different z → different volumes). The central slice is at index 4L // 2.
D(x): volume → a patch map of realism scores (hinge loss, spectral norm, no normalisation).
GroupNorm (not BatchNorm) in E and G: no running statistics, so one sample is generated the same
whatever else is in the batch, train and eval behave alike, and DDP has no buffers to sync.
G's norm is configurable (RockGANConfig.g_norm): "group" normalises each channel group over the
whole volume, so the far field (where G sees only noise) is scaled by statistics that depend on
the volume's depth and on how much of it lies near the slice; "pixel" (ProGAN's PixelNorm,
per voxel across channels) is local, so G is a plain convolution stack with a finite reach and
every plane further than that from the slice is drawn the same way whatever the volume's shape.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..volumes.blocks import PixelNorm
from .config import FACTOR, RockGANConfig


def _groups(ch: int) -> int:
    return math.gcd(ch, 8)


class Block2d(nn.Module):
    """3×3 conv → GroupNorm → LeakyReLU (stride 2 halves the size)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, padding_mode: str = "zeros"):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, padding_mode=padding_mode)
        self.norm = nn.GroupNorm(_groups(cout), cout)

    def forward(self, x):
        return F.leaky_relu(self.norm(self.conv(x)), 0.2)


def make_norm(kind: str, channels: int) -> nn.Module:
    """G's normalisation layer: "group" (GroupNorm over the volume) or "pixel" (PixelNorm, local)."""
    return PixelNorm(channels) if kind == "pixel" else nn.GroupNorm(_groups(channels), channels)


class Block3d(nn.Module):
    """3×3×3 conv → norm (GroupNorm or PixelNorm) → LeakyReLU."""

    def __init__(self, cin: int, cout: int, padding_mode: str = "zeros", norm: str = "group"):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 3, 1, 1, padding_mode=padding_mode)
        self.norm = make_norm(norm, cout)

    def forward(self, x):
        return F.leaky_relu(self.norm(self.conv(x)), 0.2)


class Encoder(nn.Module):
    """E: slice (B,1,H,W), H and W multiples of 4 → [full, 1/2, 1/4]-resolution features (h)."""

    def __init__(self, cfg: RockGANConfig):
        super().__init__()
        c, pm = cfg.channels, cfg.padding_mode
        self.stem = Block2d(1, c, padding_mode=pm)
        self.down1 = Block2d(c, 2 * c, stride=2, padding_mode=pm)
        self.down2 = Block2d(2 * c, 4 * c, stride=2, padding_mode=pm)

    def forward(self, s):
        f0 = self.stem(s * 2 - 1)  # centre the {0,1} input
        f1 = self.down1(f0)
        f2 = self.down2(f1)
        return [f0, f1, f2]


def centre_weight(depth: int, scale: int, full_depth: int, decay: float, like: torch.Tensor,
                  start: int = 0) -> torch.Tensor:
    """w(d) for ``depth`` cells (from cell ``start``) of a map at 1/``scale`` resolution, shape (1,1,depth,1,1)."""
    pos = (torch.arange(depth, device=like.device, dtype=torch.float32) + start) * scale + (scale - 1) / 2
    w = torch.exp(-(pos - full_depth // 2).abs() / decay)
    return w.to(like.dtype).view(1, 1, depth, 1, 1)


def lift(f: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """2D features (B,C,H,W) → 3D (B,C+1,L,H,W): features scaled by w(d), plus w itself as a channel."""
    b, _, h, wd = f.shape
    feat = f.unsqueeze(2) * w
    return torch.cat([feat, w.expand(b, 1, w.shape[2], h, wd)], 1)


class Generator(nn.Module):
    """G: (h, z) → pore probability volume (B,1,4L,H,W), fully convolutional in all three axes."""

    def __init__(self, cfg: RockGANConfig):
        super().__init__()
        c, self.decay, pm, nm = cfg.channels, cfg.decay, cfg.padding_mode, cfg.g_norm
        self.padding_mode = pm  # read by core.rock.tiled (zeros, replicate); generate() runs "reflect" whole
        self.norm = nm          # "pixel": generated slab by slab (core.rock.slabs); "group": core.rock.tiled
        self.coarse = nn.Sequential(Block3d(cfg.z_channels + 4 * c + 1, 4 * c, pm, nm), Block3d(4 * c, 4 * c, pm, nm))
        self.mid = nn.Sequential(Block3d(4 * c + 2 * c + 1, 2 * c, pm, nm), Block3d(2 * c, 2 * c, pm, nm))
        self.fine = nn.Sequential(Block3d(2 * c + c + 1, c, pm, nm), Block3d(c, c, pm, nm))
        self.out = nn.Conv3d(c, 1, 3, 1, 1, padding_mode=pm)

    def forward(self, h, z):
        f0, f1, f2 = h
        full = z.shape[2] * FACTOR
        x = torch.cat([z, lift(f2, centre_weight(z.shape[2], 4, full, self.decay, z))], 1)
        x = self.coarse(x)
        x = F.interpolate(x, scale_factor=2, mode="nearest")  # nearest + conv: no checkerboard
        x = self.mid(torch.cat([x, lift(f1, centre_weight(x.shape[2], 2, full, self.decay, x))], 1))
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.fine(torch.cat([x, lift(f0, centre_weight(x.shape[2], 1, full, self.decay, x))], 1))
        return torch.sigmoid(self.out(x).float())  # float32 probabilities under bf16 autocast (losses, porosity)


class Discriminator(nn.Module):
    """D: volume (B,1,D,H,W) → patch scores (B,1,D/4,H/4,W/4); spectral norm keeps it 1-Lipschitz-ish."""

    def __init__(self, cfg: RockGANConfig):
        super().__init__()
        d = cfg.d_channels
        self.convs = nn.ModuleList([
            spectral_norm(nn.Conv3d(1, d, 4, 2, 1)),
            spectral_norm(nn.Conv3d(d, 2 * d, 4, 2, 1)),
            spectral_norm(nn.Conv3d(2 * d, 4 * d, 3, 1, 1)),
        ])
        self.head = spectral_norm(nn.Conv3d(4 * d, 1, 3, 1, 1))

    def forward(self, x):
        x = x * 2 - 1
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
        return self.head(x)


def noise_shape(cfg: RockGANConfig, depth: int, height: int, width: int) -> tuple[int, int, int, int]:
    """Shape (nz, L, H/4, W/4) of one z for a volume of at least ``depth`` slices (H, W multiples of 4)."""
    return (cfg.z_channels, -(-depth // FACTOR), height // FACTOR, width // FACTOR)
