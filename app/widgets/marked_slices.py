"""Three orthogonal slices of a generated volume with the input slice marked.

The input slice is the z-slice ``mark``: the z view gets an orange frame (and "input slice" in its
title) while it shows that index, and the y and x views get an orange line at row ``mark``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from .slice_view import AXES, ImageCanvas, binary_rgb, rgb_to_qimage

MARK_COLOR = QColor(255, 140, 0)


class MarkedCanvas(ImageCanvas):
    """An ImageCanvas that can draw a horizontal line at an image row, or a frame."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.mark_row: int | None = None
        self.frame = False

    def set_marks(self, row: int | None, frame: bool) -> None:
        self.mark_row, self.frame = row, frame
        self.update()

    def image_rect(self) -> QRectF | None:
        img = self.image()
        if img is None or img.isNull():
            return None
        iw, ih = img.width(), img.height()
        s = min(self.width() / iw, self.height() / ih)
        w, h = iw * s, ih * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event):
        super().paintEvent(event)
        r = self.image_rect()
        if r is None or (self.mark_row is None and not self.frame):
            return
        p = QPainter(self)
        pen = QPen(MARK_COLOR)
        pen.setWidthF(2.0)
        p.setPen(pen)
        if self.frame:
            p.drawRect(r.adjusted(1, 1, -1, -1))
        if self.mark_row is not None:
            ih = self.image().height()
            y = r.top() + (self.mark_row + 0.5) * r.height() / ih
            p.drawLine(int(r.left()), int(round(y)), int(r.right()), int(round(y)))
        p.end()


class MarkedSliceView(QWidget):
    """One axis of a volume (canvas, slider, index) with the input-slice mark."""

    indexChanged = Signal(int)

    def __init__(self, axis: int, parent=None):
        super().__init__(parent)
        self.axis = axis
        self._volume: np.ndarray | None = None
        self.mark: int | None = None
        self.title = QLabel(f"{AXES[axis]} slice")
        self.title.setAlignment(Qt.AlignCenter)
        self.canvas = MarkedCanvas(self)
        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._on_slider)
        self.index_label = QLabel("–")
        self.index_label.setMinimumWidth(64)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.index_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addWidget(self.canvas, 1)
        lay.addLayout(row)

    def set_volume(self, volume: np.ndarray | None, mark: int | None = None, keep_index: bool = False) -> None:
        old = self.slider.value()
        self._volume, self.mark = volume, mark
        if volume is None:
            self.slider.setEnabled(False)
            self.canvas.set_image(None)
            self.canvas.set_marks(None, False)
            self.index_label.setText("–")
            return
        n = volume.shape[self.axis]
        if keep_index and 0 <= old < n:
            index = old
        elif self.axis == 0 and mark is not None:
            index = mark
        else:
            index = n // 2
        self.slider.blockSignals(True)
        self.slider.setRange(0, n - 1)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self._show(index)

    def slice_array(self, index: int | None = None) -> np.ndarray:
        i = self.slider.value() if index is None else index
        return np.take(self._volume, i, axis=self.axis)

    @Slot(int)
    def _on_slider(self, value: int) -> None:
        self._show(value)
        self.indexChanged.emit(value)

    def _show(self, index: int) -> None:
        if self._volume is None:
            return
        self.canvas.set_image(rgb_to_qimage(binary_rgb(self.slice_array(index))))
        n = self._volume.shape[self.axis]
        self.index_label.setText(f"{index + 1} / {n}")
        name = AXES[self.axis]
        if self.axis == 0:
            on = self.mark is not None and index == self.mark
            self.canvas.set_marks(None, on)
            self.title.setText(f"{name} slice – input slice" if on else f"{name} slice")
        else:
            # y and x slices are (z, ·) images: the input slice is row ``mark``.
            self.canvas.set_marks(self.mark, False)
            self.title.setText(f"{name} slice (line: input slice z = {self.mark})" if self.mark is not None
                               else f"{name} slice")


class MarkedSliceViews(QWidget):
    """z, y and x views side by side."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.views = [MarkedSliceView(a, self) for a in range(3)]
        for v in self.views:
            lay.addWidget(v)

    def set_volume(self, volume: np.ndarray | None, mark: int | None = None, keep_index: bool = False) -> None:
        for v in self.views:
            v.set_volume(volume, mark, keep_index)

    def volume(self) -> np.ndarray | None:
        return self.views[0]._volume
