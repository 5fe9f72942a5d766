"""Encoder E, generator G and the three critics D_x, D_xx, D_z of the multi-texture GAN.

After Alanov, Kochurov, Volkhonskiy et al., "User-controllable multi-texture synthesis with
generative adversarial networks": E maps a crop to one global texture code w; G(w, n) paints that
texture from a spatial noise field n; D_x judges patches, D_xx judges whether two crops are the
same texture, D_z whether codes look like samples of the prior p(w) = N(0, I).

G is exactly translation-equivariant, which is what makes seamless volumes of any size possible:
every conv is VALID (no padding), upsampling is nearest ×2, the output is cropped by a fixed
amount and nothing normalises over space at inference (PixelNorm works per voxel; the first
models' BatchNorm runs on its running statistics, folded into the convs). One latent cell is 8
output voxels; a volume of N³ (N a multiple of 8) needs a latent of N/8 + 2·margin cells, and
any block of latent cells (plus its margins) yields exactly the matching block of the output,
whatever else is generated around it: tiles need no blending and show no seams. A class-conditioned
G (config class_embed) scales and shifts each block's channels by its class's row of an embedding
(FiLM): the same at every voxel, so this holds for it too.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..volumes.blocks import PixelNorm
from .config import FACTOR, TextureGANConfig


def _inplace() -> bool:
    # Without autograd, activations are overwritten in place: fewer big allocations (the page
    # faults of fresh allocations cost about a quarter of CPU generation time otherwise).
    return not torch.is_grad_enabled()


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """LeakyReLU(0.2), in place when no gradient is needed."""
    return F.leaky_relu(x, 0.2, inplace=_inplace())


CL = torch.channels_last_3d  # the fast layout for oneDNN convs on CPU


def pixel_shuffle3d(x: torch.Tensor) -> torch.Tensor:
    """(B, 8C, D, H, W) → (B, C, 2D, 2H, 2W); channel p·C + c is phase p = (pz, py, px) of channel c.
    A channels-last input gives a channels-last output in one copy (rows of C contiguous floats)."""
    b, c8, d, h, w = x.shape
    c = c8 // 8
    if c > 1 and x.is_contiguous(memory_format=CL) and not x.is_contiguous():
        y = x.permute(0, 2, 3, 4, 1).reshape(b, d, h, w, 2, 2, 2, c).permute(0, 1, 4, 2, 5, 3, 6, 7)
        return y.reshape(b, 2 * d, 2 * h, 2 * w, c).permute(0, 4, 1, 2, 3)
    y = x.view(b, 2, 2, 2, c, d, h, w).permute(0, 4, 5, 1, 6, 2, 7, 3)
    return y.reshape(b, c, 2 * d, 2 * h, 2 * w)


def conv3d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, groups: int = 1) -> torch.Tensor:
    """Valid conv3d. On the CPU without gradients it always goes through oneDNN: PyTorch otherwise
    picks im2col for small inputs and oneDNN for large ones, whose float sums differ in the last
    bit, and tiles must give exactly what one whole pass gives (measured: 1e-6 apart otherwise)."""
    if (x.device.type == "cpu" and x.dtype == torch.float32 and torch.backends.mkldnn.is_available()
            and not (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad))):
        return torch.ops.aten.mkldnn_convolution(x, weight, bias, [0, 0, 0], [1, 1, 1], [1, 1, 1], groups)
    return F.conv3d(x, weight, bias, groups=groups)


# Nearest ×2 upsampling then a valid 3-tap conv: output 2i+p reads up[2i+p … 2i+p+2], i.e. x[i] and
# x[i+1] with taps (k0+k1, k2) for p = 0 and (k0, k1+k2) for p = 1 (rows: x[i], x[i+1]; cols: k).
_TAPS = (torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))


def phase_weights(weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A 3×3×3 conv applied after nearest ×2 upsampling, as one 2×2×2 conv at the low resolution with
    8·cout outputs (phase-major) followed by ``pixel_shuffle3d``: exact, 8/27 of the multiply-adds."""
    m = [t.to(weight) for t in _TAPS]
    k = [torch.einsum("ai,bj,ck,oxijk->oxabc", m[pz], m[py], m[px], weight)
         for pz in (0, 1) for py in (0, 1) for px in (0, 1)]
    return torch.cat(k), bias.repeat(8)


