"""Progress, cancellation, device choice and seeding shared by the CLI, the GUI and the tests.

Compute functions take a ``TaskState`` (like Orange3's): they call ``state.report(fraction, msg)``
and ``state.check()`` now and then; ``check`` raises ``Cancelled`` once the user has asked to stop.
The GUI wraps such a function in a worker thread, the CLI prints the progress, tests pass nothing.
"""

from __future__ import annotations

import os
import random
import secrets
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .errors import Cancelled

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


@dataclass
class TaskState:
    """Progress sink and cancel check handed to a compute function."""

    progress: Optional[ProgressFn] = None
    cancelled: Optional[CancelFn] = None
    _start: float = 0.0
    _end: float = 1.0

    def report(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1] of this (sub)task; raises Cancelled if asked to stop."""
        self.check()
        if self.progress is not None:
            f = min(max(float(fraction), 0.0), 1.0)
            self.progress(self._start + f * (self._end - self._start), message)

    def check(self) -> None:
        """Raise Cancelled when the user has asked to stop."""
        if self.cancelled is not None and self.cancelled():
            raise Cancelled("Cancelled by the user.")

    def sub(self, start: float, end: float) -> "TaskState":
        """A TaskState for the part [start, end] of this task's range."""
        span = self._end - self._start
        return TaskState(self.progress, self.cancelled,
                         self._start + start * span, self._start + end * span)


@dataclass
class CancelToken:
    """A thread-safe cancel flag: ``token.cancel()`` from any thread, pass ``token.is_set``."""

    event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


def ensure_state(state: Optional[TaskState]) -> TaskState:
    """Return ``state`` or a silent one, so compute functions may be called without one."""
    return state if state is not None else TaskState()


def available_devices() -> list[str]:
    """Device names usable here, best first; always ends with 'cpu'."""
    out = []
    try:
        import torch
    except ImportError:  # torch is a hard dependency, but properties work without it
        return ["cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append("mps")
    out.append("cpu")
    return out


def select_device(preference: str | None = None):
    """A torch.device: CUDA, then MPS, then CPU; ``preference`` (or $SEQGEN_DEVICE) overrides.

    Asking for a device that is not present is an InputError, not a silent fallback.
    """
    import torch

    from .errors import InputError

    pref = (preference or os.environ.get("SEQGEN_DEVICE") or "auto").lower()
    avail = available_devices()
    if pref == "auto":
        return torch.device(avail[0])
    base = pref.split(":")[0]
    if base not in avail:
        raise InputError(f"Device '{pref}' is not available here; available: {', '.join(avail)}.")
    return torch.device(pref)


def new_seed() -> int:
    """A fresh random seed in [0, 2**31) to show and save with an output."""
    return secrets.randbelow(2**31)


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch (if loaded) and return a NumPy Generator for ``seed``."""
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass
    return np.random.default_rng(seed)
