"""Training data by class: ``[NAME=]PATH`` specs → training parts of the volumes, and same-class crop pairs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError
from ..jobs import TaskState, ensure_state
from ..volumes.crops import CropSampler
from ..volumes.split import load_training_volumes

VOLUME_FILES = (".tif", ".tiff", ".npy", ".npz")  # what a class folder may hold (RAW needs a shape)


@dataclass
class ClassSpec:
    """One ``--data`` argument: a class name and the files (volumes) that belong to it."""

    name: str
    paths: list[Path]


def default_class_name(path) -> str:
    """The class of a file or folder without an explicit name: its stem before "_" (berea_400.tif → berea)."""
    stem = Path(path).name.split(".")[0]
    return stem.split("_")[0] or stem


def _is_3d_file(p: Path) -> bool:
    """Whether ``p`` holds a 3D volume (not a 2D slice), read from its header only."""
    try:
        if p.suffix.lower() in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(p) as t:
                return len([s for s in t.series[0].shape if s > 1]) >= 3 or len(t.pages) > 1
        if p.suffix.lower() == ".npy":
            return np.load(p, mmap_mode="r", allow_pickle=False).ndim == 3
        return p.suffix.lower() == ".npz"
    except Exception:  # unreadable: let read_volume report it with its own message
        return True


def folder_volumes(folder: Path) -> list[Path]:
    """The volumes of a class folder; a folder of 2D slices is one volume (the folder itself)."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VOLUME_FILES)
    vols = [p for p in files if _is_3d_file(p)]
    return vols or [folder]


def parse_data_specs(specs) -> list[ClassSpec]:
    """``["berea=a.tif", "ketton_256.tif", "folder/"]`` → class specs; the same name twice is one class."""
    out: dict[str, ClassSpec] = {}
    for spec in specs:
        text = str(spec)
        name, _, rest = text.partition("=")
        if rest and not Path(text).exists() and name.strip() and not any(c in name for c in "/\\"):
            name, path = name.strip(), Path(rest).expanduser()
        else:
            name, path = None, Path(text).expanduser()
        if not path.exists():
            raise InputError(f"{path} does not exist (training data is given as [NAME=]PATH).")
        name = name or default_class_name(path)
        paths = folder_volumes(path) if path.is_dir() else [path]
        out.setdefault(name, ClassSpec(name, []))
        out[name].paths += [p for p in paths if p not in out[name].paths]
    if not out:
        raise InputError("Give at least one training volume (--data [NAME=]PATH).")
    return list(out.values())


def load_class_volumes(specs: list[ClassSpec], *, pore: str = "auto", state: TaskState | None = None
                       ) -> tuple[dict[str, list[np.ndarray]], list[str]]:
    """{class: training parts of its volumes} (binding split applied by file name) and the notices."""
    state = ensure_state(state)
    specs = list(specs)
    classes, notices = {}, []
    for i, spec in enumerate(specs):
        part = state.sub(i / len(specs), (i + 1) / len(specs))
        arrays, notes = load_training_volumes(spec.paths, pore=pore, state=part)
        classes[spec.name] = arrays
        notices += notes
    return classes, notices


class PairSampler:
    """Two random crops of one class per item (flipped/rotated as in core.volumes.crops.CropSampler).

    The class of each item is drawn uniformly, so a class with one small volume is seen as often
    as a class with many large ones; both crops may come from different volumes of the class.
    """

    def __init__(self, classes: dict[str, list[np.ndarray]], crop: int):
        if not classes:
            raise InputError("Give at least one training class.")
        self.names = list(classes)
        self.samplers = [CropSampler(classes[n], crop) for n in self.names]
        self.crop = crop

    def sample(self, batch: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x, x′, labels): two (B, 1, C, C, C) float tensors in {0, 1} and the class index of each item."""
        labels = rng.integers(len(self.names), size=batch)
        x = np.stack([self.samplers[k].crop_one(rng) for k in labels])
        x2 = np.stack([self.samplers[k].crop_one(rng) for k in labels])
        as_t = lambda a: torch.from_numpy(a[:, None].astype(np.float32))  # noqa: E731
        return as_t(x), as_t(x2), torch.from_numpy(labels.astype(np.int64))


POROSITY_CROPS = 128  # random crops per class whose porosities give the class's (mean, std)


def crop_porosity(classes: dict[str, list[np.ndarray]], crop: int, *, n_crops: int = POROSITY_CROPS,
                  seed: int = 0) -> tuple[tuple[float, float], ...]:
    """(mean, std (ddof 1)) of the porosity of ``n_crops`` random ``crop``³ training crops per class, in
    class order; crops from their own RNG (``seed``), so the same data always gives the same figures."""
    rng = np.random.default_rng(seed)
    out = []
    for vols in classes.values():
        sampler = CropSampler(vols, crop)
        phi = np.array([float(sampler.crop_one(rng).mean()) for _ in range(int(n_crops))])
        out.append((float(phi.mean()), float(phi.std(ddof=1))))
    return tuple(out)
