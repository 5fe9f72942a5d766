"""Benchmark of multi-texture synthesis (core.texture, issue #4): TIFF writing time and peak memory
per output size, and a seam check of the tiled generator.

Run from the repository root:

    python -m benchmarks.texture                          # 256³, 512³, 1000³ with 2 threads, 512³ with 1, seams
    python -m benchmarks.texture --sizes 256 512 --threads 2 --no-seams

Model: the shipped ``resources/models/texture_rocks.pt`` (classes berea, ketton, bentheimer), class
berea, seed 0, spread 1 (the class's code Gaussian), realisation 0.

Measurements:

* ``write``: ``core.texture.generate_files(model, out, size, 0, cls="berea")`` end to end (draw the
  code, generate tile by tile with the default tile budget, write the zlib-compressed multi-page
  TIFF slab by slab, rename) into a temporary directory; the TIFF is deleted afterwards. Each size
  runs in a **fresh subprocess**: load the model, one warm-up ``generate_files`` at 32³ (library
  start-up, oneDNN kernel selection), then the timed call. Peak memory is that process's peak RSS
  (``core.machine.peak_rss_mib``: VmHWM, i.e. ru_maxrss — interpreter, torch, model, the z-slab
  and one tile's working set); "before" is the same just before the timed call. Edges must be
  multiples of 8 (``core.texture.check_shape``): 1000 = 125 × 8 is allowed and used as is.
  Targets: 512³ within 60 s and peak < 4 GB; 1000³ peak < 8 GB (GB = 10⁹ bytes).
* ``seams`` (one subprocess): G is exactly translation-equivariant, so tiles cut from one global
  latent should give the whole pass. (a) ``TiledGenerator`` (core.texture.tiled) on another tile
  grid than generation's fixed one, tiles of 4 and 8 latent cells = 32³ and 64³ voxels (several
  tile borders on every axis), against one whole pass (a single tile covering the volume) at 128³
  and 256³, seeds 0–2: another grid is another computation (oneDNN picks its kernels, hence the
  order of float sums, by tensor shape), so they must agree up to the stated tolerance of 1e-4 of
  the voxels (as tests/test_texture.py and tests/test_rock_tiled.py), bit-identical where the
  kernels happen to agree; and the TIFF written by ``generate_files`` read back against
  ``generate`` (both on the fixed grid: bit-identical); (b) on the 256³
  volume tiled into 64³ tiles: S2 (``core.properties.two_point_correlation``, r = 0…16, per axis)
  of 48³ windows centred on the 27 interior tile corners (straddling a border on all three axes)
  against 48³ windows centred on the 64 tile centres (inside one tile), with the max abs
  difference of the mean curves and its noise level (standard error of that difference from the
  spread between windows); (c) porosity per z-plane: the jump |φ(z) − φ(z−1)| across the z tile
  borders against the same jump between all other neighbouring planes, and the planes around
  the first border.

The machine is shared (other jobs on the same 2 cores): the load average is recorded at the start
and end, and the times are upper bounds for an idle machine. torch threads are set per child
(``--threads``, 2 by default; ``--one-thread-at`` adds 1-thread runs). Results go to
``benchmarks/results/texture.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
from core.machine import load_average, machine_info, peak_rss_mib  # noqa: E402

MODEL = ROOT / "resources" / "models" / "texture_rocks.pt"
RESULTS = ROOT / "benchmarks" / "results"
CLS, SEED = "berea", 0
TARGETS = {512: (60.0, 4.0), 1000: (None, 8.0)}  # size: (seconds or None, GB)
WINDOW, MAX_R = 48, 16  # seam check: S2 window edge and largest lag (voxels)
SEAM_TOLERANCE = 1e-4  # another tile grid than the whole pass's: at most this fraction of voxels may differ


def _write_child(spec: dict) -> dict:
    """Runs in the subprocess: load the model, warm up, time one generate_files, print JSON."""
    import numpy as np
    import torch

    torch.set_num_threads(int(spec["threads"]))
    from core.texture import check_shape, generate_files, load_model
    from core.texture.tiled import TiledGenerator, tile_cells

    size = int(spec["size"])
    shape = check_shape(size)
    t0 = time.perf_counter()
    model = load_model(MODEL)
    load_s = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="texture_bench_", dir=spec.get("tmpdir")))
    try:
        generate_files(model, tmp / "warm.tif", 32, SEED, cls=CLS)  # warm-up
        (tmp / "warm.tif").unlink()
        tile = tile_cells(model.config)
        tg = TiledGenerator(model.generator, torch.zeros(model.config.code_dim), shape, SEED, 0, tile)
        before = peak_rss_mib()
        t0 = time.perf_counter()
        written = generate_files(model, tmp / "out.tif", size, SEED, cls=CLS)
        wall = time.perf_counter() - t0
        peak = peak_rss_mib()
        w = written[0]
        file_bytes = w.path.stat().st_size
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    slab_z = 8 * max(b - a for a, b in _bounds_of(tg.cells[0], tile))
    tile_edge = [8 * max(b - a for a, b in _bounds_of(c, tile)) for c in tg.cells]  # largest tile, z y x
    return {"size": size, "shape": list(shape), "threads": torch.get_num_threads(), "wall_s": wall,
            "voxels_per_s": float(np.prod(shape)) / wall, "load_model_s": load_s, "rss_before_mib": before,
            "peak_rss_mib": peak, "file_mib": file_bytes / 2**20,
            "raw_mib": float(np.prod(shape)) / 2**20, "porosity": round(w.porosity, 5),
            "tile_cells": tile, "tile_budget_voxels": 8 * tile, "largest_tile_voxels": tile_edge,
            "n_tiles": tg.n_tiles,
            "slab_voxels_z": slab_z, "slab_mib": slab_z * shape[1] * shape[2] / 2**20}


def _bounds_of(cells: int, tile: int):
    from core.texture.tiled import _bounds

    return _bounds(cells, tile)


def _equality_row(model, size: int, seed: int, cells: int, tmpdir=None, tiff: bool = False) -> dict:
    """Seam check (a) for one volume: tiles of ``cells`` latent cells against one whole pass, and
    (``tiff``) the TIFF of ``generate_files`` read back against ``generate``."""
    import numpy as np
    import tifffile

    from core.texture import generate, generate_files, make_condition
    from core.texture.tiled import TiledGenerator

    cond = make_condition(model, CLS)
    code, shape = cond.code(seed, 0), (size,) * 3  # realisation 0's code, as generate draws it
    whole_tg = TiledGenerator(model.generator, code, shape, seed, 0, size // 8, label=cond.row)
    tiled_tg = TiledGenerator(model.generator, code, shape, seed, 0, cells, label=cond.row)
    whole = whole_tg.run()
    t0 = time.perf_counter()
    tiled = tiled_tg.run()
    tiled_s = time.perf_counter() - t0
    differing = int((whole != tiled).sum())
    row = {"size": size, "seed": seed, "tile_cells": cells, "tile_voxels": 8 * cells,
           "n_tiles_tiled": tiled_tg.n_tiles, "n_tiles_whole": whole_tg.n_tiles,
           "borders_per_axis": [8 * a for a, _ in _bounds_of(size // 8, cells)][1:],
           "identical": bool(np.array_equal(whole, tiled)), "differing_voxels": differing,
           "differing_fraction": differing / whole.size, "tolerance": SEAM_TOLERANCE,
           "within_tolerance": differing <= SEAM_TOLERANCE * whole.size,
           "porosity": float(whole.mean()), "tiled_s": tiled_s, "volume": tiled}
    if tiff:
        ref = generate(model, size, seed, cls=CLS)[0]
        with tempfile.TemporaryDirectory(prefix="texture_seams_", dir=tmpdir) as d:
            generate_files(model, Path(d) / "t.tif", size, seed, cls=CLS)
            back = tifffile.imread(Path(d) / "t.tif")
        row["tiff_identical"] = bool(back.shape == ref.shape and np.array_equal(back, ref))
    return row


def _seams_child(spec: dict) -> dict:
    """Runs in the subprocess: the seam check (tiles vs a whole pass, S2 at tile borders, porosity per plane)."""
    import numpy as np
    import torch

    torch.set_num_threads(int(spec["threads"]))
    from core.properties import two_point_correlation
    from core.texture import load_model

    model = load_model(MODEL)
    out: dict = {"threads": torch.get_num_threads(), "equality": []}
    vols = {}
    for size, cells in ((128, 4), (256, 8)):
        for seed in (0, 1, 2):
            row = _equality_row(model, size, seed, cells, spec.get("tmpdir"), tiff=seed == 0)
            tiled = row.pop("volume")
            if seed == 0:
                vols[size] = tiled
            out["equality"].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    # (b) S2 on windows straddling tile corners vs windows inside a tile (256³, 64³ tiles).
    v, t, h = vols[256], 64, WINDOW // 2
    inside = [(z, y, x) for z in range(t // 2, 256, t) for y in range(t // 2, 256, t) for x in range(t // 2, 256, t)]
    corner = [(z, y, x) for z in range(t, 256, t) for y in range(t, 256, t) for x in range(t, 256, t)]

    def s2s(centres):
        res = []
        for z, y, x in centres:
            s = two_point_correlation(v[z - h:z + h, y - h:y + h, x - h:x + h], MAX_R)
            res.append(np.stack([s["z"], s["y"], s["x"]]))
        return np.array(res)  # (n, 3, MAX_R + 1)

    a_in, a_st = s2s(inside), s2s(corner)
    m_in, m_st = a_in.mean(0), a_st.mean(0)
    se = np.sqrt(a_in.var(0, ddof=1) / len(a_in) + a_st.var(0, ddof=1) / len(a_st))
    diff = np.abs(m_st - m_in)
    axes = ["z", "y", "x"]
    out["s2"] = {"size": 256, "tile_voxels": t, "window": WINDOW, "max_r": MAX_R,
                 "n_inside": len(inside), "n_straddling": len(corner),
                 "inside_mean": {a: m_in[i].tolist() for i, a in enumerate(axes)},
                 "straddling_mean": {a: m_st[i].tolist() for i, a in enumerate(axes)},
                 "std_error_of_difference": {a: se[i].tolist() for i, a in enumerate(axes)},
                 "max_abs_diff": float(diff.max()),
                 "max_abs_diff_per_axis": {a: float(diff[i].max()) for i, a in enumerate(axes)},
                 "max_abs_diff_in_std_errors": float((diff / np.maximum(se, 1e-12))[:, 1:].max()),
                 "window_to_window_std_s2_r0": float(a_in[:, 0, 0].std(ddof=1))}

    # (c) porosity per z-plane across the z tile borders.
    phi = v.mean(axis=(1, 2))
    jumps = np.abs(np.diff(phi))  # jumps[k] = |φ(k+1) − φ(k)|
    border_idx = [b - 1 for b in range(t, 256, t)]
    other = np.delete(jumps, border_idx)
    out["planes"] = {"size": 256, "tile_voxels": t, "z_borders": list(range(t, 256, t)),
                     "border_jumps": [float(jumps[i]) for i in border_idx],
                     "other_jumps_mean": float(other.mean()), "other_jumps_std": float(other.std(ddof=1)),
                     "other_jumps_p95": float(np.percentile(other, 95)),
                     "plane_porosity_mean": float(phi.mean()), "plane_porosity_std": float(phi.std(ddof=1)),
                     "planes_around_first_border": {str(z): round(float(phi[z]), 4) for z in range(t - 4, t + 4)}}
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def _run_child(kind: str, spec: dict, timeout: float) -> dict:
    t = time.perf_counter()
    cmd = [sys.executable, "-m", "benchmarks.texture", "--child", kind, json.dumps(spec)]
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**spec, "timed_out": True, "limit_s": timeout}
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"
        return {**spec, "error": err}
    return {**spec, **json.loads(p.stdout.strip().splitlines()[-1]), "child_wall_s": time.perf_counter() - t}


def _gb(mib: float) -> float:
    return mib * 2**20 / 1e9


def _markdown(res: dict) -> str:
    m = res["machine"]
    lines = ["# Multi-texture synthesis benchmark (core.texture, CPU)", "",
             f"- date: {res['date']}",
             f"- command: `{res['command']}` (from the repository root)",
             f"- machine: {m['platform']}; CPU: {m['cpu']}; {m['logical_cores']} logical cores ({m['usable_cores']} "
             f"usable); {m['ram_gib']} GiB RAM; Python {m['python']}, numpy {m['numpy']}, torch {m['torch']}; "
             f"CUDA: {m['cuda'] or 'none'}",
             f"- **the machine was busy**: load average (1, 5, 15 min) at start {res['load_average_start']}, at end "
             f"{res['load_average_end']}, on {m['logical_cores']} cores (evaluation jobs on the same cores): the "
             "times are upper bounds for an idle machine",
             f"- model: `{res['model']}` (step {res['model_step']}; config g_channels {res['config']['g_channels']}, "
             f"g_fine {res['config']['g_fine']}, noise {res['config']['noise_channels']}), class {CLS}, seed {SEED}, "
             "spread 1, default tile budget",
             "- each size in a fresh subprocess: load the model, warm up with a 32³ file, then time "
             "`generate_files` (code, tiled generation, zlib TIFF written slab by slab, rename) into a temporary "
             "directory; the TIFF is deleted afterwards. Peak = that process's peak RSS (VmHWM/ru_maxrss: "
             "interpreter + torch + model + one z-slab + one tile's working set); 'before' = the same just "
             "before the timed call",
             "- sizes: edges must be multiples of 8 (`check_shape`); 1000 = 125 × 8, so 1000³ is used as is", "",
             "| size | threads | write TIFF (s) | Mvoxel/s | peak RSS (MiB) | peak (GB) | RSS before (MiB) | "
             "tiles (largest, voxels) | z-slab (planes, MiB) | TIFF (MiB) | porosity | target |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["write"]:
        if "wall_s" not in r:
            why = f"stopped after {r['limit_s']:.0f} s" if r.get("timed_out") else f"error: {r.get('error', '?')}"
            lines.append(f"| {r['size']}³ | {r['threads']} | {why} | | | | | | | | | |")
            continue
        tgt = TARGETS.get(r["size"])
        if tgt:
            ok_t = tgt[0] is None or r["wall_s"] <= tgt[0]
            ok_m = _gb(r["peak_rss_mib"]) < tgt[1]
            tt = (f"≤ {tgt[0]:.0f} s: {'met' if ok_t else 'NOT met'}; " if tgt[0] else "")
            target = tt + f"< {tgt[1]:.0f} GB: {'met' if ok_m else 'NOT met'}"
        else:
            target = "—"
        lines.append(f"| {r['size']}³ | {r['threads']} | {r['wall_s']:.1f} | {r['voxels_per_s'] / 1e6:.1f} | "
                     f"{r['peak_rss_mib']:.0f} | {_gb(r['peak_rss_mib']):.2f} | {r['rss_before_mib']:.0f} | "
                     f"{r['n_tiles']} ({'×'.join(map(str, r['largest_tile_voxels']))}) | {r['slab_voxels_z']} planes, "
                     f"{r['slab_mib']:.0f} | {r['file_mib']:.1f} | "
                     f"{r['porosity']:.4f} | {target} |")
    s = res.get("seams")
    if s and "equality" in s:
        lines += ["", "## Seam check (tiles vs one whole pass)", "",
                  "Tiled = `TiledGenerator` (core.texture.tiled) with tiles of 4 or 8 latent cells (32³ or 64³ "
                  "voxels), another grid than generation's fixed one; whole = one tile covering the volume. Another "
                  f"grid is another computation (kernels chosen by tensor shape): stated tolerance {SEAM_TOLERANCE:g} "
                  "of the voxels. TIFF = `generate_files` read back against `generate` (both on the fixed grid: "
                  "bit-identical). Class berea.", "",
                  "| size | seed | tile | tiles (tiled / whole) | borders per axis (voxels) | bit-identical | "
                  f"differing voxels | within {SEAM_TOLERANCE:g} | TIFF read back identical | porosity |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for e in s["equality"]:
            within = ("yes" if e["within_tolerance"] else "NO") if "within_tolerance" in e else "—"
            lines.append(f"| {e['size']}³ | {e['seed']} | {e['tile_voxels']}³ | {e['n_tiles_tiled']} / "
                         f"{e['n_tiles_whole']} | {', '.join(map(str, e['borders_per_axis']))} | "
                         f"{'yes' if e['identical'] else 'NO'} | {e['differing_voxels']} | {within} | "
                         f"{('yes' if e['tiff_identical'] else 'NO') if 'tiff_identical' in e else '—'} | "
                         f"{e['porosity']:.4f} |")
        q = s["s2"]
        lines += ["", f"S2 on the {q['size']}³ volume tiled into {q['tile_voxels']}³ tiles (seed 0): {q['window']}³ "
                  f"windows centred on the {q['n_straddling']} interior tile corners (each straddles a tile border "
                  f"on all three axes) vs {q['window']}³ windows centred on the {q['n_inside']} tile centres (inside "
                  f"one tile); mean S2(r), r = 0…{q['max_r']}, per axis:", "",
                  "| axis | r | S2 inside | S2 straddling | abs difference | std error of the difference |",
                  "|---|---|---|---|---|---|"]
        for a in ("z", "y", "x"):
            for r in (0, 1, 2, 4, 8, 16):
                if r > q["max_r"]:
                    continue
                i, st, se = q["inside_mean"][a][r], q["straddling_mean"][a][r], q["std_error_of_difference"][a][r]
                lines.append(f"| {a} | {r} | {i:.4f} | {st:.4f} | {abs(st - i):.4f} | {se:.4f} |")
        lines += ["", f"Max abs difference over all r and axes: {q['max_abs_diff']:.4f} "
                  f"(per axis: {', '.join(f'{k} {v:.4f}' for k, v in q['max_abs_diff_per_axis'].items())}); "
                  f"largest difference in units of its standard error (r ≥ 1): "
                  f"{q['max_abs_diff_in_std_errors']:.2f}. Window-to-window std of the porosity (S2(0)) of the "
                  f"inside windows: {q['window_to_window_std_s2_r0']:.4f}."]
        p = s["planes"]
        lines += ["", f"Porosity per z-plane ({p['size']}³, tiled, seed 0): jump |φ(z) − φ(z−1)| at the z tile "
                  f"borders {p['z_borders']}: {', '.join(f'{j:.4f}' for j in p['border_jumps'])}; between all other "
                  f"neighbouring planes: mean {p['other_jumps_mean']:.4f}, std {p['other_jumps_std']:.4f}, "
                  f"95th percentile {p['other_jumps_p95']:.4f}. Plane porosity mean {p['plane_porosity_mean']:.4f}, "
                  f"std {p['plane_porosity_std']:.4f}. Planes around the first border (z: φ): "
                  + ", ".join(f"{z}: {f:.4f}" for z, f in p["planes_around_first_border"].items()) + "."]
    elif s:
        lines += ["", f"Seam check: {s.get('error') or ('stopped after %s s' % s.get('limit_s'))}"]
    lines += ["", "Notes:", "",
              "- Memory stays bounded by one z-slab of the output (uint8) plus one tile's working set (the "
              "default budget is 1 GiB, `tile_cells` → 34 latent cells = 272 voxels per tile edge with the shipped "
              "config, split into near-equal tiles; the tiles and z-slab columns give the split per size). "
              "The TIFF is zlib level 1 (binary pages).",
              "- Times include the code draw, every tile, thresholding, zlib compression and the disk write; "
              "model loading is outside the timing (`load_model_s` in the JSON).",
              "- On the CPU every conv goes through oneDNN, but its kernels (hence the order of float sums) "
              "depend on the tensor shapes, so tiles of another grid may differ from the whole pass in voxels whose "
              "logit is within rounding of 0 (tolerance above; generation itself always runs one fixed grid). The "
              "S2 and plane checks look for seams beyond that: where the tiles are bit-identical they only measure "
              "sampling noise. "
              "The standard error treats the two groups of windows as independent; the corner windows overlap the "
              "inside windows by 16 voxels per axis, so it is if anything an overestimate.",
              "- Busy machine: the load average above was well over the 2 cores, so every time is an upper "
              "bound; 1 vs 2 threads is only comparable within this run.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.texture", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[256, 512, 1000])
    ap.add_argument("--threads", nargs="+", type=int, default=[2])
    ap.add_argument("--one-thread-at", nargs="*", type=int, default=[512],
                    help="sizes also run with 1 thread (default 512)")
    ap.add_argument("--no-seams", action="store_true", help="skip the seam check")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per subprocess (default 900)")
    ap.add_argument("--tmpdir", default=None, help="where the TIFFs are written (default: the system temp dir)")
    ap.add_argument("--out", default=str(RESULTS / "texture"), help="results stem (.md and .json are written)")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        fn = {"write": _write_child, "seams": _seams_child}[args.child[0]]
        print(json.dumps(fn(json.loads(args.child[1]))))
        return 0
    from core.texture import check_shape, load_model

    load0 = load_average()
    started = time.perf_counter()
    for s in args.sizes:
        check_shape(s)
    tmpdir = args.tmpdir or tempfile.gettempdir()
    free = shutil.disk_usage(tmpdir).free
    need = max(args.sizes) ** 3 * 1.1  # the uncompressed volume: a safe upper bound on the TIFF
    if free < need:
        raise SystemExit(f"{tmpdir} has {free / 1e9:.1f} GB free; {need / 1e9:.1f} GB needed for a "
                         f"{max(args.sizes)}³ TIFF")
    model = load_model(MODEL)
    res = {"date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
           "command": "python -m benchmarks.texture" + "".join(" " + a for a in (argv if argv is not None
                                                                                   else sys.argv[1:])),
           "machine": machine_info(torch_info=True), "load_average_start": load0,
           "model": str(MODEL.relative_to(ROOT)), "model_step": model.step, "config": model.config.to_dict(),
           "class": CLS, "seed": SEED, "tmpdir": tmpdir, "tmp_free_gb_at_start": round(free / 1e9, 1),
           "targets": {f"{k}": {"seconds": v[0], "peak_gb": v[1]} for k, v in TARGETS.items()}, "write": []}
    runs = [(s, t) for s in args.sizes for t in args.threads]
    runs += [(s, 1) for s in args.one_thread_at if s in args.sizes and 1 not in args.threads]
    for size, threads in runs:
        r = _run_child("write", {"size": size, "threads": threads, "tmpdir": tmpdir}, args.timeout)
        res["write"].append(r)
        print(f"write {size:4d}³ threads={threads}: " + json.dumps(
            {k: r[k] for k in ("wall_s", "peak_rss_mib", "file_mib", "porosity", "timed_out", "error") if k in r}),
            flush=True)
    if not args.no_seams:
        res["seams"] = _run_child("seams", {"threads": max(args.threads), "tmpdir": tmpdir}, args.timeout)
        s = res["seams"]
        print("seams: " + json.dumps({"identical": [e["identical"] for e in s.get("equality", [])],
                                      "within_tolerance": [e.get("within_tolerance") for e in s.get("equality", [])],
                                      "s2_max_abs_diff": s.get("s2", {}).get("max_abs_diff"),
                                      "error": s.get("error")}), flush=True)
    res["load_average_end"] = load_average()
    res["total_s"] = time.perf_counter() - started
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(_markdown(res), encoding="utf-8")
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')} in {res['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
