"""Writers: TIFF stack, NPY, VTI (ParaView) and STL of the pore surface; all atomic."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..jobs import TaskState, ensure_state
from .atomic import atomic_path

WRITE_SUFFIXES = (".tif", ".tiff", ".npy", ".vti", ".stl")


def numbered_paths(path, count: int) -> list[Path]:
    """``OUT.ext`` for one volume, ``OUT_001.ext``, ``OUT_002.ext``, ... for several."""
    p = Path(path)
    if int(count) == 1:
        return [p]
    return [p.with_name(f"{p.stem}_{i:03d}{p.suffix}") for i in range(1, int(count) + 1)]


def _as_binary_volume(array) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim != 3:
        raise InputError(f"Only 3D volumes can be written; this array has shape {a.shape}.")
    if a.dtype == bool:
        return a.astype(np.uint8)
    return np.ascontiguousarray(a)


def _write_tiff(tmp: Path, a: np.ndarray, metadata: dict, voxel_size_um: float) -> None:
    import tifffile

    meta = {"voxel_size_um": voxel_size_um, "convention": "1 = pore, 0 = grain; axes z, y, x"}
    meta.update(metadata or {})
    # tifffile stores ``metadata`` as JSON in the first page's description (read back as
    # TiffFile.shaped_metadata), so seed and model travel with the file.
    json.dumps(meta)  # fail early, before writing, if metadata is not JSON-able
    tifffile.imwrite(tmp, a, compression="zlib", metadata=meta,
                     resolution=(1e4 / voxel_size_um, 1e4 / voxel_size_um), resolutionunit="CENTIMETER")


def _write_vti(tmp: Path, a: np.ndarray, voxel_size_um: float, metadata: dict) -> None:
    import pyvista as pv

    nz, ny, nx = a.shape
    grid = pv.ImageData(dimensions=(nx, ny, nz), spacing=(voxel_size_um,) * 3)
    # C-order ravel of (z, y, x) runs x fastest, which is VTK's point order.
    grid.point_data["pore"] = a.ravel(order="C")
    for k, v in (metadata or {}).items():
        grid.field_data[str(k)] = [str(v)]
    grid.save(tmp)


def pore_surface(a: np.ndarray, voxel_size_um: float = 1.0, step: int = 1):
    """Triangle mesh (vertices in µm as x, y, z; faces) of the pore/grain interface.

    The volume is padded with grain so that the surface is closed at the sample's faces.
    """
    from skimage.measure import marching_cubes

    if a.min() == a.max():
        raise InputError("The volume is all pore or all grain: it has no pore surface.")
    padded = np.pad(a.astype(np.float32), 1, constant_values=0)
    verts, faces, _, _ = marching_cubes(padded, level=0.5, step_size=step)
    verts = (verts - 1.0) * voxel_size_um
    return verts[:, ::-1].copy(), faces  # (z, y, x) -> (x, y, z)


def _write_stl(tmp: Path, a: np.ndarray, voxel_size_um: float, state: TaskState) -> None:
    import pyvista as pv

    state.report(0.2, "Extracting the pore surface")
    verts, faces = pore_surface(a, voxel_size_um)
    state.report(0.7, "Writing STL")
    pv.PolyData.from_regular_faces(verts, faces).save(tmp, binary=True)


def write_volume(path, array, *, metadata: dict | None = None, voxel_size_um: float = 1.0,
                 state: TaskState | None = None) -> Path:
    """Write a volume; the format follows the suffix (.tif/.tiff, .npy, .vti, .stl).

    The file appears complete or not at all: it is written beside the target and renamed.
    """
    state = ensure_state(state)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise InputError(f"Cannot write '{suffix or path.name}': choose one of {', '.join(WRITE_SUFFIXES)}.")
    try:
        voxel_size_um = float(voxel_size_um)
    except (TypeError, ValueError):
        voxel_size_um = math.nan
    if not (math.isfinite(voxel_size_um) and voxel_size_um > 0):  # nan and inf too: TIFF stores 1e4 / size
        raise InputError(f"The voxel size must be a positive number of micrometres (got {voxel_size_um}).")
    a = _as_binary_volume(array)
    state.report(0.0, f"Writing {path.name}")
    with atomic_path(path) as tmp:
        if suffix in (".tif", ".tiff"):
            _write_tiff(tmp, a, metadata or {}, voxel_size_um)
        elif suffix == ".npy":
            with open(tmp, "wb") as f:
                np.save(f, a, allow_pickle=False)
        elif suffix == ".vti":
            _write_vti(tmp, a, voxel_size_um, metadata or {})
        else:
            _write_stl(tmp, a, voxel_size_um, state)
    state.report(1.0, f"Wrote {path.name}")
    return path
