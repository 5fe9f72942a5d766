"""Thesis Table 1 for the rock GAN: ours vs the DCGAN baseline vs held-out real crops.

``evaluate(...)`` draws ``n`` random ``size``³ crops from the HELD-OUT part of a shared volume
(berea_400: z ≥ 300, ketton_256: z ≥ 192, bentheimer_500: z ≥ 375; the binding split of
../shared/data/README.md), feeds each crop's central slice (along the axis our model conditions
on) to our generator (one volume per input), draws ``n`` unconditional baseline volumes, measures
every volume with :func:`core.properties.measure` and compares each property's distribution with
the real one through :mod:`core.compare` (KL with bootstrap std, real-vs-real floor, counts).

Crops may overlap (they are drawn independently and uniformly; the held-out parts are small:
Ketton's is only 64 slices deep, so every 64³ Ketton crop spans the same z range). Overlapping
crops are correlated, so the real-vs-real floor is an optimistic (low) reference.

Outputs (in ``out_dir``): ``table.md`` (KL table, means table, notes), ``results.json`` (every
raw value, positions, seeds, models; :func:`rebuild_table` rebuilds the markdown from it),
``hist_<property>.png`` and ``s2_curves.png`` (matplotlib with the Agg canvas only: no pyplot,
no GUI backend, never Qt).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..compare import BINS, N_BOOTSTRAP, compare_sets, markdown_table
from ..errors import InputError
from ..jobs import TaskState, ensure_state
from .data import TRAIN_Z_LIMITS, random_crops

# Volumes whose every voxel was trained on (or may have been): never evaluated on.
NO_HELDOUT = {"berea_200_dns": "it is the crop [100:300]³ of berea_400.tif, inside berea_400's training part (z < 300)"}

# Voxel sizes of the shared volumes (../shared/data/README.md), with the caveat to state.
KNOWN_VOXEL_UM = {
    "berea_400": (5.345, None),
    "ketton_256": (3.0, "ketton_256: the source does not state the voxel size; 3.0 µm is assumed."),
    "bentheimer_500": (3.0035, "bentheimer_500: the voxel size is not documented; 3.0035 µm is assumed."),
}

#: Scalar properties in the tables: key -> (label, unit).
PROPERTIES = {
    "porosity": ("Porosity", "-"),
    "permeability_mD": ("Permeability, mean of x, y, z", "mD"),
    "s2_corr_length": ("S2 correlation length, mean of z, y, x", "voxels"),
    "surface_area_density": ("Surface area density", "µm⁻¹"),
    "euler_density": ("Euler characteristic density", "µm⁻³"),
}

SET_LABELS = {"real": "real (held-out)", "ours": "ours", "baseline": "baseline (DCGAN)",
              "real_control": "real, 2nd draw"}
COLORS = {"real": "black", "ours": "tab:blue", "baseline": "tab:red", "real_control": "tab:gray"}


def volume_stem(path) -> str:
    return Path(str(path)).name.split(".")[0].lower()


def rock_name(path) -> str:
    """'berea_400.tif' -> 'berea' (for the default output folder docs/results/rock_<rock>/)."""
    return volume_stem(path).split("_")[0] or "volume"


# --------------------------------------------------------------------------------------------
# held-out crops
# --------------------------------------------------------------------------------------------

def heldout_start(name: str, heldout_z: int | None = None) -> int:
    """First z of the held-out part of the volume called ``name``.

    Shared volumes use the binding split (``TRAIN_Z_LIMITS``); an explicit ``heldout_z`` may only
    move the start further from the training part. Any other volume needs ``heldout_z`` (the
    caller says which part was never trained on).
    """
    stem = volume_stem(name)
    if stem in NO_HELDOUT:
        raise InputError(f"{Path(str(name)).name} has no held-out part: {NO_HELDOUT[stem]}.")
    limit = TRAIN_Z_LIMITS.get(stem)
    if limit is None:
        if heldout_z is None:
            raise InputError(f"{Path(str(name)).name} is not one of the shared volumes "
                             f"({', '.join(TRAIN_Z_LIMITS)}); say where its held-out part starts (heldout_z).")
        return int(heldout_z)
    if heldout_z is not None and int(heldout_z) < limit:
        raise InputError(f"{Path(str(name)).name}: z < {limit} is training data; the held-out part starts at "
                         f"z = {limit} (asked for {int(heldout_z)}).")
    return limit if heldout_z is None else int(heldout_z)


def sample_heldout_crops(array: np.ndarray, name: str, n: int, size: int, rng: np.random.Generator, *,
                         heldout_z: int | None = None) -> tuple[list[np.ndarray], list[tuple[int, int, int]]]:
    """``n`` random ``size``³ crops lying entirely in z ≥ held-out start (overlaps allowed).

    Returns the crops (views into ``array``) and their corner (z, y, x) in the full volume. No
    flips or rotations: the crops are the rock as scanned. InputError when the held-out part is
    smaller than one crop.
    """
    n, size = int(n), int(size)
    if n < 1 or size < 1:
        raise InputError("The number of crops and their size must both be at least 1.")
    z0 = heldout_start(name, heldout_z)
    return random_crops(array, (size,) * 3, n, rng, z0=z0, what=f"{Path(str(name)).name}: the held-out part (z ≥ {z0})",
                        purpose=f"{size}³ crops")


# --------------------------------------------------------------------------------------------
# per-sample properties
# --------------------------------------------------------------------------------------------

def correlation_length(s2: np.ndarray, phi: float) -> float:
    """Lag (voxels) where the normalised autocovariance (S2(r) − φ²)/(φ − φ²) first falls to 1/e,
    linearly interpolated; the largest lag when it never does within the curve; NaN for φ ∈ {0, 1}."""
    var = phi - phi * phi
    if var <= 0:
        return float("nan")
    c = (np.asarray(s2, dtype=np.float64) - phi * phi) / var
    target = math.exp(-1.0)
    below = np.flatnonzero(c <= target)
    if below.size == 0:
        return float(len(c) - 1)
    i = int(below[0])
    if i == 0:
        return 0.0
    c0, c1 = c[i - 1], c[i]
    return float(i - 1 + (c0 - target) / (c0 - c1)) if c0 != c1 else float(i)


def sample_properties(vol: np.ndarray, voxel_size_um: float, *, permeability: bool = True,
                      state: TaskState | None = None) -> dict[str, Any]:
    """The scalar properties of the tables plus the S2 curves and per-axis values of one volume."""
    from ..properties import measure

    size = min(vol.shape)
    rep = measure(vol, voxel_size_um, permeability=permeability, s2_max_r=size // 2, state=state)
    phi = float(rep.porosity)
    axes = ("z", "y", "x")
    cl = {k: correlation_length(rep.s2[k], phi) for k in axes}
    out: dict[str, Any] = {
        "porosity": phi,
        "surface_area_density": float(rep.minkowski["surface_area_density"]),
        "euler_density": float(rep.minkowski["euler_density"]),
        "s2_corr_length": float(np.mean([cl[k] for k in axes])),
        "s2_corr_length_axes": cl,
        "s2": {k: [float(f"{v:.6g}") for v in rep.s2[k]] for k in axes},
        "permeability_mD": float("nan"),
        "permeability_axes_mD": None,
        "permeability_spans": None,
        # porosity of every plane along axis 0 (z, the axis our volumes are generated along): Table 1
        # averages over the crop and hid volumes whose pores vanished away from the slice
        "porosity_profile_z": [round(float(v), 5) for v in vol.reshape(vol.shape[0], -1).mean(1)],
    }
    if rep.permeability_mD is not None:
        kx = {k: float(rep.permeability_mD[k]) for k in ("x", "y", "z")}
        out["permeability_axes_mD"] = kx
        out["permeability_spans"] = {k: bool(v) for k, v in (rep.permeability_spans or {}).items()}
        out["permeability_mD"] = float(np.mean(list(kx.values())))
    return out


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------

def slice_axis(model) -> int:
    """The array axis our model's input slice is taken across (read from the model config;
    the rock GAN conditions on the central z-slice, axis 0, unless its config says otherwise)."""
    return int(getattr(model.config, "slice_axis", 0))


def sample_seed(seed: int, stream: int, i: int) -> int:
    return int(np.random.SeedSequence([int(seed), stream, i]).generate_state(1)[0]) & 0x7FFFFFFF


def generate_ours_for(model, crop: np.ndarray, seed: int, *, paste: bool = False) -> tuple[np.ndarray, float]:
    """One volume of the crop's shape from its central slice (along ``slice_axis(model)``), in
    the crop's frame; returns (volume, fraction of G's central slice equal to the input)."""
    from .generate import generate

    ax = slice_axis(model)
    depth = crop.shape[ax]
    s = np.ascontiguousarray(np.take(crop, depth // 2, axis=ax))
    g = generate(model, s, depth, 1, seed, paste=paste)
    return np.moveaxis(g[0], 0, ax), float(g.slice_match[0])


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------

@dataclass
class EvalResult:
    """Where the outputs went, the comparisons and all raw values (as written to the JSON)."""

    out_dir: Path
    table_path: Path
    json_path: Path
    figures: list[Path]
    markdown: str
    data: dict = field(default_factory=dict)


def resolve_voxel(vol, name: str, voxel_size_um: float | None) -> tuple[float, list[str]]:
    if voxel_size_um is not None:
        return float(voxel_size_um), []
    known = KNOWN_VOXEL_UM.get(volume_stem(name))
    if known:
        return known[0], [known[1]] if known[1] else []
    if vol.voxel_size_um:
        return float(vol.voxel_size_um), []
    return 1.0, ["The volume does not give a voxel size; 1 µm is used (densities and permeability scale with it)."]


class LazyVolumes:
    """A sequence of ``n`` volumes made on demand by ``make(i)`` (each once, in order, when
    ``measure_set`` comes to it): generated samples are measured as they are made, so memory holds
    a few volumes, not all of them."""

    def __init__(self, n: int, make):
        self.n, self.make = int(n), make

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        return self.make(i)


def measure_set(vols, voxel, permeability, st: TaskState, label: str, workers: int = 1) -> list[dict]:
    """``sample_properties`` of every volume of ``vols`` (a list or LazyVolumes), in order; ``workers``
    > 1 measures in that many processes (the values are the same: each volume is measured alone),
    with at most two volumes per process waiting; cancellable between volumes."""
    n = len(vols)
    if int(workers) < 1:
        raise InputError(f"Use at least 1 worker process (got {workers}).")
    workers = max(1, min(int(workers), n))
    if workers == 1:
        out = []
        for i in range(n):
            st.report(i / n, f"Measuring {label} {i + 1}/{n}")
            out.append(sample_properties(vols[i], voxel, permeability=permeability,
                                         state=st.sub(i / n, (i + 1) / n)))
        st.report(1.0, f"{label} measured")
        return out
    import concurrent.futures as cf
    import multiprocessing as mp

    st.report(0.0, f"Measuring {label} 1/{n} ({workers} processes)")
    results: list = [None] * n
    # spawn, not fork: the parent has torch's and OpenMP's threads running
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                  initializer=_one_thread)
    try:
        pending: dict = {}
        made = done = 0
        while done < n:
            while made < n and len(pending) < 2 * workers:
                st.check()
                pending[pool.submit(_measure_one, np.ascontiguousarray(vols[made]), voxel, permeability)] = made
                made += 1
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                results[pending.pop(fut)] = fut.result()
                done += 1
            st.report(done / n, f"Measuring {label} {min(done + 1, n)}/{n} ({workers} processes)")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    st.report(1.0, f"{label} measured")
    return results


def _one_thread() -> None:
    """Worker start-up: one thread per process (the processes are the parallelism)."""
    import torch

    torch.set_num_threads(1)


def _measure_one(vol: np.ndarray, voxel: float, permeability: bool) -> dict:
    return sample_properties(vol, voxel, permeability=permeability)


def evaluate(model_ours, model_baseline, volume_path, n: int = 200, size: int = 64, seed: int = 0,
             permeability: bool = True, state: TaskState | None = None, *, out_dir=None,
             voxel_size_um: float | None = None, heldout_z: int | None = None, real_control: bool = True,
             paste: bool = False, device=None, pore: str = "auto", n_bootstrap: int = N_BOOTSTRAP,
             workers: int = 1) -> EvalResult:
    """Table 1 on held-out data; see the module docstring.

    ``model_ours``: a RockModel or a 'rock-gan' checkpoint path; ``model_baseline``: a
    BaselineModel, a 'rock-dcgan' checkpoint path, or None (no baseline column).
    ``real_control``: also measure a second, independent draw of ``n`` held-out crops and report
    KL(real, real 2nd draw) as a sanity row next to the floor. ``paste=False``: our volumes are
    G's own output (the input slice is not pasted in), so no voxel is copied from the real data.
    ``out_dir`` defaults to ``docs/results/rock_<rock>/`` (relative to the working directory).
    ``workers``: processes that measure the volumes (the results do not depend on it).
    """
    from ..io import read_volume
    from .baseline import BaselineModel, generate_baseline, load_baseline
    from .load import RockModel, load_model

    st = ensure_state(state)
    n, size, seed = sample_counts(n, size, seed)
    name = Path(str(volume_path)).name
    heldout_start(name, heldout_z)  # refuse early: unknown/no-held-out volumes
    out = Path(out_dir) if out_dir is not None else Path("docs") / "results" / f"rock_{rock_name(volume_path)}"
    ours = model_ours if isinstance(model_ours, RockModel) else load_model(model_ours, device=device or "cpu")
    base = None
    if model_baseline is not None:
        base = (model_baseline if isinstance(model_baseline, BaselineModel)
                else load_baseline(model_baseline, device=device or "cpu"))

    st.report(0.0, f"Reading {name}")
    vol = read_volume(volume_path, pore=pore, state=st.sub(0.0, 0.02))
    voxel, notes = resolve_voxel(vol, name, voxel_size_um)
    notes = list(vol.notices) + notes
    z0 = heldout_start(name, heldout_z)
    crops, pos = sample_heldout_crops(vol.array, name, n, size, np.random.default_rng([seed, 0]), heldout_z=heldout_z)
    ctrl_crops, ctrl_pos = ([], [])
    if real_control:
        ctrl_crops, ctrl_pos = sample_heldout_crops(vol.array, name, n, size, np.random.default_rng([seed, 2]),
                                                    heldout_z=heldout_z)

    sets = ["real"] + (["real_control"] if real_control else []) + ["ours"] + (["baseline"] if base else [])
    # progress weights: measuring dominates; generation of ours ~ as long as measuring without permeability
    span = {s: 1.0 for s in sets}
    span["ours"] = 2.0
    bounds = progress_bounds(span, 0.02, 0.93)

    samples: dict[str, list[dict]] = {}
    samples["real"] = measure_set(crops, voxel, permeability, st.sub(*bounds["real"]), "real crop", workers)
    if real_control:
        samples["real_control"] = measure_set(ctrl_crops, voxel, permeability, st.sub(*bounds["real_control"]),
                                               "real crop (2nd draw)", workers)

    # ours: one volume per held-out input slice, generated as it is measured
    ours_seeds = [sample_seed(seed, 1, i) for i in range(n)]
    matches: list = []

    def make_ours(i: int) -> np.ndarray:
        v, m = generate_ours_for(ours, np.ascontiguousarray(crops[i]), ours_seeds[i], paste=paste)
        matches.append(m)
        return v

    samples["ours"] = measure_set(LazyVolumes(n, make_ours), voxel, permeability, st.sub(*bounds["ours"]),
                                  "ours", workers)
    del crops, ctrl_crops

    if base is not None:
        b0, b1 = bounds["baseline"]
        bvols = generate_baseline(base, size, n, seed, state=st.sub(b0, b0 + 0.2 * (b1 - b0)))
        samples["baseline"] = measure_set(bvols, voxel, permeability, st.sub(b0 + 0.2 * (b1 - b0), b1),
                                           "baseline sample", workers)
        del bvols

    st.report(0.95, "Comparing distributions")
    data = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seqgen_version": __version__,
        "volume": str(Path(str(volume_path))),
        "volume_shape": [int(s) for s in vol.array.shape],
        "heldout_z_start": int(z0),
        "voxel_size_um": voxel,
        "n": n, "size": size, "seed": seed, "permeability": bool(permeability), "paste": bool(paste),
        "slice_axis": slice_axis(ours),
        "n_bootstrap": int(n_bootstrap),
        "models": {
            "ours": {"path": getattr(ours, "path", None), "step": getattr(ours, "step", None),
                     "config": ours.config.to_dict()},
            "baseline": (None if base is None else {"path": base.path, "step": base.step,
                                                    "config": base.config.to_dict()}),
        },
        "positions": {"real": [list(p) for p in pos], "real_control": [list(p) for p in ctrl_pos]},
        "ours_seeds": ours_seeds,
        "baseline_seed": seed if base is not None else None,
        "ours_slice_match": matches,
        "properties": {k: {"label": v[0], "unit": v[1]} for k, v in PROPERTIES.items()},
        "samples": samples,
        "notes": notes,
    }
    md, comps = _build_markdown(data)
    data["comparisons"] = [c.to_dict() for c in comps]

    return write_results(EvalResult, out, data, md, write_figures, st)


def sample_counts(n, size, seed) -> tuple[int, int, int]:
    """``n``, ``size`` and ``seed`` as ints; InputError below 4 samples per set."""
    n, size, seed = int(n), int(size), int(seed)
    if n < 4:
        raise InputError("Use at least 4 samples per set (the real-vs-real floor splits the real set in halves).")
    return n, size, seed


def progress_bounds(weights: dict, start: float, width: float) -> dict:
    """{set: (from, to)}: consecutive shares of ``width`` after ``start``, in proportion to ``weights``."""
    total = sum(weights.values())
    bounds, acc = {}, start
    for s, weight in weights.items():
        w = width * weight / total
        bounds[s] = (acc, acc + w)
        acc += w
    return bounds


def write_results(result_type, out: Path, data: dict, md: str, figures, st: TaskState):
    """results.json, table.md and ``figures(data, out)`` into ``out``, as a ``result_type`` (an EvalResult)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    json_path.write_text(json.dumps(jsonable(data), separators=(",", ":")) + "\n", encoding="utf-8")
    table_path = out / "table.md"
    table_path.write_text(md, encoding="utf-8")
    st.report(0.97, "Plotting")
    paths = figures(data, out)
    st.report(1.0, "Done")
    return result_type(out, table_path, json_path, paths, md, data)


