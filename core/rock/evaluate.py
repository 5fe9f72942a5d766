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
from pathlib import Path

import numpy as np

from .. import __version__
from ..compare import N_BOOTSTRAP, compare_sets, markdown_table
from ..jobs import TaskState, ensure_state
from ..volumes.crops import sample_heldout_crops
from ..volumes.figures import COLORS, draw_hists, hist_edges, new_figure
from ..volumes.measure import PROPERTIES, LazyVolumes, measure_set
from ..volumes.split import heldout_start, resolve_voxel, volume_stem
from ..volumes.tables import (SET_LABELS, EvalResult, finite_values, mean_cell, method_notes, progress_bounds,
                              sample_counts, sample_seed, write_results)


def rock_name(path) -> str:
    """'berea_400.tif' -> 'berea' (for the default output folder docs/results/rock_<rock>/)."""
    return volume_stem(path).split("_")[0] or "volume"


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------

def slice_axis(model) -> int:
    """The array axis our model's input slice is taken across (read from the model config;
    the rock GAN conditions on the central z-slice, axis 0, unless its config says otherwise)."""
    return int(getattr(model.config, "slice_axis", 0))


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
    from ..volumes.baseline import BaselineModel, generate_baseline, load_baseline
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
