"""Generate volumes of a chosen texture: by class (a draw from its code Gaussian) or like an example volume."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..errors import InputError
from ..io import binarize, binary_tiff_min_bytes, check_budget, check_disk, check_outputs, numbered_paths
from ..jobs import TaskState, ensure_state
from .classes import encode_crops
from .config import FACTOR, MIN_CROP
from .load import TextureModel, load_model
from .task import KIND
from .tiled import CODE_STREAM, TiledGenerator, derive_seed, tile_cells, tile_work_bytes, write_tiff_slabs

MIN_SIZE = 16        # smallest output edge (voxels)
EXAMPLE_CROPS = 32   # random crops of an example volume whose codes are averaged


def check_shape(size) -> tuple[int, int, int]:
    """``size`` (N or (z, y, x)) → a shape whose edges are multiples of 8 and at least MIN_SIZE."""
    shape = (int(size),) * 3 if np.isscalar(size) else tuple(int(s) for s in size)
    if len(shape) != 3:
        raise InputError(f"The size must be one edge N or three edges z, y, x (got {size}).")
    bad = [s for s in shape if s % FACTOR or s < MIN_SIZE]
    if bad:
        raise InputError(f"Each edge of the volume must be a multiple of {FACTOR} and at least {MIN_SIZE} voxels "
                         f"(got {'×'.join(map(str, shape))}; e.g. {max(MIN_SIZE, -(-bad[0] // FACTOR) * FACTOR)}).")
    return shape


def encode_example(model: TextureModel, volume, *, n_crops: int = EXAMPLE_CROPS, pore: str = "auto",
                   state: TaskState | None = None) -> tuple[torch.Tensor, list[str]]:
    """(mean code, notices) of an example volume (a path or an array; grey data is binarised).

    The code is the mean of E over ``n_crops`` random cubic crops of the training crop size, or of
    the volume's smallest edge when that is smaller (fixed RNG, so the same example always gives
    the same code); a cube of exactly that edge is encoded whole.
    """
    codes, _, notices = example_crops(model, volume, n_crops=n_crops, pore=pore, state=state)
    return torch.tensor(codes.mean(0), dtype=torch.float32), notices


def example_crops(model: TextureModel, volume, *, n_crops: int = EXAMPLE_CROPS, pore: str = "auto",
                  state: TaskState | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(codes (n, code_dim), porosities (n,), notices) of the example's crops (see ``encode_example``)."""
    state = ensure_state(state)
    notices: list[str] = []
    if isinstance(volume, (str, os.PathLike)):
        from ..io import read_volume

        vol = read_volume(volume, pore=pore, state=state.sub(0.0, 0.5))
        a, notices = vol.array, list(vol.notices)
    else:
        a = np.asarray(volume)
        if a.ndim != 3:
            raise InputError(f"The example must be a 3D volume; this one has shape {a.shape}.")
        if not (a.dtype == np.uint8 and a.max(initial=0) <= 1):
            a, note = binarize(a, pore)
            notices += [f"Example volume: {note}"] if note else []
    if min(a.shape) < MIN_CROP:
        raise InputError(f"The example volume is {'×'.join(map(str, a.shape))} voxels (z×y×x); it must be at "
                         f"least {MIN_CROP} voxels along every axis.")
    edge = min(model.config.crop, min(a.shape))
    rng = np.random.default_rng(0)
    if all(s == edge for s in a.shape):
        crops = [a]
    else:
        crops = []
        for _ in range(int(n_crops)):
            z, y, x = (int(rng.integers(s - edge + 1)) for s in a.shape)
            crops.append(np.ascontiguousarray(a[z:z + edge, y:y + edge, x:x + edge]))
    state.report(0.6, "Encoding the example")
    return encode_crops(model.encoder, crops), np.array([float(c.mean()) for c in crops]), notices


def nearest_class(model: TextureModel, codes: np.ndarray, porosity: np.ndarray) -> tuple[str, str]:
    """(class, how it was chosen) for an example of a class-conditioned G: the most likely class, with
    equal priors and the crops independent: the largest mean over the crops of log N(code; μ_c, Σ_c)
    (the fitted code Gaussians, when every class has one) plus log N(φ; m_c, s_c) (the class's
    training-crop porosity mean and std, when stored)."""
    names = model.class_names()
    score = np.zeros(len(names))
    used = []
    if names and all(n in model.classes for n in names):
        x = torch.as_tensor(codes, dtype=torch.float64)
        for i, n in enumerate(names):
            e = model.classes[n]
            mvn = torch.distributions.MultivariateNormal(e["mean"].double(), covariance_matrix=e["cov"].double())
            score[i] += mvn.log_prob(x).mean().item()
        used.append("its crops' codes under the class code Gaussians")
    stats = dict(zip(model.config.class_names, model.config.class_porosity))
    if names and all(n in stats for n in names):
        for i, n in enumerate(names):
            m, sd = stats[n]
            sd = max(sd, 1e-3)
            score[i] += float(np.mean(-0.5 * ((porosity - m) / sd) ** 2 - np.log(sd)))
        used.append(f"its crops' porosity {float(np.mean(porosity)):.3f} against the classes' training crops")
    if not used:
        return names[0], "no class statistics to compare with: the first class"
    return names[int(np.argmax(score))], "most likely by " + " and ".join(used)


