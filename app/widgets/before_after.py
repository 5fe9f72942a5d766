"""Before/after image comparison with synchronised zoom and pan.

Two modes in one widget:

* side by side: two ``ZoomView`` (QGraphicsView) showing the scan and the cleaned result; zooming
  one sets the same transform on the other and their scrollbars are linked, so they always show
  the same part of the page;
* overlay: one view with the cleaned result drawn over the scan on the left of a vertical split
  line (moved with the slider below or by dragging in the view with Shift held).

Images are 2D uint8 numpy arrays (grey); ``set_before`` / ``set_after`` copy them into pixmaps.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QGraphicsLineItem, QGraphicsPixmapItem, QGraphicsRectItem,
                               QGraphicsScene, QGraphicsView, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider,
                               QStackedWidget, QToolButton, QVBoxLayout, QWidget)

ZOOM_STEP = 1.25
MIN_SCALE = 0.01
MAX_SCALE = 64.0


def to_qimage(a: np.ndarray) -> QImage:
    """A 2D uint8 array → a grey QImage that owns its pixels."""
    a = np.ascontiguousarray(a, dtype=np.uint8)
    if a.ndim != 2:
        raise ValueError("expected a 2D grey image")
    h, w = a.shape
    return QImage(a.data, w, h, a.strides[0], QImage.Format_Grayscale8).copy()


class ZoomView(QGraphicsView):
    """A QGraphicsView that zooms with the wheel (under the mouse) and tells when its transform changes."""

    transformChanged = Signal()

    def __init__(self, scene: QGraphicsScene, parent=None):
        super().__init__(scene, parent)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setRenderHint(QPainter.SmoothPixmapTransform, False)
        self.setBackgroundBrush(QBrush(QColor(90, 90, 90)))
        self.setAcceptDrops(False)  # drops go to the tab

    def scale_factor(self) -> float:
        return float(self.transform().m11())

    def zoom_by(self, factor: float, anchor_under_mouse: bool = False) -> None:
        s = self.scale_factor()
        factor = max(MIN_SCALE / s, min(MAX_SCALE / s, factor))
        if not anchor_under_mouse:
            old = self.transformationAnchor()
            self.setTransformationAnchor(QGraphicsView.AnchorViewCenter)
            self.scale(factor, factor)
            self.setTransformationAnchor(old)
        else:
            self.scale(factor, factor)
        self.transformChanged.emit()

    def set_zoom(self, scale: float) -> None:
        self.zoom_by(scale / self.scale_factor())

    def fit(self) -> None:
        r = self.sceneRect()
        if r.isEmpty():
            return
        self.fitInView(r, Qt.KeepAspectRatio)
        self.transformChanged.emit()

    def wheelEvent(self, event):
        d = event.angleDelta().y()
        if d == 0:
            return super().wheelEvent(event)
        self.zoom_by(ZOOM_STEP ** (d / 120.0), anchor_under_mouse=True)
        event.accept()


class ViewSync:
    """Keeps several ZoomViews on the same transform and scroll position."""

    def __init__(self, views: list[ZoomView]):
        self.views = views
        self._busy = False
        for v in views:
            v.transformChanged.connect(lambda v=v: self._sync_transform(v))
            v.horizontalScrollBar().valueChanged.connect(lambda _x, v=v: self._sync_scroll(v))
            v.verticalScrollBar().valueChanged.connect(lambda _x, v=v: self._sync_scroll(v))

    def _sync_transform(self, src: ZoomView) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            for v in self.views:
                if v is not src:
                    v.setTransform(src.transform())
            self._copy_scroll(src)
        finally:
            self._busy = False

    def _sync_scroll(self, src: ZoomView) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._copy_scroll(src)
        finally:
            self._busy = False

    def _copy_scroll(self, src: ZoomView) -> None:
        h, v = src.horizontalScrollBar().value(), src.verticalScrollBar().value()
        for o in self.views:
            if o is not src:
                o.horizontalScrollBar().setValue(h)
                o.verticalScrollBar().setValue(v)

    def align_to(self, src: ZoomView, dst: ZoomView) -> None:
        """Show in ``dst`` what ``src`` shows (views of different sizes: same scene centre)."""
        self._busy = True
        try:
            dst.setTransform(src.transform())
            dst.centerOn(src.mapToScene(src.viewport().rect().center()))
        finally:
            self._busy = False


class OverlayView(ZoomView):
    """After over before, left of a vertical split line; Shift+drag moves the line."""

    splitDragged = Signal(float)

    def mousePressEvent(self, event):
        if event.modifiers() & Qt.ShiftModifier and event.button() == Qt.LeftButton:
            self._drag_split(event)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if event.modifiers() & Qt.ShiftModifier and event.buttons() & Qt.LeftButton:
            self._drag_split(event)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def _drag_split(self, event) -> None:
        r = self.sceneRect()
        if r.width() > 0:
            x = self.mapToScene(event.position().toPoint()).x()
            self.splitDragged.emit(max(0.0, min(1.0, (x - r.left()) / r.width())))


class BeforeAfterView(QWidget):
    """Scan (before) and cleaned result (after): side by side or as a split overlay, zoom/pan in sync."""

    SIDE, OVERLAY = 0, 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self._before: Optional[np.ndarray] = None
        self._after: Optional[np.ndarray] = None
        self._split = 0.5

        # side by side
        self.before_scene = QGraphicsScene(self)
        self.after_scene = QGraphicsScene(self)
        self.before_item = QGraphicsPixmapItem()
        self.after_item = QGraphicsPixmapItem()
        self.before_scene.addItem(self.before_item)
        self.after_scene.addItem(self.after_item)
        self.before_view = ZoomView(self.before_scene)
        self.after_view = ZoomView(self.after_scene)
        self.before_view.setToolTip("Scan (before). Wheel: zoom, drag: pan")
        self.after_view.setToolTip("Cleaned (after). Wheel: zoom, drag: pan")
        side = QWidget()
        sl = QHBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(4)
        for title, view in (("Before (scan)", self.before_view), ("After (cleaned)", self.after_view)):
            col = QVBoxLayout()
            lab = QLabel(title)
            lab.setAlignment(Qt.AlignCenter)
            col.addWidget(lab)
            col.addWidget(view, 1)
            sl.addLayout(col, 1)

        # overlay
        self.overlay_scene = QGraphicsScene(self)
        self.ov_before_item = QGraphicsPixmapItem()
        self.ov_clip = QGraphicsRectItem()
        self.ov_clip.setPen(QPen(Qt.NoPen))
        self.ov_clip.setFlag(QGraphicsRectItem.ItemClipsChildrenToShape, True)
        self.ov_after_item = QGraphicsPixmapItem(self.ov_clip)
        self.split_line = QGraphicsLineItem()
        pen = QPen(QColor(230, 40, 40))
        pen.setCosmetic(True)
        pen.setWidth(2)
        self.split_line.setPen(pen)
        self.split_line.setZValue(10)
        for it in (self.ov_before_item, self.ov_clip, self.split_line):
            self.overlay_scene.addItem(it)
        self.overlay_view = OverlayView(self.overlay_scene)
        self.overlay_view.setToolTip("Cleaned left of the red line, scan right of it. Wheel: zoom, drag: pan, "
                                     "Shift+drag: move the line")
        self.overlay_view.splitDragged.connect(self._on_split_dragged)
        self.split_slider = QSlider(Qt.Horizontal)
        self.split_slider.setRange(0, 1000)
        self.split_slider.setValue(500)
        self.split_slider.setToolTip("Position of the split line: cleaned on the left, scan on the right")
        self.split_slider.valueChanged.connect(self._on_split_slider)
        overlay = QWidget()
        ol = QVBoxLayout(overlay)
        ol.setContentsMargins(0, 0, 0, 0)
        lab = QLabel("After (cleaned) ◀ split ▶ Before (scan)")
        lab.setAlignment(Qt.AlignCenter)
        ol.addWidget(lab)
        ol.addWidget(self.overlay_view, 1)
        ol.addWidget(self.split_slider)

        self.stack = QStackedWidget()
        self.stack.addWidget(side)
        self.stack.addWidget(overlay)
        self.sync = ViewSync([self.before_view, self.after_view, self.overlay_view])

        # toolbar
        self.side_button = QToolButton()
        self.side_button.setText("Side by side")
        self.overlay_button = QToolButton()
        self.overlay_button.setText("Slider overlay")
        self.mode_group = QButtonGroup(self)
        for i, b in enumerate((self.side_button, self.overlay_button)):
            b.setCheckable(True)
            self.mode_group.addButton(b, i)
        self.side_button.setChecked(True)
        self.mode_group.idClicked.connect(self.set_mode)
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(self.fit)
        self.one_button = QPushButton("1:1")
        self.one_button.clicked.connect(self.actual_size)
        self.zoom_in_button = QPushButton("+")
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.zoom_out_button = QPushButton("−")
        self.zoom_out_button.clicked.connect(self.zoom_out)
        for b in (self.fit_button, self.one_button, self.zoom_in_button, self.zoom_out_button):
            b.setMaximumWidth(48)
        self.caption = QLabel("")
        self.caption.setTextFormat(Qt.PlainText)
        self.caption.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        bar = QHBoxLayout()
        bar.addWidget(self.side_button)
        bar.addWidget(self.overlay_button)
        bar.addSpacing(12)
        bar.addWidget(self.zoom_out_button)
        bar.addWidget(self.zoom_in_button)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.one_button)
        bar.addSpacing(12)
        bar.addWidget(self.caption, 1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.stack, 1)

    # -- images -------------------------------------------------------------------------------
    def before_array(self) -> Optional[np.ndarray]:
        return self._before

    def after_array(self) -> Optional[np.ndarray]:
        return self._after

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def set_images(self, before: Optional[np.ndarray], after: Optional[np.ndarray] = None,
                   fit: bool = True) -> None:
        """New scan (and result); ``fit`` zooms to show the whole page when its size changed."""
        old_shape = None if self._before is None else self._before.shape
        self._before = None if before is None else np.asarray(before)
        pm = QPixmap() if before is None else QPixmap.fromImage(to_qimage(before))
        self.before_item.setPixmap(pm)
        self.ov_before_item.setPixmap(pm)
        rect = QRectF(0, 0, pm.width(), pm.height())
        for s in (self.before_scene, self.after_scene, self.overlay_scene):
            s.setSceneRect(rect)
        self.set_after(after)
        if fit and (self._before is None or self._before.shape != old_shape):
            self.fit()

    def set_after(self, after: Optional[np.ndarray]) -> None:
        self._after = None if after is None else np.asarray(after)
        pm = QPixmap() if after is None else QPixmap.fromImage(to_qimage(after))
        self.after_item.setPixmap(pm)
        self.ov_after_item.setPixmap(pm)
        self._place_split()

    def clear(self) -> None:
        self.set_images(None, None)
        self.set_caption("")

    # -- split ----------------------------------------------------------------------------------
    def split(self) -> float:
        return self._split

    def set_split(self, fraction: float) -> None:
        self.split_slider.setValue(int(round(1000 * max(0.0, min(1.0, fraction)))))

    @Slot(float)
    def _on_split_dragged(self, fraction: float) -> None:
        self.set_split(fraction)

    @Slot(int)
    def _on_split_slider(self, value: int) -> None:
        self._split = value / 1000.0
        self._place_split()

    def _place_split(self) -> None:
        r = self.overlay_scene.sceneRect()
        x = r.left() + self._split * r.width()
        self.ov_clip.setRect(QRectF(r.left(), r.top(), x - r.left(), r.height()))
        self.split_line.setLine(x, r.top(), x, r.bottom())
        self.split_line.setVisible(r.width() > 0)

    # -- zoom / mode ------------------------------------------------------------------------------
    def mode(self) -> int:
        return self.stack.currentIndex()

    def current_view(self) -> ZoomView:
        return self.overlay_view if self.mode() == self.OVERLAY else self.before_view

    @Slot(int)
    def set_mode(self, mode: int) -> None:
        if mode == self.mode():
            return
        src = self.current_view()
        self.stack.setCurrentIndex(mode)
        (self.overlay_button if mode == self.OVERLAY else self.side_button).setChecked(True)
        dst = self.current_view()
        self.sync.align_to(src, dst)
        dst.transformChanged.emit()  # the others follow the newly shown view

    @Slot()
    def fit(self) -> None:
        self.current_view().fit()

    @Slot()
    def actual_size(self) -> None:
        self.current_view().set_zoom(1.0)

    @Slot()
    def zoom_in(self) -> None:
        self.current_view().zoom_by(ZOOM_STEP)

    @Slot()
    def zoom_out(self) -> None:
        self.current_view().zoom_by(1.0 / ZOOM_STEP)

    def showEvent(self, event):
        super().showEvent(event)
        if self._before is not None and self.current_view().scale_factor() == 1.0:
            self.fit()
