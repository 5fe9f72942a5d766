"""Qt-free work behind the GUI's Inspect tab: load a volume with its 3D scene, measure it, export it.

Each long function takes ``state: TaskState`` like the rest of core, so the tab can run it in a
worker thread and the tests can call it directly.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..io import LoadedVolume, read_volume, write_volume
from ..io.atomic import atomic_path
from ..jobs import TaskState, ensure_state
from ..render import SceneData, prepare_scene


@dataclass
class LoadResult:
    volume: LoadedVolume
    scene: Optional[SceneData]
    notices: list = field(default_factory=list)


@dataclass
class MeasureResult:
    report: object                   # core.properties.PropertyReport
    local_porosity: np.ndarray       # porosity of each sub-block
    block: int                       # sub-block edge (voxels)


def local_porosity(array: np.ndarray, blocks_per_axis: int = 5) -> tuple[np.ndarray, int]:
    """Porosity of non-overlapping cubic sub-blocks (about ``blocks_per_axis`` per axis)."""
    a = np.asarray(array)
    block = max(2, min(a.shape) // blocks_per_axis)
    n = [s // block for s in a.shape]
    t = a[: n[0] * block, : n[1] * block, : n[2] * block]
    b = t.reshape(n[0], block, n[1], block, n[2], block).mean(axis=(1, 3, 5), dtype=np.float64)
    return b.ravel(), block


def load_job(path, *, options: dict, mode: str, state: TaskState) -> LoadResult:
    """Read the volume at ``path`` and prepare its 3D scene in ``mode`` (a scene that fails is a notice)."""
    state = ensure_state(state)
    vol = read_volume(path, **options, state=state.sub(0.0, 0.6))
    notices = []
    scene = None
    try:
        scene = prepare_scene(vol.array, mode, state=state.sub(0.6, 1.0))
        notices.extend(scene.notices)
    except InputError as exc:  # e.g. all pore: the slices still show it
        notices.append(f"3D view: {exc}")
    return LoadResult(vol, scene, notices)


def scene_job(array: np.ndarray, mode: str, *, state: TaskState) -> SceneData:
    """The 3D scene of ``array`` in ``mode`` (for a switch of the render mode)."""
    return prepare_scene(array, mode, state=state)


def measure_job(array: np.ndarray, voxel_size_um: float, *, permeability: bool,
                state: TaskState) -> MeasureResult:
    """``core.properties.measure`` of ``array`` and the porosity of its sub-blocks."""
    from ..properties import measure

    state = ensure_state(state)
    report = measure(array, voxel_size_um, permeability=permeability, state=state.sub(0.0, 0.97))
    local, block = local_porosity(array)
    state.report(1.0, "Done")
    return MeasureResult(report, local, block)


def export_volume_job(path, array, *, voxel_size_um: float, metadata: dict, state: TaskState) -> Path:
    """``core.io.write_volume`` of the open volume."""
    return write_volume(path, array, voxel_size_um=voxel_size_um, metadata=metadata, state=state)


def write_results(path, result: MeasureResult, source: Optional[str]) -> Path:
    """The measured properties as a CSV table or (with the local porosities) JSON; InputError for another suffix."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".json"):
        raise InputError(f"Results are saved as .csv or .json, not '{path.suffix or path.name}'.")
    rep = result.report
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".json":
            d = rep.to_dict()
            d["source"] = source
            d["local_porosity"] = {"block_voxels": int(result.block),
                                   "values": [float(x) for x in result.local_porosity]}
            tmp.write_text(json.dumps(d, indent=2), encoding="utf-8")
        else:
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["property", "value", "unit"])
                for name, value, unit in rep.rows():
                    w.writerow([name, value, unit])
    return path


def format_value(value) -> str:
    """A table value: floats to 5 significant digits (scientific when very small or large)."""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0 or 1e-3 <= abs(v) < 1e5:
            return f"{v:.5g}"
        return f"{v:.4e}"
    return str(value)
