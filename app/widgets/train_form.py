"""The Train page's form: training data, a preset (the shipped CPU models' recipe for ~10 min, ~1 h or a
night), crop/steps/batch/channels/device (and time limit), the estimated time of the run, run folder,
Resume, Train/Stop, progress and status. Widgets only: the tab connects them to its own slots."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QProgressBar, QPushButton, QWidget)

from core.jobs import available_devices

from .elided_label import ElidedLabel
from .form_helpers import spin
from .train_presets import CUSTOM, DEFAULT_PRESET, PRESET_LABELS, Recipe, StepCost, estimate_text


class TrainForm(QGroupBox):
    def __init__(self, data: QWidget, *, min_crop: int, crop_step: int, batch_tip: str,
                 channels: tuple[int, int, str], run_dir: str, run_dir_tip: str, stop_tip: str,
                 presets: dict[str, Recipe], cost: StepCost, time_limit: bool = False, parent=None):
        super().__init__("Train a model", parent)
        self.data = data
        self.presets = presets
        self.cost = cost
        self._applying = False
        self.preset_combo = QComboBox()
        for key, label in PRESET_LABELS.items():
            self.preset_combo.addItem(label, key)
        self.preset_combo.addItem("Custom", CUSTOM)
        self.preset_combo.setToolTip("The shipped CPU models' recipe (crop, batch, width and loss settings) "
                                     "with as many steps as fit the time named, by the estimate below")
        self.preset_combo.currentIndexChanged.connect(self._on_preset_chosen)
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
        self.eta_label = QLabel("")
        self.eta_label.setWordWrap(True)
        self.status = ElidedLabel("")  # one line; all of it in the tooltip (and in the log)
        self.extra_inputs: list[QWidget] = []
        self.settings: dict[str, QWidget] = {}    # add_setting's label → widget, for the presets
        for w in (self.crop_spin, self.steps_spin, self.batch_spin, self.channels_spin):
            w.valueChanged.connect(self._on_value_edited)
        self.device_combo.currentIndexChanged.connect(self.update_estimate)
        form = QFormLayout(self)
        self._form = form
        form.addRow(QLabel("Training volumes"))
        form.addRow(self.data)
        form.addRow(drow)
        form.addRow("Preset", self.preset_combo)
        form.addRow("Crop", self.crop_spin)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Batch", self.batch_spin)
        form.addRow("Channels", self.channels_spin)
        form.addRow("Device", self.device_combo)
        if self.minutes_spin is not None:
            form.addRow("Time limit", self.minutes_spin)
        form.addRow("Output", orow)
        form.addRow(self.resume_check)
        form.addRow(self.eta_label)
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
        self.settings[label] = widget
        sig = widget.currentIndexChanged if isinstance(widget, QComboBox) else widget.valueChanged
        sig.connect(self._on_value_edited)
        return widget

    # -- presets and the estimate -----------------------------------------------------------
    def apply_preset(self, key: str = DEFAULT_PRESET) -> None:
        """Fill crop, batch, width, steps and the method's settings from preset ``key``."""
        r = self.presets[key]
        self._applying = True
        try:
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(key))
            self.crop_spin.setValue(r.crop)
            self.batch_spin.setValue(r.batch)
            self.channels_spin.setValue(r.width)
            self.steps_spin.setValue(r.steps)
            for label, value in r.settings.items():
                w = self.settings.get(label)
                if isinstance(w, QComboBox):
                    w.setCurrentIndex(w.findData(value))
                elif w is not None:
                    w.setValue(value)
        finally:
            self._applying = False
        self.update_estimate()

    def _on_preset_chosen(self, index: int) -> None:
        key = self.preset_combo.itemData(index)
        if not self._applying and key in self.presets:
            self.apply_preset(key)

    def _on_value_edited(self, *_) -> None:
        """A value changed by hand: the preset becomes 'Custom' (unless it still matches), and the estimate follows."""
        if self._applying:
            return
        key = self.preset_combo.currentData()
        if key in self.presets and not self._matches(self.presets[key]):
            self.preset_combo.blockSignals(True)
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(CUSTOM))
            self.preset_combo.blockSignals(False)
        self.update_estimate()

    def _matches(self, r: Recipe) -> bool:
        if (self.crop_spin.value(), self.batch_spin.value(), self.channels_spin.value(),
                self.steps_spin.value()) != (r.crop, r.batch, r.width, r.steps):
            return False
        for label, value in r.settings.items():
            w = self.settings.get(label)
            have = w.currentData() if isinstance(w, QComboBox) else (w.value() if w is not None else value)
            if have != value:
                return False
        return True

    def step_seconds(self) -> float:
        """The estimated seconds per step of the settings now in the form (see train_presets)."""
        return self.cost.step_seconds(self.crop_spin.value(), self.batch_spin.value(), self.channels_spin.value())

    def update_estimate(self, *_) -> None:
        text, tip = estimate_text(self.cost, self.crop_spin.value(), self.batch_spin.value(),
                                  self.channels_spin.value(), self.steps_spin.value(),
                                  str(self.device_combo.currentData()))
        self.eta_label.setText(text)
        self.eta_label.setToolTip(tip)

    def inputs(self) -> list[QWidget]:
        """What a running training locks: data buttons, settings, run folder, Resume (not Stop)."""
        return [w for w in (self.add_data_button, self.remove_data_button, self.preset_combo, self.crop_spin, self.steps_spin,
                            self.batch_spin, self.channels_spin, self.device_combo, self.minutes_spin,
                            self.out_edit, self.out_button, self.resume_check, *self.extra_inputs)
                if w is not None]
