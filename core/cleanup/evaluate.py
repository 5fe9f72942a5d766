"""Metrics and the held-out / user-pairs evaluation: ours vs Otsu vs Sauvola.

Conventions (fixed here, written into every table):
- Masks are binary, 1 = line/ink. IoU = |P ∩ G| / |P ∪ G| of line pixels (1 when both are empty).
- PSNR of the binary prediction against the binary truth on a [0, 1] scale: 10·log10(1 / MSE),
  MSE = the fraction of wrong pixels; a perfect image (MSE 0) is reported as PSNR_CAP (100 dB).
- F-measure = 2·precision·recall / (precision + recall) of line pixels (1 when both are empty).
- Every number is the mean over images of the per-image value (with its standard deviation).
- Otsu: ink = grey ≤ skimage.filters.threshold_otsu(grey), one threshold per image.
  Sauvola: ink = grey ≤ skimage.filters.threshold_sauvola(grey, window_size=SAUVOLA_WINDOW, k=SAUVOLA_K).
- Ground-truth images of a user's pairs: grey < 128 is ink; if that makes more than half the
  image ink, the polarity is taken as inverted (drawings are mostly paper).
"""

from __future__ import annotations

import dataclasses

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InputError
from ..io import atomic_path, natural_key
from ..jobs import TaskState, ensure_state
from ..metrics import psnr_from_mse
from .infer import DEFAULT_THRESHOLD, CleanupModel, clean_image
from .scanio import SCAN_SUFFIXES, read_pages, to_grey_u8
from .synth import HELDOUT_SEED_BASE, HELDOUT_SIZE, heldout_seeds, make_pair

PSNR_CAP = 100.0
MSE_FLOOR = 1e-10  # 10·log10(1 / MSE_FLOOR) = PSNR_CAP
SAUVOLA_WINDOW = 25
SAUVOLA_K = 0.2
ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "docs" / "results" / "cleanup"
METRICS = ("iou", "psnr", "f_measure")


def _check(pred, gt):
    p, g = np.asarray(pred) > 0, np.asarray(gt) > 0
    if p.shape != g.shape:
        raise InputError(f"Prediction {p.shape} and ground truth {g.shape} differ in size.")
    return p, g


def iou(pred, gt) -> float:
    """Intersection over union of line pixels."""
    p, g = _check(pred, gt)
    union = np.count_nonzero(p | g)
    return 1.0 if union == 0 else np.count_nonzero(p & g) / union


def psnr(pred, gt) -> float:
    """PSNR (dB) of binary images on a [0, 1] scale; MSE 0 → PSNR_CAP."""
    p, g = _check(pred, gt)
    return float(psnr_from_mse(np.count_nonzero(p != g) / p.size, mse_floor=MSE_FLOOR))


def f_measure(pred, gt) -> float:
    """F1 of line pixels (harmonic mean of precision and recall)."""
    p, g = _check(pred, gt)
    tp = np.count_nonzero(p & g)
    npred, ngt = np.count_nonzero(p), np.count_nonzero(g)
    if npred == 0 and ngt == 0:
        return 1.0
    if tp == 0:
        return 0.0
    prec, rec = tp / npred, tp / ngt
    return 2 * prec * rec / (prec + rec)


def all_metrics(pred, gt) -> dict[str, float]:
    return {"iou": iou(pred, gt), "psnr": psnr(pred, gt), "f_measure": f_measure(pred, gt)}


def otsu(grey: np.ndarray) -> np.ndarray:
    from skimage.filters import threshold_otsu

    g = to_grey_u8(grey)
    if g.min() == g.max():
        return np.zeros_like(g)
    return (g <= threshold_otsu(g)).astype(np.uint8)  # skimage: paper is > threshold


def sauvola(grey: np.ndarray, window: int = SAUVOLA_WINDOW, k: float = SAUVOLA_K) -> np.ndarray:
    from skimage.filters import threshold_sauvola

    g = to_grey_u8(grey)
    return (g <= threshold_sauvola(g, window_size=window, k=k)).astype(np.uint8)


