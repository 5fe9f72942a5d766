"""What rock and texture evaluations share: set labels, seeds, counts, progress shares, results files, table cells."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..jobs import TaskState

SET_LABELS = {"real": "real (held-out)", "ours": "ours", "baseline": "baseline (DCGAN)",
              "real_control": "real, 2nd draw"}


@dataclass
class EvalResult:
    """Where the outputs went, the comparisons and all raw values (as written to the JSON)."""

    out_dir: Path
    table_path: Path
    json_path: Path
    figures: list[Path]
    markdown: str
    data: dict = field(default_factory=dict)


def sample_seed(seed: int, stream: int, i: int) -> int:
    return int(np.random.SeedSequence([int(seed), stream, i]).generate_state(1)[0]) & 0x7FFFFFFF


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
