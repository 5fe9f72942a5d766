"""The shared data's volumes: where they are, their binding train/held-out split and voxel sizes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..jobs import TaskState, ensure_state

# Binding split of the shared data (../shared/data/README.md): only z below this is trained on.
# Matched by file name; any other volume belongs to the user and is used whole.
TRAIN_Z_LIMITS = {"berea_400": 300, "ketton_256": 192, "bentheimer_500": 375}

# Volumes whose every voxel was trained on (or may have been): never evaluated on.
NO_HELDOUT = {"berea_200_dns": "it is the crop [100:300]³ of berea_400.tif, inside berea_400's training part (z < 300)"}

# Voxel sizes of the shared volumes (../shared/data/README.md), with the caveat to state.
KNOWN_VOXEL_UM = {
    "berea_400": (5.345, None),
    "ketton_256": (3.0, "ketton_256: the source does not state the voxel size; 3.0 µm is assumed."),
    "bentheimer_500": (3.0035, "bentheimer_500: the voxel size is not documented; 3.0035 µm is assumed."),
}


def shared_data_dir() -> Path | None:
    """``../shared/data`` beside the repository (or $SEQGEN_SHARED_DATA), if it exists."""
    env = os.environ.get("SEQGEN_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


def volume_stem(path) -> str:
    return Path(str(path)).name.split(".")[0].lower()


def training_part(array: np.ndarray, name: str) -> tuple[np.ndarray, str | None]:
    """The part of a volume that may be trained on, and a notice when it is not the whole volume."""
    stem = Path(name).name.split(".")[0].lower()
    limit = TRAIN_Z_LIMITS.get(stem)
    if limit is None:
        return array, None
    return array[:limit], (f"{Path(name).name}: training on z < {limit} only (z ≥ {limit} is held out "
                           "for evaluation).")


def load_training_volumes(paths, *, pore: str = "auto", state: TaskState | None = None) -> tuple[list[np.ndarray], list[str]]:
    """Read the volumes (core.io), keep their training parts; returns (arrays, notices)."""
    from ..io import read_volume

    state = ensure_state(state)
    paths = list(paths)
    if not paths:
        raise InputError("Give at least one training volume.")
    arrays, notices = [], []
    for i, p in enumerate(paths):
        vol = read_volume(p, pore=pore, state=state.sub(i / len(paths), (i + 1) / len(paths)))
        notices += vol.notices
        arr, note = training_part(vol.array, vol.path.name)
        if note:
            notices.append(note)
        arrays.append(np.ascontiguousarray(arr, dtype=np.uint8))
    return arrays, notices


def heldout_start(name: str, heldout_z: int | None = None) -> int:
    """First z of the held-out part of the volume called ``name``.

    Shared volumes use the binding split (``TRAIN_Z_LIMITS``); an explicit ``heldout_z`` may only
    move the start further from the training part. Any other volume needs ``heldout_z`` (the
    caller says which part was never trained on).
    """
    stem = volume_stem(name)
    if stem in NO_HELDOUT:
        raise InputError(f"{Path(str(name)).name} has no held-out part: {NO_HELDOUT[stem]}.")
    limit = TRAIN_Z_LIMITS.get(stem)
    if limit is None:
        if heldout_z is None:
            raise InputError(f"{Path(str(name)).name} is not one of the shared volumes "
                             f"({', '.join(TRAIN_Z_LIMITS)}); say where its held-out part starts (heldout_z).")
        return int(heldout_z)
    if heldout_z is not None and int(heldout_z) < limit:
        raise InputError(f"{Path(str(name)).name}: z < {limit} is training data; the held-out part starts at "
                         f"z = {limit} (asked for {int(heldout_z)}).")
    return limit if heldout_z is None else int(heldout_z)


def resolve_voxel(vol, name: str, voxel_size_um: float | None) -> tuple[float, list[str]]:
    """The voxel size to measure with (given, else known for a shared volume, else the file's, else 1 µm) and notes."""
    if voxel_size_um is not None:
        return float(voxel_size_um), []
    known = KNOWN_VOXEL_UM.get(volume_stem(name))
    if known:
        return known[0], [known[1]] if known[1] else []
    if vol.voxel_size_um:
        return float(vol.voxel_size_um), []
    return 1.0, ["The volume does not give a voxel size; 1 µm is used (densities and permeability scale with it)."]
