"""torch.distributed set-up for runs launched by ``torchrun``; a plain process is world size 1.

Only standard pieces: init_process_group (nccl on CUDA, gloo on CPU), DistributedDataParallel,
all_reduce/all_gather_object. Nothing here runs unless WORLD_SIZE > 1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass
class DistInfo:
    """Where this process sits in the run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # we created the process group, so we destroy it

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: torch.device) -> tuple[DistInfo, torch.device]:
    """Join the process group torchrun described in the environment; pick this rank's GPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo(), device
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local)  # one GPU per process
        torch.cuda.set_device(device)
    owns = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        owns = True
    return DistInfo(rank, world, local, owns), device


def wrap(module: nn.Module, info: DistInfo, device: torch.device) -> nn.Module:
    """DDP-wrap a module that has trainable parameters (gradients are averaged across ranks)."""
    if not info.enabled or not any(p.requires_grad for p in module.parameters()):
        return module
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)


def mean_across(values: dict[str, float], info: DistInfo, device: torch.device) -> dict[str, float]:
    """Average a dict of floats over ranks (for the logged losses); identity when not distributed."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64,
                     device=device if device.type == "cuda" else "cpu")
    dist.all_reduce(t)
    return dict(zip(keys, (t / info.world_size).tolist()))


def any_across(flag: bool, info: DistInfo, device: torch.device) -> bool:
    """True on every rank if it is True on any (so all ranks stop at the same step)."""
    if not info.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device if device.type == "cuda" else "cpu")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def gather(obj, info: DistInfo) -> list:
    """Every rank's ``obj`` as a list indexed by rank (the RNG states for a checkpoint)."""
    if not info.enabled:
        return [obj]
    out = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def teardown(info: DistInfo, ok: bool = True) -> None:
    """Leave the group together: a rank that tears its connections down while a peer still uses
    them makes gloo abort that peer. After an error there is no barrier (the peer may be gone)."""
    if info.owns_group and dist.is_initialized():
        # DDP reducers keep the group's backend alive and sit in reference cycles: collect them now,
        # while the interpreter is whole. Left to the exit, gloo's worker threads were destroyed during
        # interpreter finalisation and aborted a rank after a finished run ("terminate called without
        # an active exception", exit code 134; seen once in a full test run).
        import gc

        gc.collect()
        if ok:
            dist.barrier()
        dist.destroy_process_group()
