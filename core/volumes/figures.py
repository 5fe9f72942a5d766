"""Histograms of property sets on shared bin edges (matplotlib's Agg canvas only: no pyplot, never Qt)."""

from __future__ import annotations

import numpy as np

from ..compare import BINS
from .tables import SET_LABELS

COLORS = {"real": "black", "ours": "tab:blue", "baseline": "tab:red", "real_control": "tab:gray"}


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
