"""Plots of measured properties: S2(r) curves and a histogram of local porosity."""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget  # noqa: E402

AXIS_COLORS = {"x": "#d62728", "y": "#2ca02c", "z": "#1f77b4"}


class PlotPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.figure = Figure(figsize=(6, 2.6), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.canvas.setMinimumHeight(160)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.canvas)
        self.ax_s2, self.ax_hist = self.figure.subplots(1, 2)
        self.clear()

    def clear(self, message: str = "Measure to see S2(r) and local porosity") -> None:
        for ax in (self.ax_s2, self.ax_hist):
            ax.clear()
            ax.set_xticks([])
            ax.set_yticks([])
        self.ax_s2.text(0.5, 0.5, message, ha="center", va="center", fontsize=8, wrap=True,
                        transform=self.ax_s2.transAxes, color="0.4")
        self.canvas.draw_idle()

    def show_results(self, s2: dict | None, local_porosity: np.ndarray | None, porosity: float | None,
                     voxel_size_um: float = 1.0, block: int | None = None) -> None:
        ax = self.ax_s2
        ax.clear()
        if s2:
            for name in ("x", "y", "z"):
                if name in s2 and s2[name] is not None:
                    y = np.asarray(s2[name], float)
                    r = np.arange(len(y)) * voxel_size_um
                    ax.plot(r, y, label=name, color=AXIS_COLORS[name], lw=1.4)
            if porosity is not None:
                ax.axhline(porosity ** 2, color="0.5", ls="--", lw=1, label="φ²")
            ax.set_xlabel("r (µm)")
            ax.set_ylabel("S2(r)")
            ax.set_title("Two-point correlation", fontsize=9)
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "no S2 in the results", ha="center", va="center", transform=ax.transAxes)
        ax = self.ax_hist
        ax.clear()
        if local_porosity is not None and len(local_porosity):
            ax.hist(np.asarray(local_porosity, float), bins=min(30, max(5, len(local_porosity) // 3)),
                    color="#4fa3e0", edgecolor="white")
            if porosity is not None:
                ax.axvline(porosity, color="k", ls="--", lw=1, label=f"φ = {porosity:.3f}")
                ax.legend(fontsize=7)
            ax.set_xlabel("local porosity")
            ax.set_ylabel("sub-blocks")
            title = "Local porosity" + (f" ({block}³ blocks)" if block else "")
            ax.set_title(title, fontsize=9)
        for a in (self.ax_s2, self.ax_hist):
            a.tick_params(labelsize=7)
        self.canvas.draw_idle()