def jsonable(o):
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        f = float(o)
        return f if math.isfinite(f) else None  # strict JSON; None = not computed
    if isinstance(o, np.bool_):
        return bool(o)
    return o


def finite_values(vals) -> np.ndarray:
    a = np.asarray([np.nan if v is None else v for v in vals], dtype=np.float64)
    return a[np.isfinite(a)]


def _build_markdown(data: dict):
    samples = data["samples"]
    methods = [m for m in ("real_control", "ours", "baseline") if m in samples]
    nb = int(data.get("n_bootstrap", N_BOOTSTRAP))
    comps, skipped = [], []
    for key, meta in _active_properties(data).items():
        real = finite_values(_values_any(samples["real"], key))
        others = {SET_LABELS[m]: finite_values(_values_any(samples[m], key)) for m in methods}
        usable = {k: v for k, v in others.items() if v.size >= 2}
        if real.size < 4 or not usable:
            skipped.append(f"{meta['label']} (too few finite values: real {real.size}, "
                           + ", ".join(f"{k} {v.size}" for k, v in others.items()) + ")")
            continue
        c = compare_sets(f"{meta['label']} ({meta['unit']})", real, usable, n_bootstrap=nb, seed=int(data["seed"]))
        # a set with < 2 finite values (e.g. no permeability could be computed) keeps its column: nan (n)
        c.kl = {k: c.kl[k] if k in usable else (float("nan"), float("nan"), int(v.size)) for k, v in others.items()}
        if len(usable) < len(others):
            skipped.append(f"{meta['label']}: " + ", ".join(f"{k} has {v.size} finite value(s)"
                                                            for k, v in others.items() if k not in usable))
        comps.append(c)
    rock = Path(data["volume"]).name
    lines = [f"- held-out crops: {data['n']} random {data['size']}³ crops from z ≥ {data['heldout_z_start']} of "
             f"{rock} ({'×'.join(map(str, data['volume_shape']))} voxels, z×y×x), voxel {data['voxel_size_um']:g} µm; "
             "crops are drawn independently and may overlap (the held-out part is small), so they are correlated "
             "and the real-vs-real floor is an optimistic reference",
             f"- ours: one volume per held-out crop, generated from the crop's central slice across axis "
             f"{data['slice_axis']} ({'zyx'[data['slice_axis']]}); "
             + ("the input slice was pasted into the output" if data["paste"] else
                "G's own output (the input slice is not pasted in)")
             + f"; mean slice match {100 * float(np.mean(data['ours_slice_match'])):.2f} %",
             "- baseline: unconditional 3D DCGAN (Mosser et al. 2017), " + str(data["n"]) + " samples"
             if data["models"]["baseline"] else "- baseline: none",
             *method_notes("real_control" in samples, data["permeability"], data["size"]),
             f"- seed {data['seed']}; models: ours {_model_desc(data['models']['ours'])}, baseline "
             f"{_model_desc(data['models']['baseline'])}",
             f"- {data['date']}, SeqGen Studio {data['seqgen_version']}",
             ""]
    lines = [f"# Rock GAN vs DCGAN baseline on held-out {rock}", ""] + [ln for ln in lines if ln != ""] + [""]
    table = markdown_table(comps)
    if nb != N_BOOTSTRAP:  # compare.markdown_table states its default count
        table = table.replace(f"std over {N_BOOTSTRAP} bootstrap", f"std over {nb} bootstrap")
    lines += ["## KL divergence to the held-out real distribution (lower is better)", "", table]
    if "real_control" in samples:
        lines += ["The floor compares two halves of the real set (n/2 each); 'real, 2nd draw' compares the real "
                  "set with an independent real set of the same size n, the like-for-like reference for the "
                  "model columns.", ""]
    if skipped:
        lines += ["Not compared (nan): " + "; ".join(skipped) + ".", ""]
    lines += ["## Means ± std (n)", ""]
    sets = ["real"] + methods
    lines.append("| property | " + " | ".join(SET_LABELS[s] for s in sets) + " |")
    lines.append("|---|" + "---|" * len(sets))
    for key, meta in _active_properties(data).items():
        cells = []
        for s in sets:
            cells.append(mean_cell(finite_values(_values_any(samples[s], key))))
        lines.append(f"| {meta['label']} ({meta['unit']}) | " + " | ".join(cells) + " |")
    lines.append("")
    lines += profile_section(samples, ["real"] + methods)
    if data.get("notes"):
        lines += ["Notes: " + " ".join(data["notes"]), ""]
    return "\n".join(lines), comps


