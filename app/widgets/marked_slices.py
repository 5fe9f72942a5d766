"""Three orthogonal slices of a generated volume with the input slice marked.

The input slice is the z-slice ``mark``: the z view gets an orange frame (and "input slice" in its
title) while it shows that index, and the y and x views get an orange line at row ``mark``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QPainter, QPen

from .slice_view import AXES, ImageCanvas, SliceView, SliceViews

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


class MarkedSliceView(SliceView):
    """One axis of a volume (canvas, slider, index) with the input-slice mark."""

    canvas_class = MarkedCanvas

    def __init__(self, axis: int, parent=None):
        super().__init__(axis, parent)
        self.mark: int | None = None

    def set_volume(self, volume: np.ndarray | None, mark: int | None = None, keep_index: bool = False) -> None:
        old = self.slider.value()
        self._volume, self.mark = volume, mark
        if volume is None:
            self.canvas.set_marks(None, False)
            self._reset(None)
            return
        n = volume.shape[self.axis]
        if keep_index and 0 <= old < n:
            index = old
        elif self.axis == 0 and mark is not None:
            index = mark
        else:
            index = n // 2
        self._reset(index)

    def _show(self, index: int) -> None:
        super()._show(index)
        if self._volume is None:
            return
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


class MarkedSliceViews(SliceViews):
    """z, y and x views side by side."""

    view_class = MarkedSliceView

    def set_volume(self, volume: np.ndarray | None, mark: int | None = None, keep_index: bool = False) -> None:
        for v in self.views:
            v.set_volume(volume, mark, keep_index)

    def volume(self) -> np.ndarray | None:
        return self.views[0]._volume
