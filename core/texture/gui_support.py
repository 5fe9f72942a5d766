"""Qt-free helpers behind the GUI's Texture tab: the cached model, classes named after shared rocks,
generation (in memory or into TIFFs), example volumes, comparison, export and training from a form.

Each long function takes ``state: TaskState | None`` like the rest of core, so the tab can run it
in a worker thread and the tests can call it directly.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from .. import __version__
from ..errors import InputError
from ..jobs import TaskState, ensure_state
from .config import FACTOR, MIN_CROP, TextureGANConfig
from .generate import generate as texture_generate
from .generate import generate_files
from .task import KIND

IN_MEMORY_MAX = 256                  # larger edges are written to a TIFF slab by slab (tiles)
PREVIEW_EDGE = 256                   # of a volume written to file, the central PREVIEW_EDGE³ is shown

# Classes named after a shared rock can be compared with held-out crops of its volume (the binding
# split of ../shared/data/README.md: berea_400 z ≥ 300, ketton_256 z ≥ 192, bentheimer_500 z ≥ 375).
SHARED_CLASS_FILES = {"berea": "berea_400.tif", "ketton": "ketton_256.tif", "bentheimer": "bentheimer_500.tif"}


# --------------------------------------------------------------------------------------------
# the model and its classes
# --------------------------------------------------------------------------------------------

def load_texture_model(path, device: str | None = None, *, state: TaskState | None = None):
    """``core.texture.load_model`` through ``core.model_cache`` (keyed on the file, its classes.pt and the device)."""
    from ..jobs import select_device
    from ..model_cache import cached_model
    from .classes import CLASSES_FILE
    from .load import load_model

    state = ensure_state(state)
    p = Path(path)
    dev = str(select_device(None if device in (None, "", "auto") else device))

    def load():
        state.report(0.1, f"Loading {p.name}")
        return load_model(p, device=dev)

    model = cached_model("texture", p, dev, load, side_files=[p.parent / CLASSES_FILE])
    state.report(1.0, "Model loaded")
    return model


def class_rock(name: Optional[str]) -> Optional[str]:
    """'berea' for a class called berea / Berea / berea_400, else None."""
    if not name:
        return None
    key = str(name).lower().split("_")[0].strip()
    return key if key in SHARED_CLASS_FILES else None


def shared_class_path(name: Optional[str]) -> Optional[Path]:
    """The shared volume of the rock a class is named after, if it is here."""
    from ..volumes.split import shared_data_dir

    rock = class_rock(name)
    base = shared_data_dir()
    if rock is None or base is None:
        return None
    p = base / "rocks" / SHARED_CLASS_FILES[rock]
    return p if p.is_file() else None


def class_voxel_size(name: Optional[str]) -> Optional[float]:
    """Voxel size (µm) of the shared rock a class is named after, else None."""
    from ..volumes.split import KNOWN_VOXEL_UM

    rock = class_rock(name)
    if rock is None:
        return None
    return KNOWN_VOXEL_UM[Path(SHARED_CLASS_FILES[rock]).stem][0]


def heldout_reference(cls: Optional[str]) -> Optional[tuple[str, Optional[str], str]]:
    """(label, 'heldout' or None when its volume is not here, tooltip) of the held-out crops of the shared
    rock class ``cls`` is named after; None for other classes."""
    rock = class_rock(cls)
    if rock is None:
        return None
    p = shared_class_path(cls)
    fname = SHARED_CLASS_FILES[rock]
    return (f"Held-out crops of {fname}", "heldout" if p else None,
            f"Random crops of {p} from its held-out part" if p else f"{fname} is not in ../shared/data/rocks here")


def file_tag(name: Optional[str]) -> str:
    """``name`` (a class, or 'example' when None) with only characters safe in a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name or "example")


