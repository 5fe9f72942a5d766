"""Frame metrics for video prediction, with the conventions of OpenSTL's Moving MNIST tables.

All functions take frames as float arrays in [0, 1] (or uint8, divided by 255) of shape (..., H, W)
and return one value per frame (the leading axes kept):

* ``frame_mse``: the **sum over pixels** of the squared error (OpenSTL's ``MSE`` on Moving MNIST:
  mean over sequences and frames of the per-frame sum), not the mean.
* ``frame_psnr``: 10·log10(1 / mean squared error) in dB per frame; a perfect frame would be +inf,
  so the per-pixel mean squared error is floored at 1e-10 (PSNR at most 100 dB).
* ``frame_ssim``: ``skimage.metrics.structural_similarity`` with ``data_range=1`` (default 7×7
  uniform window, Gaussian off) per frame.
* ``pixel_histogram_kl``: KL(real ‖ other) in nats between the 256-bin histograms of the uint8 pixel
  values 0 … 255 (fixed edges, not the data's range), each bin smoothed by the pseudo-count
  ``core.compare.ALPHA`` (0.5, Krichevsky–Trofimov) before normalising.
"""

from __future__ import annotations

import math

import numpy as np

from ..compare import ALPHA
from ..metrics import psnr

MSE_FLOOR = 1e-10
PSNR_MAX = 10.0 * math.log10(1.0 / MSE_FLOOR)
KL_NOTE = (f"256-bin histograms of the uint8 pixel values 0…255, pseudo-count {ALPHA} per bin "
           "(Krichevsky–Trofimov, as core.compare), KL(real ‖ other) in nats")


def as_unit(frames) -> np.ndarray:
    """uint8 frames → float64 in [0, 1]; float frames → float64 unchanged."""
    a = np.asarray(frames)
    return a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)


def as_uint8(frames) -> np.ndarray:
    a = np.asarray(frames)
    return a if a.dtype == np.uint8 else np.rint(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)


def frame_mse(pred, true) -> np.ndarray:
    """Per-frame sum over pixels of the squared error in [0, 1] (OpenSTL Moving MNIST ``MSE``)."""
    d = as_unit(pred) - as_unit(true)
    return (d * d).sum(axis=(-2, -1))


def frame_psnr(pred, true) -> np.ndarray:
    """Per-frame PSNR in dB with data range 1 (per-pixel MSE floored at 1e-10: at most 100 dB)."""
    return psnr(as_unit(pred), as_unit(true), axis=(-2, -1), mse_floor=MSE_FLOOR)


def frame_ssim(pred, true) -> np.ndarray:
    """Per-frame SSIM (skimage, data_range=1)."""
    from skimage.metrics import structural_similarity

    p, t = as_unit(pred), as_unit(true)
    if p.shape != t.shape:
        raise ValueError(f"shapes differ: {p.shape} vs {t.shape}")
    lead = p.shape[:-2]
    pf, tf = p.reshape((-1,) + p.shape[-2:]), t.reshape((-1,) + t.shape[-2:])
    out = np.array([structural_similarity(a, b, data_range=1.0) for a, b in zip(pf, tf)], np.float64)
    return out.reshape(lead)


def pixel_histogram(frames) -> np.ndarray:
    """Counts (256,) of the uint8 pixel values."""
    return np.bincount(as_uint8(frames).ravel(), minlength=256).astype(np.float64)


def pixel_histogram_kl(real, other, alpha: float = ALPHA) -> float:
    """KL(real ‖ other) in nats between smoothed 256-bin pixel histograms (see module docstring)."""
    p = pixel_histogram(real) + alpha
    q = pixel_histogram(other) + alpha
    p /= p.sum()
    q /= q.sum()
    return float(np.sum(p * np.log(p / q)))


def copy_last_baseline(context, n_frames: int) -> np.ndarray:
    """The copy-last-frame baseline: the last context frame repeated ``n_frames`` times.

    ``context`` (..., T0, H, W) → (..., n_frames, H, W)."""
    c = np.asarray(context)
    last = c[..., -1:, :, :]
    return np.repeat(last, n_frames, axis=-3)
