"""Absolute permeability of a binary volume from a porespy snow2 pore network and OpenPNM Stokes flow.

Conventions are those of :mod:`core.properties`. Never imports Qt.
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from typing import Any

import numpy as np
from scipy import ndimage

from .correlation import porosity
from .errors import InputError
from .jobs import TaskState, ensure_state
from .volume_checks import AXES, check_voxel_size, validate_volume

#: 1 milliDarcy in m² (1 D = 9.869233e-13 m²).
MILLIDARCY_M2 = 9.869233e-16


def spanning_axes(vol: Any) -> dict[str, bool]:
    """Whether one 6-connected pore cluster touches both opposite faces, per axis."""
    v = validate_volume(vol)
    labels, n = ndimage.label(v)
    out = {}
    for name, ax in AXES.items():
        if n == 0:
            out[name] = False
            continue
        first = np.unique(np.take(labels, 0, axis=ax))
        last = np.unique(np.take(labels, v.shape[ax] - 1, axis=ax))
        common = np.intersect1d(first[first > 0], last[last > 0])
        out[name] = bool(common.size)
    return out


@contextmanager
def _quiet_libraries():
    """Silence porespy/openpnm log chatter and progress bars for the duration of a call."""
    names = ("openpnm", "porespy")
    saved = {n: logging.getLogger(n).level for n in names}
    tq = None
    try:
        import porespy as ps

        tq = dict(ps.settings.tqdm)
        ps.settings.tqdm["disable"] = True
    except Exception:  # noqa: BLE001 - settings layout differs between versions
        ps = None
    for existing in list(logging.root.manager.loggerDict):
        if existing.split(".")[0] in names:
            saved[existing] = logging.getLogger(existing).level
    for n in saved:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for n, lvl in saved.items():
            logging.getLogger(n).setLevel(lvl)
        if tq is not None:
            ps.settings.tqdm.clear()
            ps.settings.tqdm.update(tq)


#: snow2 boundary width (voxels) added at both ends of every axis; the flow length includes it.
BOUNDARY_WIDTH = 3


def _flow_one_axis(net_dict: dict, name: str, shape: tuple[int, ...], h_m: float) -> tuple[float, int]:
    """Stokes flow along one axis on a fresh OpenPNM network built from the snow2 dictionary.

    Returns (K in mD, number of pores used); K = 0 when no pore cluster joins inlet and outlet.
    """
    import openpnm as op
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ax = AXES[name]
    pn = op.io.network_from_porespy(net_dict)
    proj = pn.project
    try:
        # Boundary pores are found from their position (porespy's boundary/face labels are
        # unreliable for small or trivial samples): the sample occupies [bw, bw + n) voxels of the padded image.
        # Those of the other two axes would add artificial side channels: drop them.
        bw = BOUNDARY_WIDTH
        coords = pn["pore.coords"] / h_m
        below = [coords[:, k] < bw for k in range(3)]
        above = [coords[:, k] > bw + shape[k] for k in range(3)]
        boundary = np.logical_or.reduce(below + above)
        lateral = np.zeros(pn.Np, dtype=bool)
        for k in range(3):
            if k != ax:
                lateral |= below[k] | above[k]
        pn["pore.inlet"] = boundary & below[ax] & ~lateral
        pn["pore.outlet"] = boundary & above[ax] & ~lateral
        drop = boundary & ~(pn["pore.inlet"] | pn["pore.outlet"])
        if drop.all():
            return 0.0, 0
        if drop.any():
            op.topotools.trim(network=pn, pores=np.flatnonzero(drop))
        inlet, outlet = pn.pores("inlet"), pn.pores("outlet")
        if inlet.size == 0 or outlet.size == 0 or pn.Nt == 0:
            return 0.0, 0
        conns = pn["throat.conns"]
        adj = coo_matrix((np.ones(len(conns)), (conns[:, 0], conns[:, 1])), shape=(pn.Np, pn.Np))
        _, lab = connected_components(adj, directed=False)
        spanning = np.intersect1d(lab[inlet], lab[outlet])
        if spanning.size == 0:
            return 0.0, 0
        keep = np.isin(lab, spanning)
        if not keep.all():
            op.topotools.trim(network=pn, pores=np.flatnonzero(~keep))
        # geometry as in OpenPNM's snow2 network-extraction example
        pn["pore.diameter"] = pn["pore.equivalent_diameter"]
        pn["throat.diameter"] = pn["throat.inscribed_diameter"]
        pn["throat.spacing"] = pn["throat.total_length"]
        pn.add_model(propname="throat.hydraulic_size_factors",
                     model=op.models.geometry.hydraulic_size_factors.pyramids_and_cuboids)
        pn.regenerate_models()
        water = op.phase.Phase(network=pn)
        mu = 1.0  # Pa s; K does not depend on it
        water["pore.viscosity"] = mu
        water.add_model(propname="throat.hydraulic_conductance",
                        model=op.models.physics.hydraulic_conductance.generic_hydraulic)
        water.regenerate_models()
        sf = op.algorithms.StokesFlow(network=pn, phase=water)
        dp = 1.0  # Pa
        sf.set_value_BC(pores=pn.pores("inlet"), values=dp)
        sf.set_value_BC(pores=pn.pores("outlet"), values=0.0)
        # linear problem: one direct solve is exact, do not let the Newton loop spin
        sf.settings["newton_maxiter"] = 5
        sf.run(solver=op.solvers.ScipySpsolve())
        q = float(np.abs(sf.rate(pores=pn.pores("inlet"))[0]))
        length = (shape[ax] + 2 * BOUNDARY_WIDTH) * h_m
        others = [shape[i] for i in range(3) if i != ax]
        area = others[0] * others[1] * h_m ** 2
        k_m2 = q * mu * length / (area * dp)
        if not math.isfinite(k_m2):
            return 0.0, int(pn.Np)
        return k_m2 / MILLIDARCY_M2, int(pn.Np)
    finally:
        op.Workspace().close_project(proj)


def permeability(vol: Any, voxel_size_um: float, *, state: TaskState | None = None) -> dict[str, Any]:
    """Absolute permeability (milliDarcy) along x, y and z from one pore-network extraction.

    Method: porespy ``snow2`` (watershed network extraction, default sigma/r_max, ``accuracy=
    "standard"``, serial) with boundary pores of width 3 voxels on both ends of every axis, run
    once; then per axis an OpenPNM ``StokesFlow`` on a copy of the network without the other
    axes' boundary pores, trimmed to the pore clusters joined to both the inlet and the outlet
    boundary pores. Geometry and conductance follow OpenPNM's network-extraction example:
    pore diameter = equivalent diameter, throat diameter = inscribed diameter, spacing = total
    length, ``pyramids_and_cuboids`` hydraulic size factors, ``generic_hydraulic`` conductance.
    ``K = Q μ L / (A ΔP)`` with ``L = (n_axis + 2·3) × voxel size`` (the flow domain includes
    the boundary layers, as in that example) and ``A`` the physical cross-section of the sample.

    An axis along which no pore cluster connects the two faces gets 0 mD and ``spans[axis] =
    False``; this is not an error. Returns ``{"x", "y", "z": mD, "spans": {...}, "n_pores": int,
    "n_throats": int, "method": str, "notes": [str]}``. ``state`` receives progress and may cancel between stages.
    """
    st = ensure_state(state)
    v = validate_volume(vol)
    h_um = check_voxel_size(voxel_size_um)
    h_m = h_um * 1e-6
    st.report(0.0, "Checking pore connectivity")
    spans = spanning_axes(v)
    result: dict[str, Any] = {"x": 0.0, "y": 0.0, "z": 0.0,
                              "spans": {k: spans[k] for k in ("x", "y", "z")},
                              "n_pores": 0, "n_throats": 0, "notes": [],
                              "method": "porespy snow2 + OpenPNM StokesFlow (pyramids_and_cuboids)"}
    if not any(spans.values()):
        st.report(1.0, "No axis is spanned by connected pores")
        return result
    import porespy as ps

    st.report(0.05, "Extracting the pore network (snow2)")
    with _quiet_libraries():
        try:
            snow = ps.networks.snow2(phases=v, voxel_size=h_m, boundary_width=BOUNDARY_WIDTH,
                                     accuracy="standard", parallel_kw=None)
        except (IndexError, ValueError) as exc:  # porespy fails on trivial or noise-like geometry
            raise InputError("No pore network could be extracted from this volume (porosity "
                             f"{porosity(v):.3f}; porespy snow2 failed: {exc}). Permeability "
                             "needs a sample with resolved pores of several voxels.") from exc
        st.check()
        net = snow.network
        del snow
        result["n_pores"] = int(len(net["pore.coords"]))
        result["n_throats"] = int(len(net["throat.conns"]))
        st.report(0.85, "Solving Stokes flow")
        for i, name in enumerate(("x", "y", "z")):
            if spans[name]:
                try:
                    k, used = _flow_one_axis(net, name, v.shape, h_m)
                except Exception as exc:  # noqa: BLE001 - degenerate networks of tiny samples
                    logging.getLogger(__name__).warning("Stokes flow along %s failed: %s", name, exc)
                    result["notes"].append(f"Stokes flow along {name} failed ({exc}); reported as 0.")
                    k, used = 0.0, 0
                result[name] = float(k)
                result["spans"][name] = bool(used > 0 and k > 0)
            st.report(0.85 + 0.05 * (i + 1), f"Stokes flow along {name} done")
    st.report(1.0, "Permeability done")
    return result
