"""Rock tab: 3D porous media from one 2D slice (rock GAN), compared with real rock; and training.

Left: a "Generate" page (input slice, model, generation, comparison, export) and a "Train" page.
Right: the realisations (3D + three slices with the input slice marked), the property histograms
with KL against a reference, and the live training losses.

All compute runs in worker threads (``app.worker.TaskRunner``) through the Qt-free functions of
``core.rock.gui_support``; worker signals go to bound slots of this tab (GUI thread).
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QMenu, QMessageBox, QProgressBar,
                               QPushButton, QScrollArea, QSizePolicy, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from core.errors import InputError
from core.io import IMAGE_SUFFIXES, read_image
from core.jobs import available_devices, new_seed
from core.render import SceneData, prepare_scene
from core.rock.config import MIN_SLICE
from core.rock.gui_support import (SHARED_ROCKS, Comparison, GenerateOutput, compare_job, export_volumes,
                                   generate_volumes, numbered_paths, realisation_metadata, rock_voxel_size,
                                   shared_data_dir, shared_rock_path, train_from_form)
from core.shipped import shipped_models

from ..settings import KEY_EXPORT_DIR, KEY_OPEN_DIR, get_list, get_str, last_dir, set_last_dir
from ..widgets.loss_plot import LossPlot
from ..widgets.marked_slices import MarkedCanvas, MarkedSliceViews
from ..widgets.property_histograms import PropertyHistograms
from ..widgets.view3d import View3D
from ..widgets.model_combo import CHOOSE, fill_model_combo
from ..worker import TaskRunner
from .base import AppContext, BaseTab

KEY_CHECKPOINTS = "rock/checkpoints"
KEY_TRAIN_OUT = "rock/train_out"
MAX_CHECKPOINTS = 8
EXPORT_FILTERS = {
    ".tif": "Multi-page TIFF (*.tif)",
    ".npy": "NumPy array (*.npy)",
    ".vti": "ParaView image data (*.vti)",
    ".stl": "Pore surface mesh (*.stl)",
}
VOLUME_FILTER = "Volumes (*.tif *.tiff *.npy *.npz *.raw);;All files (*)"
LOG_POLL_MS = 700


# ----------------------------------------------------------------------------------------------
# small jobs run in worker threads (no widgets here)
# ----------------------------------------------------------------------------------------------

def scene_job(gen_id: int, index: int, volume: np.ndarray, *, state) -> tuple[int, int, SceneData]:
    return gen_id, index, prepare_scene(volume, "surface", state=state)


def pct(x: float) -> str:
    return f"{100.0 * float(x):.2f} %"


def fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "–"
    a = abs(v)
    return f"{v:.4g}" if a == 0 or 1e-3 <= a < 1e5 else f"{v:.3e}"


def _spin(lo: int, hi: int, value: int, tip: str = "", step: int = 1) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    if tip:
        s.setToolTip(tip)
    return s


def _page(*widgets) -> QScrollArea:
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
    return area


# ----------------------------------------------------------------------------------------------
# the tab
# ----------------------------------------------------------------------------------------------

class RockTab(BaseTab):
    """Rock reconstruction: generate 3D volumes from one slice, compare, export, train."""

    sliceLoaded = Signal()
    generated = Signal()
    sceneReady = Signal(int)          # realisation index now shown in 3D
    compared = Signal()
    exported = Signal(list)
    jobCancelled = Signal()
    jobFailed = Signal(str)
    trainingEnded = Signal(str)       # "finished", "cancelled" or "failed"

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.slice: Optional[np.ndarray] = None
        self.slice_source = ""
        self.result: Optional[GenerateOutput] = None
        self.result_meta: dict = {}
        self.comparison: Optional[Comparison] = None
        self._pending_meta: dict = {}
        self._gen_id = 0
        self._scenes: dict[int, SceneData] = {}
        self._job_kind = ""
        self._model_index = 0
        self._inspect_connected = False
        self.train_out: Optional[Path] = None
        self.train_result = None
        self._train_t0 = 0.0

        self.jobs = TaskRunner(self)           # generate, compare, export: one at a time
        self.jobs.progress.connect(self._on_progress)
        self.jobs.busyChanged.connect(self._update_enabled)
        self.scene_jobs = TaskRunner(self)     # 3D scene of the shown realisation
        self.train_jobs = TaskRunner(self)     # training runs beside the rest
        self.train_jobs.progress.connect(self._on_train_progress)
        self.train_jobs.busyChanged.connect(self._update_enabled)
        self.log_timer = QTimer(self)
        self.log_timer.setInterval(LOG_POLL_MS)
        self.log_timer.timeout.connect(self.poll_log)

        self._build_ui()
        self._build_actions()
        self._fill_models()
        self._fill_references()
        self._connect_inspect()
        self._update_enabled()

    # -- layout -----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.side = QTabWidget()
        self.side.addTab(_page(self._slice_box(), self._generate_box()), "Generate")
        self.side.addTab(_page(self._train_box()), "Train")
        self.side.setMinimumWidth(340)
        self.side.currentChanged.connect(self._on_side_changed)

        # realisations: combo, 3D view, slices
        self.real_combo = QComboBox()
        self.real_combo.setMinimumContentsLength(24)
        self.real_combo.currentIndexChanged.connect(self._on_realisation_changed)
        self.real_info = QLabel("Generate to see realisations here.")
        self.real_info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        row = QHBoxLayout()
        row.addWidget(QLabel("Realisation"))
        row.addWidget(self.real_combo)
        row.addWidget(self.real_info, 1)
        row.addLayout(self._export_row())
        self.view3d = View3D()
        self.slices = MarkedSliceViews()
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.view3d)
        split.addWidget(self.slices)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([460, 300])
        real_page = QWidget()
        rl = QVBoxLayout(real_page)
        rl.setContentsMargins(2, 2, 2, 2)
        rl.addLayout(row)
        rl.addWidget(split, 1)

        # properties: histograms + table
        self.histograms = PropertyHistograms()
        self.kl_table = QTableWidget(0, 4)
        self.kl_table.setHorizontalHeaderLabels(["Property", "Realisations (mean ± sd)",
                                                 "Reference (mean ± sd)", "KL (ref ‖ real.)"])
        self.kl_table.verticalHeader().setVisible(False)
        self.kl_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.kl_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        for c in (1, 2, 3):
            self.kl_table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeToContents)
        self.kl_note = QLabel("")
        self.kl_note.setWordWrap(True)
        prop_split = QSplitter(Qt.Vertical)
        prop_split.addWidget(self.histograms)
        tbox = QWidget()
        tl = QVBoxLayout(tbox)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.kl_table, 1)
        tl.addWidget(self.kl_note)
        prop_split.addWidget(tbox)
        prop_split.setSizes([520, 220])
        prop_page = QWidget()
        pl = QVBoxLayout(prop_page)
        pl.setContentsMargins(2, 2, 2, 2)
        pl.addLayout(self._compare_row())
        pl.addWidget(prop_split, 1)

        # training curves
        self.loss_plot = LossPlot()
        self.train_info = QLabel("No training run yet.")
        self.train_info.setWordWrap(True)
        self.train_info.setTextFormat(Qt.PlainText)
        self.train_info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        train_page = QWidget()
        trl = QVBoxLayout(train_page)
        trl.setContentsMargins(2, 2, 2, 2)
        trl.addWidget(self.loss_plot, 1)
        trl.addWidget(self.train_info)

        self.views = QTabWidget()
        self.views.addTab(real_page, "Realisations")
        self.views.addTab(prop_page, "Properties")
        self.views.addTab(train_page, "Training")

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(self.views)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([380, 1000])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.splitter, 1)

    def _slice_box(self) -> QGroupBox:
        box = QGroupBox("1 · Input slice")
        self.open_slice_button = QPushButton("Open image…")
        self.open_slice_button.setToolTip("A 2D image (PNG, TIFF, …); grey images are binarised "
                                          "(1 / bright = pore unless told otherwise)")
        self.open_slice_button.clicked.connect(self.open_slice_dialog)
        self.inspect_axis = QComboBox()
        for i, a in enumerate("zyx"):
            self.inspect_axis.addItem(a, i)
        self.inspect_axis.setToolTip("Axis across which the slice is cut")
        self.inspect_axis.currentIndexChanged.connect(self._update_inspect_range)
        self.inspect_index = _spin(0, 0, 0, "Slice index along that axis")
        self.inspect_button = QPushButton("Use slice of Inspect volume")
        self.inspect_button.setToolTip("Take a slice of the volume open in the Inspect tab")
        self.inspect_button.clicked.connect(self.use_inspect_slice)
        self.preview = MarkedCanvas()
        self.preview.setMinimumSize(120, 120)
        self.preview.setMaximumHeight(220)
        self.slice_label = QLabel("No slice loaded.")
        self.slice_label.setWordWrap(True)
        irow = QHBoxLayout()
        irow.addWidget(QLabel("Axis"))
        irow.addWidget(self.inspect_axis)
        irow.addWidget(QLabel("Index"))
        irow.addWidget(self.inspect_index, 1)
        lay = QVBoxLayout(box)
        lay.addWidget(self.open_slice_button)
        lay.addLayout(irow)
        lay.addWidget(self.inspect_button)
        prow = QHBoxLayout()
        prow.addWidget(self.preview, 1)
        prow.addWidget(self.slice_label, 1)
        lay.addLayout(prow)
        return box

    def _generate_box(self) -> QGroupBox:
        box = QGroupBox("2 · Generate")
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(16)
        self.model_combo.activated.connect(self._on_model_activated)
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.voxel_spin = QDoubleSpinBox()
        self.voxel_spin.setRange(0.001, 100000.0)
        self.voxel_spin.setDecimals(4)
        self.voxel_spin.setValue(1.0)
        self.voxel_spin.setSuffix(" µm")
        self.voxel_spin.setToolTip("Voxel size of the realisations (the training rock's); used for the "
                                   "properties and written into exports")
        self.depth_spin = _spin(1, 2048, 64, "Number of z-slices to generate; the input is slice depth // 2")
        self.count_spin = _spin(1, 256, 4, "Number of realisations (different noise, same slice)")
        self.seed_spin = _spin(0, 2**31 - 1, new_seed(), "Same seed, slice and model → same volumes")
        self.new_seed_button = QPushButton("New seed")
        self.new_seed_button.clicked.connect(self.new_seed)
        srow = QHBoxLayout()
        srow.addWidget(self.seed_spin, 1)
        srow.addWidget(self.new_seed_button)
        self.paste_check = QCheckBox("Paste exact slice")
        self.paste_check.setChecked(True)
        self.paste_check.setToolTip("Write the exact input into the central slice after generation "
                                    "(G's own match is measured before, and reported)")
        self.generate_button = QPushButton("Generate")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(self.start_generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("Idle")
        self.progress.setTextVisible(True)
        self.match_label = QLabel("")
        self.match_label.setWordWrap(True)
        self.match_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form = QFormLayout(box)
        form.addRow("Model", self.model_combo)
        form.addRow("Voxel size", self.voxel_spin)
        form.addRow("Depth", self.depth_spin)
        form.addRow("Realisations", self.count_spin)
        form.addRow("Seed", srow)
        form.addRow(self.paste_check)
        brow = QHBoxLayout()
        brow.addWidget(self.generate_button, 1)
        brow.addWidget(self.cancel_button)
        form.addRow(brow)
        form.addRow(self.progress)
        form.addRow(self.match_label)
        return box

    def _compare_row(self) -> QHBoxLayout:
        self.ref_combo = QComboBox()
        self.ref_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.ref_combo.setMinimumContentsLength(16)
        self.ref_combo.currentIndexChanged.connect(self._on_reference_changed)
        self.ncrops_spin = _spin(2, 1000, 20, "Number of random reference crops (same size as the realisations)")
        self.perm_check = QCheckBox("Permeability (slow)")
        self.perm_check.setToolTip("Also compare pore-network permeability (seconds per volume)")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Histograms of porosity, surface area density and Euler density "
                                       "of the realisations against the reference, with KL per property")
        self.compare_button.clicked.connect(self.start_compare)
        row = QHBoxLayout()
        row.addWidget(QLabel("Reference"))
        row.addWidget(self.ref_combo, 1)
        row.addWidget(QLabel("Crops"))
        row.addWidget(self.ncrops_spin)
        row.addWidget(self.perm_check)
        row.addWidget(self.compare_button)
        return row

    def _export_row(self) -> QHBoxLayout:
        self.export_which = QComboBox()
        self.export_which.addItem("Selected realisation", "one")
        self.export_which.addItem("All realisations", "all")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("TIFF, NPY, VTI or STL; seed, model, realisation and slice match are "
                                      "saved with it (in the file, or in <file>.json for NPY/STL)")
        self.export_button.clicked.connect(self.export_dialog)
        row = QHBoxLayout()
        row.addWidget(self.export_which)
        row.addWidget(self.export_button)
        return row

    def _train_box(self) -> QGroupBox:
        box = QGroupBox("Train a model")
        self.data_list = QListWidget()
        self.data_list.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.data_list.setMaximumHeight(110)
        self.data_list.setToolTip("Segmented volumes (1 = pore). Shared rocks are trained on their "
                                  "training part only (berea_400 z < 300, ketton_256 z < 192)")
        self.add_data_button = QPushButton("Add…")
        self.add_data_button.clicked.connect(self.add_data_dialog)
        self.remove_data_button = QPushButton("Remove")
        self.remove_data_button.clicked.connect(self.remove_selected_data)
        drow = QHBoxLayout()
        drow.addWidget(self.add_data_button)
        drow.addWidget(self.remove_data_button)
        drow.addStretch(1)
        self.crop_spin = _spin(MIN_SLICE, 512, 64, "Training crop edge (multiple of 4)", step=4)
        self.steps_spin = _spin(1, 10_000_000, 2000, "Total steps of the run (a resumed run stops here too)")
        self.batch_spin = _spin(1, 1024, 8, "Crops per step")
        self.channels_spin = _spin(1, 512, 32, "Model width")
        self.device_combo = QComboBox()
        self.device_combo.addItem("auto", "auto")
        for d in available_devices():
            self.device_combo.addItem(d, d)
        self.out_edit = QLineEdit(get_str(self.context.settings, KEY_TRAIN_OUT,
                                          str(Path.home() / "seqgen-runs" / "rock")))
        self.out_edit.setToolTip("Run folder: checkpoints (last.pt, step_*.pt) and log.csv")
        self.out_button = QPushButton("…")
        self.out_button.setMaximumWidth(32)
        self.out_button.clicked.connect(self.choose_out_dir)
        orow = QHBoxLayout()
        orow.addWidget(self.out_edit, 1)
        orow.addWidget(self.out_button)
        self.resume_check = QCheckBox("Resume the run in this folder")
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(self.start_train)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current step; a checkpoint is written (Resume continues)")
        self.stop_button.clicked.connect(self.stop_training)
        self.train_progress = QProgressBar()
        self.train_progress.setRange(0, 1000)
        self.train_progress.setFormat("Idle")
        self.train_progress.setTextVisible(True)
        self.train_status = QLabel("")
        self.train_status.setWordWrap(True)
        self.train_status.setTextFormat(Qt.PlainText)
        form = QFormLayout(box)
        form.addRow(QLabel("Training volumes"))
        form.addRow(self.data_list)
        form.addRow(drow)
        form.addRow("Crop", self.crop_spin)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Batch", self.batch_spin)
        form.addRow("Channels", self.channels_spin)
        form.addRow("Device", self.device_combo)
        form.addRow("Output", orow)
        form.addRow(self.resume_check)
        brow = QHBoxLayout()
        brow.addWidget(self.train_button, 1)
        brow.addWidget(self.stop_button)
        form.addRow(brow)
        form.addRow(self.train_progress)
        form.addRow(self.train_status)
        return box

    def _build_actions(self) -> None:
        self.generate_action = QAction("&Generate", self, shortcut=QKeySequence("Ctrl+G"))
        self.generate_action.triggered.connect(self.start_generate)
        self.cancel_action = QAction("&Cancel generation/comparison", self)
        self.cancel_action.triggered.connect(self.cancel)
        self.compare_action = QAction("Co&mpare properties", self)
        self.compare_action.triggered.connect(self.start_compare)
        self.export_action = QAction("&Export realisations…", self)
        self.export_action.triggered.connect(self.export_dialog)
        self.train_action = QAction("&Train", self)
        self.train_action.triggered.connect(self.start_train)
        self.stop_action = QAction("&Stop training", self)
        self.stop_action.triggered.connect(self.stop_training)

    def menu(self) -> QMenu:
        m = QMenu("&Rock", self)
        for a in (self.generate_action, self.cancel_action, self.compare_action, self.export_action):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.train_action)
        m.addAction(self.stop_action)
        return m

    # -- state ------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self.jobs.busy or self.train_jobs.busy

    def model_path(self) -> Optional[str]:
        d = self.model_combo.currentData()
        return None if d in (None, CHOOSE) else str(d)

    def volumes(self) -> list:
        return list(self.result.volumes) if self.result is not None else []

    def current_index(self) -> int:
        return max(0, self.real_combo.currentIndex())

    @Slot()
    @Slot(bool)
    def _update_enabled(self, *_):
        busy = self.jobs.busy
        has_res = self.result is not None
        inspect = self.inspect_volume() is not None
        self.open_slice_button.setEnabled(not busy)
        self.inspect_button.setEnabled(inspect and not busy)
        self.inspect_axis.setEnabled(inspect)
        self.inspect_index.setEnabled(inspect)
        can_gen = self.slice is not None and self.model_path() is not None and not busy
        self.generate_button.setEnabled(can_gen)
        self.generate_action.setEnabled(can_gen)
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        ref_ok = self.ref_combo.currentData() is not None
        self.compare_button.setEnabled(has_res and not busy and ref_ok)
        self.compare_action.setEnabled(has_res and not busy and ref_ok)
        self.export_button.setEnabled(has_res and not busy)
        self.export_action.setEnabled(has_res and not busy)
        tb = self.train_jobs.busy
        for w in (self.train_button, self.train_action, self.add_data_button, self.remove_data_button,
                  self.crop_spin, self.steps_spin, self.batch_spin, self.channels_spin, self.device_combo,
                  self.out_edit, self.out_button, self.resume_check):
            w.setEnabled(not tb)
        self.stop_button.setEnabled(tb)
        self.stop_action.setEnabled(tb)

    def _start(self, kind: str, fn, *args, on_finished, **kwargs) -> bool:
        if self.jobs.busy:
            QMessageBox.information(self, "Busy", "Another job is running; wait for it or press Cancel.")
            return False
        self._job_kind = kind
        self.progress.setValue(0)
        self.progress.setFormat(f"{kind}… %p%")
        self.context.log(f"Rock: {kind.lower()} started")
        self.jobs.submit(fn, *args, on_finished=on_finished, on_failed=self._on_job_failed,
                         on_cancelled=self._on_job_cancelled, description=f"rock {kind.lower()}", **kwargs)
        return True

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.progress.setFormat(f"{message or self._job_kind} – %p%".replace("&", "&&"))

    def _job_ended(self, text: str, done: bool = False) -> None:
        self.progress.setValue(1000 if done else 0)
        self.progress.setFormat(text)

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        kind = self._job_kind or "Job"
        self._job_ended(f"{kind} failed")
        self.context.error(f"{kind} failed", message)
        self.jobFailed.emit(message)

    @Slot()
    def _on_job_cancelled(self) -> None:
        kind = self._job_kind or "Job"
        self._job_ended(f"{kind} cancelled")
        self.context.log(f"Rock: {kind.lower()} cancelled")
        self.context.status("Cancelled")
        self.jobCancelled.emit()

    @Slot()
    def cancel(self) -> None:
        """Cancel button: ask the running job to stop (GUI thread; sets the worker's token)."""
        if self.jobs.busy:
            self.progress.setFormat("Cancelling…")
            self.jobs.cancel()

    # -- the Inspect tab's volume -----------------------------------------------------------
    def inspect_tab(self):
        tabs = getattr(self.context.window, "tab_by_key", None) or {}
        return tabs.get("inspect")

    def inspect_volume(self):
        """The LoadedVolume open in the Inspect tab, or None."""
        tab = self.inspect_tab()
        return getattr(tab, "volume", None) if tab is not None else None

    def inspect_voxel_size(self) -> Optional[float]:
        tab = self.inspect_tab()
        spin = getattr(tab, "voxel_spin", None)
        if spin is not None:
            return float(spin.value())
        vol = self.inspect_volume()
        return getattr(vol, "voxel_size_um", None)

    def inspect_name(self) -> str:
        vol = self.inspect_volume()
        p = getattr(vol, "path", None)
        return Path(p).name if p else "the Inspect volume"

    def _connect_inspect(self) -> None:
        if self._inspect_connected:
            return
        tab = self.inspect_tab()
        sig = getattr(tab, "volumeLoaded", None)
        if sig is not None:
            sig.connect(self._on_inspect_volume)
            self._inspect_connected = True

    def showEvent(self, event):
        super().showEvent(event)
        self._connect_inspect()  # in case this tab was built before the Inspect tab
        self._on_inspect_volume()

    @Slot()
    def _on_inspect_volume(self) -> None:
        self._update_inspect_range()
        self._fill_references()
        self._update_enabled()

    @Slot()
    @Slot(int)
    def _update_inspect_range(self, *_):
        vol = self.inspect_volume()
        if vol is None:
            self.inspect_index.setRange(0, 0)
            self.inspect_button.setToolTip("Open a volume in the Inspect tab first")
            return
        n = vol.array.shape[int(self.inspect_axis.currentData())]
        old_max = self.inspect_index.maximum()
        self.inspect_index.setRange(0, n - 1)
        if old_max != n - 1:
            self.inspect_index.setValue(n // 2)
        self.inspect_button.setToolTip(f"Take a slice of {self.inspect_name()} (Inspect tab)")

    # -- the input slice --------------------------------------------------------------------
    @Slot()
    def open_slice_dialog(self) -> None:
        exts = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Open a 2D slice", last_dir(self.context.settings, KEY_OPEN_DIR),
                                              f"Images ({exts});;All files (*)")
        if path:
            self.load_slice_image(Path(path))

    def load_slice_image(self, path) -> bool:
        """Read a 2D image as the input slice (binarisation notices go to the log)."""
        path = Path(path)
        try:
            img = read_image(path)
            self._check_slice(img.array)
        except InputError as exc:
            self.context.error("Open slice", str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a broken file must not take the tab down
            self.context.error("Open slice", f"Could not read {path.name}: {exc}")
            return False
        set_last_dir(self.context.settings, KEY_OPEN_DIR, path)
        for n in img.notices:
            self.context.log(f"{path.name}: {n}")
        self.set_slice(img.array, str(path.resolve()), path.name)
        return True

    @staticmethod
    def _check_slice(a: np.ndarray) -> None:
        if a.ndim != 2:
            raise InputError(f"The slice must be a 2D image; this one has shape {a.shape}.")
        if min(a.shape) < MIN_SLICE:
            raise InputError(f"The slice is {a.shape[1]}×{a.shape[0]} pixels; the rock models need at least "
                             f"{MIN_SLICE}×{MIN_SLICE}.")

    @Slot()
    def use_inspect_slice(self) -> bool:
        """Take the chosen slice of the volume open in the Inspect tab as the input."""
        vol = self.inspect_volume()
        if vol is None:
            self.context.error("Use slice", "No volume is open in the Inspect tab.")
            return False
        axis = int(self.inspect_axis.currentData())
        index = int(self.inspect_index.value())
        a = np.ascontiguousarray(np.take(vol.array, index, axis=axis)).astype(np.uint8)
        try:
            self._check_slice(a)
        except InputError as exc:
            self.context.error("Use slice", str(exc))
            return False
        name = self.inspect_name()
        src = f"{vol.path} ({'zyx'[axis]} = {index})" if vol.path else f"Inspect volume ({'zyx'[axis]} = {index})"
        vs = self.inspect_voxel_size()
        if vs:
            self.voxel_spin.setValue(vs)
        self.set_slice(a, src, f"{name}, {'zyx'[axis]} = {index}")
        return True

    def set_slice(self, array: np.ndarray, source: str, title: str) -> None:
        a = (np.asarray(array) > 0).astype(np.uint8)
        self.slice, self.slice_source = a, source
        from ..widgets.slice_view import binary_rgb, rgb_to_qimage

        self.preview.set_image(rgb_to_qimage(binary_rgb(a)))
        self.slice_label.setText(f"<b>{html.escape(title)}</b><br>{a.shape[1]}×{a.shape[0]} pixels (x×y)<br>"
                                 f"porosity {a.mean():.4f}")
        self.slice_label.setToolTip(source)
        self.depth_spin.setValue(int(a.shape[1]))
        self.context.log(f"Rock: input slice {title}: {a.shape[1]}×{a.shape[0]}, porosity {a.mean():.4f}")
        self._update_enabled()
        self.sliceLoaded.emit()

    # -- models -----------------------------------------------------------------------------
    def _checkpoints(self) -> list[str]:
        return [p for p in get_list(self.context.settings, KEY_CHECKPOINTS) if Path(p).is_file()]

    @staticmethod
    def _checkpoint_label(path: str) -> str:
        p = Path(path)
        name = f"{p.parent.name}/{p.name}" if p.name == "last.pt" or p.name.startswith("step_") else p.name
        return f"{name} (checkpoint)"

    def _fill_models(self, select: Optional[str] = None) -> None:
        items = [(f"{name.capitalize()} (shipped)", str(path)) for name, path in shipped_models("rock").items()]
        items += [(self._checkpoint_label(p), p) for p in self._checkpoints()]
        self._model_index = fill_model_combo(self.model_combo, items, "Choose a trained rock-gan checkpoint (.pt)",
                                             select or self.model_path())
        self._on_model_changed(self._model_index)

    def add_checkpoint(self, path, select: bool = True) -> None:
        """Offer a checkpoint file (or run folder) in the model combo (and remember it)."""
        p = Path(path)
        if p.is_dir():
            p = p / "last.pt"
        p = str(p.resolve())
        items = [p] + [x for x in get_list(self.context.settings, KEY_CHECKPOINTS) if x != p]
        self.context.settings.setValue(KEY_CHECKPOINTS, items[:MAX_CHECKPOINTS])
        self._fill_models(select=p if select else None)

    @Slot(int)
    def _on_model_activated(self, index: int) -> None:
        if self.model_combo.itemData(index) == CHOOSE:
            self.choose_checkpoint_dialog()

    def choose_checkpoint_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a rock model checkpoint",
                                              last_dir(self.context.settings, KEY_OPEN_DIR),
                                              "Checkpoints (*.pt);;All files (*)")
        if path:
            self.add_checkpoint(path)
        else:  # back to the model chosen before
            self.model_combo.setCurrentIndex(min(self._model_index, self.model_combo.count() - 1))

    @Slot(int)
    def _on_model_changed(self, index: int) -> None:
        data = self.model_combo.itemData(index)
        if data in (None, CHOOSE):
            self._update_enabled()
            return
        self._model_index = index
        vs = rock_voxel_size(Path(str(data)).name) if "(shipped)" in self.model_combo.itemText(index) else None
        if vs:
            self.voxel_spin.setValue(vs)
        self._update_enabled()

    @Slot()
    def new_seed(self) -> None:
        self.seed_spin.setValue(new_seed())

    # -- generation -------------------------------------------------------------------------
    @Slot()
    def start_generate(self) -> bool:
        if self.slice is None:
            self.context.error("Generate", "Load an input slice first (an image, or a slice of the Inspect volume).")
            return False
        model = self.model_path()
        if model is None:
            self.context.error("Generate", "Choose a model first (a shipped one or a checkpoint file).")
            return False
        seed = int(self.seed_spin.value())
        depth, count = int(self.depth_spin.value()), int(self.count_spin.value())
        self._pending_meta = {"seed": seed, "slice_source": self.slice_source, "model_label":
                              self.model_combo.currentText(), "voxel_size_um": float(self.voxel_spin.value()),
                              "slice": self.slice}
        self.context.log(f"Rock: generating {count} × {depth}×{self.slice.shape[0]}×{self.slice.shape[1]} "
                         f"with {self.model_combo.currentText()}, seed {seed}")
        return self._start("Generating", generate_volumes, model, self.slice, depth, count, seed,
                           paste=self.paste_check.isChecked(), device=self.context.device(),
                           on_finished=self._on_generated)

    @Slot(object)
    def _on_generated(self, out: GenerateOutput) -> None:
        self.result = out
        self.result_meta = dict(self._pending_meta)
        self.comparison = None
        self._gen_id += 1
        self._scenes = {}
        g = out.volumes
        for n in getattr(g, "notices", []):
            self.context.log(f"Rock: {n}")
        self.real_combo.blockSignals(True)
        self.real_combo.clear()
        for i, v in enumerate(g):
            self.real_combo.addItem(f"{i + 1} of {len(g)} · φ {v.mean():.3f} · match {pct(g.slice_match[i])}", i)
        self.real_combo.setCurrentIndex(0)
        self.real_combo.blockSignals(False)
        seed = self.result_meta["seed"]
        m = np.asarray(g.slice_match, float)
        self.context.log(f"Rock: generated {len(g)} realisation(s) of {g[0].shape[0]}×{g[0].shape[1]}×"
                         f"{g[0].shape[2]} (z×y×x) on {out.device}, seed {seed}; G's own central slice "
                         f"(z = {g.centre}) matched the input at {', '.join(pct(x) for x in m)}"
                         + ("; then the exact slice was pasted in." if g.pasted else "; not pasted."))
        self.histograms.clear()
        self.kl_table.setRowCount(0)
        self.kl_note.setText("")
        self._job_ended(f"Generated {len(g)}", done=True)
        self.views.setCurrentIndex(0)
        self._show_realisation(0, first=True)
        self._update_enabled()
        self.generated.emit()

    def match_text(self, index: int) -> str:
        g = self.result.volumes
        seed = self.result_meta.get("seed")
        m = float(g.slice_match[index])
        mean = float(np.mean(g.slice_match))
        text = (f"Seed <b>{seed}</b>. G's own central slice (z = {g.centre}) of realisation {index + 1} "
                f"matched the input at <b>{pct(m)}</b> of pixels")
        if len(g) > 1:
            text += f" (mean over {len(g)}: {pct(mean)})"
        text += (". The exact input slice was then <b>pasted</b> in." if g.pasted
                 else ". <b>Not pasted</b>: the central slice is G's own.")
        return text

    @Slot(int)
    def _on_realisation_changed(self, index: int) -> None:
        if self.result is not None and index >= 0:
            self._show_realisation(index)

    def _show_realisation(self, index: int, first: bool = False) -> None:
        g = self.result.volumes
        vol = g[index]
        self.slices.set_volume(vol, mark=g.centre, keep_index=not first)
        self.match_label.setText(self.match_text(index))
        self.real_info.setText(f"{vol.shape[2]}×{vol.shape[1]}×{vol.shape[0]} voxels (x×y×z), porosity "
                               f"{vol.mean():.4f}; input slice at z = {g.centre} (orange)")
        if index in self._scenes:
            self._show_scene(index, self._scenes[index], reset_camera=False)
        elif not self.scene_jobs.busy:
            self.scene_jobs.submit(scene_job, self._gen_id, index, vol, on_finished=self._on_scene,
                                   on_failed=self._on_scene_failed, description="rock 3D scene")
        # else: _on_scene starts the scene of the then-current realisation

    @Slot(object)
    def _on_scene(self, res) -> None:
        gen_id, index, scene = res
        if gen_id != self._gen_id or self.result is None:
            if self.result is not None:
                self._show_realisation(self.current_index())
            return
        self._scenes[index] = scene
        cur = self.current_index()
        if index == cur:
            self._show_scene(index, scene, reset_camera=len(self._scenes) == 1)
        else:
            self._show_realisation(cur)

    @Slot(str)
    def _on_scene_failed(self, message: str) -> None:
        # e.g. an all-grain realisation: nothing to draw, which is not an error dialog's worth
        self.context.log(f"Rock: 3D view: {message}")
        self.view3d.clear()

    def _show_scene(self, index: int, scene: SceneData, reset_camera: bool) -> None:
        try:
            self.view3d.show_scene(scene, reset_camera=reset_camera)
            self._mark_input_plane(scene)
        except Exception as exc:  # a rendering problem must not take the tab down
            self.context.error("3D view", f"The 3D view could not draw this realisation: {exc}")
            return
        self.sceneReady.emit(index)

    def _mark_input_plane(self, scene: SceneData) -> None:
        """An orange frame in 3D at the input slice (z = depth // 2)."""
        plotter = self.view3d.plotter
        if plotter is None or self.result is None:
            return
        import pyvista as pv

        nz, ny, nx = scene.shape
        z = float(self.result.volumes.centre)
        plane = pv.Plane(center=((nx - 1) / 2, (ny - 1) / 2, z), direction=(0, 0, 1), i_size=nx - 1,
                         j_size=ny - 1, i_resolution=1, j_resolution=1)
        plotter.add_mesh(plane, color="#ff8c00", opacity=0.25, name="input_slice", reset_camera=False)
        plotter.add_mesh(plane.extract_feature_edges(), color="#ff8c00", line_width=3,
                         name="input_slice_edges", reset_camera=False)
        plotter.render()

    # -- comparison -------------------------------------------------------------------------
    def _fill_references(self) -> None:
        keep = self.ref_combo.currentData()
        self.ref_combo.blockSignals(True)
        self.ref_combo.clear()
        model = self.ref_combo.model()
        for rock in SHARED_ROCKS:
            p = shared_rock_path(rock)
            self.ref_combo.addItem(f"Held-out crops of {rock.capitalize()}", f"heldout:{rock}" if p else None)
            item = model.item(self.ref_combo.count() - 1) if isinstance(model, QStandardItemModel) else None
            if p is None:
                if item is not None:
                    item.setEnabled(False)
                where = shared_data_dir()
                self.ref_combo.setItemData(self.ref_combo.count() - 1,
                                           f"{SHARED_ROCKS[rock][0]} not found in "
                                           f"{(where / 'rocks') if where else '../shared/data/rocks'}",
                                           Qt.ToolTipRole)
            else:
                self.ref_combo.setItemData(self.ref_combo.count() - 1, f"Random crops of {p} from its held-out part",
                                           Qt.ToolTipRole)
        has = self.inspect_volume() is not None
        self.ref_combo.addItem("The volume open in Inspect", "volume" if has else None)
        item = model.item(self.ref_combo.count() - 1) if isinstance(model, QStandardItemModel) else None
        if item is not None:
            item.setEnabled(has)
        self.ref_combo.setItemData(self.ref_combo.count() - 1,
                                   f"Random crops of {self.inspect_name()}" if has else
                                   "Open a volume in the Inspect tab first", Qt.ToolTipRole)
        idx = self.ref_combo.findData(keep) if keep is not None else -1
        if idx < 0:  # first usable entry
            idx = next((i for i in range(self.ref_combo.count()) if self.ref_combo.itemData(i) is not None), 0)
        self.ref_combo.setCurrentIndex(idx)
        self.ref_combo.blockSignals(False)

    def select_reference(self, kind: str, rock: Optional[str] = None) -> bool:
        idx = self.ref_combo.findData(f"{kind}:{rock}" if rock else kind)
        if idx >= 0:
            self.ref_combo.setCurrentIndex(idx)
        return idx >= 0

    @Slot(int)
    def _on_reference_changed(self, index: int) -> None:
        self._update_enabled()

    @Slot()
    def start_compare(self) -> bool:
        if self.result is None:
            return False
        ref = self.ref_combo.currentData()
        if ref is None:
            self.context.error("Compare", "This reference is not available here.")
            return False
        kind, _, rock = str(ref).partition(":")
        rock = rock or None
        kwargs = {}
        if kind == "volume":
            vol = self.inspect_volume()
            if vol is None:
                self.context.error("Compare", "No volume is open in the Inspect tab.")
                return False
            kwargs = {"array": vol.array, "array_label": self.inspect_name()}
        return self._start("Comparing", compare_job, self.volumes(), kind, rock=rock,
                           n_ref=int(self.ncrops_spin.value()), seed=int(self.result_meta.get("seed", 0)),
                           voxel_size_um=float(self.result_meta.get("voxel_size_um", self.voxel_spin.value())),
                           permeability=self.perm_check.isChecked(), on_finished=self._on_compared, **kwargs)

    @Slot(object)
    def _on_compared(self, comp: Comparison) -> None:
        self.comparison = comp
        self.histograms.show_comparison(comp)
        rows = comp.rows()
        self.kl_table.setRowCount(len(rows))
        for i, (label, unit, g, r, kl, note) in enumerate(rows):
            u = "" if unit == "–" else f" ({unit})"
            cells = [f"{label}{u}", f"{fmt(g[0])} ± {fmt(g[1])} (n={g[2]})", f"{fmt(r[0])} ± {fmt(r[1])} (n={r[2]})",
                     fmt(kl) if kl is not None else "n/a"]
            for j, text in enumerate(cells):
                it = QTableWidgetItem(text)
                if j == 3:
                    it.setData(Qt.UserRole, kl)
                    it.setToolTip(note or "KL(reference ‖ realisations), nats; 50 bins, pseudo-count 0.5")
                    it.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.kl_table.setItem(i, j, it)
        notes = [f"{label}: {note}" for (label, _, _, _, _, note) in rows if note]
        self.kl_note.setText(f"Reference: {html.escape(comp.reference_label)}; voxel size "
                             f"{comp.voxel_size_um:g} µm. KL(reference ‖ realisations) in nats "
                             "(core.compare: 50 bins over both sets, pseudo-count 0.5); few samples give noisy KL."
                             + ("<br>" + "<br>".join(html.escape(n) for n in notes) if notes else ""))
        self.context.log("Rock: KL vs " + comp.reference_label + ": " +
                         ", ".join(f"{label} {fmt(kl) if kl is not None else 'n/a'}"
                                   for (label, _, _, _, kl, _) in rows))
        self._job_ended("Compared", done=True)
        self.views.setCurrentIndex(1)
        self._update_enabled()
        self.compared.emit()

    def kl_values(self) -> dict[str, Optional[float]]:
        """{property label: KL} as shown in the table."""
        return {self.kl_table.item(i, 0).text(): self.kl_table.item(i, 3).data(Qt.UserRole)
                for i in range(self.kl_table.rowCount())}

    # -- export -----------------------------------------------------------------------------
    @Slot()
    def export_dialog(self) -> None:
        if self.result is None:
            return
        filters = ";;".join(EXPORT_FILTERS.values())
        stem = f"rock_seed{self.result_meta.get('seed', 0)}"
        if self.export_which.currentData() == "one":
            stem += f"_r{self.current_index() + 1:03d}"
        suggest = str(Path(last_dir(self.context.settings, KEY_EXPORT_DIR)) / f"{stem}.tif")
        path, flt = QFileDialog.getSaveFileName(self, "Export realisations", suggest, filters)
        if not path:
            return
        if not Path(path).suffix:
            path += next((s for s, f in EXPORT_FILTERS.items() if f == flt), ".tif")
        self.export(Path(path), all_realisations=self.export_which.currentData() == "all")

    def export(self, path, all_realisations: bool = False) -> bool:
        """Write the selected (or every) realisation with its metadata; several get _001, _002, …"""
        if self.result is None:
            return False
        path = Path(path)
        if path.suffix.lower() not in EXPORT_FILTERS and path.suffix.lower() != ".tiff":
            self.context.error("Export", f"Choose one of {', '.join(EXPORT_FILTERS)} (not '{path.suffix or path.name}').")
            return False
        g = self.result.volumes
        indices = list(range(len(g))) if all_realisations else [self.current_index()]
        paths = numbered_paths(path, len(indices))
        metas = [realisation_metadata(model_path=self.result.model_path, model_step=self.result.model_step,
                                      seed=self.result_meta["seed"], index=i, count=len(g),
                                      slice_source=self.result_meta["slice_source"], centre=g.centre,
                                      slice_match=g.slice_match[i], pasted=g.pasted) for i in indices]
        set_last_dir(self.context.settings, KEY_EXPORT_DIR, path)
        return self._start("Exporting", export_volumes, paths, [g[i] for i in indices], metas,
                           voxel_size_um=float(self.result_meta["voxel_size_um"]), on_finished=self._on_exported)

    @Slot(object)
    def _on_exported(self, paths) -> None:
        self._job_ended(f"Exported {len(paths)}", done=True)
        for p in paths:
            self.context.log(f"Rock: wrote {p}")
        self.context.status(f"Wrote {len(paths)} file(s)")
        self.exported.emit([str(p) for p in paths])

    # -- training ---------------------------------------------------------------------------
    @Slot(int)
    def _on_side_changed(self, index: int) -> None:
        if index == 1:
            self.views.setCurrentIndex(2)
        elif self.views.currentIndex() == 2:
            self.views.setCurrentIndex(0)

    @Slot()
    def add_data_dialog(self) -> None:
        base = shared_data_dir()
        start = str(base / "rocks") if base and (base / "rocks").is_dir() else last_dir(self.context.settings, KEY_OPEN_DIR)
        paths, _ = QFileDialog.getOpenFileNames(self, "Training volumes", start, VOLUME_FILTER)
        self.add_training_files(paths)

    def add_training_files(self, paths) -> None:
        have = set(self.training_files())
        for p in paths:
            p = str(Path(p).resolve())
            if p not in have:
                it = QListWidgetItem(Path(p).name)
                it.setData(Qt.UserRole, p)
                it.setToolTip(p)
                self.data_list.addItem(it)
                have.add(p)

    @Slot()
    def remove_selected_data(self) -> None:
        for it in self.data_list.selectedItems():
            self.data_list.takeItem(self.data_list.row(it))

    def training_files(self) -> list[str]:
        return [self.data_list.item(i).data(Qt.UserRole) for i in range(self.data_list.count())]

    @Slot()
    def choose_out_dir(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Run folder", self.out_edit.text() or str(Path.home()))
        if d:
            self.out_edit.setText(d)
            self.resume_check.setChecked((Path(d) / "last.pt").is_file())

    @Slot()
    def start_train(self) -> bool:
        if self.train_jobs.busy:
            return False
        data = self.training_files()
        if not data:
            self.context.error("Train", "Add at least one training volume.")
            return False
        text = self.out_edit.text().strip()
        if not text:
            self.context.error("Train", "Choose an output folder for the run.")
            return False
        out = Path(text).expanduser()
        resume = self.resume_check.isChecked()
        if not resume and (out / "last.pt").is_file():
            ans = QMessageBox.question(self, "Train", f"{out} already holds a training run. Resume it?\n\n"
                                       "(No keeps it untouched; choose another output folder for a new run.)",
                                       QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
            if ans != QMessageBox.Yes:
                return False
            resume = True
            self.resume_check.setChecked(True)
        seed = new_seed()
        self.train_out = out
        self.train_result = None
        self.context.settings.setValue(KEY_TRAIN_OUT, str(out))
        self.loss_plot.clear("Waiting for the first logged losses…")
        self.train_progress.setValue(0)
        self.train_progress.setFormat("Starting… %p%")
        what = "Resuming" if resume else "Training"
        self.train_status.setText(f"{what} in {out}")
        self.train_info.setText(f"Run folder: {out}")
        self.context.log(f"Rock: {what.lower()} on {', '.join(Path(d).name for d in data)} → {out}"
                         + ("" if resume else f" (seed {seed})"))
        self._train_t0 = time.monotonic()
        self.train_jobs.submit(train_from_form, data, out_dir=out, crop=int(self.crop_spin.value()),
                               steps=int(self.steps_spin.value()), batch=int(self.batch_spin.value()),
                               channels=int(self.channels_spin.value()), device=self.device_combo.currentData(),
                               resume=resume, seed=seed, on_finished=self._on_trained,
                               on_failed=self._on_train_failed, on_cancelled=self._on_train_cancelled,
                               description="rock training")
        self.log_timer.start()
        self.views.setCurrentIndex(2)
        return True

    @Slot()
    def stop_training(self) -> None:
        """Stop button: the trainer stops after its current step and writes a checkpoint."""
        if self.train_jobs.busy:
            self.train_progress.setFormat("Stopping (writing a checkpoint)…")
            self.train_jobs.cancel()

    @Slot(float, str)
    def _on_train_progress(self, fraction: float, message: str) -> None:
        self.train_progress.setValue(int(round(fraction * 1000)))
        short = message.split(" · ")[0] if message else "Training"
        self.train_progress.setFormat(f"{short} – %p%")
        self.train_status.setText(message)

    @Slot()
    def poll_log(self) -> None:
        """Re-read the run's log.csv (QTimer while training, and once at the end)."""
        if self.train_out is None:
            return
        from core.train import read_log

        path = self.train_out / "log.csv"
        if not path.is_file():
            return
        try:
            rows = read_log(path)
        except Exception:  # a line being written right now: try again at the next tick
            return
        self.loss_plot.set_rows(rows)

    def _train_ended(self) -> None:
        self.log_timer.stop()
        self.poll_log()

    @Slot(object)
    def _on_trained(self, result) -> None:
        self._train_ended()
        self.train_result = result
        for n in result.notices:
            self.context.log(f"Rock: {n}")
        self.resume_check.setChecked(True)
        if result.checkpoint is None:
            msg = (f"The run in {result.out_dir} is already at step {result.step}; raise Steps to train further.")
            self.train_progress.setFormat("Nothing to do")
        else:
            losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
            msg = (f"Trained to step {result.step} ({losses}). Checkpoint {result.checkpoint} — now in the "
                   "Generate page's model list.")
            self.train_progress.setValue(1000)
            self.train_progress.setFormat(f"Done: step {result.step}")
            self.add_checkpoint(result.checkpoint, select=False)
        self.train_status.setText(msg)
        self.train_info.setText(msg)
        self.context.log(f"Rock: {msg}")
        self.trainingEnded.emit("finished")

    @Slot()
    def _on_train_cancelled(self) -> None:
        self._train_ended()
        out = self.train_out
        last = out / "last.pt" if out is not None else None
        steps = sorted(out.glob("step_*.pt")) if out is not None and out.is_dir() else []
        m = re.match(r"step_(\d+)\.pt", steps[-1].name) if steps else None
        at = f" at step {int(m.group(1))}" if m else ""
        if last is not None and last.is_file():
            msg = (f"Training stopped{at}; checkpoint saved: {last}. Press Train with “Resume” ticked to "
                   "continue; the checkpoint is in the model list.")
            self.add_checkpoint(last, select=False)
            self.resume_check.setChecked(True)
        else:
            msg = "Training stopped before its first step; nothing was saved."
        self.train_progress.setValue(0)
        self.train_progress.setFormat(f"Stopped{at}")
        self.train_status.setText(msg)
        self.train_info.setText(msg)
        self.context.log(f"Rock: {msg}")
        self.trainingEnded.emit("cancelled")

    @Slot(str)
    def _on_train_failed(self, message: str) -> None:
        self._train_ended()
        self.train_progress.setValue(0)
        self.train_progress.setFormat("Training failed")
        self.train_status.setText(message)
        self.context.error("Training failed", message)
        self.trainingEnded.emit("failed")

    # -- closing ----------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.log_timer.stop()
        self.jobs.shutdown()
        self.scene_jobs.shutdown()
        self.train_jobs.shutdown(timeout_ms=60000)  # a stopped run writes its checkpoint first
        self.view3d.close_plotter()
