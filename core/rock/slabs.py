"""Bounded-memory generation for rock generators with a local norm (``g_norm`` "pixel").

Why a second path beside core.rock.tiled: a PixelNorm generator has no statistics over the volume,
so every output voxel depends only on inputs within G's receptive field. Computing it piece by piece,
each piece with a halo that covers that field, gives the whole pass's result exactly (up to float
summation order), with none of the statistics bookkeeping GroupNorm needs.

Per stage of G (core.rock.model.Generator: coarse at 1/4 resolution, mid at 1/2, fine at full):
* coarse and mid: z-slabs over the full y/x extent, stored in float32 caches (4c channels at 1/64
  of the voxels, 2c at 1/8: 1.25·c bytes per output voxel, 80 MB per 256³ at width 8);
* fine: boxes along z, y and x (``plan_boxes``, sized by ``budget_bytes``), thresholded at 0.5 and
  written straight into the caller's uint8 array.
core.rock.generate plans slabs and boxes for its fixed GRID_TILE_BYTES, never the caller's budget:
the same pieces on the same shapes, so the volume is bit-identical whatever the budget on any CPU
(other grids agree up to float rounding: oneDNN picks kernels, hence summation orders, by shape).
Each piece is computed over its cells grown by HALO (the two block convs, and the output conv of the
fine stage, each reach one cell), then cropped. At the volume's faces there is nothing to grow into,
so every conv pads exactly as in the whole pass (any padding mode).

The same exact speed-ups as core.rock.tiled (measured there): nearest ×2 upsampling followed by a
3×3×3 conv is computed as 8 phase convs of the low-resolution map (8/27 of the work; zeros and
replicate padding, not reflect); the lifted slice features f(y,x)·w(d) enter the first conv as three
2D convs of the slice plus a per-voxel sum over the depth taps; oneDNN convs on channels_last data.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .config import FACTOR
from .model import Generator, centre_weight
from .tiled import (CL, DEFAULT_TILE_BYTES, TILED_MODES, conv3d, depth_taps, lifted_maps, padded_depth_weight,
                    subpixel_conv, subpixel_kernels)

HALO = 3        # cells of context: enough for the fine stage's three convs (two for coarse and mid)


def _spans(n: int, step: int) -> list[tuple[int, int]]:
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def fine_bytes_per_voxel(channels: int) -> int:
    """Working set of the fine stage per voxel of a box (float32): its inputs, block outputs, output."""
    return 4 * (8 * channels + 4)


def plan_boxes(z0: int, z1: int, h: int, w: int, budget: int, bpv: int) -> list[tuple[int, ...]]:
    """Fine-stage boxes (za, zb, ya, yb, xa, xb) covering planes [z0, z1) and all h × w, each with its
    HALO fitting ``budget`` bytes at ``bpv`` bytes per voxel: z-slabs of whole planes when at least 8
    planes fit that way (less halo overhead), else cubic-ish boxes; edges even."""
    fit = max(1, budget // bpv)
    halo = 2 * HALO
    by, bx = h, w
    if fit // ((h + halo) * (w + halo)) - halo < 8:
        edge = max(8, int(fit ** (1 / 3)) - halo) // 2 * 2
        by, bx = min(h, edge), min(w, edge)
    bz = max(2, (fit // ((by + halo) * (bx + halo)) - halo) // 2 * 2)
    return [(za, zb, ya, yb, xa, xb) for za, zb in [(a, min(a + bz, z1)) for a in range(z0, z1, bz)]
            for ya, yb in _spans(h, by) for xa, xb in _spans(w, bx)]


def pixel_norm_act(x: torch.Tensor, norm) -> torch.Tensor:
    """core.volumes.blocks.PixelNorm then LeakyReLU(0.2), in place."""
    x.mul_(torch.rsqrt(x.square().mean(1, keepdim=True).add_(norm.eps)))
    x.mul_(norm.weight.view(1, -1, 1, 1, 1)).add_(norm.bias.view(1, -1, 1, 1, 1))
    return F.leaky_relu_(x, 0.2)


class _Stage:
    """One block pair of G with its weights split into the part on the previous map and the lifted part."""

    def __init__(self, blocks, scale: int, up: bool, feat: torch.Tensor, full: int, decay: float, mode: str):
        b1, b2 = blocks[0], blocks[1]
        cf = feat.shape[1]
        self.scale, self.up, self.mode, self.feat = scale, up, mode, feat
        w1 = b1.conv.weight
        self.cx = w1.shape[1] - cf - 1
        wx = w1[:, :self.cx]
        self.sub = up and mode in TILED_MODES
        self.wx = subpixel_kernels(wx) if self.sub else wx.contiguous()
        self.w1l, self.b1, self.n1 = w1[:, self.cx:], b1.conv.bias, b1.norm
        self.w2, self.b2, self.n2 = b2.conv.weight.contiguous(), b2.conv.bias, b2.norm
        self.wpad = padded_depth_weight(centre_weight(full // scale, scale, full, decay, feat).view(-1), mode)

    def _conv_prev(self, x: torch.Tensor) -> torch.Tensor:
        """First conv's part on the previous map (upsampled ×2 first when ``up``)."""
        if self.sub:
            return subpixel_conv(x, self.wx, self.mode)
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        return conv3d(x.contiguous(memory_format=CL), self.wx, None, 1, self.mode)

    def run(self, prev: torch.Tensor, box, dims) -> tuple[torch.Tensor, tuple]:
        """Stage output (after its second norm and activation) over ``box`` (cell ranges) grown by the halo,
        and that grown range. ``prev``: the previous map (or the noise) over the matching cells."""
        grown = tuple((max(a - HALO, 0), min(b + HALO, n)) for (a, b), n in zip(box, dims))
        if self.up:
            src = tuple((a // 2, -(-b // 2)) for a, b in grown)
            x = self._conv_prev(prev[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in src)])
            x = x[(slice(None), slice(None)) + tuple(slice(a - 2 * s, b - 2 * s) for (a, b), (s, _) in zip(grown, src))]
        else:
            x = self._conv_prev(prev[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in grown)])
        x = x.contiguous(memory_format=CL)
        (z0, z1), yr, xr = grown
        taps = depth_taps(self.wpad, z0, z1 - z0)
        lift = lifted_maps(self.feat, self.w1l, self.b1, yr, xr, self.mode)
        x.permute(0, 2, 3, 4, 1).view(z1 - z0, -1).addmm_(taps, lift.view(4, -1))
        x = pixel_norm_act(x, self.n1)
        x = conv3d(x, self.w2, self.b2, 1, self.mode)
        return pixel_norm_act(x, self.n2), grown


