"""Settings of the rock GAN (one 2D slice → 3D volume); stored in every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import InputError

FACTOR = 4             # E downsamples the slice by 4 (two stride-2 convs); G upsamples by 4
MIN_SLICE = 4 * FACTOR  # smallest slice edge: the coarsest feature map must be at least 4×4


@dataclass
class RockGANConfig:
    """Model and loss settings (the run settings are in core.train.TrainConfig)."""

    channels: int = 32       # base width of encoder and generator (×2 per downsampling)
    z_channels: int = 8      # channels of the 3D noise field at 1/4 resolution
    d_channels: int = 32     # base width of the discriminator
    decay: float = 4.0       # voxels over which the slice's pull on G falls by 1/e away from the centre
    rec_weight: float = 10.0  # λ of λ·‖s − M⊙G(E(s), z)‖²
    crop: int = 64           # training crop edge (voxels); the slice is the crop's central z-slice

    def __post_init__(self):
        if self.crop % FACTOR or self.crop < MIN_SLICE:
            raise InputError(f"The crop must be a multiple of {FACTOR} and at least {MIN_SLICE} (got {self.crop}).")
        for f in ("channels", "z_channels", "d_channels"):
            if int(getattr(self, f)) < 1:
                raise InputError(f"{f} must be at least 1.")
        if not self.decay > 0:
            raise InputError("decay must be positive.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RockGANConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
