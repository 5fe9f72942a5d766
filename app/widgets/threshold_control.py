"""A probability threshold as a slider (whole per cent) beside a spin box (0.01 steps), kept in step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSlider, QWidget


class ThresholdControl(QWidget):
    """'Threshold [slider] [spin]': ``valueChanged(float)`` fires once per change, from either control."""

    valueChanged = Signal(float)

    def __init__(self, value: float, tip: str = "", label: str = "Threshold", parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(1, 99)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(0.01, 0.99)
        self.spin.setSingleStep(0.01)
        self.spin.setDecimals(2)
        self.slider.setToolTip(tip)
        self.spin.setToolTip(tip)
        self.spin.setValue(value)
        self.slider.setValue(int(round(value * 100)))
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel(label))
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)

    def value(self) -> float:
        return float(self.spin.value())

    def setValue(self, value: float) -> None:  # noqa: N802 - Qt's name
        self.spin.setValue(value)

    @Slot(int)
    def _on_slider(self, v: int) -> None:
        # the spin box holds the value: the slider only moves it (and hears back, below)
        if abs(self.spin.value() - v / 100.0) > 1e-9:
            self.spin.setValue(v / 100.0)

    @Slot(float)
    def _on_spin(self, v: float) -> None:
        sv = int(round(v * 100))
        if self.slider.value() != sv:
            self.slider.blockSignals(True)
            self.slider.setValue(sv)
            self.slider.blockSignals(False)
        self.valueChanged.emit(float(v))
