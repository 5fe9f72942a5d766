"""Rock properties of a binary volume: porosity, two-point correlation, Minkowski functionals and
absolute permeability from a pore network, gathered in one report (:func:`measure`).

Each measure lives in its own module (``core.volume_checks``, ``core.correlation``, ``core.minkowski``,
``core.permeability``); their names are re-exported here, so ``core.properties`` stays the one import.

Conventions (shared by every function here and in the modules it gathers)
--------------------------------------------------------------------------
* ``vol`` is a 3D binary array, axes ``(z, y, x)``, ``1`` (or ``True``) = pore, ``0`` = grain.
  Any integer/bool/float array whose values are only 0 and 1 is accepted; anything else raises
  :class:`core.errors.InputError`.
* ``voxel_size_um`` is the (isotropic) edge length of one voxel in micrometres.
* The sample is the box of ``nz * ny * nx`` voxels, each voxel a cube of side ``voxel_size_um``
  centred on its integer index; its total volume ``V_total = nz*ny*nx*voxel_size_um**3`` µm³ is the
  divisor of every density below.
* Axis names: ``"x"`` is array axis 2, ``"y"`` axis 1, ``"z"`` axis 0.

The module never imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from .correlation import check_max_r, porosity, two_point_correlation, two_point_correlation_bruteforce
from .errors import InputError
from .jobs import TaskState, ensure_state
from .minkowski import MESH_SIGMA, minkowski_functionals  # noqa: F401 - re-exported
from .permeability import BOUNDARY_WIDTH, MILLIDARCY_M2, permeability, spanning_axes  # noqa: F401 - re-exported
from .volume_checks import AXES, check_voxel_size, validate_volume

__all__ = [
    "AXES",
    "PropertyReport",
    "validate_volume",
    "porosity",
    "two_point_correlation",
    "two_point_correlation_bruteforce",
    "minkowski_functionals",
    "permeability",
    "spanning_axes",
    "measure",
]


@dataclass
class PropertyReport:
    """Properties of one binary volume; see :func:`measure`."""

    porosity: float
    s2: dict[str, np.ndarray]
    minkowski: dict[str, float]
    voxel_size_um: float
    shape: tuple[int, int, int]
    permeability_mD: Optional[dict[str, float]] = None
    permeability_spans: Optional[dict[str, bool]] = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (plain floats, ints, bools, lists, None)."""
        return {
            "porosity": float(self.porosity),
            "s2": {k: [float(x) for x in np.asarray(self.s2[k])] for k in ("z", "y", "x")},
            "minkowski": {k: (int(v) if isinstance(v, (int, np.integer)) else float(v))
                          for k, v in self.minkowski.items()},
            "permeability_mD": (None if self.permeability_mD is None
                                else {k: float(self.permeability_mD[k]) for k in ("x", "y", "z")}),
            "permeability_spans": (None if self.permeability_spans is None
                                   else {k: bool(self.permeability_spans[k]) for k in ("x", "y", "z")}),
            "voxel_size_um": float(self.voxel_size_um),
            "shape": [int(s) for s in self.shape],
            "notes": [str(n) for n in self.notes],
        }

    def rows(self) -> list[tuple[str, Any, str]]:
        """(name, value, unit) rows for tables and the CLI."""
        m = self.minkowski
        rows: list[tuple[str, Any, str]] = [
            ("Porosity", float(self.porosity), "-"),
            ("Surface area density", float(m["surface_area_density"]), "µm^-1"),
            ("Integral mean curvature density", float(m["mean_curvature_density"]), "µm^-2"),
            ("Euler characteristic density", float(m["euler_density"]), "µm^-3"),
            ("Euler characteristic", int(m["euler_characteristic"]), "-"),
        ]
        for k in ("x", "y", "z"):
            s = np.asarray(self.s2[k])
            rows.append((f"S2 at {len(s) - 1} voxels ({k})", float(s[-1]), "-"))
        if self.permeability_mD is not None:
            for k in ("x", "y", "z"):
                spans = bool(self.permeability_spans[k]) if self.permeability_spans else True
                unit = "mD" if spans else "mD (pores do not span this axis)"
                rows.append((f"Permeability {k}", float(self.permeability_mD[k]), unit))
        rows.append(("Voxel size", float(self.voxel_size_um), "µm"))
        rows.append(("Shape (z, y, x)", "×".join(str(int(s)) for s in self.shape), "voxels"))
        return rows


def measure(vol: Any, voxel_size_um: float = 1.0, *, permeability: bool = True,
            s2_max_r: Optional[int] = None, state: TaskState | None = None) -> PropertyReport:
    """Porosity, S2 along z/y/x, Minkowski densities and (optionally) permeability of ``vol``."""
    st = ensure_state(state)
    v = validate_volume(vol)
    h = check_voxel_size(voxel_size_um)
    r = check_max_r(s2_max_r, v.shape)
    with_perm = permeability
    st.report(0.0, "Porosity")
    phi = porosity(v)
    st.report(0.02, "Two-point correlation")
    s2 = two_point_correlation(v, r)
    st.report(0.1 if with_perm else 0.4, "Minkowski functionals")
    mink = minkowski_functionals(v, h)
    notes = ["S2: non-periodic, pairs counted inside the sample.",
             "Minkowski: marching-cubes surface (sample box faces excluded); "
             "Euler characteristic with 26-connected pores."]
    perm_mD = spans = None
    if with_perm:
        try:
            res = permeability_fn(v, h, state=st.sub(0.2, 1.0))
        except InputError as exc:
            notes.append(f"Permeability not computed: {exc}")
        else:
            perm_mD = {k: res[k] for k in ("x", "y", "z")}
            spans = dict(res["spans"])
            notes.append(f"Permeability: {res['method']}, {res['n_pores']} pores, "
                         f"{res['n_throats']} throats.")
            notes.extend(res.get("notes", []))
    st.report(1.0, "Done")
    return PropertyReport(porosity=phi, s2=s2, minkowski=mink, voxel_size_um=h,
                          shape=tuple(int(s) for s in v.shape), permeability_mD=perm_mD,
                          permeability_spans=spans, notes=notes)


# ``measure`` has a keyword named ``permeability``; keep a module-level alias to the function.
permeability_fn = permeability
