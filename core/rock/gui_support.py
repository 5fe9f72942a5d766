"""Qt-free helpers behind the GUI's Rock tab: shared rocks, model choice, generation, held-out reference
crops and training from a form (comparison and export are core.volumes.reference / .export).

Each long function takes ``state: TaskState | None`` like the rest of core, so the tab can run it
in a worker thread and the tests can call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InputError
from ..io import numbered_paths  # noqa: F401 - the tabs import it from here
from ..jobs import TaskState, ensure_state
from ..volumes.crops import random_crops
from ..volumes.reference import Comparison, compare_with_reference, read_cached
from ..volumes.split import KNOWN_VOXEL_UM, TRAIN_Z_LIMITS, shared_data_dir

# Shared rocks the tab can compare against: name -> (file under shared/data/rocks, voxel size µm).
# Voxel sizes from shared/data/README.md (Ketton's is not stated by the source: 3.0 µm is the
# documented stand-in).
SHARED_ROCKS = {"berea": ("berea_400.tif", KNOWN_VOXEL_UM["berea_400"][0]),
                "ketton": ("ketton_256.tif", KNOWN_VOXEL_UM["ketton_256"][0])}


# --------------------------------------------------------------------------------------------
# where things are
# --------------------------------------------------------------------------------------------

def shared_rock_path(rock: str) -> Path | None:
    """The shared volume of ``rock`` ('berea', 'ketton') if it is present."""
    base = shared_data_dir()
    if base is None or rock not in SHARED_ROCKS:
        return None
    p = base / "rocks" / SHARED_ROCKS[rock][0]
    return p if p.is_file() else None


def rock_voxel_size(name: str) -> float | None:
    """Voxel size (µm) of a shipped/shared rock named in ``name`` (e.g. 'berea', 'rock_ketton.pt')."""
    low = str(name).lower()
    for rock, (_, vs) in SHARED_ROCKS.items():
        if rock in low:
            return vs
    return None


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------

def load_model_cached(path, device: str | None = None):
    """``core.rock.load_model`` through ``core.model_cache`` (keyed on the file and the device)."""
    from ..jobs import select_device
    from ..model_cache import cached_model
    from .load import load_model

    p = Path(path)
    dev = str(select_device(None if device in (None, "", "auto") else device))
    return cached_model("rock", p, dev, lambda: load_model(p, device=dev))


@dataclass
class GenerateOutput:
    volumes: list              # core.rock.Generated (a list of uint8 volumes + slice_match, pasted, ...)
    model_path: str
    model_step: int | None
    device: str


def generate_volumes(model_path, slice2d: np.ndarray, depth: int, count: int, seed: int, *,
                     paste: bool = True, device: str | None = None,
                     state: TaskState | None = None) -> GenerateOutput:
    """Load the model (cached) and generate ``count`` volumes from ``slice2d``."""
    from .generate import generate

    state = ensure_state(state)
    state.report(0.0, "Loading the model")
    model = load_model_cached(model_path, device)
    vols = generate(model, slice2d, depth, count, seed, state=state.sub(0.05, 1.0), paste=paste)
    return GenerateOutput(vols, str(model_path), model.step, str(model.device))


def realisation_metadata(*, model_path, model_step, seed: int, index: int, count: int, slice_source: str,
                         centre: int, slice_match: float, pasted: bool) -> dict:
    """What is written into (or beside) an exported realisation."""
    return {"generator": "rock-gan", "model": str(model_path), "model_step": model_step, "seed": int(seed),
            "realisation": int(index), "count": int(count), "slice": slice_source,
            "central_slice_index": int(centre), "slice_match_before_paste": round(float(slice_match), 6),
            "slice_pasted": bool(pasted), "seqgen_version": __version__}


# --------------------------------------------------------------------------------------------
# reference crops and property comparison (core.volumes.reference)
# --------------------------------------------------------------------------------------------

def heldout_crops(rock: str, shape, n: int, seed: int = 0, *,
                  state: TaskState | None = None) -> tuple[list[np.ndarray], str]:
    """Random crops from the held-out part of a shared rock (berea_400 z ≥ 300, ketton_256 z ≥ 192)."""
    state = ensure_state(state)
    path = shared_rock_path(rock)
    if path is None:
        raise InputError(f"The shared {rock} volume is not here (looked for ../shared/data/rocks/"
                         f"{SHARED_ROCKS.get(rock, ('?',))[0]}).")
    a = read_cached(path, state)
    z0 = TRAIN_Z_LIMITS[path.stem.lower()]
    crops, _ = random_crops(a, shape, n, np.random.default_rng([int(seed), 7]), z0=z0,
                            what=f"The held-out part of {path.name} (z ≥ {z0})", purpose="realisations")
    return crops, f"{len(crops)} held-out crops of {path.name} (z ≥ {z0})"


def compare_job(volumes, reference_kind: str, *, rock: str | None = None, array: np.ndarray | None = None,
                array_label: str = "the volume open in Inspect", n_ref: int = 20, seed: int = 0,
                voxel_size_um: float = 1.0, permeability: bool = False,
                state: TaskState | None = None) -> Comparison:
    """Reference crops ('heldout' of ``rock``, or 'volume' = crops of ``array``) of the realisations'
    shape, then ``core.volumes.reference.compare_properties``."""
    return compare_with_reference(
        volumes, reference_kind, lambda shape, st: heldout_crops(rock, shape, n_ref, seed, state=st),
        array=array, array_label=array_label, missing_array="No volume is open in the Inspect tab.", n_ref=n_ref,
        seed=seed, voxel_size_um=voxel_size_um, permeability=permeability, state=state)


# --------------------------------------------------------------------------------------------
# training from the GUI's form
# --------------------------------------------------------------------------------------------

def train_from_form(data, *, out_dir, crop: int = 64, steps: int = 2000, batch: int = 8, channels: int = 32,
                    device: str = "auto", norm: str | None = None, decay: float | None = None,
                    porosity_weight: float | None = None, profile_weight: float | None = None,
                    resume: bool = False, seed: int = 0, checkpoint_every: int = 500,
                    log_every: int | None = None, state: TaskState | None = None):
    """``core.rock.train`` with the settings of the Train panel (as ``seqgen rock train`` builds them)."""
    from ..train import TrainConfig
    from .config import RockGANConfig
    from .train import train

    if log_every is None:
        log_every = 1 if steps <= 200 else 10
    given = {"g_norm": norm, "decay": decay, "porosity_weight": porosity_weight, "profile_weight": profile_weight}
    cfg = RockGANConfig(channels=int(channels), d_channels=int(channels), crop=int(crop),
                        **{k: v for k, v in given.items() if v is not None})  # None: RockGANConfig's default
    tcfg = TrainConfig(steps=int(steps), batch_size=int(batch), checkpoint_every=int(checkpoint_every),
                       log_every=int(log_every), seed=int(seed), device=device or "auto",
                       out_dir=str(out_dir), resume=bool(resume))
    return train([str(p) for p in data], cfg, tcfg, state=state)
