"""A small digit reader for Moving MNIST frames: which digits does a 64×64 frame show?

Used by ``seqgen video eval`` to check that a continuation keeps its digits: the frame 20 of a
generated clip should show the same two digits as the true frame 20. The reader is a small CNN trained
on single frames of Moving MNIST built from the *training* digits only (``core.video.mnist``), with
random blur and noise so that decoded (slightly soft) frames read as well as sharp ones.

Output: 10 independent logits (multi-label: a frame holds one or two digits, possibly the same one twice).
A *reading* is the set {most likely class} ∪ {second class if its probability is above 0.5}.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import InputError
from ..jobs import TaskState, ensure_state

KIND = "video-digits"
VERSION = 1


@dataclass
class DigitReaderConfig:
    """Network width and the frame size it reads."""
    size: int = 64
    width: int = 24


class DigitReader(nn.Module):
    """A 2× average pool, three conv + norm + pool stages, 1×1 class scores and their maximum over positions."""

    def __init__(self, cfg: DigitReaderConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        chans = [1, w, 2 * w, 4 * w]
        layers: list[nn.Module] = [nn.AvgPool2d(2)]  # 14-pixel digits still read well; 4× less compute
        for a, b in zip(chans[:-1], chans[1:]):
            # BatchNorm: without it the multi-label loss sits at the base rate for thousands of steps
            layers += [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        # per-position class scores, then the maximum over positions: "is there a 7 anywhere?" (a digit
        # may be anywhere on the canvas; translation-equivariant scores learn far faster than a flat head)
        self.head = nn.Sequential(nn.Conv2d(4 * w, 128, 1), nn.ReLU(inplace=True), nn.Conv2d(128, 10, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) frames in [0, 1] → (B, 10) logits."""
        return self.head(self.features(x)).amax(dim=(-2, -1))


def _labels(path) -> np.ndarray:
    from .mnist import DIGITS_PATH

    with np.load(Path(path or DIGITS_PATH)) as d:
        return np.asarray(d["labels"], np.int64)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random Gaussian blur (σ 0–1.2) on half of the frames and mild noise: decoded frames are soft."""
    b = x.shape[0]
    sigma = torch.rand(b, generator=gen) * 1.2
    blur = torch.rand(b, generator=gen) < 0.5
    r = torch.arange(-3, 4, dtype=torch.float32)
    out = x.clone()
    for i in torch.nonzero(blur & (sigma > 0.2)).flatten().tolist():
        k = torch.exp(-r ** 2 / (2 * float(sigma[i]) ** 2))
        k = (k / k.sum()).to(x.dtype)
        img = out[i:i + 1]
        img = F.conv2d(F.pad(img, (3, 3, 0, 0), mode="replicate"), k.view(1, 1, 1, 7))
        img = F.conv2d(F.pad(img, (0, 0, 3, 3), mode="replicate"), k.view(1, 1, 7, 1))
        out[i:i + 1] = img
    noise = torch.randn(x.shape, generator=gen) * (torch.rand(b, 1, 1, 1, generator=gen) * 0.05)
    return (out + noise).clamp(0, 1)


def _batch(n: int, rng: np.random.Generator, labels: np.ndarray, size: int, digits_path=None):
    from .mnist import DIGITS_PATH, moving_mnist

    frames, used = moving_mnist(n, seed=rng, split="train", frames=1, size=size,
                                path=digits_path or DIGITS_PATH, return_indices=True)
    target = np.zeros((n, 10), np.float32)
    for i, idx in enumerate(used):
        target[i, labels[idx]] = 1.0
    return torch.from_numpy(frames.astype(np.float32) / 255.0), torch.from_numpy(target)  # (n, 1, H, W)


def train_reader(*, steps: int = 3000, batch: int = 64, lr: float = 2e-3, seed: int = 0,
                 cfg: DigitReaderConfig | None = None, digits_path=None,
                 state: TaskState | None = None) -> tuple[DigitReader, dict]:
    """Train a reader on training-digit frames; the model and a summary (validation accuracy, time)."""
    state = ensure_state(state)
    cfg = cfg or DigitReaderConfig()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    labels = _labels(digits_path)
    model = DigitReader(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    t0 = time.perf_counter()
    model.train()
    for step in range(steps):
        state.check()
        x, y = _batch(batch, rng, labels, cfg.size, digits_path)
        loss = F.binary_cross_entropy_with_logits(model(_augment(x, gen)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            state.report((step + 1) / steps, f"step {step + 1}/{steps} · loss {float(loss.detach()):.4f}")
    model.eval()
    # validation on frames of training digits drawn from a separate stream (test digits stay unseen)
    vx, vy = _batch(1000, np.random.default_rng(seed + 7_777), labels, cfg.size, digits_path)
    read = read_digits(model, vx)
    truth = [frozenset(np.flatnonzero(t).tolist()) for t in vy.numpy()]
    acc = float(np.mean([r == t for r, t in zip(read, truth)]))
    with torch.no_grad():
        top1 = model(vx).argmax(1).tolist()
    hit = float(np.mean([k in t for k, t in zip(top1, truth)]))  # chance: about 0.19
    return model, {"steps": steps, "batch": batch, "lr": lr, "seed": seed, "val_exact": acc, "val_top1_in_set": hit,
                   "seconds": time.perf_counter() - t0, "config": asdict(cfg)}


@torch.no_grad()
def read_digits(model: DigitReader, frames, batch: int = 256) -> list[frozenset]:
    """Readings of ``frames`` ((N, H, W) uint8 / float in [0, 1], or (N, 1, H, W) tensor): digit sets."""
    x = torch.as_tensor(np.asarray(frames)) if not torch.is_tensor(frames) else frames
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    x = x.float()
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or tuple(x.shape[-2:]) != (model.cfg.size, model.cfg.size):
        raise InputError(f"The digit reader reads {model.cfg.size}×{model.cfg.size} frames (got {tuple(x.shape)}).")
    out: list[frozenset] = []
    model.eval()
    for i in range(0, len(x), batch):
        p = torch.sigmoid(model(x[i:i + batch]))
        top = torch.topk(p, 2, dim=1)
        for v, k in zip(top.values.tolist(), top.indices.tolist()):
            out.append(frozenset([k[0]] + ([k[1]] if v[1] > 0.5 else [])))
    return out


def true_digit_sets(indices: np.ndarray, digits_path=None) -> list[frozenset]:
    """The digit classes of each sequence's digits ((n, digits) indices into the digits file)."""
    labels = _labels(digits_path)
    return [frozenset(labels[i].tolist()) for i in np.asarray(indices)]


