"""Thesis Table 2 for the multi-texture GAN: per class, ours vs the DCGAN baseline vs held-out real crops.

``evaluate(model, data, ...)``: for every class named in ``data`` ({class: shared volume}), draw
``n`` random ``size``³ crops from the HELD-OUT part of its volume (berea_400: z ≥ 300, ketton_256:
z ≥ 192, bentheimer_500: z ≥ 375; the binding split of ../shared/data/README.md), generate ``n``
volumes of that class (each its own seed, code drawn from the class Gaussian), optionally draw a
second independent set of real crops (control) and ``n`` unconditional volumes of that class's
DCGAN baseline, measure every volume and compare the distributions per property and class.

Everything it shares with the rock evaluation (core.rock.evaluate, Table 1) is in core.volumes: the
held-out crops (``sample_heldout_crops``), the per-sample properties (``sample_properties``:
porosity, mean permeability of x/y/z, S2 correlation length, surface area and Euler densities),
the voxel sizes of the shared volumes, and the KL conventions of core.compare (50 bins,
pseudo-count 0.5, bootstrap std over 1000 resamples, real-vs-real floor on two halves).

Class check (core.texture.class_check): each generated sample's property vector (porosity, surface
area density, Euler density, log10(1 + permeability/mD); standardised with the mean/std of all real
samples pooled) is assigned to the class whose real samples' centroid is nearest. Accuracy per class and confusion
matrices for ours, the baseline and the real control (the reference accuracy at this n).

Outputs (in ``out_dir``, default docs/results/texture/): ``table.md``, ``results.json`` (every
per-sample value; no date, so the same seed and inputs give a byte-identical file;
:func:`rebuild_table` rebuilds the markdown from it) and ``hist_<property>.png`` (one panel per
class; matplotlib's Agg canvas only, never pyplot or Qt).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import zlib
from pathlib import Path

import numpy as np

from .. import __version__
from ..compare import N_BOOTSTRAP, SMOOTHING_NOTE, compare_sets
from ..errors import InputError
from ..jobs import TaskState, ensure_state
from ..volumes.crops import sample_heldout_crops
from ..volumes.figures import draw_hists, hist_edges, new_figure
from ..volumes.measure import PROPERTIES, LazyVolumes, measure_set
from ..volumes.split import heldout_start, resolve_voxel
from ..volumes.tables import (SET_LABELS, EvalResult, finite_values, mean_cell, method_notes, progress_bounds,
                              sample_counts, sample_seed, write_results)
from .class_check import CHECK_FEATURES, CHECK_TRANSFORM, CHECKED_SETS, class_check  # noqa: F401 (re-exported)

#: Properties of Table 2, in table order (keys of core.volumes.measure.PROPERTIES).
TABLE_PROPERTIES = ("permeability_mD", "porosity", "surface_area_density", "euler_density", "s2_corr_length")

#: Thesis Table 2, KL(real, ours) of permeability (Alanov, Kochurov, Volkhonskiy et al.): (KL, std).
THESIS_KL_PERMEABILITY = {"ketton": (5.06, 0.35), "berea": (0.49, 0.07), "bentheimer": (0.47, 0.08)}
THESIS_REF = "Alanov, Kochurov, Volkhonskiy et al. (multi-texture synthesis), Table 2"

#: Sets in column order: the model columns first, then the real control.
SETS = ("real", *CHECKED_SETS)
SEED_STREAMS = {"real": 0, "ours": 1, "real_control": 2}


class TextureEvalResult(EvalResult):
    """Where the outputs went and all raw values (as written to the JSON); the fields of EvalResult."""


def class_key(name: str) -> int:
    """A stable integer for a class name: its crops and seeds do not depend on which other classes are evaluated."""
    return zlib.crc32(str(name).encode("utf-8"))


def _per_class(value, classes, what: str) -> dict:
    """``value`` (one value for every class, a {class: value} dict, or None) → {class: value or None}."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in classes]
        if unknown:
            raise InputError(f"{what} is given for {', '.join(map(str, unknown))}, which is not among the evaluated "
                             f"classes ({', '.join(classes)}).")
        return {c: value.get(c) for c in classes}
    return {c: value for c in classes}


def _thesis_ref(name: str):
    return THESIS_KL_PERMEABILITY.get(str(name).lower().split("_")[0])


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------

