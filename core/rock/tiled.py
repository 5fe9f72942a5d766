"""Bounded-memory, tiled inference for the rock generator G (inference only: same weights, same API).

Why: G's full-resolution stage holds several c-channel float maps of the whole volume at once, so one
whole pass at 256³ needs ~10 GB (c = 16) to ~19 GB (c = 32). Here the full-resolution stage is
computed in tiles along z (and y/x when one z-band alone is too big), each with a halo covering G's
receptive field, written straight into a preallocated uint8 array.

GroupNorm (GN) is G's only non-local operation: each GN normalises with statistics (per sample and
group) of the whole volume. How they are obtained, per stage of G:

* coarse (1/4 resolution) and mid (1/2) stages: EXACT whole-volume statistics, computed layer by
  layer in z-slabs: pass 1 computes the stage's first conv slab by slab, keeps the pre-norm result
  in a cache (``cache_dtype``, float16 by default) and accumulates per-plane statistics; pass 2 does
  the same for the second conv from the normalised cache. These stages are cheap (1/64 and 1/8 of
  the voxels); the caches cost 2 × 4c channels / 64 + 2 × 2c / 8 values per output voxel
  (c = 16: ~10 bytes per voxel in float16, 170 MB at 256³), transient during each stage.
* fine (full resolution) stage: statistics ESTIMATED from a stratified sample of z-planes (all rows
  and columns): every plane within ``NEAR`` voxels of the input slice, or within its reach
  (config.slice_reach, ≈ 3·decay) when that is more, where the lifted slice features act, and the
  first/last coarse cell (zero padding at the volume edges) count once; of
  the remaining far planes, whose statistics are stationary along z (noise only), one pair of
  coarse cells in every ``fine_sample`` pairs is computed and stands for its group
  (``fine_sample=1``, or a domain at most EXACT_CELLS coarse cells deep: every plane, exact). Each sampled slab is computed with its true context from
  the mid cache, so the estimate has no edge bias. Memory: the sample's conv-1 output is kept
  between the two statistics passes (c = 16 at 256³: ~28 of 64 cells, ~0.5 GB in float32).
* Measured on a partly trained c = 16 model (benchmarks/results/rock.md): freezing all six GNs
  from a bounded central reference window (the window treated as a volume, per-axis re-weighting
  of edge/near/far planes) gave only 92–97 % voxel agreement with the whole pass at 96³–128³;
  exact coarse+mid statistics with windowed fine statistics 99.5–99.9 %; a central 64² y/x window
  for the fine statistics 96 % (slice texture not stationary at that scale); the scheme above
  99.84–99.999 % at 64³–128³ (exact everywhere, float32 caches: 100.000 %).

Padding: G's convs pad with zeros (legacy checkpoints) or with edge values (``padding_mode``
"replicate", the default of new runs). Every conv here pads its slab/tile the same way; only the
true volume faces keep that padding, interior tile borders are cropped away as before. Both modes
are exact (replicate padding commutes with the nearest ×2 upsampling of the sub-pixel convs, and
the lifted features f(y,x)·w(d) are padded per axis); "reflect" is not supported here.

Tile grid: the coarse and mid z-slabs, the runs of the fine statistics and the final tiles are all
planned from ``budget_bytes`` (the working set of one piece). core.rock.generate always passes its
fixed GRID_TILE_BYTES, never the caller's budget, so the grid depends on the model and the domain
only and every piece is the same computation on the same shapes: the same seed gives the same
volume, bit for bit, whatever the budget, on any CPU. Another grid (another ``budget_bytes`` here)
agrees up to float rounding only: oneDNN and MKL choose kernels, hence the order of float sums, by
tensor shape (a budget-sized grid flipped 0.005 % of voxels on AMD Zen 5). Per-plane statistics are
combined in global plane order (mean and centred variance, float64). The noise z is drawn for the
whole volume up front (1/4 resolution) and the slice weights w(d) are taken in global coordinates.

Exact speed-ups of the inference path (same function up to float rounding; the convolutions are in
core.rock.convs):

* the lifted slice features f(y,x)·w(d) (and the w channel) enter the first conv of each stage; that
  3D conv equals Σ_kd w(d+kd−1)·conv2d(f, W[:, :, kd]): three 2D convolutions of the slice per tile
  plus a per-voxel 4-term sum (one ``addmm``), instead of a 3D conv over 4c+1 input channels;
* nearest ×2 upsampling followed by a 3×3×3 conv equals, per output parity (8 phases), a 2×2×2
  conv of the low-resolution map with summed taps: 8/27 of the multiply-adds;
* in the final tiles, GN is folded into the conv weights and bias (one memory pass less per layer);
* channels_last_3d activations, and oneDNN forced for every conv (PyTorch's own heuristic sends
  thin slabs to a ~10× slower im2col kernel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .config import FACTOR, slice_reach
# re-exported: core.rock.slabs and the tests import the convolutions from here
from .convs import (CL, conv3d, depth_taps, lifted_maps, padded_depth_weight, subpixel_conv,  # noqa: F401
                    subpixel_kernels)
from .model import Generator, centre_weight

HALO = 1            # coarse cells of mid-stage context around a final tile (covers the fine RF: 3 voxels)
NEAR = 24           # voxels either side of the slice whose fine statistics are always computed
# ... at least the slice's reach (slice_reach, ≈ 3·decay): measured on a decay-16 model (width 8, 128³)
# the fixed 24 gave 98.76 % voxel agreement with the whole pass and porosity +0.012; 48 gave 99.989 %.
FINE_SAMPLE = 2     # one far coarse-cell pair in this many is computed for the fine statistics
# 2, not 4 (the first value): the shipped width-8 Berea model (crop 48, decay 6) draws planes whose
# statistics ripple along z, and one pair in four aliased that ripple: 99.35–99.43 % voxel agreement
# with the whole pass at 96³ (porosity +0.006). One in two: 99.74–99.97 % at 96³–128³, 256³ in 4.1 s
# against 3.8 s; every plane (exact): 4.7 s.
EXACT_CELLS = 32    # domains up to this many coarse cells (128 planes) deep use every plane: sampling saves
                    # nothing there (same model, 96³: 0.18 s exact against 0.23 s sampled)
# Fine statistics could also sample y (16-row stripes per FINE_YSTEP rows, plus the 16 edge rows):
# measured at 128³ (8 of 24 rows): 99.77–99.84 % agreement and slower (many small convs), so off by
# default: every row is used.
FINE_STRIPE, FINE_YSTEP = 16, 1 << 30
DEFAULT_TILE_BYTES = 512 * 2**20  # working set of one piece of the fixed grid (core.rock.generate.GRID_TILE_BYTES)
# Padding modes of G reproduced exactly here (every conv pads its tile; interior tile borders are
# cropped away as before, so only the true volume faces see the padding). "reflect" does not commute
# with the nearest upsampling of the sub-pixel convs: such models run as one whole pass (generate()).
TILED_MODES = ("zeros", "replicate")


def _sl(rng):
    return (slice(None), slice(None)) + tuple(slice(a, b) for a, b in rng)


def _crop(t: torch.Tensor, rng, new):
    return t[(slice(None), slice(None)) + tuple(slice(n[0] - r[0], n[1] - r[0]) for r, n in zip(rng, new))]


def _grow(rng, by, dims):
    return tuple((max(a - by, 0), min(b + by, n)) for (a, b), n in zip(rng, dims))


def _scale(rng, f):
    return tuple((f * a, f * b) for a, b in rng)


class _PlaneStats:
    """Per-plane (and per-part: y-stripe) group mean and variance of a GN input, combined in a fixed
    order (global plane, part) whatever the slab/tile sizes, with the weights each part stands for."""

    def __init__(self, groups: int, planes: int, parts: int = 1):
        self.mean = np.zeros((groups, planes, parts))
        self.var = np.zeros((groups, planes, parts))
        self.weight = np.zeros((planes, parts))

    def add(self, t: torch.Tensor, z0: int, weight: float = 1.0, part: int = 0):
        g, c, zd = self.mean.shape[0], t.shape[1], t.shape[2]
        u = t.permute(0, 2, 3, 4, 1).reshape(zd, -1, c).float()  # channels last: reduce the middle axis
        mean_c = u.mean(1)
        var_c = (u - mean_c[:, None]).square_().mean(1)  # (Z, C) per plane and channel
        mean_c, var_c = mean_c.T.reshape(g, c // g, zd).double(), var_c.T.reshape(g, c // g, zd).double()
        m = mean_c.mean(1)
        var = (var_c + (mean_c - m[:, None]) ** 2).mean(1)
        self.mean[:, z0:z0 + zd, part] = m.cpu().numpy()
        self.var[:, z0:z0 + zd, part] = var.cpu().numpy()
        self.weight[z0:z0 + zd, part] = weight

    def result(self, like: torch.Tensor):
        g = self.mean.shape[0]
        w = (self.weight / self.weight.sum()).reshape(-1)
        mean, var = self.mean.reshape(g, -1), self.var.reshape(g, -1)
        mu = mean @ w
        return torch.from_numpy(mu).to(like), torch.from_numpy((var + (mean - mu[:, None]) ** 2) @ w).to(like)


@dataclass
class _Stage:
    scale: int          # resolution of the stage: 1/scale of full
    up: bool            # input is upsampled ×2 (nearest) first
    cx: int             # channels of the non-lifted input (noise or previous stage)
    w1: torch.Tensor    # first conv weight (O, cx + cf + 1, 3, 3, 3)
    b1: torch.Tensor
    n1: torch.nn.GroupNorm
    w2: torch.Tensor
    b2: torch.Tensor
    n2: torch.nn.GroupNorm
    feat: torch.Tensor  # slice features (1, cf, H/scale, W/scale)
    wpad: torch.Tensor  # w(d) at this resolution with one padding value either side (zero or the edge value)


class TiledGenerator:
    """G(h, z) for one slice code ``h``, computed stage by stage in slabs/tiles into a uint8 volume.

    ``full``, ``height``, ``width``: the (padded) domain G works on, multiples of 4, exactly as the
    whole pass ``generator(h, z)`` with z of shape (1, nz, full/4, height/4, width/4).
    """

    def __init__(self, generator: Generator, code, full: int, height: int, width: int, *,
                 budget_bytes: int = DEFAULT_TILE_BYTES, cache_dtype=torch.float16,
                 fine_sample: int = FINE_SAMPLE):
        self.G = generator
        self.mode = getattr(generator, "padding_mode", "zeros")
        if self.mode not in TILED_MODES:
            raise ValueError(f"Tiled generation supports padding modes {TILED_MODES}, not {self.mode!r}.")
        self.full, self.H, self.W = full, height, width
        self.nc = (full // FACTOR, height // FACTOR, width // FACTOR)
        self.budget, self.cache_dtype, self.fine_sample = int(budget_bytes), cache_dtype, int(fine_sample)
        g = generator
        self.stages: list[_Stage] = []
        self._lifts: dict = {}
        for seq, scale, up, f in ((g.coarse, 4, False, code[2]), (g.mid, 2, True, code[1]),
                                  (g.fine, 1, True, code[0])):
            b1, b2 = seq[0], seq[1]
            cf = f.shape[1]
            w = padded_depth_weight(centre_weight(full // scale, scale, full, g.decay, f).view(-1), self.mode)
            self.stages.append(_Stage(scale, up, b1.conv.in_channels - cf - 1, b1.conv.weight, b1.conv.bias,
                                      b1.norm, b2.conv.weight, b2.conv.bias, b2.norm, f,
                                      w))

    # ---- building blocks ------------------------------------------------------------------
    def _dims(self, st: _Stage):
        return (self.full // st.scale, self.H // st.scale, self.W // st.scale)

    def _lift(self, st: _Stage, w1l: torch.Tensor, bias: torch.Tensor, rng) -> torch.Tensor:
        """(4, Y·X, O): the three depth taps of the lifted-feature conv on this y/x range, plus bias."""
        cache = self._lifts.setdefault(id(st), {})
        key = (w1l.data_ptr(), bias.data_ptr(), rng[1], rng[2])
        if key not in cache:
            cache.clear()  # one entry per stage: consecutive z-slabs share their y/x range
            cache[key] = (w1l, bias, lifted_maps(st.feat, w1l, bias, rng[1], rng[2], self.mode))  # keeps the weights alive
        return cache[key][2]

    def _conv1(self, st: _Stage, prm, x: torch.Tensor, rng):
        """First conv of a stage (+ lifted slice features + bias) on ``x`` covering global ``rng``."""
        wx, w1l, b1 = prm[:3]
        if st.up:
            a = subpixel_conv(x, wx, self.mode)
            rng = _scale(rng, 2)
        else:
            a = conv3d(x.contiguous(memory_format=CL), wx, None, 1, self.mode)
        a = a.contiguous(memory_format=CL)
        zd = a.shape[2]
        z0 = rng[0][0]
        taps = depth_taps(st.wpad, z0, zd)
        lift = self._lift(st, w1l, b1, rng)
        a.permute(0, 2, 3, 4, 1).view(zd, -1).addmm_(taps, lift.view(4, -1))
        return a, rng

    def _params(self, st: _Stage, affines=None):
        """Weights of a stage; with ``affines`` ((scale, shift) of GN 1 and 2), GN folded in."""
        w1, b1, w2, b2 = st.w1, st.b1, st.w2, st.b2
        if affines is not None:
            (s1, t1), (s2, t2) = affines
            w1, b1 = w1 * s1.view(-1, 1, 1, 1, 1), b1 * s1 + t1
            w2, b2 = w2 * s2.view(-1, 1, 1, 1, 1), b2 * s2 + t2
        wx, w1l = w1[:, :st.cx], w1[:, st.cx:]
        wx = subpixel_kernels(wx) if st.up else wx.contiguous()
        return wx, w1l, b1, w2.contiguous(), b2

    @staticmethod
    def _affine(norm: torch.nn.GroupNorm, mean: torch.Tensor, var: torch.Tensor):
        rep = norm.num_channels // norm.num_groups
        scale = norm.weight * torch.rsqrt(var.repeat_interleave(rep) + norm.eps)
        return scale, norm.bias - mean.repeat_interleave(rep) * scale

    @staticmethod
    def _norm_act(t: torch.Tensor, affine) -> torch.Tensor:
        t.mul_(affine[0].view(1, -1, 1, 1, 1)).add_(affine[1].view(1, -1, 1, 1, 1))
        return F.leaky_relu_(t, 0.2)

    def _cached(self, cache: torch.Tensor, affine):
        """Source of a stage's normalised, activated output from its pre-norm cache."""
        dt = self.stages[0].w1.dtype

        def src(rng):
            return self._norm_act(cache[_sl(rng)].to(dt, memory_format=CL, copy=True), affine)
        return src

    def _slab_cells(self, st: _Stage, channels: int) -> int:
        """Coarse cells per z-slab for a stage so that a slab's working set fits the budget."""
        d = self._dims(st)
        per_cell = (FACTOR // st.scale) * d[1] * d[2] * 4 * (3 * channels + st.w1.shape[1])
        return max(1, int(self.budget // max(per_cell, 1)))

    # ---- exact stages (coarse, mid) -------------------------------------------------------
    def _exact_stage(self, st: _Stage, src, state=None):
        """Run one stage over the whole domain with exact GN → (pre-norm cache of conv 2, affine 2)."""
        dims = self._dims(st)
        f = FACTOR // st.scale                 # stage cells per coarse cell
        fi = f // 2 if st.up else f            # input cells per coarse cell
        idims = (dims[0] * fi // f, dims[1] * fi // f, dims[2] * fi // f)
        prm = self._params(st)
        o = st.w1.shape[0]
        step = self._slab_cells(st, o)
        slabs = [(a, min(a + step, self.nc[0])) for a in range(0, self.nc[0], step)]
        full_yx = ((0, dims[1]), (0, dims[2]))
        cache = torch.empty((1, o) + dims, dtype=self.cache_dtype, device=st.w1.device, memory_format=CL)
        s1 = _PlaneStats(st.n1.num_groups, dims[0])
        for a, b in slabs:
            ir = ((max(fi * a - 1, 0), min(fi * b + 1, idims[0])), (0, idims[1]), (0, idims[2]))
            t, rng = self._conv1(st, prm, src(ir), ir)
            t = _crop(t, rng, ((f * a, f * b),) + full_yx)
            s1.add(t, f * a)
            cache[:, :, f * a:f * b] = t
        aff1 = self._affine(st.n1, *s1.result(st.w1))
        cache2 = torch.empty_like(cache)
        s2 = _PlaneStats(st.n2.num_groups, dims[0])
        for a, b in slabs:
            r = (max(f * a - 1, 0), min(f * b + 1, dims[0]))
            t = self._norm_act(cache[:, :, r[0]:r[1]].to(st.w1.dtype, memory_format=CL, copy=True), aff1)
            t = conv3d(t, prm[3], prm[4], 1, self.mode)[:, :, f * a - r[0]:f * b - r[0]]
            s2.add(t, f * a)
            cache2[:, :, f * a:f * b] = t
        del cache
        return cache2, aff1, self._affine(st.n2, *s2.result(st.w1))

    # ---- fine stage: sampled statistics, then tiles -----------------------------------------
    def fine_sample_cells(self) -> list[tuple[int, float]]:
        """(coarse cell, weight) whose planes give the fine statistics (all cells for small domains)."""
        n = self.nc[0]
        if self.fine_sample <= 1 or n <= EXACT_CELLS:
            return [(i, 1.0) for i in range(n)]
        c = self.full // 2
        reach = max(NEAR, math.ceil(slice_reach(self.G.decay)))
        near = set(range(max((c - reach) // FACTOR, 0), min(-(-(c + reach) // FACTOR), n))) | {0, n - 1}
        cells = {i: 1.0 for i in near}
        k = 2 * self.fine_sample  # pairs of cells: thin slabs make oneDNN fall back to a slow conv
        for side in ([i for i in range(n) if i not in near and i < c // FACTOR],
                     [i for i in range(n) if i not in near and i > c // FACTOR]):
            for j in range(0, len(side), k):
                grp = side[j:j + k]
                pick = grp[max(len(grp) // 2 - 1, 0):len(grp) // 2 + 1]
                for i in pick:
                    cells[i] = len(grp) / len(pick)
        return sorted(cells.items())

    def _fine_stats(self, st: _Stage, mid_src, state=None):
        prm = self._params(st)
        dims = self._dims(st)
        mid = (dims[0] // 2, dims[1] // 2, dims[2] // 2)
        cells = self.fine_sample_cells()
        step = self._slab_cells(st, st.w1.shape[0])
        runs, cur = [], []
        for i, w in cells:  # contiguous runs of sampled cells, at most ``step`` cells each
            if cur and (i != cur[-1][0] + 1 or len(cur) >= step):
                runs.append(cur)
                cur = []
            cur.append((i, w))
        runs += [cur] if cur else []
        runs_kept = []  # conv-1 results of the sampled parts (bounded by the sample size)
        stripes = fine_stripes(dims[1])
        full_x = (0, dims[2])
        s1 = _PlaneStats(st.n1.num_groups, dims[0], len(stripes))
        s2 = _PlaneStats(st.n2.num_groups, dims[0], len(stripes))
        for j, (y0, y1, wy) in enumerate(stripes):
            full_yx = ((y0, y1), full_x)
            mid_yx = ((max(y0 // 2 - 1, 0), min(y1 // 2 + 1, mid[1])), (0, mid[2]))
            for run in runs:
                # conv 1 with one voxel of margin (its true context comes from the mid cache: no
                # edge bias), statistics of the inner part; then conv 2 on it, statistics again
                a, b = run[0][0], run[-1][0] + 1
                ir = ((max(2 * a - 1, 0), min(2 * b + 1, mid[0])),) + mid_yx
                t, rng = self._conv1(st, prm, mid_src(ir), ir)
                want = ((max(4 * a - 1, 0), min(4 * b + 1, dims[0])),) + _grow(full_yx, 1, dims[1:])
                t = _crop(t, rng, want)
                inner = ((4 * a, 4 * b),) + full_yx
                t1 = _crop(t, want, inner)
                for k, (i, w) in enumerate(run):
                    s1.add(t1[:, :, 4 * k:4 * k + 4], 4 * i, w * wy, j)
                runs_kept.append((j, run, t, want))
        aff1 = self._affine(st.n1, *s1.result(st.w1))
        for j, run, t, rng in runs_kept:
            t = conv3d(self._norm_act(t, aff1).contiguous(memory_format=CL), prm[3], prm[4], 1, self.mode)
            y0, y1, wy = stripes[j]
            t = _crop(t, rng, ((4 * run[0][0], 4 * (run[-1][0] + 1)), (y0, y1), full_x))
            for k, (i, w) in enumerate(run):
                s2.add(t[:, :, 4 * k:4 * k + 4], 4 * i, w * wy, j)
        return aff1, self._affine(st.n2, *s2.result(st.w1))

    def _fine_tile(self, st: _Stage, prm, mid_src, lo, hi) -> torch.Tensor:
        """Probabilities of the full-resolution box [4·lo, 4·hi) (coarse-cell bounds lo, hi)."""
        mid = tuple(2 * n for n in self.nc)
        ir = _grow(_scale(tuple(zip(lo, hi)), 2), 2 * HALO, mid)
        x, rng = self._conv1(st, prm, mid_src(ir), ir)
        want = _grow(_scale(tuple(zip(lo, hi)), FACTOR), 2, tuple(FACTOR * n for n in self.nc))
        x = F.leaky_relu_(_crop(x, rng, want).contiguous(memory_format=CL), 0.2)
        x = F.leaky_relu_(conv3d(x, prm[3], prm[4], 1, self.mode), 0.2)
        out = self.G.out
        p = torch.sigmoid(conv3d(x, out.weight, out.bias, 1, self.mode))
        return _crop(p, want, _scale(tuple(zip(lo, hi)), FACTOR))

    def run(self, z: torch.Tensor, out: np.ndarray, z_start: int, state=None) -> np.ndarray:
        """Threshold G(h, z) at 0.5 into ``out`` (uint8, D × h × w): planes z_start.. of the domain,
        rows/columns from 0. ``z``: the whole noise field (1, nz, full/4, H/4, W/4)."""
        def report(frac, msg):
            if state is not None:
                state.report(frac, msg)

        z = z.to(self.stages[0].w1)
        self._lifts.clear()
        report(0.0, "Coarse stage")
        c_cache, _, c_aff = self._exact_stage(self.stages[0], lambda r: z[_sl(r)])
        report(0.05, "Middle stage")
        m_cache, _, m_aff = self._exact_stage(self.stages[1], self._cached(c_cache, c_aff))
        del c_cache
        mid_src = self._cached(m_cache, m_aff)
        report(0.2, "Fine-stage statistics")
        fine = self.stages[2]
        prm = self._params(fine, self._fine_stats(fine, mid_src))
        d, h, w = out.shape
        lo = (z_start // FACTOR, 0, 0)
        hi = (-(-(z_start + d) // FACTOR), -(-h // FACTOR), -(-w // FACTOR))
        boxes = plan_tiles(lo, hi, 4 * HALO + 2, self.budget, bytes_per_voxel(fine.w1.shape[0]))
        for k, (a, b) in enumerate(boxes):
            report(0.3 + 0.7 * k / len(boxes), f"Tile {k + 1} of {len(boxes)}")
            p = self._fine_tile(fine, prm, mid_src, a, b)
            g0 = [FACTOR * v for v in a]
            z0, z1 = max(g0[0], z_start), min(FACTOR * b[0], z_start + d)
            y1, x1 = min(FACTOR * b[1], h), min(FACTOR * b[2], w)
            blk = p[0, 0, z0 - g0[0]:z1 - g0[0], :y1 - g0[1], :x1 - g0[2]] >= 0.5
            out[z0 - z_start:z1 - z_start, g0[1]:y1, g0[2]:x1] = blk.to(torch.uint8).cpu().numpy()
        return out


def fine_stripes(height: int) -> list[tuple[int, int, float]]:
    """(y0, y1, weight) of the y-stripes sampled for the fine statistics: one FINE_STRIPE-row stripe
    in the middle of every FINE_YSTEP rows (systematic sampling across the whole slice: the slice's
    texture is not stationary enough for one central window, measured: 96 % agreement)."""
    edge = 16  # rows over which the zero padding at the slice edges shapes G's activations: kept whole
    if height <= 2 * edge + 2 * FINE_YSTEP:
        return [(0, height, 1.0)]
    out = [(0, edge, 1.0)]
    inner = height - 2 * edge
    n = -(-inner // FINE_YSTEP)
    bounds = [edge + (inner * k // n) // 4 * 4 for k in range(n)] + [height - edge]
    for a, b in zip(bounds[:-1], bounds[1:]):
        e = min(FINE_STRIPE, b - a)
        y0 = a + (b - a - e) // 2 // 4 * 4
        out.append((y0, y0 + e, (b - a) / e))
    return out + [(height - edge, height, 1.0)]


def bytes_per_voxel(channels: int, dtype_size: int = 4) -> int:
    """Peak bytes per full-resolution voxel of a final tile (~4 c-channel maps + padding copies)."""
    return dtype_size * (4 * channels + 8)


def plan_tiles(lo, hi, halo_voxels: int, budget: int, bpv: int):
    """Tile boxes (coarse cells) covering [lo, hi): z-slabs with full y/x if they fit, else y/x too."""
    n = [b - a for a, b in zip(lo, hi)]

    def plane_bytes(ty, tx, sy, sx):
        return bpv * (FACTOR * ty + (2 * halo_voxels if sy else 0)) * (FACTOR * tx + (2 * halo_voxels if sx else 0))

    ty, tx, sy, sx = n[1], n[2], False, False
    while True:
        tz = int((budget / plane_bytes(ty, tx, sy, sx) - 2 * halo_voxels) // FACTOR)
        if tz >= min(n[0], 4) or (ty <= 2 and tx <= 2):
            break
        if ty >= tx:
            ty, sy = -(-ty // 2), True
        else:
            tx, sx = -(-tx // 2), True
    tz = max(1, min(tz, n[0]))
    counts = [math.ceil(n[0] / tz), math.ceil(n[1] / ty), math.ceil(n[2] / tx)]
    sizes = [math.ceil(m / c) for m, c in zip(n, counts)]
    boxes = []
    for iz in range(counts[0]):
        for iy in range(counts[1]):
            for ix in range(counts[2]):
                a = (lo[0] + iz * sizes[0], lo[1] + iy * sizes[1], lo[2] + ix * sizes[2])
                b = tuple(min(v + s, h) for v, s, h in zip(a, sizes, hi))
                if all(u < v for u, v in zip(a, b)):
                    boxes.append((a, b))
    return boxes
