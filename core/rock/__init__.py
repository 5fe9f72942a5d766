"""Rock reconstruction: a GAN that turns one 2D slice of a porous medium into 3D volumes.

E(s) encodes the slice, G(E(s), z) builds a volume whose central z-slice follows s, a 3D D judges
realism (hinge loss + spectral norm) and λ·‖s − M⊙G‖² ties the centre to the input.
Train with ``train(...)`` (core.train underneath), generate with ``generate(...)``.
"""

from .config import MIN_SLICE, RockGANConfig
from .data import TRAIN_Z_LIMITS, CropSampler, load_training_volumes, training_part
from .generate import Generated, generate
from .load import RockModel, load_model
from .model import Discriminator, Encoder, Generator
from .task import KIND, RockGANTask
from .train import train

__all__ = ["MIN_SLICE", "RockGANConfig", "TRAIN_Z_LIMITS", "CropSampler", "load_training_volumes",
           "training_part", "Generated", "generate", "RockModel", "load_model", "Discriminator", "Encoder",
           "Generator", "KIND", "RockGANTask", "train"]
