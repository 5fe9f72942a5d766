"""Export volumes with their metadata (in the file, or in a JSON beside formats that cannot hold it)."""

from __future__ import annotations

import json
from pathlib import Path

from ..jobs import TaskState, ensure_state


def export_volumes(paths, volumes, metadatas, *, voxel_size_um: float = 1.0,
                   state: TaskState | None = None) -> list[Path]:
    """Write each volume with ``core.io.write_volume``. Formats that cannot hold metadata (.npy,
    .stl) get it in a ``<file>.json`` beside them."""
    from ..io import atomic_path, write_volume

    state = ensure_state(state)
    paths, out = [Path(p) for p in paths], []
    n = len(paths)
    for i, (p, vol, meta) in enumerate(zip(paths, volumes, metadatas)):
        meta = {**meta, "voxel_size_um": float(voxel_size_um)}
        out.append(write_volume(p, vol, metadata=meta, voxel_size_um=voxel_size_um,
                                state=state.sub(i / n, (i + 1) / n)))
        if p.suffix.lower() in (".npy", ".stl"):
            side = p.with_name(p.name + ".json")
            with atomic_path(side) as tmp:
                tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return out
