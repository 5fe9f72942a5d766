"""Frame VQ-VAE: strided conv encoder (64² → (64/f)², f = ``downsample``), product quantiser with n_c parts, EMA codebooks.

As in LVT (Rakhimov et al. 2020, §3.1): the encoder's D-dimensional vector at each latent position
is split into ``n_parts`` (n_c) chunks of D/n_c dimensions, and chunk c is quantised against its own
codebook of ``codebook_size`` (K) entries. A frame thus becomes an integer array (n_c, h, w) with
values in [0, K). Codebooks are not trained by gradients but by exponential moving averages of the
assigned encoder outputs (van den Oord et al. 2017, appendix; Razavi et al. 2019), with Laplace
smoothing of the counts; the encoder is pulled towards its codes by the commitment loss
β·‖z_e − sg(e)‖². Gradients pass the quantiser straight through.

The grid factor f is a power of two: log2(f) stride-2 convolutions (4 → 16² latents as the
format-1 VQ-VAE, whose weights load unchanged; 8 → 8² latents, 4× fewer codes per frame).

Entries that fall out of use (EMA count below ``dead_threshold``) are restarted at random encoder
outputs of the current batch (as Jukebox, Dhariwal et al. 2020); at the first training step this
also places the unused random initial entries on the data. Under DDP the restarts may differ per
rank; DDP broadcasts rank 0's buffers before the next forward, so all ranks agree again.

Loss per step: mean squared reconstruction error of frames in [0, 1] + β · commitment
(``task.VQVAETask``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import VQVAEConfig

__all__ = ["VQVAE", "VQVAEConfig", "PartQuantizer", "to_float", "to_uint8", "code_usage_bits"]


def _widths(cfg: VQVAEConfig) -> list[int]:
    """Channels along the strided convolutions: 1 → c/2 (… c/2) → c, one stride-2 step per factor 2."""
    n = int(math.log2(cfg.downsample))
    half = cfg.channels // 2 or 1
    return [1] + [half] * (n - 1) + [cfg.channels]


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 1))

    def forward(self, x):
        return x + self.body(x)


class Encoder(nn.Module):
    """(B, 1, H, W) in [0, 1] → (B, D, H/f, W/f)."""

    def __init__(self, cfg: VQVAEConfig):
        super().__init__()
        c, w = cfg.channels, _widths(cfg)
        down = []
        for a, b in zip(w[:-1], w[1:]):
            down += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.ReLU()]
        self.net = nn.Sequential(*down, nn.Conv2d(c, c, 3, padding=1), *[ResBlock(c) for _ in range(cfg.n_res)],
                                 nn.ReLU(), nn.Conv2d(c, cfg.embed_dim, 1))

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    """(B, D, h, w) → (B, 1, f·h, f·w) reconstruction (no squashing; clamp for display)."""

    def __init__(self, cfg: VQVAEConfig):
        super().__init__()
        c, w = cfg.channels, _widths(cfg)[::-1]
        up = []
        for a, b in zip(w[:-1], w[1:]):
            up += [nn.ReLU(), nn.ConvTranspose2d(a, b, 4, stride=2, padding=1)]
        self.net = nn.Sequential(nn.Conv2d(cfg.embed_dim, c, 3, padding=1), *[ResBlock(c) for _ in range(cfg.n_res)],
                                 *up)

    def forward(self, z):
        return self.net(z)


class PartQuantizer(nn.Module):
    """n_c codebooks of K entries of D/n_c dims, updated by EMA in training mode."""

    def __init__(self, cfg: VQVAEConfig, eps: float = 1e-5):
        super().__init__()
        self.n, self.k, self.d = cfg.n_parts, cfg.codebook_size, cfg.embed_dim // cfg.n_parts
        self.decay, self.eps, self.dead_threshold = cfg.decay, eps, cfg.dead_threshold
        embed = torch.randn(self.n, self.k, self.d) * (1.0 / math.sqrt(self.d))
        self.register_buffer("embed", embed)                       # (n_c, K, d) the codebooks
        self.register_buffer("cluster_size", torch.ones(self.n, self.k))
        self.register_buffer("embed_avg", embed.clone())

    def split(self, z: torch.Tensor) -> torch.Tensor:
        """(B, D, h, w) → (n_c, B·h·w, d)."""
        b, _, h, w = z.shape
        return z.reshape(b, self.n, self.d, h, w).permute(1, 0, 3, 4, 2).reshape(self.n, b * h * w, self.d)

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """Nearest entry per part: (B, D, h, w) → (B, n_c, h, w) int64."""
        b, _, h, w = z.shape
        flat = self.split(z.float())
        dist = (flat.pow(2).sum(-1, keepdim=True) - 2 * flat @ self.embed.transpose(1, 2)
                + self.embed.pow(2).sum(-1)[:, None, :])
        idx = dist.argmin(-1)  # (n_c, B·h·w)
        return idx.reshape(self.n, b, h, w).permute(1, 0, 2, 3)

    def lookup(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, n_c, h, w) codes → (B, D, h, w) quantised vectors."""
        b, n, h, w = codes.shape
        parts = [self.embed[c][codes[:, c]] for c in range(n)]  # each (B, h, w, d)
        return torch.cat(parts, dim=-1).permute(0, 3, 1, 2).contiguous()

    @torch.no_grad()
    def ema_update(self, z: torch.Tensor, codes: torch.Tensor) -> None:
        flat = self.split(z.float())                                       # (n_c, N, d)
        idx = codes.permute(1, 0, 2, 3).reshape(self.n, -1)                # (n_c, N)
        onehot = F.one_hot(idx, self.k).type(flat.dtype)                   # (n_c, N, K)
        counts = onehot.sum(1)                                             # (n_c, K)
        sums = onehot.transpose(1, 2) @ flat                               # (n_c, K, d)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(counts)
            torch.distributed.all_reduce(sums)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_avg.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        total = self.cluster_size.sum(-1, keepdim=True)
        size = (self.cluster_size + self.eps) / (total + self.k * self.eps) * total  # Laplace smoothing
        self.embed.copy_(self.embed_avg / size.unsqueeze(-1))
        if self.dead_threshold > 0:
            self.restart_dead(flat)

    @torch.no_grad()
    def restart_dead(self, flat: torch.Tensor) -> int:
        """Move entries whose EMA count is below the threshold onto random vectors of ``flat`` (n_c, N, d)."""
        dead = self.cluster_size < self.dead_threshold
        n_dead = int(dead.sum())
        for c in range(self.n):
            idx = dead[c].nonzero()[:, 0]
            if idx.numel():
                pick = torch.randint(0, flat.shape[1], (idx.numel(),), device=flat.device)
                self.embed[c, idx] = flat[c, pick]
                self.embed_avg[c, idx] = flat[c, pick]
                self.cluster_size[c, idx] = 1.0
        return n_dead

    def forward(self, z: torch.Tensor):
        """(quantised with straight-through gradient, codes, commitment loss)."""
        codes = self.codes(z)
        if self.training:
            self.ema_update(z.detach(), codes)
        q = self.lookup(codes).to(z.dtype)
        commit = F.mse_loss(z.float(), q.detach().float())
        return z + (q - z).detach(), codes, commit