def evaluate(model, data: dict, n: int = 200, size: int = 64, seed: int = 0, permeability: bool = True,
             state: TaskState | None = None, *, baselines: dict | None = None, out_dir=None,
             heldout_z=None, voxel_size_um=None, real_control: bool = True, spread: float = 1.0,
             device=None, pore: str = "auto", n_bootstrap: int = N_BOOTSTRAP, workers: int = 1) -> TextureEvalResult:
    """Table 2 on held-out data; see the module docstring.

    ``model``: a TextureModel or a 'texture-gan' checkpoint/model path. ``data``: {class: volume
    path}, every class one of the model's (InputError listing them otherwise). ``baselines``:
    {class: BaselineModel or 'rock-dcgan' checkpoint path} for some of the classes (no baseline
    column for the others). ``heldout_z`` / ``voxel_size_um``: one value for all classes or a
    {class: value} dict (needed / optional for volumes that are not the shared ones).
    ``workers``: processes that measure the volumes (the results do not depend on it).
    """
    from ..io import read_volume
    from ..volumes.baseline import BaselineModel, generate_baseline, load_baseline
    from .generate import check_shape, generate
    from .load import TextureModel, load_model

    st = ensure_state(state)
    n, size, seed = sample_counts(n, size, seed)
    check_shape(size)
    if int(n_bootstrap) < 2:
        raise InputError(f"Use at least 2 bootstrap resamples (got {n_bootstrap}).")
    if not data:
        raise InputError("Give at least one class and its volume (--data NAME=PATH).")
    data = {str(c): Path(str(p)) for c, p in dict(data).items()}
    classes = list(data)
    baselines = dict(baselines or {})
    hz = _per_class(heldout_z, classes, "A held-out start")
    vx = _per_class(voxel_size_um, classes, "A voxel size")
    unknown_b = [c for c in baselines if c not in data]
    if unknown_b:
        raise InputError(f"A baseline is given for {', '.join(unknown_b)}, but there is no --data for "
                         f"{'it' if len(unknown_b) == 1 else 'them'} (classes evaluated: {', '.join(classes)}).")

    ours = model if isinstance(model, TextureModel) else load_model(model, device=device or "cpu")
    for c in classes:
        ours.class_entry(c)  # InputError listing the model's classes
    for c, p in data.items():
        if not p.is_file():
            raise InputError(f"{p} (class {c}) does not exist.")
        heldout_start(p.name, hz[c])  # refuse early: unknown / no-held-out volumes
    bases = {c: (b if isinstance(b, BaselineModel) else load_baseline(b, device=device or "cpu"))
             for c, b in baselines.items() if b is not None}

    sets = ["real"] + (["real_control"] if real_control else []) + ["ours"]
    notes: list[str] = list(ours.notices)
    per_class: dict[str, dict] = {}
    span = 0.93 / len(classes)
    for k, c in enumerate(classes):
        cst = st.sub(0.0 + k * span, (k + 1) * span)
        path = data[c]
        key = class_key(c)
        cst.report(0.0, f"{c}: reading {path.name}")
        vol = read_volume(path, pore=pore, state=cst.sub(0.0, 0.03))
        voxel, vnotes = resolve_voxel(vol, path.name, vx[c])
        notes += [f"{c}: {m}" for m in list(vol.notices) + vnotes]
        z0 = heldout_start(path.name, hz[c])
        csets = sets + (["baseline"] if c in bases else [])
        weights = {"real": 1.0, "real_control": 1.0, "ours": 1.1, "baseline": 1.1}
        bounds = progress_bounds({s: weights[s] for s in csets}, 0.03, 0.97)

        samples: dict[str, list[dict]] = {}
        positions: dict[str, list] = {}
        for s in ("real", "real_control"):
            if s not in csets:
                continue
            crops, pos = sample_heldout_crops(vol.array, path.name, n, size,
                                              np.random.default_rng([seed, SEED_STREAMS[s], key]), heldout_z=hz[c])
            label = "real crop" if s == "real" else "real crop (2nd draw)"
            samples[s] = measure_set(crops, voxel, permeability, cst.sub(*bounds[s]), f"{c}: {label}", workers)
            positions[s] = [list(p) for p in pos]
            del crops
        shape = [int(v) for v in vol.array.shape]
        del vol

        # ours: realisation 0 of its own seed per sample, generated as it is measured
        seed_c = sample_seed(seed, SEED_STREAMS["ours"], key)
        ours_seeds = [sample_seed(seed_c, SEED_STREAMS["ours"], i) for i in range(n)]

        def make(i: int, c=c, seeds=ours_seeds) -> np.ndarray:
            return generate(ours, size, seeds[i], cls=c, spread=spread)[0]

        samples["ours"] = measure_set(LazyVolumes(n, make), voxel, permeability, cst.sub(*bounds["ours"]),
                                      f"{c}: ours", workers)

        base_meta = None
        if c in bases:
            b, (b0, b1) = bases[c], bounds["baseline"]
            bvols = generate_baseline(b, size, n, seed, state=cst.sub(b0, b0 + 0.15 * (b1 - b0)))
            samples["baseline"] = measure_set(bvols, voxel, permeability, cst.sub(b0 + 0.15 * (b1 - b0), b1),
                                              f"{c}: baseline sample", workers)
            base_meta = {"path": b.path, "step": b.step, "config": b.config.to_dict()}
            del bvols
        per_class[c] = {
            "volume": str(path), "volume_shape": shape, "heldout_z_start": int(z0), "voxel_size_um": voxel,
            "positions": positions, "ours_seed": seed_c, "ours_seeds": ours_seeds,
            "baseline": base_meta, "baseline_seed": seed if base_meta else None,
            "samples": {s: samples[s] for s in SETS if s in samples},
        }

    st.report(0.93, "Comparing distributions")
    out_data = {
        "seqgen_version": __version__,
        "table": "thesis Table 2 (multi-texture GAN), held-out data",
        "n": n, "size": size, "seed": seed, "permeability": bool(permeability), "real_control": bool(real_control),
        "spread": float(spread), "n_bootstrap": int(n_bootstrap),
        "model": {"path": getattr(ours, "path", None), "step": getattr(ours, "step", None),
                  "config": ours.config.to_dict(), "classes": ours.class_names()},
        "properties": {k: {"label": PROPERTIES[k][0], "unit": PROPERTIES[k][1]} for k in TABLE_PROPERTIES},
        "class_order": classes,
        "classes": per_class,
        "notes": notes,
    }
    comps = compare_all(out_data, state=st.sub(0.93, 0.97))
    out_data["comparisons"] = comps
    out_data["class_check"] = class_check(out_data)
    md = build_markdown(out_data, date=_dt.datetime.now().astimezone().isoformat(timespec="seconds"))

    out = Path(out_dir) if out_dir is not None else Path("docs") / "results" / "texture"
    return write_results(TextureEvalResult, out, out_data, md, write_figures, st)


