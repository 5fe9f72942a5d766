"""The Train page's form: training data, crop/steps/batch/channels/device (and time limit), run folder,
Resume, Train/Stop, progress and status. Widgets only: the tab connects them to its own slots."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QProgressBar, QPushButton, QWidget)

from core.jobs import available_devices

from .form_helpers import spin


class TrainForm(QGroupBox):
    def __init__(self, data: QWidget, *, min_crop: int, crop_step: int, batch_tip: str,
                 channels: tuple[int, int, str], run_dir: str, run_dir_tip: str, stop_tip: str,
                 time_limit: bool = False, parent=None):
        super().__init__("Train a model", parent)
        self.data = data
        self.add_data_button = QPushButton("Add…")
        self.remove_data_button = QPushButton("Remove")
        drow = QHBoxLayout()
        drow.addWidget(self.add_data_button)
        drow.addWidget(self.remove_data_button)
        drow.addStretch(1)
        self.crop_spin = spin(min_crop, 512, 64, f"Training crop edge (multiple of {crop_step})", step=crop_step)
        self.steps_spin = spin(1, 10_000_000, 2000, "Total steps of the run (a resumed run stops here too)")
        self.batch_spin = spin(1, 1024, 8, batch_tip)
        self.channels_spin = spin(channels[0], 512, channels[1], channels[2])
        self.device_combo = QComboBox()
        self.device_combo.addItem("auto", "auto")
        for d in available_devices():
            self.device_combo.addItem(d, d)
        self.minutes_spin: Optional[QDoubleSpinBox] = None
        if time_limit:
            self.minutes_spin = QDoubleSpinBox()
            self.minutes_spin.setRange(0.0, 100000.0)
            self.minutes_spin.setDecimals(1)
            self.minutes_spin.setSpecialValueText("no limit")
            self.minutes_spin.setSuffix(" min")
            self.minutes_spin.setToolTip("Stop with a checkpoint after this much training time (resume to go on)")
        self.out_edit = QLineEdit(run_dir)
        self.out_edit.setToolTip(run_dir_tip)
        self.out_button = QPushButton("…")
        self.out_button.setMaximumWidth(32)
        orow = QHBoxLayout()
        orow.addWidget(self.out_edit, 1)
        orow.addWidget(self.out_button)
        self.resume_check = QCheckBox("Resume the run in this folder")
        self.train_button = QPushButton("Train")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip(stop_tip)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("Idle")
        self.progress.setTextVisible(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.PlainText)
        self.extra_inputs: list[QWidget] = []
        form = QFormLayout(self)
        self._form = form
        form.addRow(QLabel("Training volumes"))
        form.addRow(self.data)
        form.addRow(drow)
        form.addRow("Crop", self.crop_spin)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Batch", self.batch_spin)
        form.addRow("Channels", self.channels_spin)
        form.addRow("Device", self.device_combo)
        if self.minutes_spin is not None:
            form.addRow("Time limit", self.minutes_spin)
        form.addRow("Output", orow)
        form.addRow(self.resume_check)
        brow = QHBoxLayout()
        brow.addWidget(self.train_button, 1)
        brow.addWidget(self.stop_button)
        form.addRow(brow)
        form.addRow(self.progress)
        form.addRow(self.status)

    def add_setting(self, label: str, widget: QWidget) -> QWidget:
        """A method's own setting, as a row above "Output"; locked like the others while a run trains."""
        row, _ = self._form.getWidgetPosition(self.minutes_spin or self.device_combo)
        self._form.insertRow(row + 1 + len(self.extra_inputs), label, widget)
        self.extra_inputs.append(widget)
        return widget

    def inputs(self) -> list[QWidget]:
        """What a running training locks: data buttons, settings, run folder, Resume (not Stop)."""
        return [w for w in (self.add_data_button, self.remove_data_button, self.crop_spin, self.steps_spin,
                            self.batch_spin, self.channels_spin, self.device_combo, self.minutes_spin,
                            self.out_edit, self.out_button, self.resume_check, *self.extra_inputs)
                if w is not None]
