"""Multi-texture synthesis with class selection (after Alanov, Kochurov, Volkhonskiy et al.).

E(x) encodes a crop into a global texture code w; G(w, n) paints that texture from a spatial
noise field at 1/8 resolution, exactly translation-equivariant, so volumes of any size are made
tile by tile without seams; D_x, D_xx and D_z judge patches, same-texture pairs and codes.
After training, each class gets a Gaussian of its codes: generate by class or like an example.
Train with ``train(...)``, load with ``load_model(...)``, generate with ``generate(...)`` (arrays)
or ``generate_files(...)`` (TIFFs written slab by slab).
"""

from .classes import CLASSES_FILE, fit_classes, fit_inference, load_class_table, save_class_table
from .config import TextureGANConfig
from .data import ClassSpec, PairSampler, default_class_name, load_class_volumes, parse_data_specs
from .export import export
from .generate import (Condition, Generated, WrittenFiles, WrittenVolume, check_shape, encode_example, generate,
                       generate_files, make_condition)
from .load import TextureModel, load_model
from .model import Encoder, Generator, LatentCritic, PatchCritic
from .task import KIND, TextureGANTask
from .tiled import TiledGenerator, noise_planes, write_tiff_slabs
from .train import train

__all__ = ["CLASSES_FILE", "fit_classes", "fit_inference", "load_class_table", "save_class_table",
           "TextureGANConfig", "ClassSpec", "PairSampler", "default_class_name", "load_class_volumes",
           "parse_data_specs", "export", "Condition", "Generated", "WrittenFiles", "WrittenVolume", "check_shape",
           "encode_example", "generate", "generate_files", "make_condition", "TextureModel", "load_model", "Encoder",
           "Generator", "LatentCritic", "PatchCritic", "KIND", "TextureGANTask", "TiledGenerator", "noise_planes",
           "write_tiff_slabs", "train"]
