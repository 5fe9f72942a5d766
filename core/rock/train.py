"""Train the rock GAN on volumes: read them (with the split), then hand the task to core.train.fit."""

from __future__ import annotations

from pathlib import Path

from ..jobs import TaskState, ensure_state
from ..train import LAST, TrainConfig, TrainResult, fit, load_checkpoint
from .config import RockGANConfig
from .data import load_training_volumes
from .task import FORMAT_VERSION, KIND, RockGANTask


def resolve_config(config: RockGANConfig, train: TrainConfig) -> tuple[RockGANConfig, list[str]]:
    """On resume the run's own model settings win over the ones given now (with a notice)."""
    last = Path(train.out_dir) / LAST
    if not (train.resume and last.is_file()):
        return config, []
    saved = RockGANConfig.from_dict(load_checkpoint(last, kind=KIND, max_version=FORMAT_VERSION)["config"])
    if saved == config:
        return config, []
    diff = ", ".join(f"{k} {v}" for k, v in saved.to_dict().items() if config.to_dict().get(k) != v)
    return saved, [f"Resuming with the run's own model settings ({diff})."]


def train(data, config: RockGANConfig, train_cfg: TrainConfig, *, pore: str = "auto",
          state: TaskState | None = None) -> TrainResult:
    """Train (or resume) a rock GAN on the training parts of the volumes ``data`` (paths)."""
    state = ensure_state(state)
    config, notices = resolve_config(config, train_cfg)
    volumes, read_notes = load_training_volumes(data, pore=pore, state=state.sub(0.0, 0.02))
    result = fit(RockGANTask(config, volumes), train_cfg, state=state.sub(0.02, 1.0))
    result.notices[:0] = notices + read_notes
    return result
