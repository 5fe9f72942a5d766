"""Clean a scan of any size with a trained U-Net: tiles with overlap, smooth blending, bounded memory.

The page is reflect-padded to a multiple of 2**depth and cut into a grid of (nearly) equal tiles
at most ``tile`` pixels on a side whose origins are multiples of 2**depth (so every tile sees the
same pooling grid as the whole page would). Neighbouring tiles overlap by at least ``overlap``
pixels; across an overlap one tile's weight falls as cos² while the other's rises as sin², so
the weights sum to one and there is no seam. Tiles run one at a time: the memory is the page
(1 byte/pixel in, 4 bytes/pixel of probabilities) plus one tile's activations, whatever the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError
from ..io import check_budget
from ..jobs import TaskState, ensure_state, select_device
from ..shipped import MODELS_DIR, resolve_model, shipped_models
from ..train import load_checkpoint
from ..precision import PRECISIONS, cpu_has_fast_bf16, resolve_precision  # noqa: F401 (re-exported)
from .config import UNetConfig
from .model import UNet, cpu_inference_net, fuse_for_inference
from .task import FORMAT_VERSION, KIND, to_input

DEFAULT_TILE = 1024
DEFAULT_OVERLAP = 64
DEFAULT_THRESHOLD = 0.5
DEFAULT_MODEL = "unet"  # resources/models/cleanup_unet.pt
TRAIN_HINT = ("Train one with: seqgen clean train --steps 20000 --crop 256 --batch 8 --out runs/cleanup, "
              "then ship it with: seqgen clean export runs/cleanup resources/models/cleanup_unet.pt "
              "(or pass --model runs/cleanup to use the run directly).")


# Test-time averaging: 1 = the scan as it is; 4 = also flipped up/down, left/right and both; 8 = the
# 4 flips of the scan and of its transpose (every symmetry of the square). Drawings have no preferred
# orientation, so each view is an equally good guess and their mean probability a better one.
# Measured with the shipped model (4700 steps) on 140 validation drawings (seeds 2**60 + i, i < 140;
# not the held-out set), 512², threshold 0.5: IoU 91.47 / 91.79 / 91.83 % for 1 / 4 / 8 views; on an
# A4 page at 300 dpi (benchmarks/results/cleanup.md, 2 cores) 1.0 / 3.6 / 6.4 s. Hence 4 views by
# default in `seqgen clean` and the Cleanup tab: most of the gain within the 5 s a page target. The
# library default (CleanupModel, load_model) stays 1 view: the plain network.
VIEWS = (1, 4, 8)
DEFAULT_VIEWS = 4


@dataclass
class CleanupModel:
    """A U-Net ready for inference (BatchNorm folded into the convs); ``path``/``step`` say where it came from.

    ``precision`` 'bf16' runs the convolutions in bfloat16 (autocast): on the benchmark CPU it
    changes about 0.01 % of the output pixels and no IoU digit that is reported.
    """

    config: UNetConfig
    net: torch.nn.Module
    device: torch.device
    path: str | None = None
    step: int | None = None
    precision: str = "fp32"
    views: int = 1  # test-time averaging over 1, 4 or 8 flipped/transposed views (see VIEWS)

    def __post_init__(self):
        if int(self.views) not in VIEWS:
            raise InputError(f"Views must be one of {', '.join(map(str, VIEWS))} (got {self.views}).")
        self.views = int(self.views)

    @classmethod
    def from_unet(cls, net: UNet, device="cpu", path=None, step=None, precision: str = "auto",
                  views: int = 1) -> "CleanupModel":
        dev = device if isinstance(device, torch.device) else select_device(device)
        prec = resolve_precision(precision, dev)
        fused = fuse_for_inference(net).to(dev)
        if dev.type == "cpu":  # channels-last (~2× faster with oneDNN), conv+ReLU fused, bf16 weights if asked
            fused = cpu_inference_net(fused, torch.bfloat16 if prec == "bf16" else torch.float32)
        return cls(net.cfg, fused, dev, path, step, prec, views)

    @classmethod
    def from_config(cls, config: UNetConfig, seed: int = 0, device="cpu", precision: str = "auto",
                    views: int = 1) -> "CleanupModel":
        """An untrained model (tests, benchmarks: the time does not depend on the weights)."""
        torch.manual_seed(seed)
        return cls.from_unet(UNet(config).eval(), device, precision=precision, views=views)

    def describe(self) -> str:
        """Where the model came from and how it runs, for reports and file metadata."""
        avg = f", mean of {self.views} views" if self.views > 1 else ""
        return f"{self.path} (step {self.step}, {self.precision}{avg}, {self.config.to_dict()})"

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The network on a prepared (N, 1, H, W) float32 input, in this model's precision; float32 out."""
        if self.precision == "bf16":
            if self.device.type == "cpu":  # the CPU net holds bf16 weights
                return self.net(x.to(torch.bfloat16)).float()
            with torch.autocast(self.device.type, dtype=torch.bfloat16):
                return self.net(x).float()
        return self.net(x).float()

    def probability(self, x: torch.Tensor) -> torch.Tensor:
        """Ink probability of a prepared (N, 1, H, W) input (H, W multiples of 2**depth): the mean over
        this model's views, each mapped back to the input's orientation."""
        total = None
        for transpose in ((False, True) if self.views == 8 else (False,)):
            xt = x.transpose(-1, -2) if transpose else x
            for dims in ([(), (-2,), (-1,), (-2, -1)] if self.views > 1 else [()]):
                xv = torch.flip(xt, dims) if dims else xt
                if xv.device.type == "cpu":
                    xv = xv.contiguous(memory_format=torch.channels_last)
                p = torch.sigmoid(self.logits(xv))
                p = torch.flip(p, dims) if dims else p
                p = p.transpose(-1, -2) if transpose else p
                total = p if total is None else total + p
        return total / self.views