@dataclass
class Condition:
    """What to generate: a class (codes drawn from its Gaussian) or an example's mean code."""

    label: str                       # class name, or "example"
    mean: torch.Tensor               # (code_dim,)
    chol: torch.Tensor | None = None  # Cholesky factor of the class covariance; None: always the mean
    spread: float = 1.0              # scale of the draw around the mean (0: always the class mean)
    example: str | None = None       # the example's path, when given as a file
    notices: list[str] = field(default_factory=list)
    row: int | None = None           # a class-conditioned G's class embedding row (None: not conditioned)
    embed_class: str | None = None   # ... and that class's name (an example's: its nearest class)

    def code(self, seed: int, realisation: int) -> torch.Tensor:
        """The code of realisation ``realisation``: its own stream of ``seed`` (independent of the count)."""
        if self.chol is None or self.spread == 0:
            return self.mean.clone()
        g = torch.Generator().manual_seed(derive_seed(seed, realisation, CODE_STREAM))
        eps = torch.randn(self.mean.shape[0], generator=g, dtype=torch.float64)
        return (self.mean.double() + self.spread * (self.chol @ eps)).float()


def make_condition(model: TextureModel, cls: str | None = None, example=None, *, spread: float = 1.0,
                   pore: str = "auto", state: TaskState | None = None) -> Condition:
    """The Condition for ``cls`` (a class of the model) or ``example`` (a volume path or array): exactly one."""
    if (cls is None) == (example is None):
        raise InputError("Choose what to generate: a class or an example volume (one of them).")
    if not 0 <= float(spread) < math.inf:
        raise InputError(f"The spread must be a finite number, 0 or more (got {spread}).")
    if cls is not None:
        e = model.class_entry(str(cls))
        chol = torch.linalg.cholesky(e["cov"].double())
        row = model.class_row(str(cls))
        return Condition(str(cls), e["mean"].float(), chol, float(spread), row=row,
                         embed_class=None if row is None else str(cls))
    codes, porosity, notices = example_crops(model, example, pore=pore, state=state)
    code = torch.tensor(codes.mean(0), dtype=torch.float32)
    path = str(Path(example).resolve()) if isinstance(example, (str, os.PathLike)) else None
    name = row = None
    if model.conditioned:
        name, how = nearest_class(model, codes, porosity)
        row = model.class_row(name)
        notices = notices + [f"The example is generated as class {name} ({how})."]
    return Condition("example", code, None, float(spread), path, notices, row=row, embed_class=name)


class Generated(list):
    """The volumes (uint8, z × y × x, 1 = pore) with the seed, the codes used and notices."""

    def __init__(self, volumes, seed: int, condition: Condition, codes: list[torch.Tensor]):
        super().__init__(volumes)
        self.seed, self.condition, self.codes, self.notices = seed, condition, codes, list(condition.notices)


def _model(model, device) -> TextureModel:
    return model if isinstance(model, TextureModel) else load_model(model, device=device or "cpu")


def generate(model, size, seed: int, *, cls: str | None = None, example=None, count: int = 1, spread: float = 1.0,
             pore: str = "auto", device=None, tile_bytes: int | None = None, memory_budget_bytes: int | None = None,
             state: TaskState | None = None) -> Generated:
    """``count`` volumes of ``size`` (N or (z, y, x), multiples of 8) of class ``cls`` or like ``example``.

    ``model``: a TextureModel or a checkpoint/model path. Realisation i uses code and noise streams
    of its own (derived from ``seed`` and i): the same seed gives the same volumes, and realisation
    0 does not depend on ``count``. Volumes above one tile are made tile by tile on the fixed grid
    (core.texture.tiled: bounded working memory, bit-identical whatever ``tile_bytes``, which is kept
    for callers and no longer changes anything); the outputs are held in memory (see ``generate_files``).
    """
    state = ensure_state(state)
    model = _model(model, device)
    shape = check_shape(size)
    if int(count) < 1:
        raise InputError("The count must be at least 1.")
    tile = tile_cells(model.config)  # the fixed grid: never the caller's budget (core.texture.tiled)
    check_budget(int(count) * int(np.prod(shape)) + tile_work_bytes(model.config, shape, tile), memory_budget_bytes,
                 f"Generating {count} × {'×'.join(map(str, shape))} voxels")
    cond = make_condition(model, cls, example, spread=spread, pore=pore, state=state.sub(0.0, 0.05))
    vols, codes = [], []
    for i in range(int(count)):
        codes.append(cond.code(seed, i))
        tg = TiledGenerator(model.generator, codes[-1], shape, seed, i, tile, label=cond.row)
        lo, hi = 0.05 + 0.95 * i / count, 0.05 + 0.95 * (i + 1) / count
        vols.append(tg.run(state.sub(lo, hi)))
    state.report(1.0, "Done")
    return Generated(vols, int(seed), cond, codes)


