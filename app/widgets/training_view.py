"""Training page: the live loss plot of a run (read from its log.csv) and a line about the run.

The GUI's runs log every step (so the curve starts at step 1), so the log is read incrementally: only
the lines added since the last poll, never a half-written last line."""

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
        self._path: Path | None = None
        self._offset = 0
        self._header: list[str] | None = None
        self._rows: list[dict] = []

    def reset(self) -> None:
        """Forget what was read (a new run starts: its log is read from the top)."""
        self._path, self._offset, self._header, self._rows = None, 0, None, []

    def refresh(self, run_dir: Path) -> None:
        """Read the lines added to ``run_dir``/log.csv since last time into the plot."""
        import csv

        path = Path(run_dir) / "log.csv"
        if path != self._path:
            self._path, self._offset, self._header, self._rows = path, 0, None, []
        if not path.is_file():
            return
        try:
            with open(path, "rb") as f:
                if f.seek(0, 2) < self._offset:  # rewritten (a resumed run truncates): read it all again
                    self._offset, self._header, self._rows = 0, None, []
                f.seek(self._offset)
                chunk = f.read()
        except OSError:
            return
        end = chunk.rfind(b"\n") + 1        # whole lines only; the rest comes at the next tick
        if end == 0:
            return
        self._offset += end
        lines = chunk[:end].decode("utf-8", "replace").splitlines()
        for r in csv.reader(lines):
            if not r:
                continue
            if self._header is None:
                self._header = r
                continue
            row = dict(zip(self._header, r))
            try:
                row["step"], row["value"] = int(row["step"]), float(row["value"])
            except (KeyError, ValueError):
                continue
            self._rows.append(row)
        self.loss_plot.set_rows(self._rows)
