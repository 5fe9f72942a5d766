"""The run settings every method shares; a method's own model settings live in its own dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class TrainConfig:
    """How to train (not what): steps, batch, optimiser step size, checkpoints, logging, device."""

    steps: int = 1000            # total optimiser steps of the run (a resumed run stops here too)
    batch_size: int = 8          # samples per step *per process* (DDP multiplies it by the world size)
    lr: float = 2e-4             # step size the task hands to its optimisers
    checkpoint_every: int = 500  # write step_XXXXXXX.pt and last.pt every N steps (0 = only at the end)
    keep_checkpoints: int = 3    # step checkpoints kept besides last.pt (0 = keep all)
    log_every: int = 10          # append the mean losses of the last N steps to log.csv
    check_every: int = 0         # run task.check() every N steps (0 = never)
    seed: int = 0                # model init, data and noise streams all derive from it
    device: str = "auto"         # "auto", "cpu", "cuda", "cuda:1", "mps" (see core.jobs.select_device)
    amp: bool = True             # fp16 mixed precision on CUDA (ignored elsewhere)
    precision: str = "fp32"      # on the CPU: "fp32", "bf16" (autocast) or "auto" (bf16 where the CPU has bf16 units)
    out_dir: str = "run"         # checkpoints and log.csv go here
    resume: bool = False         # continue from out_dir/last.pt instead of refusing to overwrite it
    max_minutes: float = 0.0     # stop (with a checkpoint) after this much wall time in this invocation; 0 = no limit
    init_from: str = ""          # a new run starts from this model's/checkpoint's weights (fine-tuning); "" = random

    def __post_init__(self):
        from ..errors import InputError

        for name in ("steps", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name.replace('_', ' ')} must be at least 1 (got {getattr(self, name)}).")
        for name in ("checkpoint_every", "keep_checkpoints", "log_every", "check_every"):
            if int(getattr(self, name)) < 0:
                raise InputError(f"{name.replace('_', ' ')} cannot be negative.")
        if not float(self.max_minutes) >= 0:
            raise InputError(f"The time limit cannot be negative (got {self.max_minutes} minutes).")
        from ..precision import PRECISIONS

        if self.precision not in PRECISIONS:
            raise InputError(f"Unknown precision '{self.precision}' (use {', '.join(PRECISIONS)}).")
        if not self.lr > 0:
            raise InputError(f"The learning rate must be positive (got {self.lr}).")

    def to_dict(self) -> dict:
        return asdict(self)
