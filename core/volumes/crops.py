"""Crops of volumes: random augmented training crops, crops as scanned, held-out crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import InputError
from .split import heldout_start


class CropSampler:
    """Random cubic crops (crop³) from the volumes, flipped and rotated (90° about z) at random.

    Only exact symmetries that keep voxels binary are used. Rotations stay about z so the slice
    axis (z) keeps its physical meaning in layered rocks. Volumes are picked uniformly.
    """

    def __init__(self, volumes: list[np.ndarray], crop: int, depths: tuple[int, int] | None = None):
        lo, hi = depths or (crop, crop)
        small = [v.shape for v in volumes if min(v.shape[1:]) < crop or v.shape[0] < hi]
        if small:
            raise InputError(f"A crop of {hi}×{crop}×{crop} does not fit in volume(s) of shape "
                             f"{', '.join('×'.join(map(str, s)) for s in small)} (training part); use a smaller --crop.")
        self.volumes, self.crop, self.depths = volumes, crop, (int(lo), int(hi))

    def draw_depth(self, rng: np.random.Generator) -> int:
        """Crop depth of one batch: a multiple of 4 in the range (no RNG draw when the range is one value,
        so fixed-depth runs draw exactly the crops they drew before)."""
        lo, hi = self.depths
        return lo if lo == hi else lo + 4 * int(rng.integers((hi - lo) // 4 + 1))

    def crop_one(self, rng: np.random.Generator, depth: int | None = None) -> np.ndarray:
        v = self.volumes[rng.integers(len(self.volumes))]
        c = self.crop
        d = c if depth is None else depth
        z, y, x = (int(rng.integers(n - e + 1)) for n, e in zip(v.shape, (d, c, c)))
        a = v[z:z + d, y:y + c, x:x + c]
        for axis in range(3):
            if rng.random() < 0.5:
                a = np.flip(a, axis)
        return np.rot90(a, int(rng.integers(4)), axes=(1, 2))

    def sample(self, batch: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(volumes (B,1,D,C,C), central z-slices (B,1,C,C)) as float tensors in {0, 1}; D per batch."""
        d = self.draw_depth(rng)
        vols = np.stack([self.crop_one(rng, d) for _ in range(batch)])[:, None].astype(np.float32)
        vols = torch.from_numpy(vols)
        return vols, vols[:, :, d // 2].clone()


def random_crops(array: np.ndarray, shape, n: int, rng: np.random.Generator, *, z0: int = 0,
                 what: str = "The volume", purpose: str = "crops") -> tuple[list[np.ndarray], list[tuple]]:
    """``n`` random crops of ``shape`` (z, y, x) lying in ``array[z0:]`` (overlaps allowed), as scanned.

    Returns the crops (views) and their corners (z, y, x) in ``array``; InputError when not even
    one crop fits. Evaluation (held-out part) and the GUI's reference sets both draw through here.
    """
    a = np.asarray(array)
    if a.ndim != 3:
        raise InputError(f"{what} is not a 3D volume (shape {a.shape}).")
    shape = tuple(int(s) for s in shape)
    part = (a.shape[0] - z0, a.shape[1], a.shape[2])
    if any(p < s for p, s in zip(part, shape)):
        raise InputError(f"{what} ({'×'.join(str(max(p, 0)) for p in part)} voxels, z×y×x) is smaller than the "
                         f"{purpose} ({'×'.join(map(str, shape))}): too small for even one crop.")
    crops, corners = [], []
    for _ in range(int(n)):
        z = z0 + int(rng.integers(part[0] - shape[0] + 1))
        y = int(rng.integers(part[1] - shape[1] + 1))
        x = int(rng.integers(part[2] - shape[2] + 1))
        crops.append(a[z:z + shape[0], y:y + shape[1], x:x + shape[2]])
        corners.append((z, y, x))
    return crops, corners


def sample_heldout_crops(array: np.ndarray, name: str, n: int, size: int, rng: np.random.Generator, *,
                         heldout_z: int | None = None) -> tuple[list[np.ndarray], list[tuple[int, int, int]]]:
    """``n`` random ``size``³ crops lying entirely in z ≥ held-out start (overlaps allowed).

    Returns the crops (views into ``array``) and their corner (z, y, x) in the full volume. No
    flips or rotations: the crops are the rock as scanned. InputError when the held-out part is
    smaller than one crop.
    """
    n, size = int(n), int(size)
    if n < 1 or size < 1:
        raise InputError("The number of crops and their size must both be at least 1.")
    z0 = heldout_start(name, heldout_z)
    return random_crops(array, (size,) * 3, n, rng, z0=z0, what=f"{Path(str(name)).name}: the held-out part (z ≥ {z0})",
                        purpose=f"{size}³ crops")