def central_slice(volume: np.ndarray, edge: int = 128) -> np.ndarray:
    """The central z slice of ``volume``, cropped to its central ``edge``² (a preview)."""
    s = volume[volume.shape[0] // 2]
    y0, x0 = max(0, (s.shape[0] - edge) // 2), max(0, (s.shape[1] - edge) // 2)
    return np.ascontiguousarray(s[y0:y0 + edge, x0:x0 + edge])


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------

@dataclass
class TextureResult:
    """Realisations as shown (whole volumes, or the central part of each file written) and what they are."""

    volumes: list                     # uint8 (z, y, x) arrays shown
    metadata: list                    # per realisation: seed, model, class/example, code … (as exported)
    porosity: list                    # porosity of each whole volume
    seed: int
    size: int
    label: str                        # "class berea" / "like example.tif"
    cls: Optional[str] = None
    files: Optional[list] = None      # the TIFFs written (big sizes); None when held in memory
    offset: int = 0                   # corner (z = y = x) of the shown part inside the whole volume
    device: str = ""
    notices: list = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return self.files is not None and self.volumes[0].shape[0] < self.size

    def __len__(self) -> int:
        return len(self.volumes)

    def labels(self) -> list[str]:
        """One line per realisation for the realisations combo: index and porosity."""
        return [f"{i + 1} of {len(self)} · φ {self.porosity[i]:.3f}" for i in range(len(self))]

    def summary(self) -> str:
        """What was generated, where, on which device, with which seed, and each porosity (for the log)."""
        where = f"; written to {', '.join(str(p) for p in self.files)}" if self.files else ""
        return (f"generated {len(self)} × {self.size}³ {self.label} on {self.device}, seed {self.seed}{where}; "
                f"porosity {', '.join(f'{p:.4f}' for p in self.porosity)}")

    def describe(self, index: int) -> str:
        """Realisation ``index`` in a line: size (or the central part shown), file, porosity, seed."""
        vol = self.volumes[index]
        if self.partial:
            return (f"central {vol.shape[0]}³ of the {self.size}³ volume {self.files[index].name} "
                    f"(porosity {self.porosity[index]:.4f}; of this part {vol.mean():.4f}); seed {self.seed}")
        name = f" ({self.files[index].name})" if self.files else ""
        return f"{self.size}³ voxels{name}, porosity {self.porosity[index]:.4f}; seed {self.seed}"


def central_part(path, size: int, edge: int) -> tuple[np.ndarray, int]:
    """(the central ``edge``³ of a ``size``³ TIFF volume, its corner), reading only those pages."""
    import tifffile

    edge = min(int(edge), int(size))
    o = (int(size) - edge) // 2
    a = tifffile.imread(str(path), key=range(o, o + edge))
    a = a.reshape((edge,) + a.shape[-2:])
    return np.ascontiguousarray(a[:, o:o + edge, o:o + edge]).astype(np.uint8, copy=False), o


def generate_job(model, size: int, seed: int, *, cls: Optional[str] = None, example=None,
                 example_source: Optional[str] = None, count: int = 1, spread: float = 1.0, out=None,
                 voxel_size_um: float = 1.0, preview_edge: int = PREVIEW_EDGE,
                 state: TaskState | None = None) -> TextureResult:
    """``count`` realisations of ``size``³: in memory, or (``out`` given) into TIFFs via ``generate_files``
    of which the central ``preview_edge``³ is read back for display."""
    state = ensure_state(state)
    size = int(size)
    like = Path(example_source).name if example_source else "the example"
    label = f"class {cls}" if cls is not None else f"like {like}"
    model_path = str(Path(model.path).resolve()) if model.path else None
    if out is None:
        g = texture_generate(model, size, seed, cls=cls, example=example, count=count, spread=spread, state=state)
        metas = []
        for i, code in enumerate(g.codes):
            metas.append({"generator": KIND, "model": model_path, "model_step": model.step, "seed": int(seed),
                          "realisation": i, "count": int(count), "class": cls, "example": example_source,
                          "spread": float(spread) if cls is not None else None,
                          "code": [round(float(v), 6) for v in code], "voxel_size_um": float(voxel_size_um),
                          "seqgen_version": __version__})
        return TextureResult(list(g), metas, [float(v.mean()) for v in g], int(seed), size, label, cls,
                             device=str(model.device), notices=list(g.notices))
    extra = {"example": example_source} if example is not None else None
    written = generate_files(model, out, size, seed, cls=cls, example=example, count=count, spread=spread,
                             voxel_size_um=voxel_size_um, metadata=extra, state=state.sub(0.0, 0.9))
    vols, offset = [], 0
    for i, w in enumerate(written):
        state.report(0.9 + 0.1 * i / len(written), f"Reading the central part of {w.path.name}")
        part, offset = central_part(w.path, size, preview_edge)
        vols.append(part)
    state.report(1.0, "Done")
    metas = [{**w.metadata, "voxel_size_um": float(voxel_size_um)} for w in written]
    return TextureResult(vols, metas, [float(w.porosity) for w in written], int(seed), size, label, cls,
                         files=[Path(w.path) for w in written], offset=offset, device=str(model.device),
                         notices=list(written.notices))


def read_example_job(path, *, state: TaskState | None = None):
    """Read an example volume (binarised) and check that it is big enough to encode."""
    from ..io import read_volume

    vol = read_volume(path, state=state)
    if min(vol.array.shape) < MIN_CROP:
        raise InputError(f"{Path(path).name} is {'×'.join(map(str, vol.array.shape))} voxels (z×y×x); an example "
                         f"must be at least {MIN_CROP} voxels along every axis.")
    return vol


# --------------------------------------------------------------------------------------------
# comparison and export
# --------------------------------------------------------------------------------------------

def compare_job(volumes, kind: str, *, cls: Optional[str] = None, array: Optional[np.ndarray] = None,
                array_label: str = "the volume", n_ref: int = 20, seed: int = 0, voxel_size_um: float = 1.0,
                permeability: bool = False, state: TaskState | None = None):
    """Reference crops of the realisations' shape ('heldout' crops of the shared rock named like class
    ``cls``, or 'volume' = crops of ``array``), then ``core.volumes.reference.compare_properties`` (KL)."""
    from ..volumes.crops import sample_heldout_crops
    from ..volumes.reference import compare_with_reference, read_cached
    from ..volumes.split import heldout_start

    def heldout(shape, st):
        path = shared_class_path(cls)
        if path is None:
            raise InputError(f"No shared volume for class '{cls}' here (looked for ../shared/data/rocks/"
                             f"{SHARED_CLASS_FILES.get(class_rock(cls) or '', '?')}).")
        a = read_cached(path, st)
        crops, _ = sample_heldout_crops(a, path.name, n_ref, shape[0], np.random.default_rng([int(seed), 7]))
        return crops, f"{len(crops)} held-out crops of {path.name} (z ≥ {heldout_start(path.name)})"

    return compare_with_reference(volumes, kind, heldout, array=array, array_label=array_label,
                                  missing_array="There is no reference volume.", n_ref=n_ref, seed=seed,
                                  voxel_size_um=voxel_size_um, permeability=permeability, state=state)


def export_job(paths, sources, metadatas, *, voxel_size_um: float = 1.0, state: TaskState | None = None) -> list:
    """Write each realisation (an array, or a TIFF written by generate_files) to ``paths``.

    Arrays go through ``core.volumes.export.export_volumes`` (metadata in the TIFF, or in
    ``<file>.json`` beside NPY/STL). A generated TIFF is copied as is to a .tif, otherwise read
    (within the memory budget) and converted.
    """
    from ..io import atomic_path, read_volume
    from ..volumes.export import export_volumes

    state = ensure_state(state)
    out = []
    n = len(paths)
    for i, (p, src, meta) in enumerate(zip(paths, sources, metadatas)):
        part = state.sub(i / n, (i + 1) / n)
        p = Path(p)
        if isinstance(src, (str, Path)):
            if p.suffix.lower() in (".tif", ".tiff"):
                part.report(0.0, f"Copying to {p.name}")
                if Path(src).resolve() != p.resolve():
                    with atomic_path(p) as tmp:
                        shutil.copyfile(src, tmp)
                out.append(p)
                continue
            arr = read_volume(src, state=part.sub(0.0, 0.5)).array
            out += export_volumes([p], [arr], [meta], voxel_size_um=voxel_size_um, state=part.sub(0.5, 1.0))
        else:
            out += export_volumes([p], [src], [meta], voxel_size_um=voxel_size_um, state=part)
    return out


# --------------------------------------------------------------------------------------------
# training from the GUI's form
# --------------------------------------------------------------------------------------------

def training_specs(data, crop: int) -> list[str]:
    """The ``NAME=PATH`` specs of (class name, path) pairs; InputError for a name the CLI's NAME=PATH
    cannot carry or a crop the model's factor does not divide."""
    bad = [n for n, _ in data if not n or any(c in n for c in "=/\\")]
    if bad:
        raise InputError("Every volume needs a class name without '=', '/' or '\\' "
                         f"(got {', '.join(repr(b) for b in bad)}).")
    if int(crop) % FACTOR:
        raise InputError(f"The crop must be a multiple of {FACTOR} (got {crop}).")
    return [f"{n}={p}" for n, p in data]


def train_job(specs, *, out_dir, crop: int = 64, steps: int = 2000, batch: int = 8, channels: int = 64,
              device: str = "auto", max_minutes: float = 0.0, resume: bool = False, seed: int = 0,
              checkpoint_every: int = 500, log_every: Optional[int] = None, norm: Optional[str] = None,
              porosity_weight: Optional[float] = None, state: TaskState | None = None):
    """``core.texture.train`` with the Train panel's settings. ``channels`` is G's width; the encoder
    and the patch critics get half of it and D_z twice, but never more than G's own width (four times
    for D_z) up to TextureGANConfig's 32 and 128: 64 → 32, 32, 128 (the defaults) and 32 → 32, 32, 128
    (the shipped CPU model, texture_rocks.md), 16 → 16, 16, 64. ``norm`` and ``porosity_weight``
    default to TextureGANConfig's."""
    from ..train import TrainConfig
    from .train import train

    if log_every is None:
        log_every = 1 if steps <= 200 else 10
    c = int(channels)
    d = TextureGANConfig()
    side = max(c // 2, min(c, d.e_channels))
    cfg = TextureGANConfig(g_channels=c, e_channels=side, d_channels=side,
                           dz_hidden=max(2 * c, min(4 * c, d.dz_hidden)), crop=int(crop), g_norm=norm or d.g_norm,
                           porosity_weight=d.porosity_weight if porosity_weight is None else float(porosity_weight))
    tcfg = TrainConfig(steps=int(steps), batch_size=int(batch), checkpoint_every=int(checkpoint_every),
                       log_every=int(log_every), seed=int(seed), device=device or "auto", out_dir=str(out_dir),
                       resume=bool(resume), max_minutes=float(max_minutes))
    return train(list(specs), cfg, tcfg, state=state)
