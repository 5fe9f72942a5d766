"""Dialog asking how to read a headerless .raw volume (shape, data type, byte order)."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QLabel, QSpinBox, QWidget)

from core.io import PORE_CHOICES, SUPPORTED_DTYPES


def guess_shape(nbytes: int, itemsize: int) -> tuple[int, int, int] | None:
    """A cube shape if the file holds exactly n³ items."""
    if nbytes % itemsize:
        return None
    n = round((nbytes // itemsize) ** (1 / 3))
    for m in (n - 1, n, n + 1):
        if m > 0 and m ** 3 * itemsize == nbytes:
            return (m, m, m)
    return None


class RawDialog(QDialog):
    def __init__(self, path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Read RAW volume")
        self.path = path
        try:
            self.nbytes = os.path.getsize(path)
        except OSError:
            self.nbytes = 0
        form = QFormLayout(self)
        form.addRow(QLabel(f"<b>{os.path.basename(path)}</b> — {self.nbytes:,} bytes, no header."))
        self.spins = []
        row = QHBoxLayout()
        for name in ("Z", "Y", "X"):
            s = QSpinBox()
            s.setRange(1, 100000)
            s.setValue(100)
            s.setPrefix(f"{name} ")
            s.valueChanged.connect(self._check)
            self.spins.append(s)
            row.addWidget(s)
        box = QWidget()
        box.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Shape (slices, rows, columns)", box)
        self.dtype = QComboBox()
        self.dtype.addItems(list(SUPPORTED_DTYPES))
        self.dtype.setCurrentText("uint8")
        self.dtype.currentTextChanged.connect(self._on_dtype)
        form.addRow("Data type", self.dtype)
        self.order = QComboBox()
        self.order.addItems(["little", "big"])
        form.addRow("Byte order", self.order)
        self.pore = QComboBox()
        self.pore.addItems(list(PORE_CHOICES))
        form.addRow("Pore phase", self.pore)
        self.info = QLabel()
        form.addRow(self.info)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._on_dtype("uint8")

    def _on_dtype(self, name: str) -> None:
        g = guess_shape(self.nbytes, np.dtype(name).itemsize)
        if g:
            for s, v in zip(self.spins, g):
                s.blockSignals(True)
                s.setValue(v)
                s.blockSignals(False)
        self._check()

    def _check(self, *_):
        need = int(np.prod(self.shape())) * np.dtype(self.dtype.currentText()).itemsize
        ok = need == self.nbytes
        self.info.setText("Size matches the file." if ok else
                          f"This layout needs {need:,} bytes; the file has {self.nbytes:,}.")
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(ok)

    def shape(self) -> tuple[int, int, int]:
        return tuple(s.value() for s in self.spins)

    def options(self) -> dict:
        """Keyword arguments for core.io.read_volume."""
        return {"raw_shape": self.shape(), "raw_dtype": self.dtype.currentText(),
                "raw_byteorder": self.order.currentText(), "pore": self.pore.currentText()}
