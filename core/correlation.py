"""Porosity and the two-point (pore-pore) correlation S2 of a binary volume along each axis.

Conventions are those of :mod:`core.properties`. Never imports Qt.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import scipy.fft

from .errors import InputError
from .volume_checks import AXES, validate_volume

_FFT_WORKERS = 2


def porosity(vol: Any) -> float:
    """Pore volume fraction: the mean of the 0/1 volume."""
    v = validate_volume(vol)
    return float(np.count_nonzero(v)) / v.size


def _default_max_r(shape: tuple[int, ...]) -> int:
    return max(1, min(shape) // 2)


def check_max_r(max_r: Optional[int], shape: tuple[int, ...]) -> int:
    """The largest S2 lag: ``min(shape) // 2`` for None, else ``max_r`` checked against the shape."""
    if max_r is None:
        return _default_max_r(shape)
    try:
        r = int(max_r)
    except (TypeError, ValueError):
        raise InputError(f"The largest lag must be a whole number of voxels, got {max_r!r}.") from None
    if r < 0:
        raise InputError(f"The largest lag must not be negative, got {r}.")
    if r > min(shape) - 1:
        raise InputError(f"The largest lag ({r} voxels) must be smaller than the shortest side "
                         f"of the volume ({min(shape)} voxels).")
    return r


def _s2_axis(v: np.ndarray, axis: int, max_r: int, slab_bytes: int = 64 * 2**20) -> np.ndarray:
    """S2(r), r = 0..max_r, along one array axis via zero-padded real FFTs.

    The sum over all lines of the (non-periodic) autocorrelation equals the inverse FFT of the
    line-summed power spectrum, so only a 1D power spectrum is kept. The forward transforms run in
    float64 on slabs of at most ``slab_bytes`` so the result matches the brute force to ~1e-12 and
    the peak memory stays bounded; the pair counts are then rounded to the integers they are.
    """
    n = v.shape[axis]
    nfft = scipy.fft.next_fast_len(n + max_r, real=True)  # no wrap-around for lags <= max_r
    moved = np.moveaxis(v, axis, -1)  # (a, b, n) view
    a, b = moved.shape[0], moved.shape[1]
    per_row = b * (nfft // 2 + 1) * 16 + b * n * 8
    rows = max(1, int(slab_bytes // max(per_row, 1)))
    power = np.zeros(nfft // 2 + 1, dtype=np.float64)
    for i0 in range(0, a, rows):
        block = moved[i0:i0 + rows].astype(np.float64)
        spec = scipy.fft.rfft(block, n=nfft, axis=-1, workers=_FFT_WORKERS)
        del block
        power += (spec.real ** 2 + spec.imag ** 2).sum(axis=(0, 1))
        del spec
    pairs = scipy.fft.irfft(power, n=nfft)[: max_r + 1]
    pairs = np.rint(pairs)  # counts of pore-pore pairs are integers
    lines = a * b
    valid = lines * (n - np.arange(max_r + 1, dtype=np.float64))
    return pairs / valid


def two_point_correlation(vol: Any, max_r: Optional[int] = None) -> dict[str, np.ndarray]:
    """Two-point (pore-pore) correlation S2(r) along each axis, r = 0..max_r voxels.

    ``S2_axis(r)`` is the probability that two voxels ``r`` apart along that axis are both pore,
    estimated without periodic wrap-around: the number of pore-pore pairs at lag ``r`` inside the
    sample divided by the number of voxel pairs at that lag (``(n_axis - r) * n_other1 * n_other2``).
    ``S2(0)`` equals the porosity. ``max_r`` defaults to ``min(shape) // 2`` and must be smaller
    than the shortest side. Returns ``{"z": array, "y": array, "x": array}`` (float64, length
    ``max_r + 1``); multiply ``r`` by the voxel size for physical lags.
    """
    v = validate_volume(vol)
    r = check_max_r(max_r, v.shape)
    return {name: _s2_axis(v, ax, r) for name, ax in AXES.items()}


def two_point_correlation_bruteforce(vol: Any, axis: int | str, max_r: int) -> np.ndarray:
    """Reference S2 along one axis by direct counting (slow, for tests): same definition as
    :func:`two_point_correlation`. ``axis`` is an array axis (0, 1, 2) or a name ("z", "y", "x")."""
    v = validate_volume(vol).astype(bool)
    ax = AXES[axis] if isinstance(axis, str) else int(axis)
    n = v.shape[ax]
    r_max = check_max_r(max_r, v.shape)
    out = np.empty(r_max + 1, dtype=np.float64)
    for r in range(r_max + 1):
        a = np.take(v, np.arange(0, n - r), axis=ax)
        b = np.take(v, np.arange(r, n), axis=ax)
        out[r] = np.count_nonzero(a & b) / a.size
    return out
