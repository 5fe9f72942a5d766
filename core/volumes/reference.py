"""Realisations against reference crops: property values of both sets and KL per property (the GUI's comparison)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..jobs import TaskState, ensure_state
from .crops import random_crops

# (key, label, unit) of the properties compared in the histograms.
PROPERTIES = [("porosity", "Porosity", "–"),
              ("surface_area_density", "Surface area density", "µm⁻¹"),
              ("euler_density", "Euler density", "µm⁻³"),
              ("permeability_mD", "Permeability (mean of x, y, z)", "mD")]

_volume_cache: dict = {}
_volume_lock = threading.Lock()


def read_cached(path: Path, state: TaskState) -> np.ndarray:
    """A volume's array, read once and kept while the file is unchanged (one entry: the reference volume)."""
    from ..io import read_volume

    key = (str(path.resolve()), path.stat().st_mtime_ns)
    with _volume_lock:
        a = _volume_cache.get(key)
    if a is None:
        a = read_volume(path, state=state).array
        with _volume_lock:
            _volume_cache.clear()
            _volume_cache[key] = a
    return a


def volume_properties(vol: np.ndarray, voxel_size_um: float, *, permeability: bool = False,
                      state: TaskState | None = None) -> dict[str, float]:
    """Porosity, surface area density, Euler density (and mean permeability) of one volume.

    The same measurement as the evaluation tables (``core.volumes.measure.sample_properties``), so the
    tabs' histograms and the committed results agree.
    """
    from .measure import sample_properties

    vals = sample_properties(vol, voxel_size_um, permeability=permeability, state=state)
    keys = [k for k, _, _ in PROPERTIES if permeability or k != "permeability_mD"]
    return {k: float(vals[k]) for k in keys}


@dataclass
class Comparison:
    """Per-property values of the realisations and of the reference, and KL(reference ‖ realisations)."""

    properties: list                         # [(key, label, unit)] compared
    generated: dict                          # key -> np.ndarray of the realisations' values
    reference: dict                          # key -> np.ndarray of the reference crops' values
    kl: dict                                 # key -> float, or None when it cannot be computed
    notes: dict = field(default_factory=dict)  # key -> why there is no KL
    reference_label: str = ""
    voxel_size_um: float = 1.0

    def rows(self) -> list[tuple]:
        """(label, unit, mean ± std of realisations, of reference, KL or note) for a table."""
        out = []
        for key, label, unit in self.properties:
            g, r = _finite(self.generated[key]), _finite(self.reference[key])
            out.append((label, unit, _mean_std(g), _mean_std(r), self.kl.get(key), self.notes.get(key, "")))
        return out


def _finite(x) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    return a[np.isfinite(a)]


def _mean_std(a: np.ndarray) -> tuple[float, float, int]:
    if a.size == 0:
        return float("nan"), float("nan"), 0
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0, int(a.size)


def compare_properties(volumes, reference, *, voxel_size_um: float, permeability: bool = False,
                       reference_label: str = "reference", state: TaskState | None = None) -> Comparison:
    """Measure every realisation and every reference crop; KL per property (core.compare)."""
    from ..compare import kl_divergence

    state = ensure_state(state)
    props = [p for p in PROPERTIES if permeability or p[0] != "permeability_mD"]
    vols = list(volumes)
    refs = list(reference)
    total = len(vols) + len(refs)
    gen_vals = {p[0]: [] for p in props}
    ref_vals = {p[0]: [] for p in props}
    for i, v in enumerate(vols + refs):
        which = f"realisation {i + 1}" if i < len(vols) else f"reference crop {i - len(vols) + 1}"
        state.report(i / total, f"Measuring {which} of {len(vols) if i < len(vols) else len(refs)}")
        vals = volume_properties(v, voxel_size_um, permeability=permeability,
                                 state=state.sub(i / total, (i + 1) / total))
        dest = gen_vals if i < len(vols) else ref_vals
        for k in dest:
            dest[k].append(vals.get(k, float("nan")))
    kl, notes = {}, {}
    for key, _, _ in props:
        try:
            kl[key] = kl_divergence(ref_vals[key], gen_vals[key])
        except InputError as e:
            kl[key] = None
            notes[key] = str(e)
    state.report(1.0, "Done")
    return Comparison(props, {k: np.asarray(v, float) for k, v in gen_vals.items()},
                      {k: np.asarray(v, float) for k, v in ref_vals.items()}, kl, notes,
                      reference_label, float(voxel_size_um))


def compare_with_reference(volumes, reference_kind: str, heldout, *, array: np.ndarray | None, array_label: str,
                           missing_array: str, n_ref: int, seed: int, voxel_size_um: float, permeability: bool,
                           state: TaskState | None = None) -> Comparison:
    """``compare_properties`` with 'heldout' crops (``heldout(shape, state)`` → crops, label) or 'volume' crops."""
    state = ensure_state(state)
    vols = list(volumes)
    if not vols:
        raise InputError("Generate some realisations first.")
    shape = vols[0].shape
    if reference_kind == "heldout":
        refs, label = heldout(shape, state.sub(0.0, 0.05))
    elif reference_kind == "volume":
        if array is None:
            raise InputError(missing_array)
        refs, _ = random_crops(array, shape, n_ref, np.random.default_rng([int(seed), 8]), what=array_label,
                               purpose="realisations")
        label = f"{len(refs)} crops of {array_label}"
    else:
        raise InputError(f"Unknown reference '{reference_kind}'.")
    return compare_properties(vols, refs, voxel_size_um=voxel_size_um, permeability=permeability,
                              reference_label=label, state=state.sub(0.05, 1.0))
