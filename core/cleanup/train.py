"""Train the cleanup U-Net with the shared trainer (checkpoints, resume, progress, cancel, DDP)."""

from __future__ import annotations

from pathlib import Path

from ..jobs import TaskState, ensure_state
from ..train import LAST, TrainConfig, TrainResult, fit, load_checkpoint
from .config import UNetConfig
from .synth import Degradations
from .task import FORMAT_VERSION, KIND, CleanupTask


def resolve_config(config: UNetConfig, train: TrainConfig) -> tuple[UNetConfig, list[str]]:
    """On resume the run's own model settings win over the ones given now (with a notice)."""
    last = Path(train.out_dir) / LAST
    if not (train.resume and last.is_file()):
        return config, []
    saved = UNetConfig.from_dict(load_checkpoint(last, kind=KIND, max_version=FORMAT_VERSION)["config"])
    if saved == config:
        return config, []
    diff = ", ".join(f"{k} {v}" for k, v in saved.to_dict().items() if config.to_dict().get(k) != v)
    return saved, [f"Resuming with the run's own model settings ({diff})."]


def train(config: UNetConfig, train_cfg: TrainConfig, *, degradations: Degradations | None = None,
          state: TaskState | None = None, workers: int = 0) -> TrainResult:
    """Train (or resume) a cleanup U-Net on synthetic drawings generated on the fly (``workers`` processes
    draw the samples; 0 = this process)."""
    state = ensure_state(state)
    config, notices = resolve_config(config, train_cfg)
    task = CleanupTask(config, degradations, workers=workers)
    try:
        result = fit(task, train_cfg, state=state)
    finally:
        task.close()
    result.notices[:0] = notices
    return result
