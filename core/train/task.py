"""What a method hands the trainer (``Task``) and what the trainer hands back each step (``StepContext``).

The trainer owns the loop, devices, DDP, mixed precision, RNG, checkpoints and logs; a task owns
only its models, optimisers, data and losses. That split is what lets the rock GAN, texture GAN,
video VQ-VAE/transformer and U-Net share one trainer.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from .config import TrainConfig


@runtime_checkable
class Task(Protocol):
    """A trainable method. ``check`` is optional (return {} or leave it out)."""

    kind: str            # checkpoint kind, e.g. "rock-gan"; loading another kind is refused
    format_version: int  # bump when the checkpoint layout changes; newer files are refused

    def config_dict(self) -> dict:
        """The model configuration, JSON-able; stored in every checkpoint to rebuild the model."""

    def build(self, device: torch.device, cfg: TrainConfig) -> tuple[dict[str, nn.Module], dict[str, torch.optim.Optimizer]]:
        """Create the models (on ``device``) and their optimisers; called after seeding."""

    def sample(self, batch_size: int, rng: np.random.Generator) -> Any:
        """One batch (CPU tensors are fine); ``rng`` is this process's own data stream."""

    def train_step(self, batch: Any, step: int, ctx: "StepContext") -> dict[str, float]:
        """One optimisation step through ``ctx``; return the losses as plain floats."""


@dataclass
class StepContext:
    """Models, optimisers and helpers the trainer hands to ``Task.train_step`` and ``Task.check``.

    ``nets`` are the models to call in a step whose gradients must be synchronised (DDP-wrapped
    when distributed); ``raw`` are the same models unwrapped, for calls whose gradients are not
    wanted (e.g. the discriminator inside the generator's step) and for checks/saving.
    """

    nets: dict[str, nn.Module]
    raw: dict[str, nn.Module]
    opts: dict[str, torch.optim.Optimizer]
    device: torch.device
    scaler: torch.amp.GradScaler
    amp: bool = False
    rank: int = 0
    world_size: int = 1
    extra: dict = field(default_factory=dict)
    precision: str = "fp32"  # resolved: "bf16" = CPU bfloat16 autocast in autocast()

    def autocast(self):
        """fp16 mixed precision on CUDA when enabled, bf16 autocast on the CPU when chosen, else a no-op."""
        if self.amp:
            return torch.autocast(self.device.type, dtype=torch.float16)
        if self.precision == "bf16" and self.device.type == "cpu":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def to_device(self, batch):
        """Move a tensor, or a tuple/list/dict of tensors, to the training device."""
        if torch.is_tensor(batch):
            return batch.to(self.device, non_blocking=True)
        if isinstance(batch, (list, tuple)):
            return type(batch)(self.to_device(b) for b in batch)
        if isinstance(batch, dict):
            return {k: self.to_device(v) for k, v in batch.items()}
        return batch

    def backward(self, loss: torch.Tensor) -> None:
        """loss.backward(), scaled when mixed precision is on (fp16 gradients would underflow)."""
        self.scaler.scale(loss).backward()

    def step(self, opt: torch.optim.Optimizer) -> None:
        """opt.step() through the scaler (skips the step if gradients overflowed)."""
        self.scaler.step(opt)
