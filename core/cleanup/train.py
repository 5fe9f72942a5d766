"""Train the cleanup U-Net with the shared trainer (checkpoints, resume, progress, cancel, DDP)."""

from __future__ import annotations

from ..jobs import TaskState, ensure_state
from ..train import TrainConfig, TrainResult, config_for_resume, fit
from .config import UNetConfig
from .synth import Degradations
from .task import FORMAT_VERSION, KIND, CleanupTask


def train(config: UNetConfig, train_cfg: TrainConfig, *, degradations: Degradations | None = None,
          state: TaskState | None = None, workers: int = 0) -> TrainResult:
    """Train (or resume) a cleanup U-Net on synthetic drawings generated on the fly (``workers`` processes
    draw the samples; 0 = this process)."""
    state = ensure_state(state)
    config, notices = config_for_resume(config, train_cfg, kind=KIND, max_version=FORMAT_VERSION)
    task = CleanupTask(config, degradations, workers=workers)
    try:
        result = fit(task, train_cfg, state=state)
    finally:
        task.close()
    result.notices[:0] = notices
    return result