def output_paths(out, count: int) -> list[Path]:
    """OUT.tif for one realisation, OUT_001.tif … for several."""
    return numbered_paths(out, count)


class WrittenFiles(list):
    """The WrittenVolume of each realisation, with the seed, the condition and notices."""

    def __init__(self, written, seed: int, condition: Condition):
        super().__init__(written)
        self.seed, self.condition, self.notices = seed, condition, list(condition.notices)


@dataclass
class WrittenVolume:
    """One generated file and what it holds."""

    path: Path
    shape: tuple[int, int, int]
    porosity: float
    code: list[float]
    metadata: dict


def files_memory_bytes(model: TextureModel, shape, tile: int) -> int:
    """Peak memory of ``generate_files``: one z-slab of the output (uint8), its noise planes with
    margins (float32) and the largest tile's working set."""
    m, (kz, ky, kx) = model.generator.margin, (int(s) // FACTOR for s in shape)
    t = min(int(tile), kz)
    noise = 4 * model.generator.noise_channels * (t + 2 * m) * (ky + 2 * m) * (kx + 2 * m)
    return FACTOR * t * int(shape[1]) * int(shape[2]) + noise + tile_work_bytes(model.config, shape, tile)


def generate_files(model, out, size, seed: int, *, cls: str | None = None, example=None, count: int = 1,
                   spread: float = 1.0, pore: str = "auto", device=None, voxel_size_um: float = 1.0,
                   tile_bytes: int | None = None, metadata: dict | None = None,
                   state: TaskState | None = None) -> WrittenFiles:
    """Generate straight into multi-page TIFFs (OUT.tif, or OUT_001.tif … for ``count`` > 1).

    Slabs of tiles go to the file as they are made, so memory stays at one z-slab of the output
    plus one tile's working set whatever the size (1000³: ~1.3 GB); the fixed tile grid as in
    ``generate`` (``tile_bytes`` no longer changes anything). Each file is written to a temporary
    name and renamed; the seed, model, class/example and code are in its metadata.
    """
    state = ensure_state(state)
    model = _model(model, device)
    shape = check_shape(size)
    if Path(out).suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"The output must be a .tif file (got {Path(out).name}).")
    if int(count) < 1:
        raise InputError("The count must be at least 1.")
    if not math.isfinite(float(voxel_size_um)) or float(voxel_size_um) <= 0:
        raise InputError(f"The voxel size must be a positive number of micrometres (got {voxel_size_um}).")
    paths = output_paths(out, count)
    check_outputs(paths, inputs=[example] if isinstance(example, (str, os.PathLike)) else ())
    tile = tile_cells(model.config)
    check_budget(files_memory_bytes(model, shape, tile), None,
                 f"Generating {'×'.join(map(str, shape))} voxels")
    check_disk(len(paths) * binary_tiff_min_bytes(int(np.prod(shape))), paths[0], f"Writing {len(paths)} volume(s)")
    cond = make_condition(model, cls, example, spread=spread, pore=pore, state=state.sub(0.0, 0.05))
    written = []
    for i, path in enumerate(paths):
        code = cond.code(seed, i)
        meta = {"generator": KIND, "model": str(Path(model.path).resolve()) if model.path else None,
                "model_step": model.step, "seed": int(seed), "realisation": i, "count": int(count),
                "class": cond.label if cond.label != "example" else None, "example": cond.example,
                "spread": cond.spread if cond.label != "example" else None,
                "code": [round(float(v), 6) for v in code], "seqgen_version": __version__, **(metadata or {})}
        if cond.row is not None:  # the class G's embedding painted (an example's nearest class)
            meta["class_embedding"] = cond.embed_class
        tg = TiledGenerator(model.generator, code, shape, seed, i, tile, label=cond.row)
        pores = [0]

        def counted(slabs):
            for z0, slab in slabs:
                pores[0] += int(slab.sum(dtype=np.int64))
                yield z0, slab

        lo, hi = 0.05 + 0.95 * i / count, 0.05 + 0.95 * (i + 1) / count
        write_tiff_slabs(path, shape, counted(tg.slabs(state.sub(lo, hi))), metadata=meta, voxel_size_um=voxel_size_um)
        written.append(WrittenVolume(path, shape, pores[0] / float(np.prod(shape)), meta["code"], meta))
    state.report(1.0, "Done")
    return WrittenFiles(written, int(seed), cond)

