"""Class selection: a Gaussian of the encoder's codes per texture class, fitted after training.

The table lives in ``classes.pt`` beside the run's checkpoints (written by ``train``) and inside an
exported model file (``export`` copies it in). Each entry: mean and covariance of E's codes over
random training crops of the class, the class's training porosity, and a small real slice
(uint8, 1 = pore) for the GUI. A table is tied to the encoder it was fitted with (its ``step``).
``classes.pt`` also carries G's BatchNorm statistics measured afresh for that step (inference
calibration); an exported model has them in its generator weights.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError
from ..jobs import TaskState, ensure_state
from ..train import load_checkpoint, save_checkpoint
from ..volumes.crops import CropSampler
from .data import PairSampler
from .model import Generator, recalibrate_batchnorm

CLASSES_FILE = "classes.pt"
CLASSES_KIND = "texture-classes"
CLASSES_VERSION = 1
PREVIEW = 128     # edge of the stored real slice (voxels), at most
CLASS_CROPS = 64  # crops per class whose codes make the class Gaussian


@torch.no_grad()
def encode_crops(encoder: torch.nn.Module, crops, batch: int = 8) -> np.ndarray:
    """Codes (n, code_dim) of binary crops (each D×H×W, all one shape), in batches."""
    dev = next(encoder.parameters()).device
    encoder.eval()
    out = []
    for i in range(0, len(crops), batch):
        x = torch.from_numpy(np.stack(crops[i:i + batch])[:, None].astype(np.float32)).to(dev)
        out.append(encoder(x).float().cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def _preview(volumes: list[np.ndarray]) -> np.ndarray:
    """A central z-slice of the class's first training volume, at most PREVIEW² (uint8, 1 = pore)."""
    v = volumes[0]
    s = v[v.shape[0] // 2]
    y0, x0 = max(0, (s.shape[0] - PREVIEW) // 2), max(0, (s.shape[1] - PREVIEW) // 2)
    return np.ascontiguousarray(s[y0:y0 + PREVIEW, x0:x0 + PREVIEW], dtype=np.uint8)


def fit_classes(encoder: torch.nn.Module, classes: dict[str, list[np.ndarray]], crop: int, *,
                n_crops: int = CLASS_CROPS, seed: int = 0, state: TaskState | None = None) -> dict[str, dict]:
    """{class: {mean, cov, porosity, n_crops, preview}} from ``n_crops`` random crops of each class.

    The covariance gets a small ridge (1e-4 of its mean variance) so that sampling from it works
    even when the codes of a class are nearly degenerate; crops use their own RNG (``seed``).
    """
    state = ensure_state(state)
    if int(n_crops) < 2:
        raise InputError("Fitting a class needs at least 2 crops.")
    rng = np.random.default_rng(seed)
    table = {}
    for i, (name, vols) in enumerate(classes.items()):
        state.report(i / len(classes), f"Fitting class {name}")
        sampler = CropSampler(vols, crop)
        codes = encode_crops(encoder, [np.ascontiguousarray(sampler.crop_one(rng)) for _ in range(int(n_crops))])
        cov = np.atleast_2d(np.cov(codes, rowvar=False))
        cov = (cov + cov.T) / 2 + 1e-4 * max(float(np.mean(np.diag(cov))), 1e-8) * np.eye(len(cov))
        voxels = sum(v.size for v in vols)
        table[name] = {"mean": torch.tensor(codes.mean(0), dtype=torch.float32),
                       "cov": torch.tensor(cov, dtype=torch.float32),
                       "porosity": float(sum(float(v.sum(dtype=np.int64)) for v in vols) / voxels),
                       "n_crops": int(n_crops), "preview": torch.from_numpy(_preview(vols))}
    state.report(1.0, "Classes fitted")
    return table


def embedding_rows(config, names) -> list[int] | None:
    """The row of G's class embedding of each class in ``names`` (None: G is not class-conditioned).

    Rows follow the model's ``class_names`` (its training data's order); a model without names (built
    by hand) takes the classes by position."""
    if not config.class_embed:
        return None
    known = list(config.class_names) or list(names)[:config.class_embed]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"This model is conditioned on the classes {', '.join(known)}; "
                         f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not among them.")
    return [known.index(n) for n in names]


def calibration_batches(encoder: torch.nn.Module, generator: Generator, classes: dict[str, list[np.ndarray]],
                        crop: int, *, batches: int = 8, batch: int = 8, seed: int = 0, rows: list[int] | None = None):
    """(codes, noise, classes) batches made like G's training batches: prior codes and codes of real
    crops; ``rows``: the embedding row of each class of ``classes`` (None: classes not given to G)."""
    dev = next(generator.parameters()).device
    sampler = PairSampler(classes, crop)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    cells = generator.latent_cells(crop)
    half = max(1, batch // 2)
    for _ in range(int(batches)):
        x, _, labels = sampler.sample(half, rng)
        with torch.no_grad():
            codes = encoder.eval()(x.to(dev)).float()
        prior = torch.randn(codes.shape, generator=gen).to(dev)
        noise = torch.randn((2 * half, generator.noise_channels, cells, cells, cells), generator=gen).to(dev)
        c = None if rows is None else torch.tensor(rows)[torch.cat([labels, labels])].to(dev)
        yield torch.cat([prior, codes]), noise, c


def calibrate_generator(encoder: torch.nn.Module, generator: Generator, classes: dict[str, list[np.ndarray]],
                        crop: int, *, batches: int = 8, batch: int = 8, seed: int = 0,
                        rows: list[int] | None = None) -> dict[str, torch.Tensor]:
    """Measure G's BatchNorm statistics afresh (see core.texture.model.recalibrate_batchnorm)."""
    return recalibrate_batchnorm(generator, calibration_batches(encoder, generator, classes, crop,
                                                                batches=batches, batch=batch, seed=seed, rows=rows))


def fit_inference(encoder, generator: Generator, classes: dict[str, list[np.ndarray]], crop: int, *,
                  n_crops: int = CLASS_CROPS, state: TaskState | None = None, config=None) -> tuple[dict, dict]:
    """(class table, G's BatchNorm statistics) for trained E and G: what generation needs besides weights;
    ``config``: the model's, for a class-conditioned G (which embedding row each class is)."""
    rows = None if config is None else embedding_rows(config, list(classes))
    bn_stats = calibrate_generator(encoder, generator, classes, crop, rows=rows)
    return fit_classes(encoder, classes, crop, n_crops=n_crops, state=state), bn_stats


def save_class_table(path: str | os.PathLike, table: dict[str, dict], *, step: int, crop: int,
                     bn_stats: dict | None = None) -> Path:
    """Write ``classes.pt`` (atomic) for checkpoint step ``step``: the class table and G's BatchNorm
    statistics measured for that step's weights (``bn_stats``, applied when the model is loaded)."""
    return save_checkpoint(path, {"kind": CLASSES_KIND, "format_version": CLASSES_VERSION, "step": int(step),
                                  "crop": int(crop), "classes": table, "bn_stats": dict(bn_stats or {})})


def load_class_table(path: str | os.PathLike) -> dict:
    """Read a ``classes.pt``: {kind, format_version, step, crop, classes}."""
    return load_checkpoint(path, kind=CLASSES_KIND, max_version=CLASSES_VERSION)


def class_table_beside(checkpoint: str | os.PathLike, step: int) -> tuple[dict | None, str | None]:
    """(table, notice): ``classes.pt`` in the checkpoint's folder when it was fitted for this step."""
    p = Path(checkpoint).parent / CLASSES_FILE
    if not p.is_file():
        return None, None
    t = load_class_table(p)
    if int(t["step"]) != int(step):
        return None, (f"{p} was fitted for step {t['step']}, but {Path(checkpoint).name} is step {step}: "
                      "its classes are not used (export with --data to fit them for this checkpoint).")
    return t, None