class SlabGenerator:
    """G(h, z) for one encoded slice, computed slab by slab with exact halos (PixelNorm generators only).

    ``full``, ``height``, ``width``: the (padded) domain G works on, multiples of 4, exactly as the
    whole pass ``generator(h, z)`` with z of shape (1, nz, full/4, height/4, width/4).
    """

    def __init__(self, generator: Generator, code, full: int, height: int, width: int, *,
                 budget_bytes: int = DEFAULT_TILE_BYTES):
        if getattr(generator, "norm", "group") != "pixel":
            raise ValueError("SlabGenerator needs a generator with a local norm (g_norm 'pixel').")
        g = generator
        self.g, self.full, self.height, self.width, self.budget = g, full, height, width, int(budget_bytes)
        mode = g.padding_mode
        self.stages = [_Stage(seq, scale, up, f, full, g.decay, mode) for seq, scale, up, f in
                       ((g.coarse, 4, False, code[2]), (g.mid, 2, True, code[1]), (g.fine, 1, True, code[0]))]

    def _dims(self, st: _Stage) -> tuple[int, int, int]:
        return (self.full // st.scale, self.height // st.scale, self.width // st.scale)

    def _whole_planes(self, st: _Stage, prev: torch.Tensor) -> torch.Tensor:
        """A coarse or mid stage over the whole domain, in z-slabs of whole planes sized by the budget."""
        dims = self._dims(st)
        o = st.w2.shape[0]
        per_plane = 4 * dims[1] * dims[2] * (st.w1l.shape[1] + st.cx * (8 if st.up else 1) + 4 * o)
        step = max(1, self.budget // per_plane - 2 * HALO)
        cache = torch.empty((1, o) + dims, dtype=prev.dtype, device=prev.device, memory_format=CL)
        for a, b in _spans(dims[0], step):
            y, grown = st.run(prev, ((a, b), (0, dims[1]), (0, dims[2])), dims)
            cache[:, :, a:b] = y[:, :, a - grown[0][0]:b - grown[0][0]]
        return cache

    def run(self, z: torch.Tensor, out: np.ndarray, z_start: int, state=None) -> np.ndarray:
        """Threshold G(h, z) at 0.5 into ``out`` (uint8, D × h × w): planes z_start.. of the domain,
        rows/columns from 0. ``z``: the whole noise field (1, nz, full/4, H/4, W/4)."""
        def report(frac, msg):
            if state is not None:
                state.report(frac, msg)

        coarse, mid, fine = self.stages
        report(0.0, "Coarse stage")
        x = self._whole_planes(coarse, z.to(coarse.feat).contiguous(memory_format=CL))
        report(0.05, "Middle stage")
        x = self._whole_planes(mid, x)
        d, h, w = out.shape
        dims = self._dims(fine)
        out_conv = self.g.out
        boxes = plan_boxes(z_start, z_start + d, h, w, self.budget, fine_bytes_per_voxel(fine.w2.shape[0]))
        for k, (za, zb, ya, yb, xa, xb) in enumerate(boxes):
            report(0.2 + 0.8 * k / len(boxes), f"Tile {k + 1} of {len(boxes)}")
            y, grown = fine.run(x, ((za, zb), (ya, yb), (xa, xb)), dims)
            p = conv3d(y, out_conv.weight, out_conv.bias, 1, fine.mode)
            (gz, _), (gy, _), (gx, _) = grown
            blk = torch.sigmoid(p[0, 0, za - gz:zb - gz, ya - gy:yb - gy, xa - gx:xb - gx]) >= 0.5
            out[za - z_start:zb - z_start, ya:yb, xa:xb] = blk.to(torch.uint8).cpu().numpy()
        report(1.0, "Done")
        return out
