"""Train a rock GAN on volumes (core.volumes.training: the split, then core.train.fit)."""

from __future__ import annotations

from ..jobs import TaskState
from ..train import TrainConfig, TrainResult
from ..volumes.training import train_on_volumes
from .config import RockGANConfig
from .task import FORMAT_VERSION, KIND, RockGANTask


def train(data, config: RockGANConfig, train_cfg: TrainConfig, *, pore: str = "auto",
          state: TaskState | None = None) -> TrainResult:
    """Train (or resume) a rock GAN on the training parts of the volumes ``data`` (paths)."""
    return train_on_volumes(RockGANTask, KIND, FORMAT_VERSION, data, config, train_cfg, pore=pore, state=state)
