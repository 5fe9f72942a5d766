"""Bounded-memory generation for rock generators with a local norm (``g_norm`` "pixel").

Why a second path beside core.rock.tiled: a PixelNorm generator has no statistics over the volume,
so every output voxel depends only on inputs within G's receptive field. Computing it piece by piece,
each piece with a halo that covers that field, gives the whole pass's result exactly (up to float
summation order), with none of the statistics bookkeeping GroupNorm needs.

Per stage of G (core.rock.model.Generator):
* coarse (1/4 resolution) and mid (1/2): z-slabs over the full y/x extent, each computed with
  HALO = 2 cells of context on either side (two 3×3×3 convs), the context cropped away and the
  result stored in a float32 cache (4c channels at 1/64 of the voxels, 2c at 1/8: c bytes per
  output voxel for the mid cache, 64 MB per 256³ at width 8);
* fine (full resolution): boxes along z, y and x with FINE_HALO voxels of context (two convs and
  the output conv need 3; 4 keeps box edges on half-resolution cells), thresholded at 0.5 and
  written straight into the caller's uint8 array. Box sizes follow ``budget_bytes``.
At the volume's faces a piece has no halo there, so each conv pads exactly as in the whole pass
(any padding mode, "reflect" included).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .config import FACTOR
from .model import Generator, centre_weight, lift

HALO = 2        # cells of context for the two 3×3×3 convs of a coarse or mid block pair
FINE_HALO = 4   # voxels of context for the fine stage (3 needed; even, so boxes start on half-res cells)


def _spans(n: int, step: int) -> list[tuple[int, int]]:
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def fine_bytes_per_voxel(channels: int) -> int:
    """Working set of the fine stage per voxel of a box (float32): its 3c+1 inputs, block outputs, output."""
    return 4 * (10 * channels + 4)


def plan_boxes(z0: int, z1: int, h: int, w: int, budget: int, bpv: int) -> list[tuple[int, ...]]:
    """Fine-stage boxes (za, zb, ya, yb, xa, xb) covering planes [z0, z1) (z0 even) and all h × w, each
    with its FINE_HALO fitting ``budget`` bytes at ``bpv`` bytes per voxel: z-slabs of whole planes when
    at least 8 planes fit that way (less halo overhead), else cubic-ish boxes; edges even."""
    fit = max(1, budget // bpv)
    halo = 2 * FINE_HALO
    by, bx = h, w
    if fit // ((h + halo) * (w + halo)) - halo < 8:
        edge = max(8, int(fit ** (1 / 3)) - halo) // 2 * 2
        by, bx = min(h, edge), min(w, edge)
    bz = max(2, (fit // ((by + halo) * (bx + halo)) - halo) // 2 * 2)
    return [(za, zb, ya, yb, xa, xb) for za, zb in [(a, min(a + bz, z1)) for a in range(z0, z1, bz)]
            for ya, yb in _spans(h, by) for xa, xb in _spans(w, bx)]


class SlabGenerator:
    """G(h, z) for one encoded slice, computed slab by slab with exact halos (PixelNorm generators only)."""

    def __init__(self, generator: Generator, code, full: int, height: int, width: int, *,
                 budget_bytes: int = 512 * 2**20):
        if getattr(generator, "norm", "group") != "pixel":
            raise ValueError("SlabGenerator needs a generator with a local norm (g_norm 'pixel').")
        self.g, self.code, self.full = generator, code, full
        self.height, self.width, self.budget = height, width, int(budget_bytes)
        self.decay = generator.decay

    def _w(self, cells: int, scale: int, start: int, like: torch.Tensor) -> torch.Tensor:
        return centre_weight(cells, scale, self.full, self.decay, like, start=start)

    def _slab_cells(self, plane_values: int) -> int:
        """Slab depth (cells) whose working set (float32, with its halo) fits the budget."""
        return max(1, self.budget // max(1, 4 * plane_values) - 2 * HALO)

    def _stage(self, blocks, n: int, make_input, plane_values: int) -> torch.Tensor:
        """Run a block pair over n z-cells in slabs; make_input(a, b) gives its input for cells [a, b).
        ``plane_values``: values per z-cell of the input plus both convs' outputs (sizes the slabs)."""
        cache = None
        for a, b in _spans(n, self._slab_cells(plane_values)):
            ea, eb = max(0, a - HALO), min(n, b + HALO)
            y = blocks(make_input(ea, eb))[:, :, a - ea:a - ea + (b - a)]
            if cache is None:
                cache = torch.empty((y.shape[0], y.shape[1], n) + tuple(y.shape[3:]), dtype=y.dtype, device=y.device)
            cache[:, :, a:b] = y
        return cache

    @staticmethod
    def _up(x: torch.Tensor, a: int, b: int) -> torch.Tensor:
        """Cells [a, b) along z (all of y and x) of the nearest ×2 upsampling of x in all three axes."""
        up = F.interpolate(x[:, :, a // 2:-(-b // 2)], scale_factor=2, mode="nearest")
        return up[:, :, a % 2:a % 2 + (b - a)]

    def run(self, z: torch.Tensor, out: np.ndarray, z_start: int, state=None) -> np.ndarray:
        """Threshold G(h, z) at 0.5 into ``out`` (uint8, D × h × w): planes z_start.. of the domain,
        rows/columns from 0. ``z``: the whole noise field (1, nz, full/4, H/4, W/4)."""
        def report(frac, msg):
            if state is not None:
                state.report(frac, msg)

        g, (f0, f1, f2) = self.g, self.code
        z = z.to(f2)
        nc = z.shape[2]
        report(0.0, "Coarse stage")
        c4, c2, c = (blk[-1].conv.out_channels for blk in (g.coarse, g.mid, g.fine))
        coarse = self._stage(g.coarse, nc, lambda a, b: torch.cat([z[:, :, a:b], lift(f2, self._w(b - a, 4, a, z))], 1),
                             f2.shape[2] * f2.shape[3] * (z.shape[1] + f2.shape[1] + 1 + 4 * c4))
        report(0.05, "Middle stage")
        mid = self._stage(g.mid, 2 * nc,
                          lambda a, b: torch.cat([self._up(coarse, a, b), lift(f1, self._w(b - a, 2, a, coarse))], 1),
                          f1.shape[2] * f1.shape[3] * (c4 + f1.shape[1] + 1 + 4 * c2))
        del coarse
        d, h, w = out.shape
        boxes = plan_boxes(z_start - z_start % 2, z_start + d, h, w, self.budget, fine_bytes_per_voxel(c))
        full_h, full_w = self.height, self.width
        for k, (za, zb, ya, yb, xa, xb) in enumerate(boxes):
            report(0.2 + 0.8 * k / len(boxes), f"Tile {k + 1} of {len(boxes)}")
            ez0, ey0, ex0 = (max(0, v - FINE_HALO) for v in (za, ya, xa))
            ez1, ey1, ex1 = min(self.full, zb + FINE_HALO), min(full_h, yb + FINE_HALO), min(full_w, xb + FINE_HALO)
            ez1, ey1, ex1 = (v + v % 2 for v in (ez1, ey1, ex1))  # whole half-res cells (the domain is a multiple of 4)
            m = self._up(mid[:, :, :, ey0 // 2:ey1 // 2, ex0 // 2:ex1 // 2], ez0, ez1)
            x = torch.cat([m, lift(f0[:, :, ey0:ey1, ex0:ex1], self._w(ez1 - ez0, 1, ez0, m))], 1)
            p = torch.sigmoid(g.out(g.fine(x)))
            blk = p[0, 0, max(za, z_start) - ez0:zb - ez0, ya - ey0:yb - ey0, xa - ex0:xb - ex0] >= 0.5
            out[max(za, z_start) - z_start:zb - z_start, ya:yb, xa:xb] = blk.to(torch.uint8).cpu().numpy()
        report(1.0, "Done")
        return out
