"""The Video tab's results: a sample selector, the side-by-side player and the per-frame MSE/PSNR plot."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from .frame_metrics_plot import FrameMetricsPlot
from .video_player import VideoPlayer


class ContinuationView(QSplitter):
    """Player above, plot below; ``set_result`` shows a generation's samples (the selector when > 1)."""

    def __init__(self, parent=None):
        super().__init__(Qt.Vertical, parent)
        self.result = None      # a core.video.gui_support.Generation
        self.metrics: list[dict] = []
        self.sample_combo = QComboBox()
        self.sample_combo.currentIndexChanged.connect(self.show_sample)
        self.sample_row = QWidget()
        sr = QHBoxLayout(self.sample_row)
        sr.setContentsMargins(0, 0, 0, 0)
        sr.addWidget(QLabel("Sample"))
        sr.addWidget(self.sample_combo)
        sr.addStretch(1)
        self.sample_row.setVisible(False)
        self.player = VideoPlayer()
        self.plot = FrameMetricsPlot()
        self.player.frameChanged.connect(self.plot.set_cursor)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.sample_row)
        tl.addWidget(self.player, 1)
        self.addWidget(top)
        self.addWidget(self.plot)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)

    def set_result(self, result, metrics: list[dict]) -> None:
        """Offer the generation's samples and show the first."""
        self.result, self.metrics = result, metrics
        self.sample_combo.blockSignals(True)
        self.sample_combo.clear()
        for i in range(result.samples):
            self.sample_combo.addItem(f"{i + 1} of {result.samples}", i)
        self.sample_combo.blockSignals(False)
        self.sample_row.setVisible(result.samples > 1)
        self.show_sample(0)

    def current_sample(self) -> int:
        d = self.sample_combo.currentData()
        return int(d) if d is not None else 0

    @Slot(int)
    def show_sample(self, index: int) -> None:
        if self.result is None:
            return
        i = max(0, min(int(index), self.result.samples - 1))
        if self.sample_combo.currentIndex() != i:
            self.sample_combo.blockSignals(True)
            self.sample_combo.setCurrentIndex(i)
            self.sample_combo.blockSignals(False)
        self.player.set_clip(self.result.real, self.result.clips[i], self.result.context)
        others = [m for k, m in enumerate(self.metrics) if k != i]
        self.plot.show_metrics(self.metrics[i], others)
        self.plot.set_cursor(self.player.index)

    def clear(self) -> None:
        """Forget the shown generation (the player keeps what it shows until given a clip)."""
        self.result, self.metrics = None, []
        self.sample_combo.clear()
        self.sample_row.setVisible(False)
        self.plot.clear()
