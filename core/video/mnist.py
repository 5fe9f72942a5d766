"""Moving MNIST built from ``shared/data/digits/mnist_5k.npz`` with its binding split.

Index ``i`` of the digit file is a *test* digit when ``i % 500 >= 400`` (README of the data).
Training sequences use training digits only and are drawn from the caller's random stream; the
fixed test set uses test digits only and its own seed. Each sequence: ``frames`` frames of a
``size``×``size`` uint8 canvas with ``digits`` 28×28 digits moving in straight lines at a constant
speed and bouncing off the edges (reflection), combined with a pixel-wise maximum (as Srivastava
et al. 2015).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import InputError

DIGITS_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "digits" / "mnist_5k.npz"
DIGIT = 28            # digit edge in pixels
SIZE = 64             # canvas edge
FRAMES = 20           # frames per sequence
TEST_SEED = 20_240_517  # the fixed test set's own seed (test digits only)
SPEED = (2.0, 5.0)    # pixels per frame, uniform


def is_test_index(i) -> np.ndarray:
    """Binding split: digit ``i`` is held out for testing when ``i % 500 >= 400``."""
    return np.asarray(i) % 500 >= 400


@lru_cache(maxsize=2)
def _load(path: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"The digits file {p} is missing (expected the shared data folder beside the checkout).")
    with np.load(p) as d:
        images = d["images"]
    if images.ndim != 3 or images.shape[1:] != (DIGIT, DIGIT) or images.dtype != np.uint8:
        raise InputError(f"{p.name} does not hold 28×28 uint8 digits.")
    images.setflags(write=False)
    return images


def split_indices(split: str, n: int = 5000) -> np.ndarray:
    """Indices of the ``split`` ("train" or "test") digits among ``n``."""
    if split not in ("train", "test"):
        raise InputError(f"Unknown split '{split}' (train or test).")
    idx = np.arange(n)
    test = is_test_index(idx)
    return idx[test] if split == "test" else idx[~test]


def trajectory(rng: np.random.Generator, frames: int = FRAMES, size: int = SIZE, digit: int = DIGIT) -> np.ndarray:
    """Integer top-left corners (frames, 2) of one bouncing digit; always inside the canvas."""
    lim = float(size - digit)
    if lim < 0:
        raise InputError(f"The canvas ({size}) must be at least as large as a digit ({digit}).")
    pos = rng.uniform(0.0, lim, size=2)
    angle = rng.uniform(0.0, 2 * np.pi)
    speed = rng.uniform(*SPEED)
    vel = speed * np.array([np.sin(angle), np.cos(angle)])
    out = np.empty((frames, 2), np.int64)
    for t in range(frames):
        out[t] = np.rint(pos)
        pos = pos + vel
        for a in range(2):  # reflect at the walls (a bounce)
            if pos[a] < 0:
                pos[a], vel[a] = -pos[a], -vel[a]
            elif pos[a] > lim:
                pos[a], vel[a] = 2 * lim - pos[a], -vel[a]
        pos = np.clip(pos, 0.0, lim)  # a speed larger than the room left could overshoot twice
    return out


def make_sequence(images: np.ndarray, pool: np.ndarray, rng: np.random.Generator, *, frames: int = FRAMES,
                  size: int = SIZE, digits: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """One sequence (frames, size, size) uint8 from digits drawn out of ``pool``; also the indices used."""
    chosen = rng.choice(pool, size=digits, replace=True)
    canvas = np.zeros((frames, size, size), np.uint8)
    for k in chosen:
        path = trajectory(rng, frames, size, images.shape[1])
        d = images[k]
        for t, (y, x) in enumerate(path):
            win = canvas[t, y:y + d.shape[0], x:x + d.shape[1]]
            np.maximum(win, d, out=win)
    return canvas, chosen


def moving_mnist(n: int, *, seed: int | np.random.Generator, split: str = "train", frames: int = FRAMES,
                 size: int = SIZE, digits: int = 2, path: str | Path = DIGITS_PATH,
                 return_indices: bool = False):
    """``n`` sequences (n, frames, size, size) uint8 from ``split`` digits; deterministic by seed.

    ``seed`` may be an int or a NumPy Generator (the trainer's data stream). With
    ``return_indices`` also the (n, digits) digit indices used.
    """
    images = _load(str(path))
    pool = split_indices(split, len(images))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(int(seed))
    out = np.empty((n, frames, size, size), np.uint8)
    used = np.empty((n, digits), np.int64)
    for i in range(n):
        out[i], used[i] = make_sequence(images, pool, rng, frames=frames, size=size, digits=digits)
    return (out, used) if return_indices else out


def fixed_test_set(n: int = 256, *, frames: int = FRAMES, size: int = SIZE, path: str | Path = DIGITS_PATH,
                   return_indices: bool = False):
    """The fixed Moving MNIST test set: ``n`` sequences of test digits, seed ``TEST_SEED``.

    The first ``m`` sequences of ``fixed_test_set(n)`` are ``fixed_test_set(m)`` (one stream, drawn in order).
    With ``return_indices`` also the (n, 2) indices of the digits used (their labels name the digits).
    """
    return moving_mnist(n, seed=TEST_SEED, split="test", frames=frames, size=size, path=path,
                        return_indices=return_indices)
