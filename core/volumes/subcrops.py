"""Realisations larger than their reference, compared on sub-crops that fit it (the GUI's comparison).

Qt-free: the volume tabs run ``compare_subcrops_job`` in a worker thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

MAX_SUBCROPS = 8  # per realisation, when the reference is too small for whole ones


def subcrop_shape(shape, reference_shape) -> Optional[tuple]:
    """The crop shape to compare when realisations of ``shape`` do not fit in the reference (per axis
    the smaller of the two); None when they fit (whole realisations are compared)."""
    if reference_shape is None or all(int(s) <= int(r) for s, r in zip(shape, reference_shape)):
        return None
    return tuple(min(int(s), int(r)) for s, r in zip(shape, reference_shape))


def subcrops(volumes, shape, max_per_volume: int = MAX_SUBCROPS) -> list[np.ndarray]:
    """Non-overlapping crops of ``shape`` from each volume, on a regular grid (at most ``max_per_volume``
    each, spread evenly over the grid)."""
    out = []
    for v in volumes:
        counts = [max(1, int(n) // int(s)) for n, s in zip(v.shape, shape)]
        cells = [(i, j, k) for i in range(counts[0]) for j in range(counts[1]) for k in range(counts[2])]
        pick = np.linspace(0, len(cells) - 1, min(len(cells), max_per_volume)).round().astype(int)
        for c in (cells[i] for i in sorted(set(pick.tolist()))):
            z, y, x = (ci * si for ci, si in zip(c, shape))
            out.append(np.ascontiguousarray(v[z:z + shape[0], y:y + shape[1], x:x + shape[2]]))
    return out


def compare_subcrops_job(compare_fn, volumes, kind: str, *, sub_shape=None, state=None, **kwargs):
    """``compare_fn`` on the realisations, or on their sub-crops of ``sub_shape`` when given."""
    vols = list(volumes) if sub_shape is None else subcrops(volumes, sub_shape)
    return compare_fn(vols, kind, state=state, **kwargs)


def tiff_heldout_shape(path) -> Optional[tuple]:
    """(z, y, x) of the held-out part of a shared TIFF volume, read from its header only."""
    import tifffile

    from .split import heldout_start

    try:
        with tifffile.TiffFile(str(path)) as f:
            shape = f.series[0].shape
        return (shape[0] - heldout_start(Path(path).name),) + tuple(shape[1:3])
    except Exception:  # noqa: BLE001 - unknown: the comparison itself then says what is wrong
        return None