class VQVAE(nn.Module):
    def __init__(self, cfg: VQVAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder, self.quantizer, self.decoder = Encoder(cfg), PartQuantizer(cfg), Decoder(cfg)

    def forward(self, x: torch.Tensor):
        """x (B, 1, H, W) in [0, 1] → (reconstruction, codes (B, n_c, h, w), commitment loss)."""
        q, codes, commit = self.quantizer(self.encoder(x))
        return self.decoder(q), codes, commit

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Frames (B, 1, H, W) in [0, 1] → codes (B, n_c, h, w)."""
        return self.quantizer.codes(self.encoder(x))

    @torch.no_grad()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes (B, n_c, h, w) → frames (B, 1, H, W) clamped to [0, 1]."""
        return self.decoder(self.quantizer.lookup(codes)).clamp(0, 1)


def to_float(frames: np.ndarray) -> torch.Tensor:
    """uint8 frames (..., H, W) → float tensor (N, 1, H, W) in [0, 1]."""
    a = np.asarray(frames)
    return torch.from_numpy(a.reshape((-1, 1) + a.shape[-2:]).astype(np.float32) / 255.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """Float frames in [0, 1] → uint8 array; (N, 1, H, W) becomes (N, H, W), other shapes stay."""
    a = x.detach().float().clamp(0, 1).cpu().numpy()
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    return np.rint(a * 255).astype(np.uint8)


def code_usage_bits(codes: torch.Tensor, codebook_size: int) -> float:
    """Entropy in bits of the codes' usage (B, n_c, h, w), per part, averaged over the parts (≤ log2 K)."""
    out = []
    for c in range(codes.shape[1]):
        p = torch.bincount(codes[:, c].reshape(-1).cpu(), minlength=codebook_size).double()
        p = p[p > 0] / p.sum()
        out.append(float(-(p * p.log2()).sum()))
    return float(np.mean(out))
