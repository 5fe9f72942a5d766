"""The cleanup U-Net as a core.train Task: BCE with logits on synthetic (scan, target) crops, Adam."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..train import StepContext, TrainConfig
from .config import UNetConfig
from .model import UNet
from .synth import Degradations, make_pair, train_seed, val_seeds

KIND = "cleanup-unet"
FORMAT_VERSION = 1
N_CHECK = 4  # validation crops (own seed range, never the held-out set) for task.check
# Model choice (issue 22) is made on the independent validation generator (valgen.py), not on the
# training generator: N_VALGEN pages of VALGEN_CHECK_SIZE², seeds apart from the valgen evaluation's.
N_VALGEN = 16
VALGEN_CHECK_SIZE = 384
VALGEN_CHECK_OFFSET = 2**40


def to_input(grey: np.ndarray) -> np.ndarray:
    """Grey uint8 scan → network input float32, ink bright: (255 − grey) / 255."""
    return (255.0 - grey.astype(np.float32)) * (1.0 / 255.0)


def _pair_arrays(args) -> tuple[np.ndarray, np.ndarray]:
    seed, size, degradations = args
    scan, target = make_pair(int(seed), size, size, degradations)
    return to_input(scan), target.astype(np.float32)


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # the pool is the parallelism; threads inside each worker only contend
    torch.set_num_threads(1)


def batch_of(seeds, size: int, degradations: Degradations | None = None, pool=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) tensors (N, 1, size, size) for a list of sample seeds (drawn in ``pool`` when given).

    A sample depends on its seed alone, so a pool changes the speed, never the batch.
    """
    jobs = [(int(s), size, degradations) for s in seeds]
    pairs = list(pool.map(_pair_arrays, jobs)) if pool is not None else [_pair_arrays(j) for j in jobs]
    xs, ys = zip(*pairs)
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys)[:, None])


class CleanupTask:
    """Train one U-Net (one Adam) on freshly generated synthetic drawings: no data set to load."""

    kind = KIND
    format_version = FORMAT_VERSION

    def __init__(self, config: UNetConfig, degradations: Degradations | None = None, final_lr_ratio: float = 0.1,
                 workers: int = 0):
        self.cfg = config
        # Drawing a 256² sample takes ~45 ms of CPU: on a GPU the synthesis, not the U-Net, sets the
        # pace, so worker processes draw the batch (0 = in this process).
        self.workers = int(workers)
        self._pool = None
        self.degradations = degradations
        self.final_lr_ratio = final_lr_ratio  # cosine decay of the step size to this fraction at the last step
        self._check_batch = None
        self._valgen = None
        self._fmt = torch.contiguous_format
        self._lr, self._steps = 1e-3, 1

    def config_dict(self) -> dict:
        return self.cfg.to_dict()

    def lr_at(self, step: int) -> float:
        """Cosine from the TrainConfig lr down to final_lr_ratio·lr at the run's last step (a function of
        the step alone, so a resumed run continues the same schedule)."""
        t = min(max(step / max(self._steps - 1, 1), 0.0), 1.0)
        r = self.final_lr_ratio
        return self._lr * (r + (1 - r) * 0.5 * (1 + math.cos(math.pi * t)))

    def build(self, device, train: TrainConfig):
        self._lr, self._steps = float(train.lr), int(train.steps)
        # channels_last: oneDNN's fast 2D convolutions on the CPU (~1.8× per step in fp32, ~3× with bf16)
        self._fmt = torch.channels_last if torch.device(device).type == "cpu" else torch.contiguous_format
        net = UNet(self.cfg).to(device, memory_format=self._fmt)
        return {"unet": net}, {"unet": torch.optim.Adam(net.parameters(), lr=train.lr)}

    def sample(self, batch_size: int, rng: np.random.Generator):
        # Seeds come from the trainer's data stream, all in [0, TRAIN_SEED_LIMIT): never held-out.
        if self.workers > 0 and self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            # spawn: a forked copy of a process that already holds CUDA or OpenMP threads can hang
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"), initializer=_init_worker)
        return batch_of([train_seed(rng) for _ in range(batch_size)], self.cfg.crop, self.degradations, self._pool)

    def close(self) -> None:
        """Stop the sampling workers (if any)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pw = None
        if self.cfg.pos_weight != 1.0:
            pw = torch.tensor([self.cfg.pos_weight], device=logits.device)
        return F.binary_cross_entropy_with_logits(logits.float(), y, pos_weight=pw)

    def train_step(self, batch, step: int, ctx: StepContext) -> dict[str, float]:
        x, y = ctx.to_device(batch)
        x = x.contiguous(memory_format=self._fmt)
        opt = ctx.opts["unet"]
        for g in opt.param_groups:
            g["lr"] = self.lr_at(step)
        opt.zero_grad(set_to_none=True)
        with ctx.autocast():
            logits = ctx.nets["unet"](x)
        loss = self.loss(logits, y)
        ctx.backward(loss)
        ctx.step(opt)
        return {"bce": loss.item(), "lr": opt.param_groups[0]["lr"]}

    def check(self, step: int, ctx: StepContext) -> dict[str, float]:
        """BCE and line IoU on fixed validation crops (seeds 2**60 + i: not training, not held-out)."""
        from .evaluate import iou as mask_iou  # lazily: evaluate imports infer, which imports this module

        if self._check_batch is None:
            self._check_batch = batch_of(val_seeds(N_CHECK), self.cfg.crop, self.degradations)
        x, y = ctx.to_device(self._check_batch)
        net = ctx.raw["unet"].eval()
        with torch.no_grad():
            logits = net(x.contiguous(memory_format=self._fmt)).float()
            out = {"val_bce": self.loss(logits, y).item(),
                   "val_iou": mask_iou((logits > 0).cpu().numpy(), (y > 0.5).cpu().numpy())}
            out.update(self._valgen_check(net, ctx))
        net.train()
        return out

    def _valgen_check(self, net, ctx: StepContext) -> dict[str, float]:
        """Mean per-page IoU on N_VALGEN independent validation pages, and the share of pages where
        it beats both Otsu and Sauvola (the figures a model is chosen on)."""
        from .evaluate import iou as mask_iou, otsu, sauvola

        if self._valgen is None:
            from .valgen import VALGEN_SEED_BASE, make_val_pair

            pages = [make_val_pair(VALGEN_SEED_BASE + VALGEN_CHECK_OFFSET + i, VALGEN_CHECK_SIZE, VALGEN_CHECK_SIZE)
                     for i in range(N_VALGEN)]
            best = [max(mask_iou(otsu(s), t), mask_iou(sauvola(s), t)) for s, t in pages]
            x = torch.from_numpy(np.stack([to_input(s) for s, _ in pages])[:, None])
            self._valgen = (x, [t for _, t in pages], best)
        x, targets, best = self._valgen
        ious = []
        for i in range(0, len(targets), 4):
            logits = net(ctx.to_device(x[i:i + 4]).contiguous(memory_format=self._fmt)).float()
            ious += [mask_iou((lg[0] > 0).cpu().numpy(), t) for lg, t in zip(logits, targets[i:i + 4])]
        return {"valgen_iou": float(np.mean(ious)), "valgen_beats": float(np.mean(np.array(ious) > np.array(best)))}
