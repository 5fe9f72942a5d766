"""Model settings of the frame VQ-VAE and the latent transformer (stored in every checkpoint).

Checkpoint kinds and format versions live here too, so that the loaders and the training tasks
agree on them:

* ``video-vqvae`` format 2 adds ``downsample`` (the latent grid factor); a format-1 file is a
  factor-4 VQ-VAE and still loads.
* ``video-lvt`` format 2 is the full-window causal transformer (frame by frame, position by
  position, part by part); format 1 (block-local attention over 8-frame windows) runs through
  ``legacy.py`` (continuation, evaluation) but is not trained, resumed or exported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..errors import InputError

VQ_KIND, VQ_FORMAT = "video-vqvae", 2
LVT_KIND, LVT_FORMAT = "video-lvt", 2
VQ_READS = (1, 2)   # VQ-VAE formats this version loads
LVT_READS = (2,)    # transformer formats this version trains and exports (format 1 runs: legacy.py)


class _Dict:
    """to_dict / from_dict for a config dataclass (unknown keys ignored, so older files load)."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class VQVAEConfig(_Dict):
    """The frame VQ-VAE: frames of ``size``² → a (n_c, size/downsample, size/downsample) grid of codes."""

    size: int = 64            # frame edge in pixels (frames are grey, one channel)
    channels: int = 64        # encoder/decoder width
    embed_dim: int = 64       # D: encoder output channels; split into n_parts chunks
    n_parts: int = 2          # n_c: codes per latent position, one codebook each
    codebook_size: int = 256  # K: entries per part codebook
    decay: float = 0.99       # EMA decay of the codebooks
    beta: float = 0.25        # commitment loss weight
    n_res: int = 2            # residual blocks in encoder and decoder
    dead_threshold: float = 1.0  # an entry whose EMA count falls below this is restarted (0 = never)
    downsample: int = 8       # latent grid factor: 8 → 8² latents of 64² frames, 4 → 16² (format 1 files: 4)

    def __post_init__(self):
        f = int(self.downsample)
        if f < 2 or f & (f - 1):
            raise InputError(f"The grid factor (downsample) must be a power of two, at least 2 (got {self.downsample}).")
        if self.size % f or self.size < 2 * f:
            raise InputError(f"The frame size must be a multiple of {f} and at least {2 * f} (got {self.size}).")
        if self.n_parts < 1 or self.embed_dim % self.n_parts:
            raise InputError(f"embed_dim ({self.embed_dim}) must be divisible by n_parts ({self.n_parts}).")
        if self.codebook_size < 2 or self.channels < 1:
            raise InputError("codebook_size must be at least 2 and channels at least 1.")
        if not 0.0 < self.decay < 1.0:
            raise InputError("decay must lie in (0, 1).")

    @property
    def latent(self) -> int:
        """Edge of the latent grid."""
        return self.size // self.downsample


@dataclass
class LVTConfig(_Dict):
    """The latent transformer: one causal window of ``frames`` latent frames, ``context`` of them given."""

    frames: int = 20          # T: frames in the attention window (given + predicted)
    context: int = 10         # T0: given frames the model is trained (and used) with
    height: int = 8           # h, w: latent grid (from the VQ-VAE)
    width: int = 8
    n_parts: int = 2          # n_c: codes per latent position
    codebook_size: int = 256  # K: entries per part codebook
    dim: int = 128
    heads: int = 4
    layers: int = 4
    dropout: float = 0.0
    context_weight: float = 1.0  # loss weight of the given frames' tokens (predicted frames: 1)
    vqvae: dict = field(default_factory=dict)  # the frozen VQ-VAE's config (rebuilds it at load)
    prev_frames: int = 0      # previous frames whose codes near each position are fed in (0: none; model.py)
    prev_radius: int = 1      # neighbourhood of those codes: (2r+1)² latent positions, all parts
    prev_dim: int = 32        # width of each fed-in code's embedding before the projection to dim

    def __post_init__(self):
        if not 1 <= self.context < self.frames:
            raise InputError(f"The context ({self.context} frames) must be at least 1 and below the window "
                             f"({self.frames} frames).")
        if self.dim % self.heads:
            raise InputError(f"dim ({self.dim}) must be divisible by heads ({self.heads}).")
        if min(self.n_parts, self.codebook_size, self.layers, self.heads, self.height, self.width) < 1:
            raise InputError("n_parts, codebook_size, layers, heads and the latent grid must be at least 1.")
        if not (0 <= self.prev_frames < self.frames and 0 <= self.prev_radius <= 3 and self.prev_dim >= 1):
            raise InputError("prev_frames must lie in 0 … frames−1, prev_radius in 0 … 3, prev_dim ≥ 1.")
        if not 0.0 <= self.context_weight <= 1.0:
            raise InputError(f"context_weight must lie in [0, 1] (got {self.context_weight}).")

    @property
    def tokens_per_frame(self) -> int:
        return self.height * self.width * self.n_parts

    @property
    def length(self) -> int:
        """Tokens in one window."""
        return self.frames * self.tokens_per_frame

    @property
    def context_tokens(self) -> int:
        return self.context * self.tokens_per_frame
