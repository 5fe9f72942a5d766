"""Checkpoint files: atomic writes, RNG capture/restore, and loading with kind/version checks.

A checkpoint is a plain dict (loadable with ``torch.load(weights_only=True)``, so a file from a
stranger cannot run code): kind, format_version, package_version, config (model, dict),
train_config, step, seed, world_size, models/optimizers/scaler state dicts, and rng (one entry per
process) so that a resumed run draws the very numbers the uninterrupted run would have drawn.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..errors import InputError
from ..io import atomic_path

LAST = "last.pt"


def step_name(step: int) -> str:
    return f"step_{step:07d}.pt"


def save_checkpoint(path: str | os.PathLike, payload: dict) -> Path:
    """torch.save to a temporary file in the same folder, then os.replace: never a half file."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
        # Flush to disk before the rename so a power cut cannot leave an empty "last.pt".
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    return path


def load_checkpoint(path: str | os.PathLike, *, kind: str | None = None, max_version: int | None = None,
                    map_location="cpu") -> dict:
    """Read a checkpoint; refuse (InputError) other kinds, newer formats and non-checkpoints."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist.")
    try:
        ck = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # unpickling errors come in many types; all mean "not usable"
        raise InputError(f"{path.name} is not a SeqGen Studio model/checkpoint, or it is damaged ({type(e).__name__}).") from None
    if not isinstance(ck, dict) or "kind" not in ck or "format_version" not in ck:
        raise InputError(f"{path.name} is not a SeqGen Studio model/checkpoint.")
    if kind is not None and ck["kind"] != kind:
        raise InputError(f"{path.name} is a '{ck['kind']}' model, but a '{kind}' model is needed here.")
    if max_version is not None and int(ck["format_version"]) > max_version:
        raise InputError(f"{path.name} was written by a newer SeqGen Studio ({ck.get('package_version', '?')}, "
                         f"format {ck['format_version']}); this version ({__version__}) reads up to format "
                         f"{max_version}. Please update SeqGen Studio.")
    return ck


def capture_rng(data_rng: np.random.Generator) -> dict:
    """Every random stream the loop uses, in a weights_only-loadable form (lists, ints, tensors)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    out = {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), int(np_state[2]),
                  int(np_state[3]), float(np_state[4])],
        "python": [py_state[0], list(py_state[1]), py_state[2]],
        "data": data_rng.bit_generator.state,
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state()
    return out


def restore_rng(state: dict, data_rng: np.random.Generator) -> None:
    """Inverse of ``capture_rng``."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), n[2], n[3], n[4]))
    p = state["python"]
    random.setstate((p[0], tuple(p[1]), p[2]))
    data_rng.bit_generator.state = state["data"]
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def prune(out_dir: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` step checkpoints (keep=0: keep all)."""
    if keep <= 0:
        return
    for old in sorted(out_dir.glob("step_*.pt"))[:-keep]:
        old.unlink(missing_ok=True)


def config_for_resume(config, train_cfg, *, kind: str, max_version: int):
    """(config, notices): on resume the run's own model settings win over the ones given now.

    ``config`` is a method's model-config dataclass with ``to_dict``/``from_dict``; the saved one is
    read from ``out_dir/last.pt`` so that a resumed run never silently changes its architecture.
    """
    last = Path(train_cfg.out_dir) / LAST
    if not (train_cfg.resume and last.is_file()):
        return config, []
    saved = type(config).from_dict(load_checkpoint(last, kind=kind, max_version=max_version)["config"])
    if saved == config:
        return config, []
    had, asked = saved.to_dict(), config.to_dict()
    # a setting may be absent from one side (configs leave out options that are off): name it either way
    keys = list(had) + [k for k in asked if k not in had]
    diff = ", ".join(f"{k} {had.get(k, 'off')} (not {asked.get(k, 'off')})" for k in keys
                     if had.get(k) != asked.get(k))
    return saved, [f"Resuming with the run's own model settings ({diff})."]
