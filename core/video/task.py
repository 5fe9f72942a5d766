"""Training tasks for the shared trainer (``core.train.fit``): the frame VQ-VAE and the latent transformer.

The transformer learns by teacher forcing on clips of ``cfg.frames`` frames (Moving MNIST from
the training digits, or the user's clips): each batch is encoded by the frozen VQ-VAE (float32,
outside any autocast, so the codes are the ones inference sees), laid out as one sequence per clip
(``layout.py``), and the cross-entropy of every code given all codes before it is averaged with
weight 1 on the predicted frames and ``cfg.context_weight`` on the given ones.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError
from ..metrics import psnr
from ..train import StepContext, TrainConfig
from .config import LVT_FORMAT, LVT_KIND, VQ_FORMAT, VQ_KIND, LVTConfig, VQVAEConfig
from .layout import to_sequence
from .model import LatentVideoTransformer
from .vqvae import VQVAE, code_usage_bits, to_float


def _moving_mnist(n: int, rng: np.random.Generator, frames: int, size: int) -> np.ndarray:
    from .mnist import moving_mnist

    return moving_mnist(n, seed=rng, split="train", frames=frames, size=size)


def _check_clips(clips, frames: int, size: int) -> None:
    if clips is not None and (clips.ndim != 4 or clips.shape[1] < frames or clips.shape[2:] != (size, size)):
        raise InputError(f"Training clips must be (N, T ≥ {frames}, {size}, {size}) uint8 arrays.")


class VQVAETask:
    """The frame VQ-VAE on the shared trainer (one model, one Adam) on single random frames."""

    kind = VQ_KIND
    format_version = VQ_FORMAT

    def __init__(self, config: VQVAEConfig, clips: np.ndarray | None = None):
        _check_clips(clips, 1, config.size)
        self.cfg, self.clips = config, clips
        self._check = None

    def config_dict(self) -> dict:
        return self.cfg.to_dict()

    def frames(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` random frames (n, H, W) uint8: Moving MNIST (training digits) or the given clips."""
        if self.clips is None:
            seqs = _moving_mnist(n, rng, 20, self.cfg.size)
            return seqs[np.arange(n), rng.integers(0, seqs.shape[1], n)]
        i = rng.integers(0, self.clips.shape[0], n)
        t = rng.integers(0, self.clips.shape[1], n)
        return self.clips[i, t]

    def build(self, device, train: TrainConfig):
        net = VQVAE(self.cfg).to(device)
        return {"vqvae": net}, {"vqvae": torch.optim.Adam(net.parameters(), lr=train.lr)}

    def sample(self, batch_size: int, rng: np.random.Generator):
        return to_float(self.frames(batch_size, rng))

    def train_step(self, batch, step: int, ctx: StepContext) -> dict[str, float]:
        x = ctx.to_device(batch)
        opt = ctx.opts["vqvae"]
        opt.zero_grad(set_to_none=True)
        with ctx.autocast():
            rec, _, commit = ctx.nets["vqvae"](x)
        rec_loss = F.mse_loss(rec.float(), x)
        ctx.backward(rec_loss + self.cfg.beta * commit)
        ctx.step(opt)
        return {"rec": rec_loss.item(), "commit": commit.item()}

    def check(self, step: int, ctx: StepContext) -> dict[str, float]:
        """Reconstruction PSNR, codebook use and bits per code on 16 fixed frames (training digits, own seed)."""
        if self._check is None:
            self._check = to_float(self.frames(16, np.random.default_rng(987_654)))
        net = ctx.raw["vqvae"].eval()
        x = self._check.to(ctx.device)
        codes = net.encode(x)
        used = np.mean([codes[:, c].unique().numel() / self.cfg.codebook_size for c in range(self.cfg.n_parts)])
        return {"psnr": psnr(net.decode(codes), x), "code_use": float(used),
                "bits_per_code": code_usage_bits(codes, self.cfg.codebook_size)}


