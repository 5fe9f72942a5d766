"""Train a volume Task on the training parts of volumes: read them (with the split), then core.train.fit."""

from __future__ import annotations

from ..jobs import TaskState, ensure_state
from ..train import TrainConfig, TrainResult, config_for_resume, fit
from .split import load_training_volumes


def train_on_volumes(task_cls, kind: str, format_version: int, data, config, train_cfg: TrainConfig, *,
                     pore: str = "auto", state: TaskState | None = None) -> TrainResult:
    """Train (or resume) ``task_cls(config, volumes)`` on the training parts of the volumes ``data``."""
    state = ensure_state(state)
    config, notices = config_for_resume(config, train_cfg, kind=kind, max_version=format_version)
    volumes, read_notes = load_training_volumes(data, pore=pore, state=state.sub(0.0, 0.02))
    result = fit(task_cls(config, volumes), train_cfg, state=state.sub(0.02, 1.0))
    result.notices[:0] = notices + read_notes
    return result
