"""Turn any grey-level or two-valued array into the project's convention: uint8, 1 = pore."""

from __future__ import annotations

import numpy as np

from ..errors import InputError

PORE_CHOICES = ("auto", "bright", "dark")


def binarize(array: np.ndarray, pore: str = "auto") -> tuple[np.ndarray, str | None]:
    """Return (binary uint8 array with 1 = pore, notice or None).

    ``pore`` says which phase is pore: "bright" (higher values) or "dark" (lower values).
    "auto" keeps data that is already 0/1 as it is, treats the higher value of two-valued data
    (e.g. 0/255 masks) as pore, and takes the dark phase of grey-level data as pore (pores
    attenuate least in micro-CT). Grey-level data is thresholded with Otsu's method and the
    notice gives the threshold, so the user can check it and override ``pore``.
    """
    if pore not in PORE_CHOICES:
        raise InputError(f"Unknown pore phase '{pore}'; choose one of {', '.join(PORE_CHOICES)}.")
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.view(np.uint8)
    if a.size == 0:
        raise InputError("The data is empty.")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise InputError("The data contains NaN or infinite values.")
    # Two or fewer distinct values: a segmented image, no threshold needed.
    lo, hi = a.min(), a.max()
    two_valued = lo == hi or not np.any((a != lo) & (a != hi))
    if two_valued:
        bright_is_pore = pore != "dark"
        if lo == hi:
            # A single value: all pore or all grain; 1 is pore by convention.
            out = np.full(a.shape, 1 if (lo != 0) == bright_is_pore else 0, np.uint8)
            return out, f"The data has one value only ({lo}); it is all {'pore' if out.flat[0] else 'grain'}."
        out = (a == hi) if bright_is_pore else (a == lo)
        notice = None
        if not (lo == 0 and hi == 1 and pore == "auto"):
            notice = (f"Two-valued data ({lo}/{hi}): value {hi if bright_is_pore else lo} taken as pore.")
        return out.astype(np.uint8), notice
    from skimage.filters import threshold_otsu

    t = float(threshold_otsu(a))
    bright_is_pore = pore == "bright"
    out = (a > t) if bright_is_pore else (a <= t)
    phase = "brighter" if bright_is_pore else "darker"
    notice = (f"Grey-level data binarised with Otsu's threshold {t:g}: the {phase} phase is pore "
              f"(porosity {out.mean():.4f}). Choose the other phase if that is wrong.")
    return out.astype(np.uint8), notice
