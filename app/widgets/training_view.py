"""Training page: the live loss plot of a run (read from its log.csv) and a line about the run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .loss_plot import LossPlot


class TrainingView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_plot = LossPlot()
        self.info = QLabel("No training run yet.")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.PlainText)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        trl = QVBoxLayout(self)
        trl.setContentsMargins(2, 2, 2, 2)
        trl.addWidget(self.loss_plot, 1)
        trl.addWidget(self.info)

    def refresh(self, run_dir: Path) -> None:
        """Re-read ``run_dir``/log.csv into the plot (a half-written file is skipped until next time)."""
        from core.train import read_log

        path = Path(run_dir) / "log.csv"
        if not path.is_file():
            return
        try:
            rows = read_log(path)
        except Exception:  # a line being written right now: try again at the next tick
            return
        self.loss_plot.set_rows(rows)
