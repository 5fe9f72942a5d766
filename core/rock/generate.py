"""Generate 3D volumes from one 2D slice with a trained rock GAN."""

from __future__ import annotations

import numpy as np
import torch

from ..denormals import flushed_denormals
from ..errors import InputError
from ..io import binarize, check_budget
from ..jobs import TaskState, ensure_state
from .config import FACTOR, MIN_SLICE
from .load import RockModel, load_model
from .model import noise_shape
from .slabs import SlabGenerator
from .tiled import DEFAULT_TILE_BYTES, TILED_MODES, TiledGenerator


class Generated(list):
    """The volumes (uint8, depth × H × W, 1 = pore) plus what the user should be told.

    slice_match[i]: fraction of voxels of G's own central slice equal to the input, measured
    before any pasting; pasted: whether the exact input was then written into the central slice
    (index depth // 2); notices: e.g. how a grey slice was binarised.
    """

    def __init__(self, volumes, slice_match, pasted, seed, centre, notices):
        super().__init__(volumes)
        self.slice_match, self.pasted, self.seed, self.centre, self.notices = slice_match, pasted, seed, centre, notices


def _prepare_slice(slice2d) -> tuple[np.ndarray, list[str]]:
    a = np.asarray(slice2d)
    if a.ndim == 3 and 1 in a.shape:
        a = np.squeeze(a)
    if a.ndim != 2:
        raise InputError(f"The slice must be a 2D image; this one has shape {a.shape}.")
    if min(a.shape) < MIN_SLICE:
        raise InputError(f"The slice is {a.shape[1]}×{a.shape[0]} pixels; this model needs at least "
                         f"{MIN_SLICE}×{MIN_SLICE}.")
    if a.dtype == np.uint8 and a.max(initial=0) <= 1:
        return a, []
    b, notice = binarize(a)
    return b, [notice] if notice else []


WHOLE_VOXELS = 64**3  # domains up to this size: one whole pass (exact GroupNorm, fits in ~0.3 GB)
# Working set per tile of the fixed tile grid, never the caller's budget: oneDNN and MKL pick their kernels
# (hence the order of float sums) by tensor shape, so a grid that followed the budget gave volumes that
# differed in a few threshold voxels between budgets on some CPUs (AMD Zen 5). One grid: one computation.
GRID_TILE_BYTES = DEFAULT_TILE_BYTES


def generate(model, slice2d, depth: int, count: int, seed: int, state: TaskState | None = None, *,
             paste: bool = True, device=None, memory_budget_bytes: int | None = None,
             tile_budget_bytes: int | None = None, tiled: bool | None = None) -> Generated:
    """``count`` volumes of ``depth`` × H × W whose central slice (index depth // 2) follows ``slice2d``.

    ``model``: a RockModel or a checkpoint path. Realisation i uses the i-th noise draw of a
    generator seeded with ``seed`` (so the same seed gives the same volumes, and realisation 0
    does not depend on ``count``). Noise is drawn on the CPU: the same on every device.

    Volumes larger than 64³ are computed tile by tile (core.rock.tiled): peak memory about one
    tile's working set (GRID_TILE_BYTES, 512 MiB) plus ~10 bytes per voxel of half-resolution caches
    (channels 16) plus the output itself, whatever the size. The tile grid is fixed by the model and
    the size alone, so the volume is bit-identical whatever ``tile_budget_bytes`` (kept for callers;
    it no longer changes anything). ``tiled``: None = automatic, True/False to force the tiled/whole
    pass. GroupNorm models with ``padding_mode`` "reflect" always use the whole pass (with a
    notice). Models with a local norm (``g_norm`` "pixel") are tiled by core.rock.slabs instead:
    exact, any padding, and ~1.25·c bytes per voxel of caches (c = channels).
    """
    state = ensure_state(state)
    if not isinstance(model, RockModel):
        model = load_model(model, device=device or "cpu")
    if int(depth) < 1 or int(count) < 1:
        raise InputError("Depth and count must both be at least 1.")
    depth, count = int(depth), int(count)
    s, notices = _prepare_slice(slice2d)
    h, w = s.shape
    # Pad to multiples of 4 by reflection (E halves twice), crop the output back afterwards.
    ph, pw = (-h) % FACTOR, (-w) % FACTOR
    sp = np.pad(s, ((0, ph), (0, pw)), mode="reflect")
    nz = noise_shape(model.config, depth, *sp.shape)
    full = nz[1] * FACTOR
    if tiled is None:
        tiled = full * sp.size > WHOLE_VOXELS
    local = getattr(model.generator, "norm", "group") == "pixel"
    if tiled and not local and getattr(model.generator, "padding_mode", "zeros") not in TILED_MODES:
        # core.rock.tiled reproduces zero and replicate padding only ("reflect" does not commute
        # with its sub-pixel upsampling): such models run as one whole pass.
        tiled = False
        notices.append(f"This model uses {model.generator.padding_mode} padding, which tiled generation "
                       "does not support: the volume is generated in one pass, which needs more memory.")
    c = model.config.channels
    grid = GRID_TILE_BYTES
    if tiled and local:  # outputs + box working set + coarse and mid caches (4c at 1/64, 2c at 1/8, float32)
        need = count * depth * h * w + grid + full * sp.size * c * 5 // 4
    elif tiled:  # outputs + tile working set + the mid-stage caches (2 × 2c channels at 1/8, float16)
        need = count * depth * h * w + grid + full * sp.size * c // 2
    else:  # the whole pass holds ~40·c bytes per voxel at its widest (measured)
        need = full * sp.size * 40 * c
    check_budget(need, memory_budget_bytes, f"Generating {count} × {depth}×{h}×{w} voxels")
    dev = model.device
    gen = torch.Generator().manual_seed(int(seed))
    start, centre = full // 2 - depth // 2, depth // 2
    vols, matches = [], []
    with torch.inference_mode(), flushed_denormals():  # subnormals are 10–20× slower (core.denormals)
        code = model.encoder(torch.from_numpy(sp).float()[None, None].to(dev))
        tiler = SlabGenerator if local else TiledGenerator
        tg = tiler(model.generator, code, full, *sp.shape, budget_bytes=grid) if tiled else None
        for i in range(count):
            state.report(i / count, f"Generating realisation {i + 1} of {count}")
            z = torch.randn((1,) + nz, generator=gen).to(dev)
            if tg is not None:
                vol = tg.run(z, np.empty((depth, h, w), np.uint8), start, state.sub(i / count, (i + 1) / count))
            else:
                prob = model.generator(code, z)[0, 0, start:start + depth, :h, :w]
                vol = (prob >= 0.5).to(torch.uint8).cpu().numpy()
            matches.append(float((vol[centre] == s).mean()))
            if paste:
                vol[centre] = s
            vols.append(vol)
    state.report(1.0, "Done")
    return Generated(vols, matches, paste, int(seed), centre, notices)
