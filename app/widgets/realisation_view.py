"""Realisations page: a selector row above the 3D view and the orthogonal slices of one volume."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSplitter, QVBoxLayout,
                               QWidget)

from .view3d import View3D


class RealisationView(QWidget):
    """A row (``combo``: which realisation, ``info``, ``export_which`` + ``export_button``), then ``view3d``
    above ``slices`` (a slice-views widget the caller makes) in a vertical splitter. Widgets only: the tab
    connects ``combo`` and ``export_button`` to its own slots."""

    def __init__(self, slices: QWidget, *, export_tip: str, combo_chars: int = 24, selectable_info: bool = False,
                 parent=None):
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(combo_chars)
        self.info = QLabel("Generate to see realisations here.")
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        if selectable_info:
            self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(QLabel("Realisation"))
        row.addWidget(self.combo)
        row.addWidget(self.info, 1)
        self.export_which = QComboBox()
        self.export_which.addItem("Selected realisation", "one")
        self.export_which.addItem("All realisations", "all")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip(export_tip)
        erow = QHBoxLayout()
        erow.addWidget(self.export_which)
        erow.addWidget(self.export_button)
        row.addLayout(erow)
        self.view3d = View3D()
        self.slices = slices
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.view3d)
        split.addWidget(self.slices)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([460, 300])
        rl = QVBoxLayout(self)
        rl.setContentsMargins(2, 2, 2, 2)
        rl.addLayout(row)
        rl.addWidget(split, 1)
