"""Qt-free helpers behind the GUI's Rock tab: model choice, generation, reference crops,
property comparison (KL), export with metadata, and training from a form.

Each long function takes ``state: TaskState | None`` like the rest of core, so the tab can run it
in a worker thread and the tests can call it directly.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InputError
from ..io import numbered_paths  # noqa: F401 - the tabs import it from here
from ..jobs import TaskState, ensure_state
from .data import TRAIN_Z_LIMITS, random_crops
from .evaluate import KNOWN_VOXEL_UM

# Shared rocks the tab can compare against: name -> (file under shared/data/rocks, voxel size µm).
# Voxel sizes from shared/data/README.md (Ketton's is not stated by the source: 3.0 µm is the
# documented stand-in).
SHARED_ROCKS = {"berea": ("berea_400.tif", KNOWN_VOXEL_UM["berea_400"][0]),
                "ketton": ("ketton_256.tif", KNOWN_VOXEL_UM["ketton_256"][0])}

# (key, label, unit) of the properties compared in the histograms.
PROPERTIES = [("porosity", "Porosity", "–"),
              ("surface_area_density", "Surface area density", "µm⁻¹"),
              ("euler_density", "Euler density", "µm⁻³"),
              ("permeability_mD", "Permeability (mean of x, y, z)", "mD")]


# --------------------------------------------------------------------------------------------
# where things are
# --------------------------------------------------------------------------------------------

def shared_data_dir() -> Path | None:
    """``../shared/data`` beside the repository (or $SEQGEN_SHARED_DATA), if it exists."""
    env = os.environ.get("SEQGEN_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


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

_model_cache: dict = {}
_model_lock = threading.Lock()


def load_model_cached(path, device: str | None = None):
    """``core.rock.load_model`` with a small cache (keyed by path, file time and device)."""
    from ..jobs import select_device
    from .load import load_model

    p = Path(path)
    if not p.is_file():
        raise InputError(f"The model file {p} does not exist.")
    dev = str(select_device(None if device in (None, "", "auto") else device))
    key = (str(p.resolve()), p.stat().st_mtime_ns, dev)
    with _model_lock:
        model = _model_cache.get(key)
        if model is None:
            model = load_model(p, device=dev)
            _model_cache.clear()  # one model at a time is plenty
            _model_cache[key] = model
        return model


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


# --------------------------------------------------------------------------------------------
# reference crops and property comparison
# --------------------------------------------------------------------------------------------

_volume_cache: dict = {}


def read_cached(path: Path, state: TaskState) -> np.ndarray:
    """A volume's array, read once and kept while the file is unchanged (one entry: the reference volume)."""
    from ..io import read_volume

    key = (str(path.resolve()), path.stat().st_mtime_ns)
    with _model_lock:
        a = _volume_cache.get(key)
    if a is None:
        a = read_volume(path, state=state).array
        with _model_lock:
            _volume_cache.clear()
            _volume_cache[key] = a
    return a


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


def volume_properties(vol: np.ndarray, voxel_size_um: float, *, permeability: bool = False,
                      state: TaskState | None = None) -> dict[str, float]:
    """Porosity, surface area density, Euler density (and mean permeability) of one volume.

    The same measurement as the evaluation tables (``evaluate.sample_properties``), so the tab's
    histograms and the committed results agree.
    """
    from .evaluate import sample_properties

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


def compare_job(volumes, reference_kind: str, *, rock: str | None = None, array: np.ndarray | None = None,
                array_label: str = "the volume open in Inspect", n_ref: int = 20, seed: int = 0,
                voxel_size_um: float = 1.0, permeability: bool = False,
                state: TaskState | None = None) -> Comparison:
    """Reference crops ('heldout' of ``rock``, or 'volume' = crops of ``array``) of the realisations'
    shape, then ``compare_properties``."""
    return compare_with_reference(
        volumes, reference_kind, lambda shape, st: heldout_crops(rock, shape, n_ref, seed, state=st),
        array=array, array_label=array_label, missing_array="No volume is open in the Inspect tab.", n_ref=n_ref,
        seed=seed, voxel_size_um=voxel_size_um, permeability=permeability, state=state)


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