# --------------------------------------------------------------------------------------------
# comparisons (from the per-sample values alone: rebuildable from the JSON; so is the class check)
# --------------------------------------------------------------------------------------------

def active_properties(data: dict) -> dict:
    """The properties to compare: permeability only when it was computed."""
    return {k: v for k, v in data["properties"].items() if data["permeability"] or k != "permeability_mD"}


def _values(samples: list[dict], key: str) -> np.ndarray:
    return finite_values([s.get(key) for s in samples])


def compare_all(data: dict, state: TaskState | None = None) -> dict:
    """{property: {class: Comparison dict}}: KL(real, set) ± bootstrap std (n) for every other set of
    the class, and the real-vs-real floor (core.compare.compare_sets). A set with < 2 finite values
    keeps its entry as (nan, nan, n); a real set with < 4 finite values gives no comparison (None)."""
    st = ensure_state(state)
    props = active_properties(data)
    nb = int(data.get("n_bootstrap", N_BOOTSTRAP))
    out: dict[str, dict] = {}
    steps = max(1, len(props) * len(data["class_order"]))
    done = 0
    for key, meta in props.items():
        out[key] = {}
        for c in data["class_order"]:
            st.report(done / steps, f"Comparing {meta['label'].lower()}, {c}")
            done += 1
            smp = data["classes"][c]["samples"]
            real = _values(smp["real"], key)
            others = {s: _values(smp[s], key) for s in SETS[1:] if s in smp}
            usable = {s: v for s, v in others.items() if v.size >= 2}
            if real.size < 4 or not usable:
                out[key][c] = None
                continue
            comp = compare_sets(f"{meta['label']} ({meta['unit']})", real, usable, n_bootstrap=nb,
                                seed=int(data["seed"]))
            comp.kl = {s: comp.kl[s] if s in usable else (float("nan"), float("nan"), int(v.size))
                       for s, v in others.items()}
            out[key][c] = comp.to_dict()
    st.report(1.0, "Compared")
    return out


# --------------------------------------------------------------------------------------------
# markdown
# --------------------------------------------------------------------------------------------

def _kl_cell(t) -> str:
    if t is None:
        return "–"
    kl, sd, cnt = t
    if kl is None or not math.isfinite(float(kl)):
        return f"nan ± nan ({cnt})"
    return f"{kl:.4f} ± {sd:.4f} ({cnt})"


def _model_desc(path, step) -> str:
    where = Path(path).name if path else "untrained (in memory)"
    return where + (f" (step {step})" if step is not None else "")