def agreement(a: list[frozenset], b: list[frozenset]) -> float:
    """Fraction of positions where two lists of readings are the same set."""
    if len(a) != len(b) or not a:
        raise ValueError("readings must be non-empty and of equal length")
    return float(np.mean([x == y for x, y in zip(a, b)]))


def save_reader(model: DigitReader, path, summary: dict) -> Path:
    """Write the reader as a SeqGen checkpoint (kind, format, config, step, seed, time; atomic)."""
    from .. import __version__
    from ..train.checkpoint import save_checkpoint

    payload = {"kind": KIND, "format_version": VERSION, "package_version": __version__, "config": asdict(model.cfg),
               "step": int(summary.get("steps", 0)), "seed": summary.get("seed"),
               "elapsed_s": float(summary.get("seconds", 0.0)),
               "train_config": {"batch_size": summary.get("batch"), "lr": summary.get("lr")},
               "models": {"reader": {k: v.detach().cpu() for k, v in model.state_dict().items()}},
               "summary": summary}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return save_checkpoint(path, payload)


def load_reader(path) -> DigitReader:
    """A reader saved by ``save_reader``; a clear error for any other file."""
    from ..train.checkpoint import load_checkpoint

    p = Path(path)
    if not p.is_file():
        raise InputError(f"The digit reader {p} does not exist.")
    try:
        ck = load_checkpoint(p)
    except InputError as exc:
        raise InputError(f"{p.name} is not a readable digit-reader file: {exc}") from None
    if ck["kind"] != KIND:
        raise InputError(f"{p.name} is not a digit reader (kind {ck['kind']}).")
    load_checkpoint(p, kind=KIND, max_version=VERSION)  # a newer format: "please update"
    try:
        model = DigitReader(DigitReaderConfig(**ck["config"]))
        model.load_state_dict(ck["models"]["reader"])
    except (TypeError, KeyError, RuntimeError) as exc:  # weights of another layout
        raise InputError(f"{p.name} does not fit this version's digit reader; retrain it with "
                         "`seqgen video train-digits`.") from exc
    return model.eval()


def reader_summary(path) -> dict:
    """The training summary stored with a reader (steps, validation readings, time, command)."""
    from ..train.checkpoint import load_checkpoint

    return dict(load_checkpoint(path, kind=KIND).get("summary", {}))


def digit_figures(reader: DigitReader, frames: dict[str, np.ndarray], truth: list[frozenset]) -> dict:
    """Per method ((n, N, H, W) predicted frames): readings vs the true frame's reading and vs the labels.

    ``agree_last``: reading of the method's last frame equals the reading of the true last frame;
    ``labels_last``: it equals the digit classes of the sequence (labels); ``*_per_frame`` per index.
    """
    true = frames["true"]
    n, N = true.shape[:2]
    read = {m: [read_digits(reader, f[:, i]) for i in range(N)] for m, f in frames.items()}
    out = {}
    for m in frames:
        agree = [agreement(read[m][i], read["true"][i]) for i in range(N)]
        lab = [agreement(read[m][i], truth) for i in range(N)]
        out[m] = {"agree_last": agree[-1], "labels_last": lab[-1], "agree_per_frame": agree,
                  "labels_per_frame": lab}
    out["n"] = int(n)
    out["ci95_halfwidth_at_0.8"] = 1.96 * math.sqrt(0.8 * 0.2 / max(n, 1))
    return out