PROFILE_NOTE = ("Mean porosity of the planes along z, over each set's samples: our volumes are generated along z "
                "from the central slice, so a trend here (pores fading away from the slice, or piling up at the "
                "faces) is a fault the whole-volume properties above average away. Real crops are stationary: "
                "their planes differ by sampling noise only.")


def profile_stats(samples: list[dict]) -> dict | None:
    """Per-plane mean porosity of a set and its summary (faces, quarters, centre, spread)."""
    rows = [s["porosity_profile_z"] for s in samples if s.get("porosity_profile_z")]
    if not rows or len({len(r) for r in rows}) != 1:
        return None
    m = np.asarray(rows, dtype=np.float64).mean(0)
    n = len(m)
    k = max(1, n // 16)  # planes per band (4 at 64³)
    c, q = n // 2, n // 4
    return {"mean": m, "faces": float(np.r_[m[:k], m[-k:]].mean()), "quarters": float(np.r_[m[q - k // 2:q - k // 2 + k],
            m[n - q - k // 2:n - q - k // 2 + k]].mean()), "centre": float(m[c - k // 2:c - k // 2 + k].mean()),
            "min": float(m.min()), "max": float(m.max()), "n": len(rows), "k": k}


def profile_section(samples: dict, sets: list[str]) -> list[str]:
    """The markdown section on the porosity profile along z ([] for results saved without profiles)."""
    stats = {s: profile_stats(samples[s]) for s in sets if s in samples}
    stats = {s: v for s, v in stats.items() if v is not None}
    if "real" not in stats:
        return []
    k = stats["real"]["k"]
    lines = ["## Porosity along z (the generated axis)", "", PROFILE_NOTE, "",
             f"| set | faces (outer {k} planes each side) | quarter depths ({k} planes) | centre ({k} planes) | "
             "lowest plane mean | highest plane mean |", "|---|---|---|---|---|---|"]
    for s, v in stats.items():
        lines.append(f"| {SET_LABELS[s]} (n={v['n']}) | {v['faces']:.4f} | {v['quarters']:.4f} | {v['centre']:.4f} | "
                     f"{v['min']:.4f} | {v['max']:.4f} |")
    return lines + ["", "Figure: `porosity_profile.png`.", ""]


def mean_cell(v: np.ndarray) -> str:
    """A means-table cell: mean ± std (n) of the finite values ``v``, '– (0)' without any."""
    return f"{v.mean():.4g} ± {v.std(ddof=1) if v.size > 1 else 0:.2g} ({v.size})" if v.size else "– (0)"


def method_notes(real_control: bool, permeability: bool, size: int) -> list[str]:
    """The table notes on the real 2nd draw ("" without one), permeability and the S2 correlation length."""
    return ["- real, 2nd draw: an independent draw of held-out crops (what a perfect generator would score at this n)"
            if real_control else "",
            "- permeability: pore-network Stokes flow (core.properties.permeability), arithmetic mean of the x, y "
            "and z values in mD (an axis the pores do not span counts as 0 mD); per-axis values are in results.json"
            if permeability else "- permeability: not computed (--no-permeability)",
            "- S2 correlation length: lag where (S2(r) − φ²)/(φ − φ²) first falls to 1/e (interpolated), "
            f"mean over z, y, x, lags up to {size // 2} voxels"]


def _active_properties(data: dict) -> dict:
    """The properties to compare: permeability only when it was computed."""
    return {k: v for k, v in data["properties"].items() if data["permeability"] or k != "permeability_mD"}


def _values_any(samples: list[dict], key: str) -> list:
    return [s.get(key) for s in samples]


def _model_desc(m) -> str:
    if not m:
        return "none"
    where = Path(m["path"]).name if m.get("path") else "untrained"
    return f"{where}" + (f" (step {m['step']})" if m.get("step") is not None else "")


def rebuild_table(json_path) -> str:
    """The markdown table again from a results.json (same numbers: bootstrap seeds are fixed)."""
    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    return _build_markdown(data)[0]


# --------------------------------------------------------------------------------------------
# figures (Agg canvas only)
# --------------------------------------------------------------------------------------------

def new_figure(w: float, h: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def hist_edges(vals: dict) -> np.ndarray | None:
    """Bin edges shared by the sets' histograms of one property; None without values.

    The range is the real sets' range, widened by up to half its span on each side where other sets
    have values: a few generated outliers (texture permeability up to 345,000 mD against 7,570 real)
    would otherwise squeeze every real value into the first bin. draw_hists piles what lies beyond
    into the end bins and says how many.
    """
    allv = [v for v in vals.values() if v.size]
    if not allv:
        return None
    real = [v for s, v in vals.items() if s.startswith("real") and v.size]
    pool, everything = np.concatenate(real or allv), np.concatenate(allv)
    lo, hi = float(pool.min()), float(pool.max())
    span = hi - lo
    lo, hi = max(float(everything.min()), lo - span / 2), min(float(everything.max()), hi + span / 2)
    if hi <= lo:
        hi = lo + (abs(lo) * 1e-6 or 1e-12)
    n = sum(v.size for v in allv)
    return np.linspace(lo, hi, min(BINS, max(10, int(np.sqrt(n)) * 2)) + 1)


def draw_hists(ax, vals: dict, edges: np.ndarray) -> bool:
    """A step histogram of every set with values ({set: values}) on ``ax``; whether any was drawn.
    Values beyond the edges are drawn in the end bins and counted in the legend."""
    drawn = False
    for s, v in vals.items():
        if v.size:
            drawn = True
            beyond = int(np.count_nonzero((v < edges[0]) | (v > edges[-1])))
            label = f"{SET_LABELS[s]} (n={v.size}" + (f", {beyond} beyond the axis, in the end bins)" if beyond else ")")
            ax.hist(np.clip(v, edges[0], edges[-1]), bins=edges, density=True, histtype="step", linewidth=1.6,
                    color=COLORS[s], label=label, linestyle="--" if s == "real_control" else "-")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))  # no run-together labels like 10000200003000
    return drawn


def write_figures(data: dict, out: Path) -> list[Path]:
    """hist_<property>.png for every property with values, and s2_curves.png (mean ± std bands)."""
    samples = data["samples"]
    sets = [s for s in ("real", "real_control", "ours", "baseline") if s in samples]
    paths = []
    for key, meta in _active_properties(data).items():
        vals = {s: finite_values(_values_any(samples[s], key)) for s in sets}
        edges = hist_edges(vals)
        if edges is None:
            continue
        fig = new_figure(6, 4)
        ax = fig.add_subplot(111)
        draw_hists(ax, vals, edges)
        ax.set_xlabel(f"{meta['label']} ({meta['unit']})")
        ax.set_ylabel("density")
        ax.set_title(f"{Path(data['volume']).name}, {data['size']}³ held-out crops")
        ax.legend(fontsize=8)
        fig.tight_layout()
        p = out / f"hist_{key}.png"
        fig.savefig(p)
        paths.append(p)

    fig = new_figure(12, 3.8)
    for j, axis in enumerate(("z", "y", "x")):
        ax = fig.add_subplot(1, 3, j + 1)
        for s in sets:
            curves = np.asarray([smp["s2"][axis] for smp in samples[s]], dtype=np.float64)
            if curves.size == 0:
                continue
            r = np.arange(curves.shape[1])
            m, sd = curves.mean(0), curves.std(0)
            ax.plot(r, m, color=COLORS[s], label=f"{SET_LABELS[s]} (n={len(curves)})",
                    linestyle="--" if s == "real_control" else "-")
            ax.fill_between(r, m - sd, m + sd, color=COLORS[s], alpha=0.15, linewidth=0)
        ax.set_xlabel(f"lag along {axis} (voxels)")
        ax.set_ylabel("S2(r)")
        ax.set_title(f"S2 along {axis}: mean ± std")
        if j == 0:
            ax.legend(fontsize=8)
    fig.tight_layout()
    p = out / "s2_curves.png"
    fig.savefig(p)
    paths.append(p)

    prof = {s: profile_stats(samples[s]) for s in sets}
    prof = {s: v for s, v in prof.items() if v is not None}
    if prof:
        fig = new_figure(6, 4)
        ax = fig.add_subplot(111)
        for s, v in prof.items():
            ax.plot(np.arange(len(v["mean"])), v["mean"], color=COLORS[s], label=f"{SET_LABELS[s]} (n={v['n']})",
                    linestyle="--" if s == "real_control" else "-")
        ax.set_xlabel("plane along z (ours: generated from the central slice)")
        ax.set_ylabel("mean porosity of the plane")
        ax.set_title(f"{Path(data['volume']).name}: porosity along z")
        ax.legend(fontsize=8)
        fig.tight_layout()
        p = out / "porosity_profile.png"
        fig.savefig(p)
        paths.append(p)
    return paths
