"""Baseline for the thesis tables: an unconditional 3D DCGAN as in Mosser et al. 2017.

Mosser, Dubrule & Blunt, "Reconstruction of three-dimensional porous media using generative
adversarial neural networks", Phys. Rev. E 96, 043309 (2017); code: LukasMosser/PorousMediaGan.

* G: z (nz × L³, L = 1 for a training-size sample) → ConvTranspose3d(nz, ngf·2^(k-1), 4, 1, 0)
  → [BatchNorm3d, ReLU, ConvTranspose3d(·, ·/2, 4, 2, 1)] × (k − 1) → BatchNorm3d, ReLU,
  ConvTranspose3d(ngf, 1, 4, 2, 1) → Tanh: a 1³ latent gives 4³ after the first layer, then ×2
  per layer up to the crop (64³ for k = 4 stride-2 layers). A larger L gives (L + 3)·2^k voxels
  (the generator is fully convolutional, as Mosser et al. used for their large samples); it is
  then centre-cropped to the requested size.
* D: Conv3d(1, ndf, 4, 2, 1) + LeakyReLU(0.2), then [Conv3d(·, 2·, 4, 2, 1), BatchNorm3d,
  LeakyReLU(0.2)] down to 4³, then Conv3d(·, 1, 4, 1, 0): one logit per sample.
* Loss: the standard (non-saturating) GAN loss, binary cross-entropy on D's logits
  (``BCEWithLogits`` = sigmoid output + BCE, numerically safer and autocast-safe), Adam β1 = 0.5.
* Data: voxels in {−1, +1} (grain −1, pore +1), matching the Tanh output; a generated volume is
  ``(G(z) + 1) / 2 ≥ 0.5`` (1 = pore).

It is a :class:`core.train.Task` (checkpoint kind ``"rock-dcgan"``), so it gets the same
checkpoints, resume, progress, logs, mixed precision and DDP as our rock GAN, and trains on the
same training crops (:class:`core.volumes.crops.CropSampler` over the training parts only).

Generation runs with BatchNorm in eval mode (running statistics): one sample does not depend on
the others in the batch, so the same seed gives the same volumes whatever ``count`` is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from ..jobs import TaskState, ensure_state, select_device
from ..train import StepContext, TrainConfig, TrainResult, frozen, load_checkpoint
from .crops import CropSampler

KIND = "rock-dcgan"
FORMAT_VERSION = 1
MIN_CROP = 16  # 4³ after the first layer, at least two ×2 layers


@dataclass
class DCGANConfig:
    """Model settings of the baseline (stored in every checkpoint). Defaults: Mosser et al. 2017
    (nz 512, ngf 64, ndf 16 — their Berea run; the widths double towards the coarse end)."""

    nz: int = 512
    ngf: int = 64
    ndf: int = 16
    crop: int = 64  # training crop edge: a power of two ≥ 16

    def __post_init__(self):
        c = int(self.crop)
        if c < MIN_CROP or c & (c - 1):
            raise InputError(f"The DCGAN baseline needs a crop that is a power of two, at least {MIN_CROP} (got {c}).")
        for f in ("nz", "ngf", "ndf"):
            if int(getattr(self, f)) < 1:
                raise InputError(f"{f} must be at least 1.")

    @property
    def n_up(self) -> int:
        """Number of stride-2 layers after the first (4³) one."""
        return int(math.log2(self.crop)) - 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DCGANConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _init_weights(m: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) convolutions, N(1, 0.02) BatchNorm scales."""
    if isinstance(m, (nn.Conv3d, nn.ConvTranspose3d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm3d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """z (B, nz, L, L, L) → (B, 1, S, S, S) in [−1, 1], S = (L + 3) · 2^n_up (crop for L = 1)."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        ch = cfg.ngf * 2 ** (cfg.n_up - 1)
        layers: list[nn.Module] = [nn.ConvTranspose3d(cfg.nz, ch, 4, 1, 0, bias=False),
                                   nn.BatchNorm3d(ch), nn.ReLU(True)]
        for i in range(cfg.n_up - 1):
            layers += [nn.ConvTranspose3d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm3d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose3d(ch, 1, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(_init_weights)

    def forward(self, z):
        return self.main(z)


class DCGANDiscriminator(nn.Module):
    """(B, 1, C, C, C) in [−1, 1] → one logit per sample (B,); for other sizes, the mean of its patch logits."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        ch = cfg.ndf
        layers: list[nn.Module] = [nn.Conv3d(1, ch, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for _ in range(cfg.n_up - 1):
            layers += [nn.Conv3d(ch, 2 * ch, 4, 2, 1, bias=False), nn.BatchNorm3d(2 * ch), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [nn.Conv3d(ch, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)
        self.apply(_init_weights)

    def forward(self, x):
        return self.main(x).flatten(1).mean(1)


def latent_size(cfg: DCGANConfig, size: int) -> int:
    """Spatial edge L of z so that G's output (L + 3)·2^n_up covers ``size`` voxels."""
    return max(1, -(-int(size) // 2 ** cfg.n_up) - 3)


class DCGANTask:
    """The baseline as a core.train Task: G and D, one Adam each, standard GAN loss."""

    kind = KIND
    format_version = FORMAT_VERSION

    def __init__(self, config: DCGANConfig, volumes: list[np.ndarray]):
        self.cfg = config
        self.sampler = CropSampler(volumes, config.crop)
        self._check_z = None

    def config_dict(self) -> dict:
        return self.cfg.to_dict()

    def build(self, device, train: TrainConfig):
        nets = {"generator": DCGANGenerator(self.cfg).to(device),
                "discriminator": DCGANDiscriminator(self.cfg).to(device)}
        opts = {k: torch.optim.Adam(m.parameters(), lr=train.lr, betas=(0.5, 0.999)) for k, m in nets.items()}
        return nets, opts

    def sample(self, batch_size: int, rng: np.random.Generator):
        vols, _ = self.sampler.sample(batch_size, rng)  # same crops as the rock GAN; slices unused
        return vols * 2 - 1

    def train_step(self, batch, step: int, ctx: StepContext) -> dict[str, float]:
        real = ctx.to_device(batch)
        b = real.shape[0]
        G, D = ctx.nets["generator"], ctx.nets["discriminator"]
        z = torch.randn(b, self.cfg.nz, 1, 1, 1, device=ctx.device)
        ones, zeros = torch.ones(b, device=ctx.device), torch.zeros(b, device=ctx.device)
        with ctx.autocast():
            fake = G(z)

        # D: real and fake batches separately (as in DCGAN: BatchNorm never mixes them), each a
        # forward followed by its backward (what DDP expects); the gradients add up.
        opt_d = ctx.opts["discriminator"]
        opt_d.zero_grad(set_to_none=True)
        with ctx.autocast():
            loss_real = F.binary_cross_entropy_with_logits(D(real).float(), ones)
        ctx.backward(loss_real)
        with ctx.autocast():
            loss_fake = F.binary_cross_entropy_with_logits(D(fake.detach()).float(), zeros)
        ctx.backward(loss_fake)
        ctx.step(opt_d)

        # G: non-saturating loss through the unwrapped D (its gradients are not wanted).
        opt_g = ctx.opts["generator"]
        opt_g.zero_grad(set_to_none=True)
        with frozen(ctx.raw["discriminator"]), ctx.autocast():
            loss_g = F.binary_cross_entropy_with_logits(ctx.raw["discriminator"](fake).float(), ones)
        ctx.backward(loss_g)
        ctx.step(opt_g)
        return {"loss_d": (loss_real + loss_fake).item(), "loss_g": loss_g.item()}

    def check(self, step: int, ctx: StepContext) -> dict[str, float]:
        """Porosity of four samples from fixed noise (G in eval mode), and of the training data."""
        if self._check_z is None:
            gen = torch.Generator().manual_seed(0)
            self._check_z = torch.randn(4, self.cfg.nz, 1, 1, 1, generator=gen)
        G = ctx.raw["generator"].eval()
        fake = G(self._check_z.to(ctx.device)).float()
        real = np.mean([v.mean() for v in self.sampler.volumes])
        return {"porosity_fake": (fake >= 0).float().mean().item(), "porosity_real": float(real)}


# --------------------------------------------------------------------------------------------
# training, loading, generation
# --------------------------------------------------------------------------------------------

def train_baseline(data, config: DCGANConfig, train_cfg: TrainConfig, *, pore: str = "auto",
                   state: TaskState | None = None) -> TrainResult:
    """Train (or resume) the DCGAN baseline on the training parts of the volumes ``data`` (paths)."""
    from .training import train_on_volumes

    return train_on_volumes(DCGANTask, KIND, FORMAT_VERSION, data, config, train_cfg, pore=pore, state=state)


@dataclass
class BaselineModel:
    """A trained (or untrained) baseline generator, in eval mode."""

    config: DCGANConfig
    generator: DCGANGenerator
    path: str | None = None
    step: int | None = None

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @classmethod
    def from_config(cls, config: DCGANConfig, seed: int = 0, device="cpu") -> "BaselineModel":
        """An untrained model (for tests and benchmarks)."""
        torch.manual_seed(seed)
        return cls(config, DCGANGenerator(config).to(device).eval())


def load_baseline(path, device: str | torch.device | None = "cpu") -> BaselineModel:
    """Load a 'rock-dcgan' checkpoint; other kinds / newer formats → InputError."""
    ck = load_checkpoint(path, kind=KIND, max_version=FORMAT_VERSION)
    cfg = DCGANConfig.from_dict(ck["config"])
    dev = device if isinstance(device, torch.device) else select_device(device)
    g = DCGANGenerator(cfg)
    g.load_state_dict(ck["models"]["generator"])
    return BaselineModel(cfg, g.to(dev).eval(), str(Path(path)), int(ck["step"]))


def generate_baseline(model, size: int, count: int, seed: int, *, state: TaskState | None = None,
                      device=None) -> list[np.ndarray]:
    """``count`` unconditional volumes of ``size``³ (uint8, 1 = pore, thresholded at 0.5 of the
    output mapped to [0, 1]). Realisation i uses the i-th z drawn (on the CPU) from a generator
    seeded with ``seed``: the same seed gives the same volumes on every device and for any count.
    ``model``: a BaselineModel or a checkpoint path."""
    state = ensure_state(state)
    if not isinstance(model, BaselineModel):
        model = load_baseline(model, device=device or "cpu")
    size, count = int(size), int(count)
    if size < 1 or count < 1:
        raise InputError("Size and count must both be at least 1.")
    cfg = model.config
    L = latent_size(cfg, size)
    full = (L + 3) * 2 ** cfg.n_up
    o = (full - size) // 2
    gen = torch.Generator().manual_seed(int(seed))
    G = model.generator.eval()
    out = []
    with torch.no_grad():
        for i in range(count):
            state.report(i / count, f"Baseline sample {i + 1} of {count}")
            z = torch.randn(1, cfg.nz, L, L, L, generator=gen).to(model.device)
            x = G(z)[0, 0, o:o + size, o:o + size, o:o + size]
            out.append((x >= 0).to(torch.uint8).cpu().numpy())  # (x + 1) / 2 ≥ 0.5
    state.report(1.0, "Done")
    return out
