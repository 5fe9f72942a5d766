"""The Texture tab's Train page: training volumes with their class names, the shared TrainForm settings
with a time limit, and the texture GAN's own settings (generator norm, porosity weight).

Widgets only: the tab adopts the form (``TrainTab._adopt_train_form``) and runs
``core.texture.gui_support.train_job`` with ``train_settings()``.
"""

from __future__ import annotations

from pathlib import Path
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from core.texture.config import FACTOR, MIN_CROP, TextureGANConfig
from core.texture.data import default_class_name

from ..widgets.form_helpers import choice_combo, double_spin
from ..widgets.train_form import TrainForm
from ..widgets.train_presets import TEXTURE_COST, TEXTURE_PRESETS


class ClassVolumeTable(QTableWidget):
    """Training volumes, one a row: an editable class name and the file (its full path in the tooltip)."""

    def __init__(self, parent=None):
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Class", "Volume"])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setMaximumHeight(140)
        self.setToolTip("Segmented volumes (1 = pore) and their class names (edit a name by "
                        "double-clicking; volumes with one name form one class). Shared rocks are "
                        "trained on their training part only (berea_400 z < 300, ketton_256 z < 192, "
                        "bentheimer_500 z < 375)")

    def add_files(self, paths, names=None) -> None:
        """Add volumes; each gets its class name (default: the file stem before '_', berea_400 → berea)."""
        have = {p for _, p in self.entries()}
        names = list(names) if names is not None else [None] * len(list(paths))
        for p, name in zip(paths, names):
            p = str(Path(p).resolve())
            if p in have:
                continue
            r = self.rowCount()
            self.insertRow(r)
            self.setItem(r, 0, QTableWidgetItem(name or default_class_name(p)))
            it = QTableWidgetItem(Path(p).name)
            it.setData(Qt.UserRole, p)
            it.setToolTip(p)
            it.setFlags(it.flags() & ~Qt.ItemIsEditable)
            self.setItem(r, 1, it)
            have.add(p)

    def remove_selected(self) -> None:
        for r in sorted({i.row() for i in self.selectedIndexes()}, reverse=True):
            self.removeRow(r)

    def entries(self) -> list[tuple[str, str]]:
        """(class name, path) of each training volume."""
        out = []
        for r in range(self.rowCount()):
            name, it = self.item(r, 0), self.item(r, 1)
            out.append(((name.text() if name else "").strip(), it.data(Qt.UserRole)))
        return out


class TextureTrainPanel(TrainForm):
    """The Train page of the Texture tab (``table``: the training volumes; ``norm_combo`` and
    ``porosity_weight_spin``: the texture GAN's settings, starting at TextureGANConfig's defaults)."""

    def __init__(self, run_dir: str, parent=None):
        self.table = ClassVolumeTable()
        super().__init__(self.table, min_crop=MIN_CROP, crop_step=FACTOR, batch_tip="Crop pairs per step",
                         channels=(4, 32, "Generator width (encoder and critics: 32, D_z 128, or half and twice "
                                          "G's width when G is wider than 64; narrower G: the encoder and critics "
                                          "as wide, D_z four times)"),
                         presets=TEXTURE_PRESETS, cost=TEXTURE_COST, run_dir=run_dir,
                         run_dir_tip="Run folder: checkpoints (last.pt, step_*.pt), log.csv and classes.pt",
                         stop_tip="Stop after the current step; a checkpoint is written and the classes are "
                                  "fitted (Resume continues)",
                         time_limit=True, parent=parent)
        d = TextureGANConfig()
        self.norm_combo = choice_combo(
            (("batch", "batch (shipped model)"), ("pixel", "per voxel (experimental)")), d.g_norm,
            "Generator normalisation. Batch: BatchNorm, whose training statistics generation replaces by averages. "
            "Per voxel: training and generation compute the same function, but CPU runs drifted to near-uniform "
            "output without the logit margin of 'seqgen texture train --logit-margin 1' "
            "(docs/results/texture_cpu_runs)")
        self.porosity_weight_spin = double_spin(0.0, 10000.0, d.porosity_weight,
                                                "Weight of each reconstruction's porosity against its crop's "
                                                "(0: off)")
        self.add_setting("Generator norm", self.norm_combo)
        self.add_setting("Porosity weight", self.porosity_weight_spin)

    def train_settings(self) -> dict:
        """``train_job``'s keyword arguments from the form (not the data, run folder, resume or seed)."""
        return {"crop": int(self.crop_spin.value()), "steps": int(self.steps_spin.value()),
                "batch": int(self.batch_spin.value()), "channels": int(self.channels_spin.value()),
                "device": self.device_combo.currentData(), "max_minutes": float(self.minutes_spin.value()),
                "norm": self.norm_combo.currentData(), "porosity_weight": float(self.porosity_weight_spin.value())}
