"""Live training curves from a run's log.csv (``core.train.read_log`` rows)."""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget  # noqa: E402


class LossPlot(QWidget):
    """Losses (left) and check values, if any (right), against the step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.figure = Figure(figsize=(6, 2.6), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.canvas.setMinimumHeight(150)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.canvas)
        self.ax = self.figure.add_subplot(1, 1, 1)
        self.series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._n_rows = -1
        self.clear()

    def clear(self, message: str = "Train to see the losses here") -> None:
        self.series = {}
        self._n_rows = -1
        self.ax.clear()
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        self.ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=8, color="0.4",
                     transform=self.ax.transAxes)
        self.canvas.draw_idle()

    def has_data(self) -> bool:
        return any(len(s) for s, _ in self.series.values())

    def set_rows(self, rows: list[dict]) -> None:
        """Plot the 'loss' rows of a log (re-drawn only when the rows changed)."""
        if len(rows) == self._n_rows:
            return
        self._n_rows = len(rows)
        by_name: dict[str, list[tuple[int, float]]] = {}
        for r in rows:
            if r.get("kind", "loss") != "loss":
                continue
            by_name.setdefault(r["name"], []).append((int(r["step"]), float(r["value"])))
        self.series = {k: (np.array([s for s, _ in v]), np.array([x for _, x in v])) for k, v in by_name.items()}
        ax = self.ax
        ax.clear()
        if not self.series:
            ax.text(0.5, 0.5, "no losses logged yet", ha="center", va="center", fontsize=8, color="0.4",
                    transform=ax.transAxes)
        for name, (steps, vals) in self.series.items():
            ax.plot(steps, vals, lw=1.3, marker="." if len(steps) < 30 else None, label=name)
        if self.series:
            ax.set_xlabel("step", fontsize=8)
            ax.set_ylabel("loss", fontsize=8)
            ax.set_title("Training losses (log.csv)", fontsize=9)
            ax.legend(fontsize=7)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        self.canvas.draw_idle()
