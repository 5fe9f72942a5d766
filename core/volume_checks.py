"""Input checks shared by the property measures: a binary (z, y, x) volume, a voxel size, axis names.

Conventions are those of :mod:`core.properties`. Never imports Qt.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InputError

#: Axis name -> array axis of a (z, y, x) volume.
AXES = {"z": 0, "y": 1, "x": 2}


def validate_volume(vol: Any) -> np.ndarray:
    """Return ``vol`` as a 3D ``uint8`` 0/1 array (a view, no copy, when it already is uint8/bool).

    Raises InputError for anything that is not a non-empty 3D binary array.
    """
    try:
        arr = np.asarray(vol)
    except Exception as exc:  # noqa: BLE001 - anything unconvertible is bad input
        raise InputError(f"The volume could not be read as an array ({exc}).") from None
    if arr.ndim != 3:
        raise InputError(f"Expected a 3D volume (z, y, x), got an array with {arr.ndim} "
                         f"dimension(s) and shape {arr.shape}.")
    if min(arr.shape) < 2:
        raise InputError(f"The volume is too small ({arr.shape}); every side needs at least 2 voxels.")
    if arr.dtype == np.bool_:
        return arr.view(np.uint8)
    if arr.dtype == np.uint8:
        if arr.max() > 1:
            raise InputError("The volume is not binary: expected only 0 (grain) and 1 (pore), "
                             f"found values up to {int(arr.max())}. Binarize it first.")
        return arr
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InputError(f"The volume has an unsupported data type ({arr.dtype}); "
                         "expected a binary uint8 or bool array.")
    lo, hi = arr.min(), arr.max()
    if not (lo >= 0 and hi <= 1) or not np.all((arr == 0) | (arr == 1)):
        raise InputError("The volume is not binary: expected only 0 (grain) and 1 (pore). "
                         "Binarize it first.")
    return arr.astype(np.uint8)



def check_voxel_size(voxel_size_um: Any) -> float:
    """``voxel_size_um`` as a positive finite float (µm); InputError otherwise."""
    try:
        v = float(voxel_size_um)
    except (TypeError, ValueError):
        raise InputError(f"The voxel size must be a number of micrometres, got {voxel_size_um!r}.") from None
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"The voxel size must be a positive number of micrometres, got {voxel_size_um!r}.")
    return v
