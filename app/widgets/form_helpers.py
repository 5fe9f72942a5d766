"""Small form helpers shared by the tabs: number format, spin boxes, scroll page, side panel layout."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QComboBox, QDoubleSpinBox,
                               QScrollArea, QScrollBar, QSpinBox, QSplitter, QVBoxLayout, QWidget)


def fmt(v) -> str:
    """A property value for tables: 4 significant digits, '–' for missing or non-finite."""
    if v is None or not np.isfinite(v):
        return "–"
    a = abs(v)
    return f"{v:.4g}" if a == 0 or 1e-3 <= a < 1e5 else f"{v:.3e}"


def _ranged(box, lo, hi, value, tip: str):
    """Range, then value (in that order: a value outside the old range would be clipped), tooltip."""
    box.setRange(lo, hi)
    box.setValue(value)
    if tip:
        box.setToolTip(tip)
    return box


def spin(lo: int, hi: int, value: int, tip: str = "", step: int = 1) -> QSpinBox:
    s = QSpinBox()
    s.setSingleStep(step)
    return _ranged(s, lo, hi, value, tip)


def double_spin(lo: float, hi: float, value: float, tip: str = "", decimals: int = 1) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setDecimals(decimals)  # before the range and value, which it rounds
    return _ranged(s, lo, hi, value, tip)


def choice_combo(items, current, tip: str = "") -> QComboBox:
    """A combo box of (data, text) items with ``current``'s item selected."""
    c = QComboBox()
    for data, text in items:
        c.addItem(text, data)
    c.setCurrentIndex(c.findData(current))
    if tip:
        c.setToolTip(tip)
    return c


def voxel_spin(tip: str) -> QDoubleSpinBox:
    """A voxel size box in µm: 0.001 to 100000, four decimals, 1 µm to start with."""
    s = double_spin(0.001, 100000.0, 1.0, tip, decimals=4)
    s.setSuffix(" µm")
    return s


class WheelGuard(QObject):
    """The mouse wheel over an unfocused spin box, combo box or slider scrolls the panel around it
    instead of changing the value under the pointer (a click first gives the box the focus)."""

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() != QEvent.Wheel or obj.hasFocus():
            return False
        area = obj.parent()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parent()
        if area is not None:
            QCoreApplication.sendEvent(area.verticalScrollBar(), event)
        return True


def guard_wheel(root: QWidget) -> None:
    """``WheelGuard`` on every spin box, combo box and slider inside ``root`` (not scroll bars); they take
    the focus by click or Tab only, so that scrolling past them does not change them."""
    guard = WheelGuard(root)
    for w in root.findChildren(QWidget):
        if isinstance(w, (QAbstractSpinBox, QComboBox, QAbstractSlider)) and not isinstance(w, QScrollBar):
            w.setFocusPolicy(Qt.StrongFocus)
            w.installEventFilter(guard)


def page(*widgets) -> QScrollArea:
    """The widgets stacked top-down in a frameless, resizable scroll area (a side page)."""
    w = QWidget()
    lay = QVBoxLayout(w)
    lay.setContentsMargins(4, 4, 4, 4)
    for x in widgets:
        lay.addWidget(x)
    lay.addStretch(1)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(w)
    area.setFrameShape(QScrollArea.NoFrame)
    guard_wheel(w)
    return area


def side_panel_layout(tab: QWidget, side: QWidget, main: QWidget, sizes: list[int]) -> QSplitter:
    """Fill ``tab`` with a splitter: ``side`` (keeps its width) beside ``main`` (takes the rest)."""
    splitter = QSplitter(Qt.Horizontal)
    splitter.addWidget(side)
    splitter.addWidget(main)
    splitter.setStretchFactor(0, 0)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes(sizes)
    lay = QVBoxLayout(tab)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(splitter, 1)
    return splitter
