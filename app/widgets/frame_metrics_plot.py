"""Per-frame MSE / PSNR of generated vs real frames (matplotlib QtAgg canvas)."""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget  # noqa: E402


PSNR_CAP = 99.0  # dB drawn for a frame identical to the real one (its PSNR is infinite)


def shown(metrics: dict, key: str) -> np.ndarray:
    """The values drawn for ``key``: as they are, except infinite PSNR (identical frames), drawn at
    PSNR_CAP. The MSE is a sum over all pixels (thousands for 64×64 frames): never capped."""
    v = np.asarray(metrics[key], dtype=float)
    return np.where(np.isposinf(v), PSNR_CAP, v) if key == "psnr" else v


class FrameMetricsPlot(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.figure = Figure(figsize=(6, 1.8), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.canvas.setMinimumHeight(130)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.canvas)
        self.ax_mse, self.ax_psnr = self.figure.subplots(1, 2)
        self._cursors = []
        self.metrics = None
        self.clear()

    def clear(self, message: str = "Generate to see per-frame MSE and PSNR against the real frames") -> None:
        self.metrics = None
        self._cursors = []
        for ax in (self.ax_mse, self.ax_psnr):
            ax.clear()
            ax.set_xticks([])
            ax.set_yticks([])
        self.ax_mse.text(0.5, 0.5, message, ha="center", va="center", fontsize=8, wrap=True,
                         transform=self.ax_mse.transAxes, color="0.4")
        self.canvas.draw_idle()

    def show_metrics(self, metrics: dict, samples: list[dict] | None = None) -> None:
        """``metrics``: {'frame', 'mse', 'psnr'} of the shown sample; ``samples``: all (drawn faint)."""
        if metrics is None or len(metrics["frame"]) == 0:
            self.clear("No real frames beside the generated ones (the clip ends at the context): nothing to compare.")
            return
        self.metrics = metrics
        for ax, key, label in ((self.ax_mse, "mse", "MSE (sum over pixels)"), (self.ax_psnr, "psnr", "PSNR (dB)")):
            ax.clear()
            for other in samples or []:
                ax.plot(other["frame"] + 1, shown(other, key), color="0.8", lw=0.8)
            ax.plot(metrics["frame"] + 1, shown(metrics, key), "o-", color="#ff7f0e", lw=1.4, ms=3)
            ax.set_xlabel("frame", fontsize=8)
            ax.set_title(label, fontsize=9)
            ax.tick_params(labelsize=7)
        self._cursors = [ax.axvline(np.nan, color="0.3", lw=0.8, ls="--") for ax in (self.ax_mse, self.ax_psnr)]
        self.canvas.draw_idle()

    def set_cursor(self, index: int) -> None:
        for c in self._cursors:
            c.set_xdata([index + 1, index + 1])
        if self._cursors:
            self.canvas.draw_idle()