def default_model_path() -> Path | None:
    """resources/models/cleanup_unet.pt when installed, else None."""
    return shipped_models("cleanup").get(DEFAULT_MODEL)


def load_model(model: str | Path | None = None, device: str | torch.device | None = "cpu",
               precision: str = "auto", views: int = 1) -> CleanupModel:
    """A shipped model's name (default 'unet'), a checkpoint file or a training run folder."""
    if model is None:
        if default_model_path() is None:
            raise InputError(f"No cleanup model is installed ({MODELS_DIR / 'cleanup_unet.pt'} is missing). "
                             + TRAIN_HINT)
        model = DEFAULT_MODEL
    path = resolve_model("cleanup", model)
    ck = load_checkpoint(path, kind=KIND, max_version=FORMAT_VERSION)
    cfg = UNetConfig.from_dict(ck["config"])
    net = UNet(cfg)
    sd = {k: (v.float() if v.is_floating_point() else v) for k, v in ck["models"]["unet"].items()}
    net.load_state_dict(sd)
    return CleanupModel.from_unet(net.eval(), device, str(path), int(ck.get("step", 0)), precision, views)


def _ceil_to(x: int, m: int) -> int:
    return -(-x // m) * m


def tile_starts(length: int, tile: int, overlap: int, m: int) -> tuple[list[int], int]:
    """Tile origins (multiples of ``m``) and the tile length along one axis of ``length`` (a multiple of m).

    The fewest tiles of at most about ``tile`` pixels whose neighbours overlap by ≥ ``overlap``.
    """
    tile = max(_ceil_to(tile, m), 2 * m)
    if length <= tile:
        return [0], length
    overlap = min(overlap, tile // 2)
    n = max(2, math.ceil((length - overlap) / max(tile - overlap, m)))
    while True:
        t = min(_ceil_to(math.ceil((length + (n - 1) * overlap) / n), m), length)
        starts = [min((i * (length - t) // (n - 1)) // m * m, length - t) for i in range(n)]
        starts[-1] = length - t
        ok = all(starts[i] + t - starts[i + 1] >= overlap for i in range(n - 1))
        if ok or t == length:
            return starts, t
        n += 1


def blend_window(start: int, t: int, length: int, prev_end: int | None, next_start: int | None) -> np.ndarray:
    """1D weights of one tile: 1 inside, cos²/sin² ramps across the overlaps, 1 at the page edges."""
    w = np.ones(t, np.float32)
    if prev_end is not None and prev_end > start:  # rising over [start, prev_end)
        ov = prev_end - start
        w[:ov] = np.sin(np.pi / 2 * (np.arange(ov) + 0.5) / ov) ** 2
    if next_start is not None and start + t > next_start:  # falling over [next_start, start + t)
        ov = start + t - next_start
        w[t - ov:] = np.cos(np.pi / 2 * (np.arange(ov) + 0.5) / ov) ** 2
    return w


def _axis_plan(length: int, tile: int, overlap: int, m: int):
    starts, t = tile_starts(length, tile, overlap, m)
    wins = []
    for i, s in enumerate(starts):
        prev_end = starts[i - 1] + t if i > 0 else None
        nxt = starts[i + 1] if i + 1 < len(starts) else None
        wins.append(blend_window(s, t, length, prev_end, nxt))
    total = np.zeros(length, np.float32)
    for s, w in zip(starts, wins):
        total[s:s + t] += w
    return starts, t, wins, total


def as_grey(image: np.ndarray) -> np.ndarray:
    """A 2D uint8 grey image from grey/colour arrays of common types (see scanio.to_grey_u8)."""
    from .scanio import to_grey_u8

    return to_grey_u8(np.asarray(image))


def _pad_to(grey: np.ndarray, m: int) -> np.ndarray:
    h, w = grey.shape
    ph, pw = (-h) % m, (-w) % m
    if not (ph or pw):
        return grey
    mode = "reflect" if (ph < h and pw < w) else "edge"
    return np.pad(grey, ((0, ph), (0, pw)), mode=mode)


@torch.inference_mode()
def predict(model: CleanupModel, image: np.ndarray, *, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
            state: TaskState | None = None) -> np.ndarray:
    """Probability of line/ink per pixel (float32, the input's height × width) for a 2D scan.

    ``image``: grey or colour, uint8/uint16/float/bool (converted like the files are).
    """
    state = ensure_state(state)
    if int(tile) < 32 or int(overlap) < 0:
        raise InputError(f"The tile must be at least 32 pixels and the overlap not negative (got {tile}, {overlap}).")
    grey = as_grey(image)
    h, w = grey.shape
    check_budget(h * w * 9, None, f"Cleaning a {w}×{h} image")
    m = model.config.multiple
    padded = _pad_to(grey, m)
    hp, wp = padded.shape
    ys, th, wy, ty = _axis_plan(hp, tile, overlap, m)
    xs, tw, wx, tx = _axis_plan(wp, tile, overlap, m)
    out = np.zeros((hp, wp), np.float32)
    n, k = len(ys) * len(xs), 0
    dev = model.device
    state.report(0.0, f"Cleaning {w}×{h} ({n} tile{'s' if n > 1 else ''})")
    for y0, wyi in zip(ys, wy):
        for x0, wxi in zip(xs, wx):
            x = torch.from_numpy(to_input(padded[y0:y0 + th, x0:x0 + tw]))[None, None]
            p = model.probability(x.to(dev))[0, 0].cpu().numpy()
            out[y0:y0 + th, x0:x0 + tw] += p * wyi[:, None] * wxi[None, :]
            k += 1
            state.report(k / n, f"tile {k}/{n}")
    out /= ty[:, None]
    out /= tx[None, :]
    return out[:h, :w] if (hp, wp) != (h, w) else out


def binarize_prob(prob: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """uint8 1 = ink where the probability reaches ``threshold`` (for a live threshold control)."""
    if not 0.0 < float(threshold) < 1.0:
        raise InputError(f"The threshold must be between 0 and 1 (got {threshold}).")
    return (prob >= float(threshold)).astype(np.uint8)


def clean_image(model: CleanupModel, image: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD,
                tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP, state: TaskState | None = None) -> np.ndarray:
    """Clean binary line art (uint8, 1 = line/ink) at the input's resolution."""
    if not 0.0 < float(threshold) < 1.0:
        raise InputError(f"The threshold must be between 0 and 1 (got {threshold}).")
    return binarize_prob(predict(model, image, tile=tile, overlap=overlap, state=state), threshold)


def to_paper(ink: np.ndarray) -> np.ndarray:
    """1 = ink → black lines on white paper (uint8 0/255), how cleaned files are written."""
    return np.where(ink > 0, 0, 255).astype(np.uint8)
