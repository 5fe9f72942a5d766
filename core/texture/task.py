"""The multi-texture GAN as a core.train Task: three hinge-loss critics, exact per-network losses.

Critics (spectral norm, hinge loss, as the rock critic):
  D_x  (3): real crops x  vs  samples G(w ~ p(w), n) and reconstructions G(E(x), n)
  D_xx (4): real pairs (x, x′), two crops of one class  vs  fake pairs (x, G(E(x), n))
  D_z  (5): codes w ~ p(w) = N(0, I)  vs  codes E(x)
Generator loss α1·L_x + α2·L_xx; encoder loss β1·L_z + β2·L_xx, with L_· = −E[D_·(fake)]; both
plus the optional extra γ·L_φ (reconstruction keeps its crop's porosity; config porosity_weight).
With class conditioning (config class_embed) G gets each sample's class, D_x may be a projection
critic (d_projection) and G's prior samples of class c may be pulled to the porosity mean and
spread of class c's training crops (class_porosity_weight).
The critics see fakes thresholded to {0, 1} like the real crops (straight-through gradient).
Each network gets exactly its own loss from one forward: the G loss is back-propagated into G's
parameters only, the E loss into E's only (``backward(inputs=...)``), so L_x never reaches E
through the reconstructions and β2 ≠ α2 is honoured. Each DDP-wrapped network sees one backward.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError
from ..train import StepContext, TrainConfig, frozen
from .config import TextureGANConfig
from .data import PairSampler
from .model import Encoder, Generator, LatentCritic, PatchCritic, make_ema, recalibrate_batchnorm, update_ema

KIND = "texture-gan"
FORMAT_VERSION = 1
CRITICS = ("d_x", "d_xx", "d_z")


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Critic hinge loss: E[relu(1 − D(real))] + E[relu(1 + D(fake))]."""
    return F.relu(1 - real.float()).mean() + F.relu(1 + fake.float()).mean()


