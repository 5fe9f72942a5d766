"""Inspect tab: open a volume, look at it (3D + slices), measure its properties, export."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QMenu, QProgressBar,
                               QPushButton, QSizePolicy, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from core.errors import SeqGenError
from core.io import LoadedVolume
from core.render import SceneData
from core.volumes.inspect import (LoadResult, MeasureResult, export_volume_job, format_value, load_job, measure_job,
                                  scene_job, write_results)

from ..file_filters import EXPORT_VOLUME_FILTERS
from ..settings import (KEY_EXPORT_DIR, KEY_OPEN_DIR, KEY_RENDER_MODE, add_recent_file, get_str,
                        last_dir, set_last_dir)
from ..widgets.plot_panel import PlotPanel
from ..widgets.raw_dialog import RawDialog
from ..widgets.slice_view import SliceViews
from ..widgets.view3d import View3D
from ..worker import TaskRunner
from .base import AppContext
from .job_tab import JobTab

OPEN_FILTER = "Volumes (*.tif *.tiff *.raw *.npy *.npz);;All files (*)"
RENDER_MODES = [("surface", "Pore surface"), ("volume", "Volume rendering")]


class InspectTab(JobTab):
    accepts_files = True
    LOG_NAME = "Inspect"

    volumeLoaded = Signal()
    sceneReady = Signal()
    measured = Signal()

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.volume: Optional[LoadedVolume] = None
        self.result: Optional[MeasureResult] = None
        self.measured_voxel: Optional[float] = None
        self._scenes: dict[str, SceneData] = {}
        # self.jobs (JobTab): load, measure, export, one at a time behind the progress bar
        self.scene_jobs = TaskRunner(self)    # 3D scene for a mode switch
        self.scene_jobs.busyChanged.connect(self._update_enabled)

        self._build_ui()
        self._build_actions()
        self._update_enabled()

    # -- layout -----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a volume (TIFF stack, RAW, NPY/NPZ); or drop a file on the window")
        self.open_button.clicked.connect(self.open_dialog)
        self.file_label = QLabel("No volume loaded: open one or drop a file here.")
        self.file_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.voxel_spin = QDoubleSpinBox()
        self.voxel_spin.setRange(0.001, 100000.0)
        self.voxel_spin.setDecimals(4)
        self.voxel_spin.setValue(1.0)
        self.voxel_spin.setSuffix(" µm")
        self.voxel_spin.setToolTip("Edge length of one voxel")
        self.voxel_spin.valueChanged.connect(self._on_voxel_changed)
        self.mode_combo = QComboBox()
        for key, text in RENDER_MODES:
            self.mode_combo.addItem(text, key)
        saved = get_str(self.context.settings, KEY_RENDER_MODE, "surface")
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(saved)))
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
        self.perm_check = QCheckBox("Permeability")
        self.perm_check.setToolTip("Also compute absolute permeability (pore network; slower)")
        self.perm_check.setChecked(True)
        self.measure_button = QPushButton("Measure")
        self.measure_button.clicked.connect(self.start_measure)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Idle")
        self.progress.setMinimumWidth(220)

        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(QLabel("Voxel size"))
        top.addWidget(self.voxel_spin)
        top.addWidget(QLabel("3D"))
        top.addWidget(self.mode_combo)
        top.addSpacing(12)
        top.addWidget(self.perm_check)
        top.addWidget(self.measure_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress)

        self.view3d = View3D()
        self.slices = SliceViews()
        left = QSplitter(Qt.Vertical)
        left.addWidget(self.view3d)
        left.addWidget(self.slices)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        left.setSizes([520, 340])

        self.plots = PlotPanel()
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Property", "Value", "Unit"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.results_label = QLabel("")
        self.results_label.setWordWrap(True)
        self.export_results_button = QPushButton("Export results…")
        self.export_results_button.clicked.connect(self.export_results_dialog)
        self.export_volume_button = QPushButton("Export volume…")
        self.export_volume_button.clicked.connect(self.export_volume_dialog)
        buttons = QHBoxLayout()
        buttons.addWidget(self.results_label, 1)
        buttons.addWidget(self.export_results_button)
        buttons.addWidget(self.export_volume_button)
        table_box = QWidget()
        tl = QVBoxLayout(table_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table, 1)
        tl.addLayout(buttons)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.plots)
        right.addWidget(table_box)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.splitter, 1)

    def _build_actions(self) -> None:
        self.measure_action = QAction("&Measure", self, shortcut=QKeySequence("Ctrl+M"))
        self.measure_action.triggered.connect(self.start_measure)
        self.cancel_action = QAction("&Cancel job", self, shortcut=QKeySequence("Ctrl+."))
        self.cancel_action.triggered.connect(self.cancel)
        self.export_results_action = QAction("Export &results…", self)
        self.export_results_action.triggered.connect(self.export_results_dialog)
        self.export_volume_action = QAction("Export &volume…", self, shortcut=QKeySequence("Ctrl+E"))
        self.export_volume_action.triggered.connect(self.export_volume_dialog)
        self.screenshot_action = QAction("Save 3D view as &PNG…", self)
        self.screenshot_action.triggered.connect(self.save_screenshot_dialog)
        self.mode_actions = QActionGroup(self)
        for i, (key, text) in enumerate(RENDER_MODES):
            a = QAction(text, self, checkable=True)
            a.setData(i)
            a.setChecked(i == self.mode_combo.currentIndex())
            self.mode_actions.addAction(a)
        self.mode_actions.triggered.connect(self._on_mode_action)

    def menu(self) -> QMenu:
        m = QMenu("&Inspect", self)
        m.addAction(self.measure_action)
        m.addAction(self.cancel_action)
        m.addSeparator()
        for a in self.mode_actions.actions():
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.export_results_action)
        m.addAction(self.export_volume_action)
        m.addAction(self.screenshot_action)
        return m

    # -- state ------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self.jobs.busy

    def mode(self) -> str:
        return self.mode_combo.currentData()

    @Slot()
    @Slot(bool)
    def _update_enabled(self, *_):
        busy = self.jobs.busy
        has_vol = self.volume is not None
        self.open_button.setEnabled(not busy)
        self.measure_button.setEnabled(has_vol and not busy)
        self.measure_action.setEnabled(has_vol and not busy)
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        self.export_results_button.setEnabled(self.result is not None and not busy)
        self.export_results_action.setEnabled(self.result is not None and not busy)
        self.export_volume_button.setEnabled(has_vol and not busy)
        self.export_volume_action.setEnabled(has_vol and not busy)
        self.screenshot_action.setEnabled(has_vol and self.view3d.available)
        self.mode_combo.setEnabled(not self.scene_jobs.busy)

    def _failed_text(self, kind: str) -> str:
        """A failed load leaves the previous volume on screen: say so, with its name."""
        if kind == "Loading" and self.volume is not None:
            name = self.volume.path.name if self.volume.path else "the previous volume"
            return f"Loading failed; still showing {name}"
        return super()._failed_text(kind)

    # -- opening ----------------------------------------------------------------------------
    @Slot()
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open volume", last_dir(self.context.settings, KEY_OPEN_DIR),
                                              OPEN_FILTER)
        if path:
            self.open_path(Path(path))

    @Slot()
    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder of 2D slices",
                                                last_dir(self.context.settings, KEY_OPEN_DIR))
        if path:
            self.open_path(Path(path))

    def open_path(self, path, **options) -> bool:
        """Start loading ``path`` (RAW files ask their layout first). True if a load started."""
        path = Path(path)
        if path.suffix.lower() == ".raw" and "raw_shape" not in options:
            dlg = RawDialog(str(path), self)
            if dlg.exec() != RawDialog.Accepted:
                return False
            options = {**options, **dlg.options()}
        set_last_dir(self.context.settings, KEY_OPEN_DIR, path)
        return self._start("Loading", load_job, path, options=options, mode=self.mode(),
                           on_finished=self._on_loaded)

    @Slot(object)
    def _on_loaded(self, res: LoadResult) -> None:
        vol = res.volume
        self.volume = vol
        self.result = None
        self.measured_voxel = None
        self._scenes = {}
        if vol.voxel_size_um:
            self.voxel_spin.blockSignals(True)
            self.voxel_spin.setValue(float(vol.voxel_size_um))
            self.voxel_spin.blockSignals(False)
        a = vol.array
        phi = float(a.mean())
        name = vol.path.name if vol.path else "volume"
        self.file_label.setText(f"<b>{html.escape(name)}</b> &nbsp; {a.shape[2]}×{a.shape[1]}×{a.shape[0]} voxels "
                                f"(x×y×z), porosity {phi:.4f}")
        self.file_label.setToolTip(str(vol.path))
        self.context.window.setWindowTitle(f"{name} – SeqGen Studio")
        for n in list(vol.notices) + list(res.notices):
            self.context.log(n)
        self.context.log(f"Loaded {vol.path} {tuple(a.shape)}, porosity {phi:.4f}")
        add_recent_file(self.context.settings, vol.path)
        self.slices.set_volume(a)
        self.table.setRowCount(0)
        self.results_label.setText("")
        self.plots.clear()
        self._job_ended("Loaded")
        self._update_enabled()
        self.volumeLoaded.emit()
        if res.scene is not None:
            self._scenes[res.scene.mode] = res.scene
            self._show_scene(res.scene, reset_camera=True)
        else:
            self.view3d.clear()

    # -- 3D ---------------------------------------------------------------------------------
    def _show_scene(self, scene: SceneData, reset_camera: bool) -> None:
        try:
            self.view3d.show_scene(scene, reset_camera=reset_camera)
        except Exception as exc:  # a rendering problem must not take the tab down
            self.context.error("3D view", f"The 3D view could not draw this volume: {exc}")
            return
        self.sceneReady.emit()

    @Slot(QAction)
    def _on_mode_action(self, action: QAction) -> None:
        self.mode_combo.setCurrentIndex(int(action.data()))

    @Slot(int)
    def _on_mode_changed(self, index: int) -> None:
        mode = self.mode()
        self.context.settings.setValue(KEY_RENDER_MODE, mode)
        for a in self.mode_actions.actions():
            a.setChecked(int(a.data()) == index)
        if self.volume is None:
            return
        if mode in self._scenes:
            self._show_scene(self._scenes[mode], reset_camera=False)
        elif not self.scene_jobs.busy:
            self.scene_jobs.submit(scene_job, self.volume.array, mode, on_finished=self._on_scene,
                                   on_failed=self._on_scene_failed, description="3D scene")

    @Slot(object)
    def _on_scene(self, scene: SceneData) -> None:
        if self.volume is None or scene.shape != tuple(self.volume.array.shape):
            return
        self._scenes[scene.mode] = scene
        if scene.mode == self.mode():
            self._show_scene(scene, reset_camera=False)
        else:  # the mode was switched again meanwhile
            self._on_mode_changed(self.mode_combo.currentIndex())

    @Slot(str)
    def _on_scene_failed(self, message: str) -> None:
        self.context.error("3D view", message)

    @Slot()
    def save_screenshot_dialog(self) -> None:
        if not self.view3d.available:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save 3D view", str(Path(last_dir(
            self.context.settings, KEY_EXPORT_DIR)) / "view3d.png"), "PNG image (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            self.view3d.screenshot(path)
            set_last_dir(self.context.settings, KEY_EXPORT_DIR, path)
            self.context.log(f"Saved the 3D view to {path}")
        except Exception as exc:
            self.context.error("Save 3D view", f"Could not save {path}: {exc}")

    # -- measuring --------------------------------------------------------------------------
    @Slot()
    def start_measure(self) -> bool:
        if self.volume is None:
            return False
        voxel = float(self.voxel_spin.value())
        self.measured_voxel = voxel
        return self._start("Measuring", measure_job, self.volume.array, voxel,
                           permeability=self.perm_check.isChecked(), on_finished=self._on_measured)

    @Slot(object)
    def _on_measured(self, res: MeasureResult) -> None:
        self.result = res
        rep = res.report
        rows = rep.rows()
        self.table.setRowCount(len(rows))
        for i, (name, value, unit) in enumerate(rows):
            items = [QTableWidgetItem(str(name)), QTableWidgetItem(format_value(value)),
                     QTableWidgetItem(str(unit))]
            items[1].setData(Qt.UserRole, value if isinstance(value, (int, float, str)) else str(value))
            items[1].setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            for j, it in enumerate(items):
                self.table.setItem(i, j, it)
        for note in getattr(rep, "notes", []):
            self.context.log(note)
        self.plots.show_results(rep.s2, res.local_porosity, rep.porosity, rep.voxel_size_um, res.block)
        self.results_label.setText(f"Measured at {rep.voxel_size_um:g} µm/voxel.")
        self._job_ended("Done", done=True)
        self._update_enabled()
        self.context.log(f"Measured: porosity {rep.porosity:.4f}")
        self.measured.emit()

    @Slot(float)
    def _on_voxel_changed(self, value: float) -> None:
        if self.result is not None and self.measured_voxel is not None and abs(value - self.measured_voxel) > 1e-12:
            self.results_label.setText(f"<font color='#b35900'>Results are for {self.measured_voxel:g} µm; "
                                       f"press Measure again for {value:g} µm.</font>")
        elif self.result is not None:
            self.results_label.setText(f"Measured at {value:g} µm/voxel.")

    def table_rows(self) -> list[tuple[str, object, str]]:
        """(name, value, unit) as shown in the results table (values unformatted)."""
        out = []
        for i in range(self.table.rowCount()):
            out.append((self.table.item(i, 0).text(), self.table.item(i, 1).data(Qt.UserRole),
                        self.table.item(i, 2).text()))
        return out

    # -- export -----------------------------------------------------------------------------
    def _suggest(self, suffix: str) -> str:
        stem = self.volume.path.stem if self.volume is not None and self.volume.path else "volume"
        return str(Path(last_dir(self.context.settings, KEY_EXPORT_DIR)) / f"{stem}{suffix}")

    @Slot()
    def export_results_dialog(self) -> None:
        if self.result is None:
            return
        path, flt = QFileDialog.getSaveFileName(self, "Export results", self._suggest("_properties.csv"),
                                                "CSV table (*.csv);;JSON (*.json)")
        if path:
            if not Path(path).suffix:
                path += ".json" if "json" in flt.lower() else ".csv"
            self.export_results(Path(path))

    def export_results(self, path: Path) -> bool:
        path = Path(path)
        try:
            write_results(path, self.result, str(self.volume.path) if self.volume is not None else None)
        except Exception as exc:
            msg = str(exc) if isinstance(exc, SeqGenError) else f"Could not write {path}: {exc}"
            self.context.error("Export results", msg)
            return False
        set_last_dir(self.context.settings, KEY_EXPORT_DIR, path)
        self.context.log(f"Saved results to {path}")
        self.context.status(f"Saved {path.name}")
        return True

    @Slot()
    def export_volume_dialog(self) -> None:
        if self.volume is None:
            return
        filters = ";;".join(EXPORT_VOLUME_FILTERS.values())
        path, flt = QFileDialog.getSaveFileName(self, "Export volume", self._suggest(".tif"), filters)
        if not path:
            return
        if not Path(path).suffix:
            for suf, f in EXPORT_VOLUME_FILTERS.items():
                if f == flt:
                    path += suf
        self.export_volume(Path(path))

    def export_volume(self, path: Path) -> bool:
        if self.volume is None:
            return False
        set_last_dir(self.context.settings, KEY_EXPORT_DIR, path)
        meta = {"source": str(self.volume.path)}
        return self._start("Exporting", export_volume_job, Path(path), self.volume.array,
                           voxel_size_um=float(self.voxel_spin.value()), metadata=meta,
                           on_finished=self._on_exported)

    @Slot(object)
    def _on_exported(self, path) -> None:
        self._job_ended("Exported")
        self.context.log(f"Wrote {path}")
        self.context.status(f"Wrote {Path(path).name}")

    # -- closing ----------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.jobs.shutdown()
        self.scene_jobs.shutdown()
        self.view3d.close_plotter()
