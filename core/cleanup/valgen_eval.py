"""Scores on the independent validation generator (valgen.py): ours vs Otsu vs Sauvola, for model choice.

Same metrics and methods as the held-out evaluation (evaluate.py), plus for each row of ours the share
of images on which its IoU is strictly above both Otsu's and Sauvola's (issue 22 asks for ≥ 90 %).
``evaluate_valgen`` is what training or model selection calls; ``seqgen clean eval --set valgen``
writes its table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import atomic_path
from ..jobs import TaskState, ensure_state
from .evaluate import MethodScores, _methods, all_metrics
from .infer import DEFAULT_THRESHOLD, CleanupModel
from .valgen import VALGEN_SEED_BASE, VALGEN_SIZE, make_val_pair, style_of, valgen_seeds

BEAT_TARGET = 0.90


def evaluate_valgen(model: CleanupModel | None, n: int = 200, *, size: int = VALGEN_SIZE,
                    threshold: float = DEFAULT_THRESHOLD, tile: int = 1024, views=None,
                    state: TaskState | None = None) -> dict:
    """Scores on pages VALGEN_SEED_BASE + i, i < n, of size×size pixels (never trained on by construction)."""
    state = ensure_state(state)
    if n < 1:
        raise InputError("The validation set needs at least one image (--n).")
    methods = _methods(model, threshold, tile, views)
    scores = {name: MethodScores(name) for name, _ in methods}
    images = []
    for i, seed in enumerate(valgen_seeds(n)):
        state.report(i / n, f"validation image {i + 1}/{n}")
        scan, target = make_val_pair(seed, size, size)
        st = style_of(seed)
        images.append({"seed": seed, "dpi": round(st.dpi, 1), "clean": st.clean,
                       "ink_share": round(float(target.mean()), 5)})
        for name, fn in methods:
            scores[name].per_image.append({"seed": seed, **all_metrics(fn(scan), target)})
    state.report(1.0, "validation set done")
    beats = beat_shares(scores)
    return {"set": "independent validation generator (core/cleanup/valgen.py)", "n": n, "size": size,
            "seeds": f"{VALGEN_SEED_BASE} + i, i = 0..{n - 1} (3·2**60 + i; the training generator uses "
                     "seeds < 2**60, 2**60 + i and 2**61 + i)",
            "threshold": threshold, "beats_both": beats, "images": images, "summary": beat_summary(beats, n),
            "methods": {k: {"mean": v.mean(), "per_image": v.per_image} for k, v in scores.items()}}


def beat_shares(scores: dict[str, MethodScores]) -> dict[str, float]:
    """For each row of ours: the fraction of images with IoU above both baselines' IoU."""
    base = [k for k in scores if k == "Otsu" or k.startswith("Sauvola")]
    if len(base) != 2:
        return {}
    best = np.maximum(*[np.array([r["iou"] for r in scores[k].per_image]) for k in base])
    return {k: float(np.mean(np.array([r["iou"] for r in s.per_image]) > best))
            for k, s in scores.items() if k not in base}


def beat_summary(beats: dict[str, float], n: int) -> list[str]:
    """The table's lines on ``beat_shares`` of n images."""
    lines = [f"Share of images where ours has a higher IoU than both Otsu and Sauvola (target ≥ "
             f"{100 * BEAT_TARGET:.0f} %):", ""]
    return lines + [f"- {name}: {100 * v:.1f} % ({round(v * n)} of {n})" for name, v in beats.items()]


def save_examples(path, n: int = 8, size: int = 384, start: int = 0) -> Path:
    """A PNG of n validation pairs, two per row: scan | target (black ink on white), grey separators."""
    import cv2

    tiles = []
    for seed in valgen_seeds(start + n)[start:]:
        scan, target = make_val_pair(seed, size, size)
        sep = np.full((size, 4), 128, np.uint8)
        tiles.append(np.hstack([scan, sep, np.where(target > 0, 0, 255).astype(np.uint8), sep, sep, sep]))
    if len(tiles) % 2:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.vstack([np.hstack(tiles[i:i + 2]), np.full((8, 2 * tiles[0].shape[1]), 128, np.uint8)])
            for i in range(0, len(tiles), 2)]
    path = Path(path)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), np.vstack(rows)):
            raise InputError(f"Could not write {path}.")
    return path