def gt_mask(image: np.ndarray) -> np.ndarray:
    """A user's ground-truth image → 1 = ink (dark is ink; inverted when that would be most of it)."""
    m = to_grey_u8(image) < 128
    if m.mean() > 0.5:
        m = ~m
    return m.astype(np.uint8)


@dataclass
class MethodScores:
    name: str
    per_image: list[dict] = field(default_factory=list)

    def mean(self) -> dict[str, dict[str, float]]:
        out = {}
        for k in METRICS:
            v = np.array([r[k] for r in self.per_image], float)
            out[k] = {"mean": float(v.mean()) if v.size else float("nan"),
                      "std": float(v.std()) if v.size else float("nan")}
        return out


def _ours(model: CleanupModel, threshold: float, tile: int):
    name = "ours (U-Net)" if model.views == 1 else f"ours (U-Net, mean of {model.views} views)"
    return name, lambda g: clean_image(model, g, threshold=threshold, tile=tile)


def _methods(model: CleanupModel | None, threshold: float, tile: int, views=None):
    """(name, binarise function) of each method; ``views``: one row of ours per view count (default the model's)."""
    ms = []
    if model is not None:
        for v in (views or [model.views]):
            ms.append(_ours(dataclasses.replace(model, views=int(v)), threshold, tile))
    ms += [("Otsu", otsu), (f"Sauvola (window {SAUVOLA_WINDOW}, k {SAUVOLA_K})", sauvola)]
    return ms


def evaluate_heldout(model: CleanupModel | None, n: int = 100, *, size: int = HELDOUT_SIZE,
                     threshold: float = DEFAULT_THRESHOLD, tile: int = 1024, views=None,
                     state: TaskState | None = None) -> dict:
    """Scores on the fixed held-out synthetic set (seeds HELDOUT_SEED_BASE + i, never trained on)."""
    state = ensure_state(state)
    if n < 1:
        raise InputError("The held-out set needs at least one image (--n).")
    methods = _methods(model, threshold, tile, views)
    scores = {name: MethodScores(name) for name, _ in methods}
    for i, seed in enumerate(heldout_seeds(n)):
        state.report(i / n, f"held-out image {i + 1}/{n}")
        scan, target = make_pair(seed, size, size)
        for name, fn in methods:
            scores[name].per_image.append({"seed": seed, **all_metrics(fn(scan), target)})
    state.report(1.0, "held-out set done")
    return {"set": "held-out synthetic", "n": n, "size": size,
            "seeds": f"{HELDOUT_SEED_BASE} + i, i = 0..{n - 1} (2**61 + i; training uses seeds < 2**60)",
            "threshold": threshold, "methods": {k: {"mean": v.mean(), "per_image": v.per_image}
                                                for k, v in scores.items()}}


def match_pairs(scan_dir, gt_dir) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(scan, ground truth) files with the same name stem (case-insensitive); notes on the unmatched."""
    scan_dir, gt_dir = Path(scan_dir), Path(gt_dir)
    for d in (scan_dir, gt_dir):
        if not d.is_dir():
            raise InputError(f"{d} is not a folder.")

    def index(d):
        out = {}
        for p in sorted(d.iterdir(), key=lambda p: natural_key(p.name)):
            if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES and not p.name.startswith("."):
                out.setdefault(p.stem.lower(), p)
        return out

    scans, gts = index(scan_dir), index(gt_dir)
    pairs = [(scans[k], gts[k]) for k in scans if k in gts]
    notes = [f"no ground truth for {scans[k].name}" for k in scans if k not in gts]
    notes += [f"no scan for ground truth {gts[k].name}" for k in gts if k not in scans]
    if not pairs:
        raise InputError(f"No (scan, ground truth) pairs: no file names match between {scan_dir} and {gt_dir}.")
    return pairs, notes


def evaluate_pairs(model: CleanupModel | None, scan_dir, gt_dir, *, threshold: float = DEFAULT_THRESHOLD,
                   tile: int = 1024, views=None, state: TaskState | None = None) -> dict:
    """Scores on a user's folder pair; pairs that cannot be read or differ in size are listed, not scored."""
    state = ensure_state(state)
    pairs, notes = match_pairs(scan_dir, gt_dir)
    methods = _methods(model, threshold, tile, views)
    scores = {name: MethodScores(name) for name, _ in methods}
    for i, (s, g) in enumerate(pairs):
        state.report(i / len(pairs), f"pair {i + 1}/{len(pairs)}: {s.name}")
        try:
            scan, gt = read_pages(s)[0], gt_mask(read_pages(g)[0])
        except InputError as e:
            notes.append(f"skipped {s.name}: {e}")
            continue
        if scan.shape != gt.shape:
            notes.append(f"skipped {s.name}: scan {scan.shape[1]}×{scan.shape[0]} but ground truth "
                         f"{gt.shape[1]}×{gt.shape[0]}")
            continue
        for name, fn in methods:
            scores[name].per_image.append({"file": s.name, **all_metrics(fn(scan), gt)})
    n = len(next(iter(scores.values())).per_image)
    if n == 0:
        raise InputError("None of the pairs could be scored: " + "; ".join(notes))
    return {"set": f"pairs {Path(scan_dir)} / {Path(gt_dir)}", "n": n, "threshold": threshold, "notes": notes,
            "methods": {k: {"mean": v.mean(), "per_image": v.per_image} for k, v in scores.items()}}