class Block(nn.Module):
    """Valid 3×3×3 conv (after nearest ×2 upsampling when ``up``) → norm → LeakyReLU(0.2).

    ``norm="batch"`` (the default): BatchNorm in training (its batch statistics over many voxels
    keep every channel varying in space, which is what stops G from collapsing to one phase); at
    inference its running statistics, a fixed per-channel affine map folded into the conv: local,
    so tiles stay exact. ``norm="pixel"``: PixelNorm (per voxel across channels,
    core.volumes.blocks.PixelNorm): training and inference compute one function and a sample never
    depends on its batch, but nothing keeps the channels varying in space: without the logit
    margin such runs drifted to near-uniform logits (docs/results/texture_cpu_runs/).
    """

    def __init__(self, cin: int, cout: int, up: bool = False, norm: str = "batch"):
        super().__init__()
        self.pixel = norm == "pixel"
        # BatchNorm's shift makes a conv bias redundant; PixelNorm divides by the RMS, so a bias matters
        self.conv = nn.Conv3d(cin, cout, 3, bias=self.pixel)
        if self.pixel:
            self.norm = PixelNorm(cout)
        else:
            self.bn = nn.BatchNorm3d(cout)
        self.up = up

    def scale(self) -> torch.Tensor:
        """The per-channel factor of the BatchNorm on its running statistics."""
        return self.bn.weight * torch.rsqrt(self.bn.running_var + self.bn.eps)

    def folded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Conv weight and bias for inference (BatchNorm's running statistics folded in)."""
        if self.pixel:
            return self.conv.weight, self.conv.bias
        s = self.scale()
        return self.conv.weight * s.view(-1, 1, 1, 1, 1), self.bn.bias - self.bn.running_mean * s

    def normalise(self, y: torch.Tensor, phases: int = 1) -> torch.Tensor:
        """PixelNorm of ``y`` whose channels are ``phases`` phase-major groups of the block's
        channels (1: plain); a BatchNorm block returns ``y`` as it is (its norm is folded already)."""
        if not self.pixel:
            return y
        b, c, *sp = y.shape
        n, shape = self.norm, (1, -1) + (1,) * len(sp)
        groups = y.view(b, phases, c // phases, *sp)
        r = torch.rsqrt(groups.square().mean(2, keepdim=True).add_(n.eps))
        weight, bias = n.weight.repeat(phases).view(shape), n.bias.repeat(phases).view(shape)
        if _inplace():  # inference: no extra full-size tensors
            groups.mul_(r)
            return y.mul_(weight).add_(bias)
        return (groups * r).reshape(b, c, *sp) * weight + bias

    @staticmethod
    def modulate(y: torch.Tensor, film: tuple[torch.Tensor, torch.Tensor] | None, phases: int = 1) -> torch.Tensor:
        """y·scale + shift per sample and channel (FiLM; ``film`` = (scale, shift), each (B, C)), on
        ``phases`` phase-major groups of the channels like ``normalise``; None: ``y`` as it is."""
        if film is None:
            return y
        scale, shift = (t.repeat(1, phases) if phases > 1 else t for t in film)
        shape = scale.shape + (1,) * (y.dim() - 2)
        if _inplace():
            return y.mul_(scale.view(shape)).add_(shift.view(shape))
        return y * scale.view(shape) + shift.view(shape)

    def pre(self, x: torch.Tensor, add: torch.Tensor | None = None,
            film: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """The block's output before the activation; ``add`` (B, cout) is added before the norm,
        ``film`` (scale, shift), each (B, cout), modulates after it."""
        if self.training:
            y = self.conv(F.interpolate(x, scale_factor=2, mode="nearest") if self.up else x)
            if add is not None:
                y = y + add[:, :, None, None, None]
            return self.modulate(self.norm(y) if self.pixel else self.bn(y), film)
        w, b = self.folded()
        if add is not None and not self.pixel:  # the norm is affine: the added term is scaled like the conv
            add = add * self.scale()
        if self.up:
            y = pixel_shuffle3d(conv3d(x, *phase_weights(w, b)))
        else:
            y = conv3d(x, w, b)
        return self.modulate(self.normalise(y if add is None else y + add[:, :, None, None, None]), film)

    def forward(self, x: torch.Tensor, add: torch.Tensor | None = None,
                film: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        return lrelu(self.pre(x, add, film))


class Generator(nn.Module):
    """G: code w (B, code_dim) and noise n (B, noise_channels, L, L, L) → pore logits (B, 1, 8(L−2m), …)."""

    def __init__(self, cfg: TextureGANConfig):
        super().__init__()
        c8, c4, c2, f = cfg.g_channels, cfg.g_channels // 2, cfg.g_channels // 4, cfg.g_fine
        self.code_dim, self.noise_channels = cfg.code_dim, cfg.noise_channels
        # Widths fall as resolution rises so that the work per output voxel stays small (CPU speed):
        # about 2.8k multiply-adds per voxel at the default widths.
        # The code enters through a linear map (a 3×3×3 conv of a constant field would be one too, but
        # its 27 taps add up coherently and drown the noise at initialisation).
        self.code_in = nn.Linear(cfg.code_dim, c8, bias=False)
        nm = cfg.g_norm
        self.s8 = nn.ModuleList([Block(cfg.noise_channels, c8, norm=nm), Block(c8, c8, norm=nm)])
        self.s4 = nn.ModuleList([Block(c8, c4, up=True, norm=nm), Block(c4, c4, norm=nm)])
        self.s2 = nn.ModuleList([Block(c4, c2, up=True, norm=nm), Block(c2, c2, norm=nm)])
        self.s1 = Block(c2, f, up=True, norm=nm)
        self.out = nn.Conv3d(f, 1, 1)
        self.classes = int(cfg.class_embed)
        if self.classes:
            # one row per class: a scale offset γ and a shift β for every channel of every block; zero at
            # the start, so every class begins as the unconditioned G (scale 1, shift 0)
            self.film = nn.Embedding(self.classes, 2 * sum(b.conv.out_channels for b in self.blocks()))
            nn.init.zeros_(self.film.weight)
        # Output voxels lost to the valid convs along an axis (both sides): 2 convs at 1/8 (16 voxels
        # each), up + conv at 1/4 (2 quarter-voxels = 8 each), at 1/2 (4 each), at full resolution (2).
        lost = 2 * 16 + 2 * 8 + 2 * 4 + 2
        self.margin = math.ceil(lost / (2 * FACTOR))
        self.crop = (2 * FACTOR * self.margin - lost) // 2

    def latent_cells(self, size: int) -> int:
        """Latent cells along an axis for ``size`` output voxels (``size`` a multiple of 8)."""
        return size // FACTOR + 2 * self.margin

    def blocks(self) -> list[Block]:
        """G's blocks in order (the order of the FiLM embedding's columns)."""
        return [*self.s8, *self.s4, *self.s2, self.s1]

    def films(self, c: torch.Tensor | None, like: torch.Tensor) -> list:
        """Per block (scale, shift), each (B, channels), of classes ``c`` (B,); Nones for an unconditioned G."""
        if not self.classes:
            return [None] * len(self.blocks())
        if c is None:
            raise ValueError("This generator is class-conditioned: give the class index of each sample.")
        e = self.film(c.to(like.device).long().reshape(-1)).to(like.dtype)
        out, i = [], 0
        for b in self.blocks():
            k = b.conv.out_channels
            out.append((1 + e[:, i:i + k], e[:, i + k:i + 2 * k]))
            i += 2 * k
        return out

    def forward(self, w: torch.Tensor, n: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Logits for codes ``w``, noise ``n`` and, for a class-conditioned G, class indices ``c`` (B,)."""
        if n.device.type == "cpu" and not self.training:
            # oneDNN runs these convs ~1.5× faster channels-last; the grouped 1×1 below ~30×.
            n = n.contiguous(memory_format=CL)
        films = self.films(c, n)
        x = self.s8[0](n, add=self.code_in(w.to(n)), film=films[0])
        for block, film in zip((self.s8[1], *self.s4, *self.s2), films[1:6]):
            x = block(x, film=film)
        if self.training:
            x = self.out(self.s1(x, film=films[6]))
        else:
            # Inference stays at 1/2 resolution to the end: the 8 phases of f channels, the 1×1
            # output conv on each phase (one grouped conv, shared weights), one 1-channel shuffle.
            w1, b1 = self.s1.folded()
            x = self.s1.normalise(conv3d(x, *phase_weights(w1, b1)), phases=8)
            x = lrelu(self.s1.modulate(x, films[6], phases=8))
            x = conv3d(x, self.out.weight.repeat(8, 1, 1, 1, 1), self.out.bias.repeat(8), groups=8)
            x = pixel_shuffle3d(x)
        c = self.crop
        return x[:, :, c:x.shape[2] - c, c:x.shape[3] - c, c:x.shape[4] - c] if c else x


class Encoder(nn.Module):
    """E: crop (B, 1, D, H, W), each edge ≥ 16 → code w (B, code_dim) by global average pooling."""

    def __init__(self, cfg: TextureGANConfig):
        super().__init__()
        e = cfg.e_channels
        chans = [1, e, 2 * e, 4 * e]
        self.convs = nn.ModuleList([nn.Conv3d(a, b, 4, 2, 1) for a, b in zip(chans, chans[1:])])
        # GroupNorm is per sample (no batch statistics) and fine here: E need not be equivariant.
        self.norms = nn.ModuleList([nn.GroupNorm(math.gcd(b, 8), b) for b in chans[1:]])
        self.head = nn.Conv3d(4 * e, cfg.code_dim, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * 2 - 1  # centre the {0, 1} input
        for conv, norm in zip(self.convs, self.norms):
            x = F.leaky_relu(norm(conv(x)), 0.2)
        return self.head(x).mean((2, 3, 4))  # pooling: any crop size gives one code


class PatchCritic(nn.Module):
    """D_x (1 channel) or D_xx (2 channels, a pair stacked): volume → patch realism scores (spectral norm).

    With ``classes`` > 0 a projection critic (Miyato & Koyama 2018): every patch score ψ(h) gets
    <embed_c, h̄> added, h̄ the features pooled over the volume and c the class of each volume,
    so the critic judges "a real crop of class c".
    """

    def __init__(self, cfg: TextureGANConfig, in_channels: int = 1, classes: int = 0):
        super().__init__()
        d = cfg.d_channels
        self.convs = nn.ModuleList([
            spectral_norm(nn.Conv3d(in_channels, d, 4, 2, 1)),
            spectral_norm(nn.Conv3d(d, 2 * d, 4, 2, 1)),
            spectral_norm(nn.Conv3d(2 * d, 4 * d, 3, 1, 1)),
        ])
        self.head = spectral_norm(nn.Conv3d(4 * d, 1, 3, 1, 1))
        self.embed = spectral_norm(nn.Embedding(int(classes), 4 * d)) if classes else None

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = x * 2 - 1
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
        score = self.head(x)
        if self.embed is None:
            return score
        if c is None:
            raise ValueError("This critic is a projection critic: give the class index of each volume.")
        proj = (self.embed(c.to(x.device).long().reshape(-1)) * x.mean((2, 3, 4)).float()).sum(1)
        return score + proj.view(-1, 1, 1, 1, 1).to(score.dtype)


class LatentCritic(nn.Module):
    """D_z: code (B, code_dim) → one score per code (spectral-norm MLP)."""

    def __init__(self, cfg: TextureGANConfig):
        super().__init__()
        h = cfg.dz_hidden
        self.net = nn.Sequential(spectral_norm(nn.Linear(cfg.code_dim, h)), nn.LeakyReLU(0.2),
                                 spectral_norm(nn.Linear(h, h)), nn.LeakyReLU(0.2),
                                 spectral_norm(nn.Linear(h, 1)))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return self.net(w)


EMA_COUNT = "ema_updates"  # buffer of the averaged G: how many steps it has averaged (0: not started)


def make_ema(generator: Generator) -> Generator:
    """A frozen copy of G whose weights will follow G's as an exponential moving average."""
    ema = copy.deepcopy(generator)
    ema.requires_grad_(False)
    ema.register_buffer(EMA_COUNT, torch.zeros((), dtype=torch.long))
    return ema


@torch.no_grad()
def update_ema(ema: Generator, generator: Generator, decay: float) -> None:
    """ema ← decay·ema + (1 − decay)·G (buffers copied); the first update copies G outright, so an
    average that starts from other weights (a fine-tuned run) begins at G's."""
    count = getattr(ema, EMA_COUNT)
    d = float(decay) if int(count) > 0 else 0.0
    for pe, p in zip(ema.parameters(), generator.parameters()):
        pe.lerp_(p.detach(), 1.0 - d)
    for be, bg in zip([b for n, b in ema.named_buffers() if n != EMA_COUNT], generator.buffers()):
        be.copy_(bg)
    count += 1


def generator_weights(models: dict) -> dict:
    """The G weights a checkpoint generates with: the moving average when the run kept one."""
    if "generator_ema" in models:
        return {k: v for k, v in models["generator_ema"].items() if k != EMA_COUNT}
    return models["generator"]


@torch.no_grad()
def recalibrate_batchnorm(generator: Generator, batches) -> dict[str, torch.Tensor]:
    """Set G's BatchNorm running statistics to the average batch statistics over ``batches`` of
    (codes, noise) or, for a class-conditioned G, (codes, noise, classes), computed in training mode with the current weights; returns those buffers.

    Inference uses running statistics; the ones left by training lag behind G's last weights
    (momentum 0.1), so before G is used for generation they are measured afresh on batches made
    like the training batches (half prior codes, half codes of real crops).
    """
    bns = [m for m in generator.modules() if isinstance(m, nn.BatchNorm3d)]
    if not bns:  # a PixelNorm G has no statistics to measure
        return {}
    momenta = [bn.momentum for bn in bns]
    was_training = generator.training
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the batches
    generator.train()
    try:
        for batch in batches:
            generator(*batch)
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        generator.train(was_training)
    return batchnorm_state(generator)


def batchnorm_state(generator: Generator) -> dict[str, torch.Tensor]:
    """G's BatchNorm buffers (running mean, variance, count) by state-dict key."""
    return {k: v.clone() for k, v in generator.state_dict().items()
            if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
