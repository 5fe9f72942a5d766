"""Settings of the rock GAN (one 2D slice → 3D volume); stored in every checkpoint."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from ..errors import InputError

FACTOR = 4             # E downsamples the slice by 4 (two stride-2 convs); G upsamples by 4
MIN_SLICE = 4 * FACTOR  # smallest slice edge: the coarsest feature map must be at least 4×4
PADDING_MODES = ("zeros", "replicate", "reflect")
G_NORMS = ("group", "pixel")
FAR_WEIGHT = 0.05      # w(d) below which the slice no longer shapes a plane (reach_warning, core.rock.tiled)


def slice_reach(decay: float) -> float:
    """Voxels from the slice within which its pull w(d) = exp(-d/decay) is above FAR_WEIGHT (≈ 3·decay)."""
    return decay * math.log(1 / FAR_WEIGHT)

# PADDING_NOTE. With zero padding and every training crop crop³ with the slice at its centre, the
# distance to the z faces was a perfect proxy for the distance to the slice, and G learnt to draw
# extra pores at the faces (shipped rock_berea.pt, 64³: porosity 0.59 in the first 4 z-planes,
# ~0.4 in the outer x-planes, 0.17–0.24 inside; real 0.18). Random crop depths per batch (default
# 3/4·crop … 3/2·crop) make the face distance carry no information about the slice distance; that
# is what removed the z-face artefact in a CPU comparison (c = 8, crop 32, 900 steps, berea_400
# z < 300, 16 generations of 64³ from 4 held-out slices; z-profile of a plain 64³ generation vs the
# same planes generated with a 32-voxel margin each side: max |Δ| 0.27 fixed-depth zeros, 0.09
# fixed-depth replicate, 0.09 random-depth replicate, 0.06 random-depth zeros). Replicate padding
# on its own did not fix it; with random depths it measured as good as zeros (one seed each).
# It is kept as the default because it also denies G a constant signal at the y/x edges of the
# slice (which crop depths cannot change) and costs nothing; core.rock.tiled reproduces it exactly.


@dataclass
class RockGANConfig:
    """Model and loss settings (the run settings are in core.train.TrainConfig)."""

    channels: int = 32       # base width of encoder and generator (×2 per downsampling)
    z_channels: int = 8      # channels of the 3D noise field at 1/4 resolution
    d_channels: int = 32     # base width of the discriminator
    decay: float = 4.0       # voxels over which the slice's pull on G falls by 1/e away from the centre
    rec_weight: float = 10.0  # λ of λ·‖s − M⊙G(E(s), z)‖²
    # Added after the first shipped models (which load with 0, i.e. without it). Why: those models
    # gave every input slice nearly the same porosity (held-out Berea 64³: std 0.010 against 0.036 in
    # real crops) because nothing but D tied a volume's porosity to its slice's rock. Measured (CPU
    # A/B, crop 32, docs/results/rock_porosity_ab): μ 100 brings the porosity KL from 0.91 to 0.28 but
    # raises the S2-length and permeability KLs. Every shipped CPU model since trained with μ 100.
    # Its decay-16 companion is only sound with deep enough crops: see reach_warning.
    porosity_weight: float = 100.0  # μ of μ·mean_b (φ̄(G(E(s_b), z_b)) − φ(x_b))²: x_b is the crop s_b was cut from
    # ν of the profile term (core.rock.task.profile_loss): each band of 4 z-planes against the real
    # crop's porosity. Added because models met the whole-volume porosity but drew pore-free planes
    # far from the slice (Ketton 128-deep volumes: 0.02–0.34 per 8 planes; with ν 100 and the pixel
    # norm 0.08–0.18). The shipped four-stage models use it: held-out porosity KL Ketton 1.82 → 0.38,
    # Berea 0.44 → 0.24, with flat z profiles (docs/results/rock_porosity_ab/README.md).
    profile_weight: float = 100.0
    crop: int = 64           # training crop edge (voxels); the slice is the crop's central z-slice
    # Size independence (see PADDING_NOTE below). Checkpoints saved before these fields existed
    # load with LEGACY values (zero padding, fixed crop depth): they generate exactly as before.
    padding_mode: str = "replicate"  # padding of E's and G's convs: "zeros" (legacy) | "replicate" | "reflect"
    depth_min: int = 0       # training crop depth drawn per batch from multiples of 4 in [depth_min, depth_max];
    depth_max: int = 0       # 0 = automatic: 3/4·crop … 3/2·crop (y/x stay crop); legacy: both = crop
    # G's normalisation (core.rock.model): "group" (every model before this field; GroupNorm over the
    # whole volume) or "pixel" (per voxel, local). Why "pixel" exists: with GroupNorm the far field
    # depended on the volume's shape (a Ketton model drew 0.17–0.21 porosity far from the slice in
    # 144-deep training checks but 0.02 in 128³ volumes), because whole-volume statistics carry the
    # slice's influence everywhere. The default for new runs since the models trained with it.
    g_norm: str = "pixel"

    def __post_init__(self):
        if self.crop % FACTOR or self.crop < MIN_SLICE:
            raise InputError(f"The crop must be a multiple of {FACTOR} and at least {MIN_SLICE} (got {self.crop}).")
        for f in ("channels", "z_channels", "d_channels"):
            if int(getattr(self, f)) < 1:
                raise InputError(f"{f} must be at least 1.")
        if not float(self.porosity_weight) >= 0 or not float(self.profile_weight) >= 0:
            raise InputError("porosity_weight and profile_weight cannot be negative.")
        if not self.decay > 0:
            raise InputError("decay must be positive.")
        if self.padding_mode not in PADDING_MODES:
            raise InputError(f"padding_mode must be one of {', '.join(PADDING_MODES)} (got {self.padding_mode!r}).")
        if self.g_norm not in G_NORMS:
            raise InputError(f"g_norm must be one of {', '.join(G_NORMS)} (got {self.g_norm!r}).")
        lo, hi = self.depth_range()
        if lo % FACTOR or hi % FACTOR or lo < MIN_SLICE or hi < lo:
            raise InputError(f"The crop depths must be multiples of {FACTOR}, at least {MIN_SLICE}, "
                             f"with depth_min ≤ depth_max (got {lo}…{hi}).")

    def reach_warning(self) -> str | None:
        """A warning when the slice's pull w(d) = exp(-d/decay) stays above 5 % across the shallowest
        training crop: G then never sees the far field and invents it in deeper volumes.

        Why: models trained at crop 32 (depths 24–48) with decay 16 drew 64³ and 100³ volumes whose
        porosity ran from 0.3–0.45 a few planes from the slice to almost 0 beyond ~30 voxels (Berea,
        mean over 4 realisations), while crop 64 with decay 4 stays within 0.07–0.22 over 100 planes.
        """
        lo = self.depth_range()[0]
        reach = slice_reach(self.decay)
        if lo / 2 >= reach:
            return None
        per_decay = reach / self.decay
        # the shallowest crop is 3/4 of the crop edge (depth_range): it must be 2·reach deep
        crop_needed = math.ceil(2 * reach * 4 / 3 / FACTOR) * FACTOR
        return (f"With decay {self.decay:g} and training crops as shallow as {lo} voxels, the slice's weight never "
                f"falls below {math.exp(-(lo / 2) / self.decay):.2f} in training, so planes further than about "
                f"{lo // 2} voxels from the slice will be guessed, not learnt (measured: decay 16 at crop 32 left the "
                f"outer planes of 100³ volumes almost without pores). Use a decay of at most "
                f"{lo / 2 / per_decay:.1f} or a larger --crop (at least {crop_needed} for this decay).")

    def depth_range(self) -> tuple[int, int]:
        """(min, max) training crop depth, multiples of FACTOR."""
        lo = int(self.depth_min) or max(MIN_SLICE, (3 * self.crop // 4) // FACTOR * FACTOR)
        hi = int(self.depth_max) or (3 * self.crop // 2) // FACTOR * FACTOR
        return lo, hi

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RockGANConfig":
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        crop = d.get("crop", cls.crop)
        # a field missing from a saved config did not exist when it was saved: its value then
        legacy = {"padding_mode": "zeros", "depth_min": crop, "depth_max": crop,
                  "porosity_weight": 0.0, "profile_weight": 0.0, "g_norm": "group"}
        return cls(**{**legacy, **d})