def _table(res: dict, with_f: bool) -> list[str]:
    cols = ["IoU (%)", "PSNR (dB)"] + (["F-measure (%)"] if with_f else [])
    lines = ["| method | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for name, r in res["methods"].items():
        m = r["mean"]
        cells = [f"{100 * m['iou']['mean']:.2f} ± {100 * m['iou']['std']:.2f}",
                 f"{m['psnr']['mean']:.2f} ± {m['psnr']['std']:.2f}"]
        if with_f:
            cells.append(f"{100 * m['f_measure']['mean']:.2f} ± {100 * m['f_measure']['std']:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


CONVENTIONS = ("Mean ± standard deviation over images of per-image values. IoU and F-measure of line (ink) "
               f"pixels; PSNR of the binary result against the binary truth on a [0, 1] scale (MSE 0 → {PSNR_CAP:g} dB). "
               f"Otsu: one global threshold per image; Sauvola: window {SAUVOLA_WINDOW}, k {SAUVOLA_K} "
               "(scikit-image). Reference (Deep Vectorization of Technical Drawings, ECCV 2020, on their data): "
               "IoU 92 %, PSNR 25.5 dB; Mastering Sketching 49 %, 15.7 dB.")


def markdown(payload: dict) -> str:
    """The table of a stored evaluation (``write_results``'s JSON) as markdown."""
    res = payload
    head = [f"# Drawing cleanup: {res['set']}", "",
            f"- date: {res['date'].replace('T', ' ')}, SeqGen Studio {res['version']}",
            f"- command: `{res['command']}`", f"- model: {res['model']}", f"- images: {res['n']}"
            + (f" of {res['size']}×{res['size']} px" if "size" in res else ""),
            f"- threshold (ours): {res['threshold']}"]
    if "seeds" in res:
        head.append(f"- seeds: {res['seeds']}")
    body = ["", *_table(res, True), "", *(res.get("summary", []) + [""] if res.get("summary") else []),
            res["conventions"]]
    if res.get("notes"):
        body += ["", "Notes:"] + [f"- {n}" for n in res["notes"]]
    return "\n".join(head + body) + "\n"


def dump_json(payload: dict) -> str:
    """The stored JSON text of an evaluation (packaging/train/recompute_tables.py compares it)."""
    return json.dumps(payload, indent=1)


def write_results(res: dict, name: str, out_dir=None, *, model_desc: str, command: str) -> tuple[Path, Path]:
    """``<out_dir>/<name>.md`` and ``.json`` (default out_dir docs/results/cleanup)."""
    out_dir = Path(out_dir) if out_dir else RESULTS_DIR
    payload = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "version": __version__, "command": command,
               "model": model_desc, "conventions": CONVENTIONS, **res}
    md, js = out_dir / f"{name}.md", out_dir / f"{name}.json"
    with atomic_path(md) as tmp:
        tmp.write_text(markdown(payload), encoding="utf-8")
    with atomic_path(js) as tmp:
        tmp.write_text(dump_json(payload), encoding="utf-8")
    return md, js
