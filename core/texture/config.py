"""Settings of the multi-texture GAN (encoder, generator, three critics, loss weights); stored in every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import InputError

G_NORMS = ("pixel", "batch")
FACTOR = 8      # G starts from a latent at 1/8 of the output resolution (three ×2 upsamplings)
MIN_CROP = 16   # the smallest training crop: the encoder's three stride-2 convs need at least 2³ left


@dataclass
class TextureGANConfig:
    """Model and loss settings (the run settings are in core.train.TrainConfig)."""

    code_dim: int = 16        # size of the global texture code w
    noise_channels: int = 8   # channels of the spatial noise field n at 1/8 resolution
    g_channels: int = 64      # G's width at 1/8 resolution (halved at 1/4, quartered at 1/2)
    g_fine: int = 4           # G's channels at full resolution (after the sub-pixel step)
    e_channels: int = 32      # encoder base width (×2 per stride-2 conv)
    d_channels: int = 32      # base width of the patch critics D_x and D_xx
    dz_hidden: int = 128      # width of the latent critic D_z (an MLP)
    crop: int = 64            # training crop edge in voxels (multiple of 8)
    alpha1: float = 1.0       # weight of L_x (patch realism) in G's loss
    alpha2: float = 1.0       # weight of L_xx (pair: reconstruction looks like the same texture) in G's loss
    beta1: float = 1.0        # weight of L_z (codes look like N(0, I)) in E's loss
    beta2: float = 1.0        # weight of L_xx in E's loss
    hard_fakes: bool = True   # critics see thresholded fakes (straight-through gradient), like the binary reals
    # Optional extra (cheap): γ·(φ(G(E(x), n)) − φ(x))², soft porosity per crop, into G's and E's
    # losses; 0 = the paper's losses only. Measured on CPU (two synthetic classes, porosity 0.10 and
    # 0.45, crop 16, g_channels 32, 1000 steps of 8 pairs): without it both classes generated
    # porosity 0.08–0.22 (G ignored the code); with γ = 10: 0.06–0.15 and 0.24–0.54.
    porosity_weight: float = 10.0
    # The four settings below were added after the first models; their defaults are those models'
    # settings, because no CPU run with the new ones has yet beaten them on held-out data
    # (docs/results/texture_cpu_runs/README.md: what each did on the 2-core CPU).
    # Porosity term on the binary reconstruction (straight-through gradient) instead of its soft pore
    # probabilities: a soft term is met by a uniform grey field (a PixelNorm G did so by step 250).
    porosity_hard: bool = False
    # G's norm: "batch" (BatchNorm: batch statistics in training, their averages at inference, so a
    # sample's output depends on its batch while training) or "pixel" (PixelNorm, per voxel: training
    # and inference compute one function). Measured: BatchNorm models generate too little pore at
    # inference; PixelNorm runs let the logit scale collapse to ~0 (see logit_margin).
    g_norm: str = "batch"
    # Decay of an exponential moving average of G's weights, the G that checkpoints generate with
    # (0 = off: the last weights); meant to smooth the swings of porosity between checkpoints.
    g_ema: float = 0.0
    # Weight λ of mean(relu(1 − |logit|)) over G's outputs in G's loss (0 = off). Why: the critics see
    # thresholded fakes, so nothing holds the scale of G's logits; in a PixelNorm run it shrank to a
    # spatial std of 0.0004 around 0, where each step of the output level flipped whole volumes
    # between solid and pore. With λ = 1 the std stayed at 0.27–0.46.
    logit_margin: float = 0.0
    # Class conditioning (issue 17; all off by default: the models before it load and generate as they
    # did). Why: with the class entering only through E's code, G's output hardly moved with the class
    # (CPU runs: the three classes' porosity medians within 0.04 of each other at every step).
    # class_embed: the number of classes G is conditioned on (0 = off): a learned per-class scale and
    # shift of every G block's channels after its norm (FiLM, 1 + γ_c and β_c; per channel, the same
    # at every voxel, so tiles stay exact). train() sets it, the names and the porosities from the data.
    class_embed: int = 0
    class_names: tuple = ()     # the class of each embedding row, in the order of the training data
    class_porosity: tuple = ()  # (mean, std) of each class's training-crop porosity (crops of ``crop``)
    # Weight of (φ̄_c − μ_c)² + (s_c − σ_c)²: the porosities of G's prior samples of class c (binary,
    # straight-through gradient) against their class's training-crop mean μ_c and std σ_c; G's loss only.
    class_porosity_weight: float = 0.0
    # D_x as a projection discriminator (Miyato & Koyama 2018): ψ(h) + <embed_c, mean h>, so it judges
    # "a real crop of class c", not just "a real crop".
    d_projection: bool = False

    def __post_init__(self):
        if int(self.crop) % FACTOR or int(self.crop) < MIN_CROP:
            raise InputError(f"The crop must be a multiple of {FACTOR} and at least {MIN_CROP} (got {self.crop}).")
        for f in ("code_dim", "noise_channels", "g_channels", "g_fine", "e_channels", "d_channels", "dz_hidden"):
            if int(getattr(self, f)) < 1:
                raise InputError(f"{f} must be at least 1 (got {getattr(self, f)}).")
        if int(self.g_channels) < 4:
            raise InputError(f"g_channels must be at least 4: G quarters it at 1/2 resolution (got {self.g_channels}).")
        if self.g_norm not in G_NORMS:
            raise InputError(f"g_norm must be one of {', '.join(G_NORMS)} (got {self.g_norm!r}).")
        if not 0.0 <= float(self.g_ema) < 1.0:
            raise InputError(f"g_ema is a decay in [0, 1) (got {self.g_ema}).")
        for f in ("alpha1", "alpha2", "beta1", "beta2", "porosity_weight", "logit_margin", "class_porosity_weight"):
            if not float(getattr(self, f)) >= 0:
                raise InputError(f"The loss weight {f} cannot be negative (got {getattr(self, f)}).")
        self._check_classes()

    def _check_classes(self) -> None:
        """The class-conditioning fields agree with each other (tuples, so that configs compare equal)."""
        self.class_names = tuple(str(n) for n in self.class_names)
        self.class_porosity = tuple((float(m), float(s)) for m, s in self.class_porosity)
        k = int(self.class_embed)
        if k < 0:
            raise InputError(f"class_embed is a number of classes, 0 = off (got {k}).")
        for f in ("class_names", "class_porosity"):
            if getattr(self, f) and len(getattr(self, f)) != k:
                raise InputError(f"{f} has {len(getattr(self, f))} entries for {k} classes.")
        if not k and (self.d_projection or self.class_porosity_weight):
            raise InputError("The projection critic and the class porosity term need the class embedding "
                             "(class_embed, --class-embed).")

    def to_dict(self) -> dict:
        d = asdict(self)
        # Without class conditioning the dict is what it was before those fields existed: a run started
        # then still resumes (core.train compares the saved config dict with the new one).
        if not self.class_embed:
            for f in CLASS_FIELDS:
                d.pop(f)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TextureGANConfig":
        known = {f.name for f in fields(cls)}
        # configs saved before a field existed load with the value those models were trained with
        return cls(**{**LEGACY, **{k: v for k, v in d.items() if k in known}})


# what the models saved before these fields existed were trained with (today's defaults too, but the
# defaults may change and old files must not)
CLASS_FIELDS = ("class_embed", "class_names", "class_porosity", "class_porosity_weight", "d_projection")
LEGACY = {"g_norm": "batch", "porosity_hard": False, "g_ema": 0.0, "logit_margin": 0.0, "class_embed": 0,
          "class_names": (), "class_porosity": (), "class_porosity_weight": 0.0, "d_projection": False}