def build_markdown(data: dict, date: str | None = None) -> str:
    """table.md from the evaluation data (comparisons and class check included)."""
    classes = data["class_order"]
    cd = data["classes"]
    n, size = data["n"], data["size"]
    nb = int(data.get("n_bootstrap", N_BOOTSTRAP))
    has_base = any(cd[c]["baseline"] for c in classes)
    has_ctrl = bool(data.get("real_control"))
    m = data["model"]
    lines = ["# Multi-texture GAN vs DCGAN baselines on held-out rocks (thesis Table 2)", ""]
    for c in classes:
        e = cd[c]
        lines.append(f"- {c}: {n} random {size}³ held-out crops from z ≥ {e['heldout_z_start']} of "
                     f"{Path(e['volume']).name} ({'×'.join(map(str, e['volume_shape']))} voxels, z×y×x), "
                     f"voxel {e['voxel_size_um']:g} µm; ours: {n} samples of class '{c}' (sample i is "
                     f"`seqgen texture generate --class {c} --size {size} --seed S_i`, seeds S_i in results.json); "
                     "baseline: "
                     + (f"{_model_desc(e['baseline']['path'], e['baseline']['step'])}, {n} samples, seed "
                        f"{e['baseline_seed']}" if e["baseline"] else "none"))
    lines += [
        "- crops are drawn independently and may overlap (the held-out parts are small: Ketton's is 64 slices "
        "deep), so they are correlated and the real-vs-real floor is an optimistic reference",
        f"- ours: {_model_desc(m['path'], m['step'])}; each sample's code is drawn from its class's Gaussian "
        f"(spread {data['spread']:g}) with its own noise field; classes of the model: {', '.join(m['classes'])}",
        "- baseline: unconditional 3D DCGAN (Mosser et al. 2017), one model per class" if has_base
        else "- baseline: none",
        *method_notes(has_ctrl, data["permeability"], size),
        f"- seed {data['seed']}" + (f"; {date}" if date else "") + f"; SeqGen Studio {data['seqgen_version']}",
    ]
    lines = lines[:2] + [ln for ln in lines[2:] if ln != ""] + [""]

    lines += ["## KL divergence to the held-out real distribution (lower is better)", "",
              f"KL: {SMOOTHING_NOTE}; std over {nb} bootstrap resamples; (n) = samples in the set. The floor "
              "compares two halves of the real set (n/2 each)"
              + ("; 'real, 2nd draw' compares the real set with an independent real set of the same size n, the "
                 "like-for-like reference for the model columns." if has_ctrl else "."), ""]
    cols = ["ours"] + (["baseline"] if has_base else []) + (["real_control"] if has_ctrl else [])
    skipped = []
    for key, meta in active_properties(data).items():
        thesis = key == "permeability_mD"
        lines += [f"### {meta['label']} ({meta['unit']})", ""]
        head = ["class", "n real"] + [f"KL(real, {SET_LABELS[s]}) ± std (n)" for s in cols] + \
               ["real-vs-real floor ± std (n per half)"] + (["thesis KL(real, ours) ± std"] if thesis else [])
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for c in classes:
            comp = data["comparisons"].get(key, {}).get(c)
            ref = _thesis_ref(c)
            ref_cell = [f"{ref[0]:.2f} ± {ref[1]:.2f}" if ref else "–"] if thesis else []
            if comp is None:
                skipped.append(f"{meta['label']}, {c}")
                lines.append("| " + " | ".join([c, str(len(_values(cd[c]['samples']['real'], key)))]
                                               + ["–"] * (len(cols) + 1) + ref_cell) + " |")
                continue
            fl = comp["floor"]
            cells = [c, str(comp["n_real"])] + [_kl_cell(comp["kl"].get(s)) for s in cols]
            cells.append(f"{fl[0]:.4f} ± {fl[1]:.4f} ({fl[2]})")
            lines.append("| " + " | ".join(cells + ref_cell) + " |")
        lines.append("")
    ref_txt = ", ".join(f"{k.capitalize()} {v[0]:.2f} ± {v[1]:.2f}" for k, v in THESIS_KL_PERMEABILITY.items())
    lines += [f"Thesis reference, KL(real, ours) of permeability ({THESIS_REF}): {ref_txt}. Quoted as published; "
              "they were computed with the thesis's own samples, crop sizes and histogram settings, so they are an "
              "indication of scale, not a like-for-like comparison with the columns above."
              + ("" if data["permeability"] else " (Permeability was not computed in this run.)"), ""]
    if skipped:
        lines += ["Not compared (too few finite values): " + "; ".join(skipped) + ".", ""]

    lines += ["## Means ± std (n)", ""]
    mcols = ["real"] + cols
    lines.append("| class | property | " + " | ".join(SET_LABELS[s] for s in mcols) + " |")
    lines.append("|---|---|" + "---|" * len(mcols))
    for c in classes:
        smp = cd[c]["samples"]
        for key, meta in active_properties(data).items():
            cells = []
            for s in mcols:
                if s not in smp:
                    cells.append("–")
                    continue
                cells.append(mean_cell(_values(smp[s], key)))
            lines.append(f"| {c} | {meta['label']} ({meta['unit']}) | " + " | ".join(cells) + " |")
    lines.append("")

    cc = data["class_check"]
    names = {"porosity": "porosity", "surface_area_density": "surface area density",
             "euler_density": "Euler characteristic density", "permeability_mD": "log10(1 + permeability/mD)"}
    feat_names = [names.get(f, f) for f in cc["features"]]
    lines += ["## Class check: nearest real class centroid", "",
              f"Each sample's vector ({', '.join(feat_names)}), standardised with the mean and std of all real "
              "held-out samples pooled, is assigned to the class whose real samples' centroid is nearest "
              "(Euclidean). Accuracy = share of a class's samples assigned to their own class; the real 2nd "
              "draw gives the reference accuracy of real data at this n." +
              (" With one class the check is trivially 100 %." if len(classes) == 1 else ""), ""]
    csets = [s for s in ("ours", "baseline", "real_control") if s in cc["sets"]]
    lines.append("| class | " + " | ".join(f"{SET_LABELS[s]}: accuracy (n)" for s in csets) + " |")
    lines.append("|---|" + "---|" * len(csets))
    for c in classes + ["all"]:
        cells = []
        for s in csets:
            e = cc["sets"][s]
            if c == "all":
                tot = int(np.sum(e["confusion"]))
                a = e["overall_accuracy"]
            elif c in e["rows"]:
                tot = int(np.sum(e["confusion"][e["rows"].index(c)]))
                a = e["accuracy"][c]
            else:
                cells.append("–")
                continue
            cells.append(f"{100 * a:.1f} % ({tot})" if a is not None and math.isfinite(a) else f"– ({tot})")
        lines.append(f"| {'**all**' if c == 'all' else c} | " + " | ".join(cells) + " |")
    lines.append("")
    for s in csets:
        e = cc["sets"][s]
        lines += [f"Confusion matrix, {SET_LABELS[s]} (rows: class of the sample, columns: nearest real class):", "",
                  f"| {SET_LABELS[s]} \\ nearest | " + " | ".join(classes) + " |",
                  "|---|" + "---|" * len(classes)]
        for c, row in zip(e["rows"], e["confusion"]):
            lines.append(f"| {c} | " + " | ".join(str(v) for v in row) + " |")
        un = {c: v for c, v in e["unclassified"].items() if v}
        if un:
            lines.append("")
            lines.append("Not classified (a non-finite property): " + ", ".join(f"{c} {v}" for c, v in un.items()))
        lines.append("")
    if data.get("notes"):
        lines += ["Notes: " + " ".join(data["notes"]), ""]
    return "\n".join(lines)


