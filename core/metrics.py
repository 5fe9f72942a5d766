"""Measures more than one method reports, written once (PSNR).

core.cleanup.evaluate still has its own binary-image PSNR (capped at 100 dB, the same as
``mse_floor=1e-10`` here); the other methods use this one.
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
    mse = np.maximum((d * d).mean(axis=axis), mse_floor)
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(data_range ** 2 / mse)
    return float(out) if axis is None else out
