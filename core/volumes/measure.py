"""The properties of one volume as the evaluation tables use them, measured one by one or in processes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InputError
from ..jobs import TaskState

#: Scalar properties in the tables: key -> (label, unit).
PROPERTIES = {
    "porosity": ("Porosity", "-"),
    "permeability_mD": ("Permeability, mean of x, y, z", "mD"),
    "s2_corr_length": ("S2 correlation length, mean of z, y, x", "voxels"),
    "surface_area_density": ("Surface area density", "µm⁻¹"),
    "euler_density": ("Euler characteristic density", "µm⁻³"),
}


def correlation_length(s2: np.ndarray, phi: float) -> float:
    """Lag (voxels) where the normalised autocovariance (S2(r) − φ²)/(φ − φ²) first falls to 1/e,
    linearly interpolated; the largest lag when it never does within the curve; NaN for φ ∈ {0, 1}."""
    var = phi - phi * phi
    if var <= 0:
        return float("nan")
    c = (np.asarray(s2, dtype=np.float64) - phi * phi) / var
    target = math.exp(-1.0)
    below = np.flatnonzero(c <= target)
    if below.size == 0:
        return float(len(c) - 1)
    i = int(below[0])
    if i == 0:
        return 0.0
    c0, c1 = c[i - 1], c[i]
    return float(i - 1 + (c0 - target) / (c0 - c1)) if c0 != c1 else float(i)


def sample_properties(vol: np.ndarray, voxel_size_um: float, *, permeability: bool = True,
                      state: TaskState | None = None) -> dict[str, Any]:
    """The scalar properties of the tables plus the S2 curves and per-axis values of one volume."""
    from ..properties import measure

    size = min(vol.shape)
    rep = measure(vol, voxel_size_um, permeability=permeability, s2_max_r=size // 2, state=state)
    phi = float(rep.porosity)
    axes = ("z", "y", "x")
    cl = {k: correlation_length(rep.s2[k], phi) for k in axes}
    out: dict[str, Any] = {
        "porosity": phi,
        "surface_area_density": float(rep.minkowski["surface_area_density"]),
        "euler_density": float(rep.minkowski["euler_density"]),
        "s2_corr_length": float(np.mean([cl[k] for k in axes])),
        "s2_corr_length_axes": cl,
        "s2": {k: [float(f"{v:.6g}") for v in rep.s2[k]] for k in axes},
        "permeability_mD": float("nan"),
        "permeability_axes_mD": None,
        "permeability_spans": None,
        # porosity of every plane along axis 0 (z, the axis our volumes are generated along): Table 1
        # averages over the crop and hid volumes whose pores vanished away from the slice
        "porosity_profile_z": [round(float(v), 5) for v in vol.reshape(vol.shape[0], -1).mean(1)],
    }
    if rep.permeability_mD is not None:
        kx = {k: float(rep.permeability_mD[k]) for k in ("x", "y", "z")}
        out["permeability_axes_mD"] = kx
        out["permeability_spans"] = {k: bool(v) for k, v in (rep.permeability_spans or {}).items()}
        out["permeability_mD"] = float(np.mean(list(kx.values())))
    return out


class LazyVolumes:
    """A sequence of ``n`` volumes made on demand by ``make(i)`` (each once, in order, when
    ``measure_set`` comes to it): generated samples are measured as they are made, so memory holds
    a few volumes, not all of them."""

    def __init__(self, n: int, make):
        self.n, self.make = int(n), make

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        return self.make(i)


def measure_set(vols, voxel, permeability, st: TaskState, label: str, workers: int = 1) -> list[dict]:
    """``sample_properties`` of every volume of ``vols`` (a list or LazyVolumes), in order; ``workers``
    > 1 measures in that many processes (the values are the same: each volume is measured alone),
    with at most two volumes per process waiting; cancellable between volumes."""
    n = len(vols)
    if int(workers) < 1:
        raise InputError(f"Use at least 1 worker process (got {workers}).")
    workers = max(1, min(int(workers), n))
    if workers == 1:
        out = []
        for i in range(n):
            st.report(i / n, f"Measuring {label} {i + 1}/{n}")
            out.append(sample_properties(vols[i], voxel, permeability=permeability,
                                         state=st.sub(i / n, (i + 1) / n)))
        st.report(1.0, f"{label} measured")
        return out
    import concurrent.futures as cf
    import multiprocessing as mp

    st.report(0.0, f"Measuring {label} 1/{n} ({workers} processes)")
    results: list = [None] * n
    # spawn, not fork: the parent has torch's and OpenMP's threads running
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                  initializer=_one_thread)
    try:
        pending: dict = {}
        made = done = 0
        while done < n:
            while made < n and len(pending) < 2 * workers:
                st.check()
                pending[pool.submit(_measure_one, np.ascontiguousarray(vols[made]), voxel, permeability)] = made
                made += 1
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                results[pending.pop(fut)] = fut.result()
                done += 1
            st.report(done / n, f"Measuring {label} {min(done + 1, n)}/{n} ({workers} processes)")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    st.report(1.0, f"{label} measured")
    return results


def _one_thread() -> None:
    """Worker start-up: one thread per process (the processes are the parallelism)."""
    import torch

    torch.set_num_threads(1)


def _measure_one(vol: np.ndarray, voxel: float, permeability: bool) -> dict:
    return sample_properties(vol, voxel, permeability=permeability)