class LVTTask:
    """The transformer on the shared trainer, on codes of a frozen VQ-VAE (kept in the checkpoint)."""

    kind = LVT_KIND
    format_version = LVT_FORMAT

    def __init__(self, config: LVTConfig, vqvae: VQVAE, clips: np.ndarray | None = None):
        """``vqvae``: a trained VQ-VAE (frozen here); ``clips`` (N, T ≥ frames, H, W) uint8 or None for
        Moving MNIST from the training digits."""
        vc = vqvae.cfg
        if (config.n_parts, config.codebook_size, config.height, config.width) != (
                vc.n_parts, vc.codebook_size, vc.latent, vc.latent):
            raise InputError("The transformer's latent settings (n_parts, codebook_size, height, width) must match "
                             f"the VQ-VAE's ({vc.n_parts}, {vc.codebook_size}, {vc.latent}, {vc.latent}).")
        if config.vqvae != vc.to_dict():
            raise InputError("LVTConfig.vqvae must be the VQ-VAE's config (vqvae.cfg.to_dict()).")
        _check_clips(clips, config.frames, vc.size)
        self.cfg, self.vq, self.clips = config, vqvae, clips
        self._check = None

    def config_dict(self) -> dict:
        return self.cfg.to_dict()

    def build(self, device, train: TrainConfig):
        net = LatentVideoTransformer(self.cfg).to(device)
        vq = VQVAE(self.vq.cfg)
        vq.load_state_dict(self.vq.state_dict())
        vq = vq.to(device).eval().requires_grad_(False)
        opt = torch.optim.AdamW(net.parameters(), lr=train.lr, betas=(0.9, 0.95), weight_decay=0.01)
        return {"lvt": net, "vqvae": vq}, {"lvt": opt}

    def clips_for(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` clips (n, frames, H, W) uint8: Moving MNIST (training digits) or windows of the given clips."""
        T = self.cfg.frames
        if self.clips is None:
            return _moving_mnist(n, rng, T, self.vq.cfg.size)
        i = rng.integers(0, self.clips.shape[0], n)
        s = rng.integers(0, self.clips.shape[1] - T + 1, n)
        return np.stack([self.clips[a, b:b + T] for a, b in zip(i, s)])

    def sample(self, batch_size: int, rng: np.random.Generator):
        return torch.from_numpy(self.clips_for(batch_size, rng))

    @torch.no_grad()
    def encode(self, clips: torch.Tensor, vq: VQVAE) -> torch.Tensor:
        """uint8 clips (B, T, H, W) → token sequences (B, T·h·w·n_c) through the frozen VQ-VAE (float32)."""
        b, t = clips.shape[:2]
        x = clips.reshape((b * t, 1) + tuple(clips.shape[2:])).float() / 255.0
        with torch.autocast(x.device.type, enabled=False):
            codes = vq.eval().encode(x)
        return to_sequence(codes.reshape(b, t, self.cfg.n_parts, self.cfg.height, self.cfg.width))

    def token_weights(self, n: int, device) -> torch.Tensor:
        """(n,) loss weights: ``context_weight`` on the given frames' codes, 1 on the predicted ones."""
        w = torch.ones(n, device=device)
        w[:self.cfg.context_tokens] = self.cfg.context_weight
        return w

    def losses(self, net, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(weighted mean cross-entropy, mean cross-entropy of the predicted frames' codes), in nats."""
        logits = net(tokens)
        ce = F.cross_entropy(logits.float().transpose(1, 2), tokens, reduction="none")  # (B, L)
        w = self.token_weights(tokens.shape[1], tokens.device)
        loss = (ce * w).sum() / (w.sum() * tokens.shape[0])
        return loss, ce[:, self.cfg.context_tokens:].mean()

    def train_step(self, batch, step: int, ctx: StepContext) -> dict[str, float]:
        tokens = self.encode(ctx.to_device(batch), ctx.raw["vqvae"])
        opt = ctx.opts["lvt"]
        opt.zero_grad(set_to_none=True)
        with ctx.autocast():
            loss, pred = self.losses(ctx.nets["lvt"], tokens)
        ctx.backward(loss)
        ctx.scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(ctx.raw["lvt"].parameters(), 1.0)
        ctx.step(opt)
        return {"ce": loss.item(), "ce_pred": pred.item()}

    @torch.no_grad()
    def check(self, step: int, ctx: StepContext) -> dict[str, float]:
        """Bits per code of the predicted frames on 4 fixed validation clips (training digits, own seed)."""
        if self._check is None:
            self._check = torch.from_numpy(self.clips_for(4, np.random.default_rng(424_242)))
        tokens = self.encode(self._check.to(ctx.device), ctx.raw["vqvae"])
        _, pred = self.losses(ctx.raw["lvt"].eval(), tokens)
        return {"val_bits_per_code": pred.item() / math.log(2)}
