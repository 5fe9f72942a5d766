"""Histograms of the realisations' properties against a reference set, with KL per property."""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget  # noqa: E402

REF_COLOR = "#8c8c8c"
GEN_COLOR = "#e08a1e"


class PropertyHistograms(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.figure = Figure(figsize=(6, 3.2), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.canvas.setMinimumHeight(180)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.canvas)
        self.clear()

    def clear(self, message: str = "Generate, then press Compare to see the property histograms") -> None:
        self.figure.clear()
        ax = self.figure.add_subplot(1, 1, 1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=8, color="0.4", transform=ax.transAxes)
        self.canvas.draw_idle()

    def show_comparison(self, comp) -> None:
        """Draw a ``core.volumes.reference.Comparison``."""
        self.figure.clear()
        props = comp.properties
        cols = len(props) if len(props) <= 3 else 2
        rows = int(np.ceil(len(props) / cols))
        axes = np.atleast_1d(self.figure.subplots(rows, cols)).ravel()
        for ax, (key, label, unit) in zip(axes, props):
            g = np.asarray(comp.generated[key], float)
            r = np.asarray(comp.reference[key], float)
            g, r = g[np.isfinite(g)], r[np.isfinite(r)]
            both = np.concatenate([g, r])
            if both.size == 0:
                ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
            else:
                lo, hi = float(both.min()), float(both.max())
                if hi <= lo:
                    hi = lo + (abs(lo) * 1e-3 or 1e-9)
                edges = np.linspace(lo, hi, 21)
                # fraction of each set per bin, so sets of different sizes compare directly
                if r.size:
                    ax.hist(r, edges, weights=np.full(r.size, 1.0 / r.size), color=REF_COLOR, alpha=0.6,
                            label=f"reference (n={r.size})")
                if g.size:
                    ax.hist(g, edges, weights=np.full(g.size, 1.0 / g.size), histtype="step", lw=1.8,
                            color=GEN_COLOR, label=f"realisations (n={g.size})")
                    for v in g if g.size <= 5 else []:  # a few realisations: show each as a tick
                        ax.axvline(v, color=GEN_COLOR, lw=0.8, ls=":")
            kl = comp.kl.get(key)
            ax.set_title(f"{label}\nKL = {kl:.3g}" if kl is not None else f"{label}\nKL n/a", fontsize=8)
            ax.set_xlabel(unit if unit != "–" else "", fontsize=7)
            ax.set_ylabel("fraction of samples", fontsize=7)
            ax.tick_params(labelsize=6)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        for ax in axes[len(props):]:
            ax.set_visible(False)
        if len(axes):
            axes[0].legend(fontsize=6)
        self.canvas.draw_idle()
