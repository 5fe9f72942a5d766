"""The class check of Table 2: each sample assigned to the real class whose centroid of property vectors is nearest."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Features of the class check (permeability only when computed), transformed as stated.
CHECK_FEATURES = ("porosity", "surface_area_density", "euler_density", "permeability_mD")
CHECK_TRANSFORM = {"permeability_mD": "log10(1 + k / mD)"}

#: The sets that are classified, in column order (the model columns, then the real control).
CHECKED_SETS = ("ours", "baseline", "real_control")


def _feature_matrix(samples: list[dict], feats: list[str]) -> np.ndarray:
    rows = []
    for s in samples:
        row = []
        for f in feats:
            v = s.get(f)
            v = float("nan") if v is None else float(v)
            if f == "permeability_mD":
                v = math.log10(1.0 + v) if v >= 0 else float("nan")
            row.append(v)
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(feats))


def class_check(data: dict) -> dict:
    """Nearest real class centroid for every sample of ours, the baseline and the real control.

    Features (``CHECK_FEATURES``; permeability as log10(1 + k/mD), only when computed) are
    standardised with the mean and std of all real samples of all classes pooled; a class's
    centroid is the mean of its real samples. A sample with a non-finite feature is not classified
    (counted apart). ``confusion[i][j]``: samples of class i whose nearest centroid is class j.
    """
    classes = data["class_order"]
    feats = [f for f in CHECK_FEATURES if data["permeability"] or f != "permeability_mD"]
    real = {c: _feature_matrix(data["classes"][c]["samples"]["real"], feats) for c in classes}
    pooled = np.concatenate([real[c] for c in classes])
    mean = np.array([np.mean(col[np.isfinite(col)]) if np.isfinite(col).any() else 0.0 for col in pooled.T])
    std = np.array([np.std(col[np.isfinite(col)]) if np.isfinite(col).sum() > 1 else 0.0 for col in pooled.T])
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    z = lambda m: (m - mean) / std  # noqa: E731
    centroids = np.array([[np.mean(col[np.isfinite(col)]) if np.isfinite(col).any() else np.nan
                           for col in z(real[c]).T] for c in classes]).reshape(len(classes), len(feats))
    result: dict[str, Any] = {"features": feats, "transform": {f: CHECK_TRANSFORM[f] for f in feats
                                                               if f in CHECK_TRANSFORM},
                              "mean": mean.tolist(), "std": std.tolist(),
                              "centroids": {c: centroids[i].tolist() for i, c in enumerate(classes)}, "sets": {}}
    usable = np.isfinite(centroids).all(axis=1)
    for s in CHECKED_SETS:
        rows = [c for c in classes if s in data["classes"][c]["samples"]]
        if not rows:
            continue
        conf = np.zeros((len(rows), len(classes)), dtype=np.int64)
        uncl, preds = {}, {}
        for r, c in enumerate(rows):
            x = z(_feature_matrix(data["classes"][c]["samples"][s], feats))
            ok = np.isfinite(x).all(axis=1)
            uncl[c] = int((~ok).sum())
            p = []
            for xi, good in zip(x, ok):
                if not good or not usable.any():
                    p.append(None)
                    continue
                d = np.where(usable, np.sqrt(((centroids - xi) ** 2).sum(axis=1)), np.inf)
                j = int(np.argmin(d))
                conf[r, j] += 1
                p.append(classes[j])
            preds[c] = p
        acc = {}
        for r, c in enumerate(rows):
            m = int(conf[r].sum())
            acc[c] = float(conf[r, classes.index(c)] / m) if m else float("nan")
        tot = int(conf.sum())
        right = sum(int(conf[r, classes.index(c)]) for r, c in enumerate(rows))
        result["sets"][s] = {"rows": rows, "confusion": conf.tolist(), "accuracy": acc,
                             "overall_accuracy": right / tot if tot else float("nan"), "unclassified": uncl,
                             "predicted": preds}
    return result
