"""A trained rock GAN ready to generate: encoder + generator (+ config) from a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..jobs import select_device
from ..train import load_checkpoint
from .config import RockGANConfig
from .model import Encoder, Generator
from .task import FORMAT_VERSION, KIND


@dataclass
class RockModel:
    """What generation needs; ``path``/``step`` say where it came from (written into outputs)."""

    config: RockGANConfig
    encoder: Encoder
    generator: Generator
    path: str | None = None
    step: int | None = None

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @classmethod
    def from_config(cls, config: RockGANConfig, seed: int = 0, device="cpu") -> "RockModel":
        """An untrained model (for tests and shape checks)."""
        torch.manual_seed(seed)
        return cls(config, Encoder(config).to(device).eval(), Generator(config).to(device).eval())


def load_model(path, device: str | torch.device | None = "cpu") -> RockModel:
    """Load a 'rock-gan' checkpoint (last.pt or step_*.pt); other kinds/newer formats → InputError."""
    ck = load_checkpoint(path, kind=KIND, max_version=FORMAT_VERSION)
    cfg = RockGANConfig.from_dict(ck["config"])
    dev = device if isinstance(device, torch.device) else select_device(device)
    enc, gen = Encoder(cfg), Generator(cfg)
    enc.load_state_dict(ck["models"]["encoder"])
    gen.load_state_dict(ck["models"]["generator"])
    return RockModel(cfg, enc.to(dev).eval(), gen.to(dev).eval(), str(Path(path)), int(ck["step"]))
