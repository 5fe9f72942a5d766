"""Rock reconstruction: a GAN that turns one 2D slice of a porous medium into 3D volumes.

E(s) encodes the slice, G(E(s), z) builds a volume whose central z-slice follows s, a 3D D judges
realism (hinge loss + spectral norm) and λ·‖s − M⊙G‖² ties the centre to the input.
Train with ``train(...)`` (core.train underneath), generate with ``generate(...)``. Crops, the held-out
split, evaluation tables and the DCGAN baseline it shares with core.texture live in core.volumes.
"""

from .config import MIN_SLICE, RockGANConfig
from .generate import Generated, generate
from .load import RockModel, load_model
from .model import Discriminator, Encoder, Generator
from .task import KIND, RockGANTask
from .train import train

__all__ = ["MIN_SLICE", "RockGANConfig", "Generated", "generate", "RockModel", "load_model", "Discriminator",
           "Encoder", "Generator", "KIND", "RockGANTask", "train"]
