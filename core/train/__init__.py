"""The shared trainer: one loop, checkpoints, resume, logs, DDP and mixed precision for every method.

A method implements ``Task`` (models, optimisers, data, losses) and calls ``fit(task, TrainConfig(...))``.
"""

from .checkpoint import LAST, config_for_resume, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .csvlog import read_log
from .freeze import frozen
from .loop import TrainResult, fit
from .task import StepContext, Task

__all__ = ["LAST", "config_for_resume", "load_checkpoint", "save_checkpoint", "TrainConfig", "read_log", "frozen",
           "TrainResult", "fit", "StepContext", "Task"]
