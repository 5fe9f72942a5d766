"""The Video tab's generation settings: context frames, frames to generate, samples, temperature, top-k, seed.

Several samples are sampled ones (temperature above 0) and the most likely continuation (temperature 0)
is one clip, so each of those two boxes moves the other when needed.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QPushButton, QWidget

from core.jobs import new_seed

from .form_helpers import double_spin, spin


class VideoSamplingForm(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.context_spin = spin(1, 1000, 10, "Frames of the clip given to the model")
        self.frames_spin = spin(1, 200, 10)
        self.samples_spin = spin(1, 16, 1, "Several different continuations (sampled, temperature above 0)")
        self.temperature_spin = double_spin(0.0, 5.0, 0.0, "0: the most likely continuation (no randomness, the "
                                            "seed is not used); above 0: sampled, more varied the higher", 2)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setSpecialValueText("0 (most likely)")
        self.top_k_spin = spin(0, 4096, 0, "Sample among the K most likely codes only (0: all)")
        self.top_k_spin.setSpecialValueText("all codes")
        self.samples_spin.valueChanged.connect(self._on_samples_changed)
        self.temperature_spin.valueChanged.connect(self._on_temperature_changed)
        self.seed_spin = spin(0, 2**31 - 1, 0)
        self.new_seed_button = QPushButton("New seed")
        self.new_seed_button.clicked.connect(self.new_seed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.new_seed_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Context frames", self.context_spin)
        form.addRow("Frames to generate", self.frames_spin)
        form.addRow("Samples", self.samples_spin)
        form.addRow("Temperature", self.temperature_spin)
        form.addRow("Top-k", self.top_k_spin)
        form.addRow("Seed", seed_row)

    def inputs(self) -> list:
        """The widgets disabled while a job runs."""
        return [self.context_spin, self.frames_spin, self.samples_spin, self.temperature_spin, self.top_k_spin,
                self.seed_spin, self.new_seed_button]

    @Slot()
    def new_seed(self) -> int:
        s = new_seed()
        self.seed_spin.setValue(s)
        return s

    @Slot(int)
    def _on_samples_changed(self, value: int) -> None:
        if value > 1 and self.temperature_spin.value() == 0:  # several samples are sampled ones
            self.temperature_spin.setValue(1.0)

    @Slot(float)
    def _on_temperature_changed(self, value: float) -> None:
        if value == 0 and self.samples_spin.value() > 1:  # the most likely continuation is one clip
            self.samples_spin.setValue(1)
