"""Settings of the cleanup U-Net (nanoGPT style: one dataclass, stored in every checkpoint)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import InputError


@dataclass
class UNetConfig:
    """Model settings; how to train (steps, batch, lr, device) lives in core.train.TrainConfig.

    The default is sized for the benchmark target (an A4 page at 300 dpi, 2480×3508, within
    5 s on a 2-core CPU, under 2 GB): see benchmarks/results/cleanup.md.
    """

    base_width: int = 8        # channels at full resolution; ×2 at each level down
    depth: int = 4             # number of 2× down-samplings (the input is padded to a multiple of 2**depth)
    max_width: int = 128       # channel cap for the deep levels
    in_channels: int = 1       # grey scan (colour is converted to grey by luminance)
    crop: int = 256            # training crop edge in pixels (multiple of 2**depth)
    pos_weight: float = 1.0    # BCE weight of line pixels (they are a minority; >1 favours recall)

    def __post_init__(self):
        if int(self.base_width) < 1 or int(self.depth) < 1 or int(self.max_width) < 1:
            raise InputError("base_width, depth and max_width must be at least 1.")
        if int(self.depth) > 7:
            raise InputError(f"depth {self.depth} is too deep (at most 7).")
        m = 2 ** int(self.depth)
        if self.crop % m or self.crop < 2 * m:
            raise InputError(f"The crop must be a multiple of {m} and at least {2 * m} (got {self.crop}).")
        if not self.pos_weight > 0:
            raise InputError("pos_weight must be positive.")

    @property
    def multiple(self) -> int:
        """Input sizes the network takes without padding are multiples of this."""
        return 2 ** int(self.depth)

    def widths(self) -> list[int]:
        """Channels at each level, full resolution first, bottleneck last (depth + 1 entries)."""
        return [min(self.base_width * 2 ** i, self.max_width) for i in range(self.depth + 1)]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