def class_porosity_loss(porosity: torch.Tensor, labels: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the classes c in the batch of (φ̄_c − μ_c)² + (s_c − σ_c)²: the mean and std (ddof 1)
    of the porosities of the batch's volumes of class c against ``target[c]`` = (μ_c, σ_c); a class
    with one volume in the batch has the mean term only. Zero when the batch matches its classes."""
    terms = []
    for k in labels.unique():
        p = porosity[labels == k].float()
        mu, sd = target[k]
        t = (p.mean() - mu).square()
        if len(p) > 1:
            # the small ε keeps the gradient finite when all the volumes have one porosity (e.g. all solid)
            t = t + ((p.var() + 1e-12).sqrt() - sd).square()
        terms.append(t)
    return torch.stack(terms).mean()


class TextureGANTask:
    """Train E and G (one optimiser each) and the three critics (one optimiser) on same-class crop pairs."""

    kind = KIND
    format_version = FORMAT_VERSION

    def __init__(self, config: TextureGANConfig, classes: dict[str, list[np.ndarray]]):
        self.cfg = config
        self.sampler = PairSampler(classes, config.crop)
        self._check_batch = None
        k = int(config.class_embed)
        if k and len(classes) != k:
            raise InputError(f"The model is conditioned on {k} classes; the data has {len(classes)}.")
        if config.class_porosity_weight and not config.class_porosity:
            raise InputError("The class porosity term needs each class's training-crop porosity (class_porosity).")
        self._porosity_target = torch.tensor(config.class_porosity or [(0.0, 0.0)] * k, dtype=torch.float32)

    def config_dict(self) -> dict:
        return self.cfg.to_dict()

    def build(self, device, train: TrainConfig):
        cfg = self.cfg
        nets = {"encoder": Encoder(cfg), "generator": Generator(cfg),
                "d_x": PatchCritic(cfg, 1, cfg.class_embed if cfg.d_projection else 0),
                "d_xx": PatchCritic(cfg, 2), "d_z": LatentCritic(cfg)}
        if cfg.g_ema > 0:  # no optimiser: it follows G (see update_ema)
            nets["generator_ema"] = make_ema(nets["generator"])
        nets = {k: m.to(device) for k, m in nets.items()}
        # β1 = 0.5 as usual for GANs: less momentum, fewer oscillations between the players.
        adam = lambda params: torch.optim.Adam(params, lr=train.lr, betas=(0.5, 0.999))  # noqa: E731
        opts = {"generator": adam(nets["generator"].parameters()), "encoder": adam(nets["encoder"].parameters()),
                "critics": adam([p for k in CRITICS for p in nets[k].parameters()])}
        return nets, opts

    def sample(self, batch_size: int, rng: np.random.Generator):
        return self.sampler.sample(batch_size, rng)

    def _noise(self, g: Generator, batch: int, device, gen: torch.Generator | None = None) -> torch.Tensor:
        cells = g.latent_cells(self.cfg.crop)
        return torch.randn((batch, self.cfg.noise_channels, cells, cells, cells), generator=gen).to(device)

    def train_step(self, batch, step: int, ctx: StepContext) -> dict[str, float]:
        x, x2, labels = ctx.to_device(batch)
        b, cfg = x.shape[0], self.cfg
        E, G = ctx.nets["encoder"], ctx.nets["generator"]
        n = self._noise(ctx.raw["generator"], 2 * b, ctx.device)
        w_prior = torch.randn(b, cfg.code_dim, device=ctx.device)
        # A class-conditioned G paints its prior samples of one class per step (drawn at random), so the
        # class porosity term sees a batch of that class; reconstructions get their crop's class.
        fake_cls = (torch.cat([torch.randint(cfg.class_embed, (1,)).expand(b).to(labels), labels])
                    if cfg.class_embed else None)
        d_cls = (lambda c: {"c": c}) if cfg.d_projection else (lambda c: {})  # noqa: E731
        with ctx.autocast():
            code = E(x)
            # One G forward for prior samples and reconstructions (the code stays attached for E's loss).
            logits = G(torch.cat([w_prior, code]), n, fake_cls)
            prob = torch.sigmoid(logits.float())
        # The critics see binary fakes, as the real crops are (straight-through: the gradient is the
        # sigmoid's). With soft fakes D_x and D_xx win at once by their greyness alone.
        binary = prob + ((prob >= 0.5).to(prob) - prob).detach()
        fake = binary if cfg.hard_fakes else prob
        sample, recon = fake.chunk(2)

        # Critic step: all three in one backward (one optimiser), fakes detached.
        ctx.opts["critics"].zero_grad(set_to_none=True)
        with ctx.autocast():
            s_x = ctx.nets["d_x"](torch.cat([x, fake.detach()]),
                                  **d_cls(None if fake_cls is None else torch.cat([labels, fake_cls]))).float()
            s_xx = ctx.nets["d_xx"](torch.cat([torch.cat([x, x2], 1), torch.cat([x, recon.detach()], 1)])).float()
            s_z = ctx.nets["d_z"](torch.cat([torch.randn_like(code), code.detach()])).float()
        loss_dx = hinge_d(s_x[:b], s_x[b:])
        loss_dxx = hinge_d(*s_xx.chunk(2))
        loss_dz = hinge_d(*s_z.chunk(2))
        ctx.backward(loss_dx + loss_dxx + loss_dz)
        ctx.step(ctx.opts["critics"])

        # G and E steps through the unwrapped, frozen critics (their gradients are neither wanted nor synced).
        ctx.opts["generator"].zero_grad(set_to_none=True)
        ctx.opts["encoder"].zero_grad(set_to_none=True)
        raw = ctx.raw
        with frozen(raw["d_x"]), frozen(raw["d_xx"]), frozen(raw["d_z"]), ctx.autocast():
            l_x = -raw["d_x"](fake, **d_cls(fake_cls)).float().mean()
            l_xx = -raw["d_xx"](torch.cat([x, recon], 1)).float().mean()
            l_z = -raw["d_z"](code).float().mean()
        loss_g = cfg.alpha1 * l_x + cfg.alpha2 * l_xx
        loss_e = cfg.beta1 * l_z + cfg.beta2 * l_xx
        losses = {}
        if cfg.porosity_weight:
            # Optional extra: each reconstruction keeps its crop's porosity (soft, so differentiable);
            # it teaches E to carry porosity, the first thing that tells rock classes apart.
            # On the binary reconstruction (straight-through gradient) when porosity_hard: on the soft
            # one a PixelNorm G met it with a uniform grey field (sigmoid 0.26 everywhere, no pore at
            # all once thresholded) within 250 steps; the binary porosity is what generation delivers.
            rec = recon if cfg.porosity_hard else prob[b:]
            l_phi = (rec.mean((1, 2, 3, 4)) - x.mean((1, 2, 3, 4))).pow(2).mean()
            loss_g = loss_g + cfg.porosity_weight * l_phi
            loss_e = loss_e + cfg.porosity_weight * l_phi
            losses["l_porosity"] = l_phi.item()
        if cfg.class_porosity_weight:
            # the prior samples' binary porosities (straight-through) against their class's training crops
            # (a soft term is met by grey: docs/results/texture_cpu_runs/); G's loss only
            l_cls = class_porosity_loss(binary[:b].mean((1, 2, 3, 4)), fake_cls[:b],
                                        self._porosity_target.to(ctx.device))
            loss_g = loss_g + cfg.class_porosity_weight * l_cls
            losses["l_class_porosity"] = l_cls.item()
        if cfg.logit_margin:
            # keeps G's logits off the threshold (see TextureGANConfig.logit_margin); G's loss only
            l_margin = F.relu(1 - logits.float().abs()).mean()
            loss_g = loss_g + cfg.logit_margin * l_margin
            losses["l_margin"] = l_margin.item()
        ctx.scaler.scale(loss_g).backward(inputs=list(raw["generator"].parameters()), retain_graph=True)
        ctx.scaler.scale(loss_e).backward(inputs=list(raw["encoder"].parameters()))
        ctx.step(ctx.opts["generator"])
        ctx.step(ctx.opts["encoder"])
        if cfg.g_ema > 0:
            update_ema(raw["generator_ema"], raw["generator"], cfg.g_ema)
        return {"loss_d_x": loss_dx.item(), "loss_d_xx": loss_dxx.item(), "loss_d_z": loss_dz.item(),
                "l_x": l_x.item(), "l_xx": l_xx.item(), "l_z": l_z.item(), **losses}

    def check(self, step: int, ctx: StepContext) -> dict[str, float]:
        """Porosities and code statistics on a fixed batch with fixed noise (own RNGs only)."""
        if self._check_batch is None:
            self._check_batch = self.sampler.sample(8, np.random.default_rng(1234))
        x, _, labels = ctx.to_device(self._check_batch)
        E = ctx.raw["encoder"].eval()
        gen = torch.Generator().manual_seed(0)
        code = E(x).float()
        prior = torch.randn(code.shape, generator=gen).to(ctx.device)
        # As generation will run it: the averaged G when there is one, BatchNorm on statistics
        # measured for the current weights, on a copy (the training G keeps its own statistics).
        G = copy.deepcopy(ctx.raw.get("generator_ema", ctx.raw["generator"]))
        cls = labels if self.cfg.class_embed else None  # prior samples of the crops' classes too
        both = None if cls is None else torch.cat([cls, cls])
        recalibrate_batchnorm(G, [(torch.cat([prior, code]), self._noise(G, 2 * len(code), ctx.device, gen), both)
                                  for _ in range(2)])
        G.eval()
        n = self._noise(G, x.shape[0], ctx.device, gen)
        recon = (G(code, n, cls) >= 0).float()
        sample = (G(prior, n, cls) >= 0).float()
        phi_x, phi_r = x.mean((1, 2, 3, 4)), recon.mean((1, 2, 3, 4))
        out = {"porosity_real": phi_x.mean().item(), "porosity_sample": sample.mean().item(),
               "porosity_recon": phi_r.mean().item(), "recon_porosity_error": (phi_x - phi_r).abs().mean().item(),
               "code_mean_abs": code.mean(0).abs().mean().item(), "code_std": code.std(0).mean().item()}
        if cls is not None:  # whether the classes' samples part: their porosity per class index
            phi_s = sample.mean((1, 2, 3, 4))
            out.update({f"porosity_sample_c{int(k)}": phi_s[labels == k].mean().item() for k in labels.unique()})
        if len(self.sampler.names) > 1:
            # How far apart the classes sit in code space, relative to the spread inside a class.
            means = torch.stack([code[labels == k].mean(0) for k in labels.unique()])
            if len(means) > 1:
                out["class_separation"] = (torch.cdist(means, means).sum() / (len(means) * (len(means) - 1))
                                           / code.std(0).norm().clamp_min(1e-8)).item()
        return out
