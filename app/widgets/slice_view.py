"""Orthogonal slice views of a binary volume: a fast QImage canvas and a slider."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

GRAIN_RGB = (200, 196, 186)
PORE_RGB = (38, 110, 200)
AXES = ("z", "y", "x")


def binary_rgb(slice2d: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 colours of a 2D binary slice (pore blue, grain light grey)."""
    lut = np.array([GRAIN_RGB, PORE_RGB], np.uint8)
    return np.ascontiguousarray(lut[(np.asarray(slice2d) > 0).astype(np.uint8)])


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``rgb`` (h, w, 3 uint8)."""
    h, w, _ = rgb.shape
    img = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
    return img.copy()  # detach from the numpy buffer


class ImageCanvas(QWidget):
    """Paints a QImage scaled to fit (nearest neighbour, aspect kept)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._image: QImage | None = None
        self.setMinimumSize(80, 80)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def image_rect(self) -> QRectF | None:
        """Where the image is painted (scaled to fit, centred); None without an image."""
        img = self._image
        if img is None or img.isNull():
            return None
        iw, ih = img.width(), img.height()
        s = min(self.width() / iw, self.height() / ih)
        w, h = iw * s, ih * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(32, 36, 43))
        target = self.image_rect()
        if target is not None:
            p.setRenderHint(QPainter.SmoothPixmapTransform, False)
            p.drawImage(target, self._image)
        p.end()


class SliceView(QWidget):
    """One axis (z, y or x) of a volume: canvas + slider + index label."""

    indexChanged = Signal(int)
    canvas_class = ImageCanvas  # subclasses that draw over the slice swap in their own canvas

    def __init__(self, axis: int, parent=None):
        super().__init__(parent)
        self.axis = axis
        self._volume: np.ndarray | None = None
        self.title = QLabel(f"{AXES[axis]} slice")
        self.title.setAlignment(Qt.AlignCenter)
        self.canvas = self.canvas_class(self)
        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._on_slider)
        self.index_label = QLabel("–")
        self.index_label.setMinimumWidth(96)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.index_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addWidget(self.canvas, 1)
        lay.addLayout(row)

    def set_volume(self, volume: np.ndarray | None) -> None:
        self._volume = volume
        self._reset(None if volume is None else volume.shape[self.axis] // 2)

    def _reset(self, index: int | None) -> None:
        """Fit the slider to the current volume and show slice ``index``, or clear the view without a volume."""
        if self._volume is None:
            self.slider.setEnabled(False)
            self.canvas.set_image(None)
            self.index_label.setText("–")
            return
        n = self._volume.shape[self.axis]
        # Blocked so that a new volume shows its slice once and does not emit indexChanged.
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
        # 0-based like every "z = N" in the app (the input slice, exports, the log): first 0, last n − 1
        self.index_label.setText(f"{AXES[self.axis]} = {index} of 0–{self._volume.shape[self.axis] - 1}")
        self.index_label.setToolTip(f"Slice {index} of the {self._volume.shape[self.axis]} along "
                                    f"{AXES[self.axis]} (counted from 0)")


class SliceViews(QWidget):
    """The three orthogonal slice views side by side."""

    view_class = SliceView

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.views = [self.view_class(a, self) for a in range(3)]
        for v in self.views:
            lay.addWidget(v)

    def set_volume(self, volume: np.ndarray | None) -> None:
        for v in self.views:
            v.set_volume(volume)
