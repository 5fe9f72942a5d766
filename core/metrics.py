"""Measures more than one method reports, written once (PSNR).

``psnr`` takes the images; ``psnr_from_mse`` the mean squared error, for callers that count it
themselves (core.cleanup.evaluate: wrong pixels of binary masks, without float copies of a page).
"""

from __future__ import annotations

import numpy as np


def _array(x) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor (torch is not imported here)
        x = x.detach().cpu().numpy()
    return np.asarray(x, np.float64)


def psnr(pred, true, *, data_range: float = 1.0, axis=None, mse_floor: float = 0.0):
    """Peak signal-to-noise ratio in dB: 10·log10(data_range² / MSE).

    MSE is the mean squared difference over ``axis`` (all elements when None), floored at
    ``mse_floor``; with no floor identical inputs give +inf. Arrays or tensors; a float for
    ``axis=None``, else an array of the axes left.
    """
    d = _array(pred) - _array(true)
    out = psnr_from_mse((d * d).mean(axis=axis), data_range=data_range, mse_floor=mse_floor)
    return float(out) if axis is None else out


def psnr_from_mse(mse, *, data_range: float = 1.0, mse_floor: float = 0.0):
    """PSNR in dB of a mean squared error (a number or an array): 10·log10(data_range² / max(MSE, mse_floor))."""
    mse = np.maximum(mse, mse_floor)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range ** 2 / mse)
