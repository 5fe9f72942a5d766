"""A trained texture GAN ready to generate: encoder + generator + class table, from a checkpoint or model file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import InputError
from ..jobs import select_device
from ..train import load_checkpoint
from .classes import class_table_beside, embedding_rows
from .config import TextureGANConfig
from .model import Encoder, Generator, generator_weights
from .task import FORMAT_VERSION, KIND


@dataclass
class TextureModel:
    """What generation needs; ``path``/``step`` say where it came from (written into outputs)."""

    config: TextureGANConfig
    encoder: Encoder
    generator: Generator
    classes: dict[str, dict] = field(default_factory=dict)  # see core.texture.classes.fit_classes
    path: str | None = None
    step: int | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @property
    def conditioned(self) -> bool:
        """Whether G takes the class (a class embedding, config class_embed)."""
        return bool(self.config.class_embed)

    def class_names(self) -> list[str]:
        return list(self.classes) or list(self.config.class_names)

    def class_row(self, name: str) -> int | None:
        """The row of G's class embedding for class ``name`` (None: G is not class-conditioned)."""
        if not self.conditioned:
            return None
        names = [name] if self.config.class_names else self.class_names()  # unnamed rows: the table's order
        return embedding_rows(self.config, names)[names.index(name)]

    def class_info(self) -> list[dict]:
        """Per class: name, training porosity, crops fitted on, preview (2D uint8 array, 1 = pore)."""
        return [{"name": n, "porosity": float(e["porosity"]), "n_crops": int(e["n_crops"]),
                 "preview": e["preview"].numpy() if torch.is_tensor(e["preview"]) else e["preview"]}
                for n, e in self.classes.items()]

    def class_entry(self, name: str) -> dict:
        """The fitted Gaussian etc. of class ``name``; InputError listing the known classes otherwise.
        A class-conditioned G knows its classes without a fitted table: their codes are then drawn
        from the prior N(0, I) that G's samples of a class were trained with (with a table, its classes)."""
        if name in self.classes:
            return self.classes[name]
        if self.conditioned and not self.classes and name in self.config.class_names:
            k, d = self.config.class_names.index(name), self.config.code_dim
            return {"mean": torch.zeros(d), "cov": torch.eye(d), "porosity": self.config.class_porosity[k][0]
                    if self.config.class_porosity else float("nan"), "n_crops": 0, "preview": None}
        if not self.class_names():
            hint = " ".join(self.notices) or ("Fit them with 'seqgen texture export CHECKPOINT OUT.pt --data "
                                               "NAME=VOLUME ...'.")
            raise InputError(f"This model has no fitted classes, so it cannot generate class '{name}'. {hint}".strip())
        raise InputError(f"Unknown class '{name}'; this model knows: {', '.join(self.class_names())}.")

    @classmethod
    def from_config(cls, config: TextureGANConfig, seed: int = 0, device="cpu") -> "TextureModel":
        """An untrained model without classes (for tests and shape checks)."""
        torch.manual_seed(seed)
        return cls(config, Encoder(config).to(device).eval(), Generator(config).to(device).eval())


def load_model(path, device: str | torch.device | None = "cpu") -> TextureModel:
    """Load a 'texture-gan' checkpoint or exported model; its classes come from the file itself
    (exported) or from ``classes.pt`` beside it when that was fitted for the same step."""
    ck = load_checkpoint(path, kind=KIND, max_version=FORMAT_VERSION)
    cfg = TextureGANConfig.from_dict(ck["config"])
    dev = device if isinstance(device, torch.device) else select_device(device)
    enc, gen = Encoder(cfg), Generator(cfg)
    try:
        enc.load_state_dict(ck["models"]["encoder"])  # float16 exports are cast back to float32 here
        gen.load_state_dict(generator_weights(ck["models"]))  # the moving average when the run kept one
    except (KeyError, RuntimeError) as e:
        raise InputError(f"{Path(path).name} does not hold a usable texture encoder and generator "
                         f"({type(e).__name__}).") from None
    notices = []
    classes = ck.get("classes")  # an exported model: classes and calibrated G inside
    if classes is None:
        table, note = class_table_beside(path, int(ck["step"]))
        notices += [note] if note else []
        if table is not None:
            classes = table["classes"]
            gen.load_state_dict(table.get("bn_stats") or {}, strict=False)
    return TextureModel(cfg, enc.to(dev).eval(), gen.to(dev).eval(), dict(classes or {}), str(Path(path)),
                        int(ck["step"]), notices)
