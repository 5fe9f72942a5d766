"""The Video tab's Train panel: preset, VQ-VAE and transformer steps, data folder, run folder, Resume, Train.

Widgets and their folder dialogs only: the tab connects ``train_button`` to its own slot; the run
shares the tab's progress bar, Cancel and seed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout)

from .form_helpers import spin


def _folder_row(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


class VideoTrainForm(QGroupBox):
    """Box "5 · Train a model"; ``start_dir()`` gives the data dialog's first folder."""

    def __init__(self, run_dir: str, start_dir, parent=None):
        super().__init__("5 · Train a model", parent)
        self.start_dir = start_dir
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Small (32×32, minutes on a CPU)", "small")
        self.preset_combo.addItem("Standard (64×64, 8×8 codes, 20-frame window; hours on a CPU)", "standard")
        self.vq_steps_spin = spin(1, 1_000_000, 500)
        self.lvt_steps_spin = spin(1, 1_000_000, 1000)
        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("Moving MNIST training digits")
        self.data_edit.setToolTip("Empty: Moving MNIST built from the training digits only; "
                                  "or a folder of your clips (MP4/AVI/GIF/.npy/frame folders)")
        self.data_button = QPushButton("…")
        self.data_button.clicked.connect(self.choose_data_dialog)
        self.train_out_edit = QLineEdit(run_dir)
        self.train_out_button = QPushButton("…")
        self.train_out_button.clicked.connect(self.choose_train_out_dialog)
        self.resume_check = QCheckBox("Resume the run in this folder")
        self.train_button = QPushButton("Train VQ-VAE, then transformer")
        form = QFormLayout()
        form.addRow("Preset", self.preset_combo)
        form.addRow("VQ-VAE steps", self.vq_steps_spin)
        form.addRow("Transformer steps", self.lvt_steps_spin)
        form.addRow("Data", _folder_row(self.data_edit, self.data_button))
        form.addRow("Run folder", _folder_row(self.train_out_edit, self.train_out_button))
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.resume_check)
        lay.addWidget(self.train_button)
        hint = QLabel("Uses Generate's progress bar, Cancel and seed. Long or multi-GPU runs: "
                      "<code>seqgen video train-vqvae</code> / <code>train-lvt</code> (torchrun).")
        hint.setWordWrap(True)
        lay.addWidget(hint)

    def inputs(self) -> list:
        """The widgets disabled while a job runs."""
        return [self.train_button, self.preset_combo, self.vq_steps_spin, self.lvt_steps_spin, self.data_edit,
                self.data_button, self.train_out_edit, self.train_out_button, self.resume_check]

    @Slot()
    def choose_data_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder of training clips", self.start_dir())
        if d:
            self.data_edit.setText(d)

    @Slot()
    def choose_train_out_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Run folder", self.train_out_edit.text() or str(Path.home()))
        if d:
            self.train_out_edit.setText(d)