def rebuild_table(json_path) -> str:
    """The markdown again from a results.json (same numbers; the date is not stored, so it is left out)."""
    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    return build_markdown(data)


# --------------------------------------------------------------------------------------------
# figures (Agg canvas only)
# --------------------------------------------------------------------------------------------

def write_figures(data: dict, out: Path) -> list[Path]:
    """hist_<property>.png for every compared property: one panel per class, real vs ours vs baseline
    (and the real 2nd draw, dashed)."""
    classes = data["class_order"]
    paths = []
    for key, meta in active_properties(data).items():
        fig = new_figure(4.2 * len(classes), 3.8)
        drawn = False
        for j, c in enumerate(classes):
            ax = fig.add_subplot(1, len(classes), j + 1)
            smp = data["classes"][c]["samples"]
            sets = [s for s in ("real", "real_control", "ours", "baseline") if s in smp]
            vals = {s: _values(smp[s], key) for s in sets}
            edges = hist_edges(vals)
            if edges is not None:
                drawn = draw_hists(ax, vals, edges) or drawn
                ax.legend(fontsize=7)
            ax.set_xlabel(f"{meta['label']} ({meta['unit']})", fontsize=8)
            if j == 0:
                ax.set_ylabel("density")
            ax.set_title(f"{c}: {data['size']}³ held-out crops", fontsize=9)
        if not drawn:
            continue
        fig.tight_layout()
        p = out / f"hist_{key}.png"
        fig.savefig(p)
        paths.append(p)
    return paths
