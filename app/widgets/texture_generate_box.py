"""The Texture tab's "3 · Generate" box: size, realisations, seed, spread, voxel size, and writing into
TIFF files (always above the in-memory size) with the output name asked for each such run.

Widgets only: the tab hands in its seed row, adds its Generate rows to ``form`` and connects
``out_file_button`` to its own slot (which proposes a name from the settings now).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QMessageBox, QPushButton)

from core.texture.config import FACTOR
from core.texture.generate import output_paths
from core.texture.gui_support import IN_MEMORY_MAX

from .elided_label import elided
from .form_helpers import spin, voxel_spin

TIFF_FILTER = "Multi-page TIFF (*.tif *.tiff)"


def as_tiff(path) -> Path:
    """``path`` with a .tif suffix unless it has .tif or .tiff already."""
    p = Path(path).expanduser()
    return p if p.suffix.lower() in (".tif", ".tiff") else p.with_name(p.name + ".tif")


def show_generated(label: QLabel, res) -> None:
    """The note under Generate for ``res`` (a TextureResult): seed, count, size, what, mean porosity; the first
    file written elided in the middle to the label's width (it cannot wrap), every file in the tooltip."""
    text = (f"Seed <b>{res.seed}</b> (saved with every output) · {len(res)} × {res.size}³ {html.escape(res.label)}"
            f" · mean porosity {np.mean(res.porosity):.4f}")
    label.setToolTip("")
    if res.files:
        path = elided(str(res.files[0]), label.fontMetrics(), max(120, label.width() - 80))
        text += f"<br>Written to {html.escape(path)}" + (f" (and {len(res.files) - 1} more)" if len(res.files) > 1 else "")
        label.setToolTip("\n".join(str(p) for p in res.files))
        if res.partial:
            text += f"<br>Shown: the central {res.volumes[0].shape[0]}³ of each volume (from z = y = x = {res.offset})."
    label.setText(text)


class TextureGenerateBox(QGroupBox):
    """Size, realisations, seed (``seed_row``), spread, voxel size, "Write to a TIFF file" and its output."""

    def __init__(self, seed_row: QHBoxLayout, parent=None):
        super().__init__("3 · Generate", parent)
        self.size_spin = spin(16, 4096, 64, f"Edge of the cubic volume (a multiple of {FACTOR}); above "
                              f"{IN_MEMORY_MAX} it is generated tile by tile straight into a TIFF", step=FACTOR)
        self.size_spin.setSuffix("³")
        self.count_spin = spin(1, 256, 4, "Number of realisations (each with its own code and noise)")
        self.spread_spin = QDoubleSpinBox()
        self.spread_spin.setRange(0.0, 5.0)
        self.spread_spin.setSingleStep(0.1)
        self.spread_spin.setValue(1.0)
        self.spread_spin.setToolTip("How far each realisation's code is drawn from the class mean "
                                    "(0: always the mean; 1: the class's own spread)")
        self.voxel_spin = voxel_spin("Voxel size of the realisations; used for the properties, written into outputs")
        self.file_check = QCheckBox("Write to a TIFF file")
        self.file_check.setToolTip(f"Generate straight into multi-page TIFFs, slab by slab (always above "
                                   f"{IN_MEMORY_MAX}³); the central part is shown")
        self.file_check.clicked.connect(self._on_file_check_clicked)
        self._file_forced = False   # ticked by a size above IN_MEMORY_MAX, not by the user: unticked below it
        # Empty at the start and after every generation into files: a name is chosen for each such run
        # (the dialog proposes one with its size and seed), so nothing is written under an old name.
        self.out_file_edit = QLineEdit("")
        self.out_file_edit.setPlaceholderText("output .tif (several: _001, _002, …); asked at Generate")
        self.out_file_button = QPushButton("…")
        self.out_file_button.setMaximumWidth(32)
        frow = QHBoxLayout()
        frow.addWidget(self.out_file_edit, 1)
        frow.addWidget(self.out_file_button)
        self.form = QFormLayout(self)
        self.form.addRow("Size", self.size_spin)
        self.form.addRow("Realisations", self.count_spin)
        self.form.addRow("Seed", seed_row)
        self.form.addRow("Spread", self.spread_spin)
        self.form.addRow("Voxel size", self.voxel_spin)
        self.form.addRow(self.file_check)
        self.form.addRow("Output", frow)

    @Slot(bool)
    def _on_file_check_clicked(self, checked: bool) -> None:
        self._file_forced = False  # the user's own choice now

    def sync_file_mode(self, big: bool, busy: bool) -> None:
        """Tick "Write to a TIFF file" for a ``big`` size (untick it below when the size ticked it, not the
        user); the output row is usable in file mode."""
        if big != self.file_check.isChecked() and (big or self._file_forced):
            self.file_check.blockSignals(True)
            self.file_check.setChecked(big)
            self.file_check.blockSignals(False)
            self._file_forced = big
        self.file_check.setEnabled(not big and not busy)
        fm = big or self.file_check.isChecked()
        self.out_file_edit.setEnabled(fm and not busy)
        self.out_file_button.setEnabled(fm and not busy)

    def ask_output(self, suggested: Path) -> bool:
        """Ask for the output TIFF (starting at the name given, else ``suggested``); False when none is chosen."""
        start = self.out_file_edit.text().strip() or str(suggested)
        path, _ = QFileDialog.getSaveFileName(self, "Write the volumes to", start, TIFF_FILTER)
        if not path:
            return False
        if Path(path).suffix.lower() not in (".tif", ".tiff"):
            path += ".tif"
        self.out_file_edit.setText(path)
        return True

    def output_for_run(self, count: int, suggested: Path, error: Callable[[str, str], None]) -> Optional[Path]:
        """The output TIFF of a run of ``count`` into files (asked for when none is named; existing files
        replaced only when the user says so), or None to stop (``error(title, message)`` says why)."""
        if self.output() is None and not self.ask_output(suggested):
            return None
        out = self.output()
        if not out.parent.is_dir():
            error("Generate", f"The folder {out.parent} does not exist.")
            return None
        there = [p for p in output_paths(out, count) if p.exists()]
        if there:
            ans = QMessageBox.question(self, "Generate", f"{', '.join(p.name for p in there[:4])}"
                                       f"{' …' if len(there) > 4 else ''} already exist in {out.parent}. "
                                       "Replace?", QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if ans != QMessageBox.Yes:
                return None
        return out

    def output(self) -> Optional[Path]:
        """The output TIFF named (with a .tif suffix, shown in the field too), or None when none is."""
        text = self.out_file_edit.text().strip()
        if not text:
            return None
        out = as_tiff(text)
        if out != Path(text).expanduser():
            self.out_file_edit.setText(str(out))
        return out
