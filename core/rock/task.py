"""The rock GAN as a core.train Task: hinge loss with spectral norm + λ·slice reconstruction.

Why hinge + spectral norm rather than WGAN-GP: no gradient penalty means no double backward,
which keeps mixed precision (GradScaler) and DDP simple and the step cheaper; spectral norm gives
D the Lipschitz control the penalty would.
  L_D = E[relu(1 − D(x))] + E[relu(1 + D(G(E(s), z)))]
  L_G = −E[D(G(E(s), z))] + λ · mean (s − M⊙G(E(s), z))² [+ μ · mean_b (φ̄(G) − φ(x))²]
        [+ ν · mean_b,k (φ̄_k(G) − φ(x))²],
  M = the central z-slice; φ̄ the mean pore probability of a generated volume, φ(x) the porosity of
  the real crop whose central slice s is (porosity_weight μ, 100 by default); φ̄_k the mean over
  the k-th band of PROFILE_BAND z-planes (profile_weight ν, 100 by default).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..train import StepContext, TrainConfig, frozen
from ..volumes.crops import CropSampler
from .config import RockGANConfig
from .model import Discriminator, Encoder, Generator, noise_shape

KIND = "rock-gan"
FORMAT_VERSION = 1


def porosity_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of (mean pore probability of each fake − porosity of its real crop)²."""
    return ((fake.float().mean(dim=(1, 2, 3, 4)) - real.float().mean(dim=(1, 2, 3, 4))) ** 2).mean()


PROFILE_BAND = 4  # planes per band of the profile term: one coarse cell of G


def profile_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean over the batch and over bands of PROFILE_BAND z-planes of (band's mean pore probability −
    porosity of the real crop)². Why: G drew planes whose porosity ran 0.02–0.34 along z (pore-free
    far from the slice) while the whole-volume porosity term was met; real planes stay near the mean."""
    b, _, d = fake.shape[:3]
    bands = fake.float().mean(dim=(1, 3, 4))[:, :d - d % PROFILE_BAND].reshape(b, -1, PROFILE_BAND).mean(2)
    return ((bands - real.float().mean(dim=(1, 2, 3, 4)).unsqueeze(1)) ** 2).mean()


def slice_loss(fake: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between the central z-slice of ``fake`` and the condition ``s``."""
    return F.mse_loss(fake[:, :, fake.shape[2] // 2].float(), s.float())


class RockGANTask:
    """Train E, G (one optimiser) and D (another) on crops of the training volumes."""

    kind = KIND
    format_version = FORMAT_VERSION

    def __init__(self, config: RockGANConfig, volumes: list[np.ndarray]):
        self.cfg = config
        self.sampler = CropSampler(volumes, config.crop, config.depth_range())
        self._check_batch = None

    def config_dict(self) -> dict:
        return self.cfg.to_dict()

    def build(self, device, train: TrainConfig):
        nets = {"encoder": Encoder(self.cfg).to(device), "generator": Generator(self.cfg).to(device),
                "discriminator": Discriminator(self.cfg).to(device)}
        # β1 = 0.5 as usual for GANs: less momentum, fewer oscillations between G and D.
        g_params = list(nets["encoder"].parameters()) + list(nets["generator"].parameters())
        opts = {"generator": torch.optim.Adam(g_params, lr=train.lr, betas=(0.5, 0.999)),
                "discriminator": torch.optim.Adam(nets["discriminator"].parameters(), lr=train.lr, betas=(0.5, 0.999))}
        return nets, opts

    def sample(self, batch_size: int, rng: np.random.Generator):
        return self.sampler.sample(batch_size, rng)

    def train_step(self, batch, step: int, ctx: StepContext) -> dict[str, float]:
        real, s = ctx.to_device(batch)
        E, G, D = ctx.nets["encoder"], ctx.nets["generator"], ctx.nets["discriminator"]
        z = torch.randn((real.shape[0],) + noise_shape(self.cfg, *real.shape[2:]), device=ctx.device)
        with ctx.autocast():
            fake = G(E(s), z)

        # D step: real and fake in one forward (one DDP forward per backward).
        ctx.opts["discriminator"].zero_grad(set_to_none=True)
        with ctx.autocast():
            scores = D(torch.cat([real, fake.detach()])).float()
        d_real, d_fake = scores.chunk(2)
        loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        ctx.backward(loss_d)
        ctx.step(ctx.opts["discriminator"])

        # G step through the *unwrapped*, frozen D: its gradients are neither wanted nor synced.
        ctx.opts["generator"].zero_grad(set_to_none=True)
        with frozen(ctx.raw["discriminator"]), ctx.autocast():
            adv = -ctx.raw["discriminator"](fake).float().mean()
        rec = slice_loss(fake, s)
        loss_g = adv + self.cfg.rec_weight * rec
        por = porosity_loss(fake, real)  # logged either way: how far each volume is from its rock's porosity
        if self.cfg.porosity_weight > 0:
            loss_g = loss_g + self.cfg.porosity_weight * por
        out = {"loss_d": loss_d.item(), "loss_g_adv": adv.item(), "rec": rec.item(), "porosity_mse": por.item()}
        if self.cfg.profile_weight > 0:
            prof = profile_loss(fake, real)
            loss_g = loss_g + self.cfg.profile_weight * prof
            out["profile_mse"] = prof.item()
        ctx.backward(loss_g)
        ctx.step(ctx.opts["generator"])
        return out

    def check(self, step: int, ctx: StepContext) -> dict[str, float]:
        """Slice reconstruction and porosity on a fixed batch with fixed noise (own RNGs only)."""
        if self._check_batch is None:
            self._check_batch = self.sampler.sample(4, np.random.default_rng(1234))
        real, s = ctx.to_device(self._check_batch)
        gen = torch.Generator().manual_seed(0)
        z = torch.randn((real.shape[0],) + noise_shape(self.cfg, *real.shape[2:]), generator=gen).to(ctx.device)
        E, G = ctx.raw["encoder"].eval(), ctx.raw["generator"].eval()
        code = E(s)
        fake = G(code, z).float()
        c = fake.shape[2] // 2
        # Far field: the same slices drawn three times as deep as the crops. Real rock is stationary,
        # so the planes beyond the crop's reach should be as porous as the rest; a model whose decay
        # outreaches its crops loses its pores there (see RockGANConfig.reach_warning).
        deep = noise_shape(self.cfg, 3 * real.shape[2], *real.shape[3:])
        zd = torch.randn((2,) + deep, generator=gen).to(ctx.device)
        far = (G([h[:2] for h in code], zd).float() >= 0.5).float()
        third = far.shape[2] // 3
        return {"rec": slice_loss(fake, s).item(),
                "slice_match": ((fake[:, :, c] >= 0.5).float() == s).float().mean().item(),
                "porosity_fake": (fake >= 0.5).float().mean().item(), "porosity_real": real.mean().item(),
                "porosity_far": torch.cat([far[:, :, :third // 2], far[:, :, -(third // 2):]], 2).mean().item(),
                "porosity_near": far[:, :, third:2 * third].mean().item()}
