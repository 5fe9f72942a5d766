"""Cleanup tab: scanned technical drawings → clean binary line art (U-Net), one file or a batch.

Left: the scans (drop files or folders, or Add files / Add folder) with each file's status, the
model, the output folder, the threshold and Run / Cancel. Right: the selected file before and
after cleaning (side by side or a split overlay, zoom and pan in sync). The threshold re-binarises
the cached probability map of the shown file (``binarize_prob``) without running the net again.

Compute runs in worker threads (``app.worker.TaskRunner``) through the Qt-free ``core.cleanup``
API. ``run_batch``'s ``on_file`` callback runs in the worker thread: it only emits ``fileUpdated``,
which Qt queues to a slot of this tab in the GUI thread.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFileDialog, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton, QSlider,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from core.cleanup import DEFAULT_THRESHOLD, binarize_prob, iter_pages, load_model, plan_batch, predict, run_batch
from core.cleanup.infer import DEFAULT_VIEWS, TRAIN_HINT, VIEWS
from core.cleanup.scanio import SCAN_SUFFIXES
from core.errors import InputError
from core.io import natural_key
from core.shipped import shipped_models

from ..settings import KEY_OPEN_DIR, get_str, last_dir, set_last_dir
from ..widgets.before_after import BeforeAfterView
from ..widgets.form_helpers import side_panel_layout
from ..widgets.model_choice import ModelChoice, ModelChoiceMethods
from ..worker import TaskRunner, error_message
from .base import AppContext, BaseTab

KEY_OUT_DIR = "cleanup/out_dir"
KEY_CHECKPOINTS = "cleanup/checkpoints"
KEY_MODEL = "cleanup/model"
MAX_CACHED_PREVIEWS = 4
SCAN_FILTER = "Scans (" + " ".join(f"*{s}" for s in SCAN_SUFFIXES) + ");;All files (*)"
COL_FILE, COL_STATUS, COL_MESSAGE = range(3)
STATUS_TEXT = {"pending": "queued", "queued": "queued", "running": "running…", "done": "done", "kept": "kept",
               "failed": "failed", "cancelled": "cancelled"}
STATUS_COLOUR = {"done": QColor(30, 130, 50), "kept": QColor(60, 100, 160), "failed": QColor(190, 30, 30),
                 "cancelled": QColor(150, 110, 20), "running": QColor(20, 20, 200)}
NO_MODEL_TIP = "No cleanup model: choose a checkpoint file. " + TRAIN_HINT


# ----------------------------------------------------------------------------------------------
# jobs run in worker threads (no widgets here)
# ----------------------------------------------------------------------------------------------

def scans_in(path: Path) -> list[Path]:
    """The scans a dropped path stands for: the file itself, or a folder's scans (recursive, natural order)."""
    if not path.is_dir():
        return [path]
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
        for f in sorted(files, key=natural_key):
            if not f.startswith(".") and Path(f).suffix.lower() in SCAN_SUFFIXES:
                found.append(Path(root) / f)
    return found


def _model(spec: str, cached):
    if cached is not None and cached[0] == spec:
        return cached[1]
    return load_model(spec)


def preview_job(path: str, spec: Optional[str], cached, views: int = 1, *, state):
    """(path, spec, views, model, grey first page, probability map or None)."""
    grey = next(iter_pages(path))
    if spec is None:
        return path, None, views, None, grey, None
    model = _model(spec, cached)
    prob = predict(dataclasses.replace(model, views=views), grey, state=state)
    return path, spec, views, model, grey, prob


def batch_job(plan, spec: str, cached, views: int, threshold: float, on_file, *, state):
    model = dataclasses.replace(_model(spec, cached), views=views)  # the same net, averaged over ``views``
    return run_batch(plan, model, threshold=threshold, on_file=on_file, state=state)


# ----------------------------------------------------------------------------------------------
# the tab
# ----------------------------------------------------------------------------------------------

class CleanupTab(ModelChoiceMethods, BaseTab):
    """Drawing cleanup: batch list, model, output folder, threshold, before/after view."""

    accepts_files = False  # it takes drops itself (files and folders, many at once)

    fileUpdated = Signal(str, str, str)   # src, status, message (emitted from the worker thread)
    batchEnded = Signal(str)              # "finished", "cancelled" or "failed"
    previewReady = Signal(str)            # path now shown with its result
    thresholdApplied = Signal(float)

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.inputs: list[Path] = []          # what the user added (files and folders)
        self.rows: dict[str, int] = {}        # str(src) → table row
        self.report = None                    # last BatchReport
        self._model_cache = None              # (spec, CleanupModel)
        self._previews: dict[tuple, tuple] = {}  # (path, spec, views) → (grey, prob)
        self._shown: Optional[tuple] = None   # key of the shown preview
        self._preview_pending: Optional[str] = None
        self._batch_spec: Optional[str] = None
        self._last_spec: Optional[str] = None

        self.jobs = TaskRunner(self)
        self.jobs.progress.connect(self._on_progress)
        self.jobs.busyChanged.connect(self._update_enabled)
        self.preview_jobs = TaskRunner(self)
        self.fileUpdated.connect(self._on_file_updated)

        self._build_ui()
        self.setAcceptDrops(True)
        self._fill_models(select=get_str(context.settings, KEY_MODEL, "") or None)
        self.out_edit.setText(get_str(context.settings, KEY_OUT_DIR, ""))
        self._update_enabled()

    # -- layout -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        # 1 scans
        files_box = QGroupBox("1 · Scans (drop files or folders here)")
        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.clicked.connect(self.add_files_dialog)
        self.add_folder_button = QPushButton("Add folder…")
        self.add_folder_button.clicked.connect(self.add_folder_dialog)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected files from the list")
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear_inputs)
        row = QHBoxLayout()
        for b in (self.add_files_button, self.add_folder_button, self.remove_button, self.clear_button):
            row.addWidget(b)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["File", "Status", "Message"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(COL_FILE, QHeaderView.Stretch)
        hh.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeToContents)
        hh.setSectionResizeMode(COL_MESSAGE, QHeaderView.Interactive)
        hh.resizeSection(COL_MESSAGE, 140)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideRight)
        self.table.setAcceptDrops(False)
        self.table.viewport().setAcceptDrops(False)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.drop_hint = QLabel("Drop scans (PNG, TIFF, JPEG, BMP) or folders of scans onto this tab.")
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setStyleSheet("color: gray")
        fl = QVBoxLayout(files_box)
        fl.addLayout(row)
        fl.addWidget(self.table, 1)
        fl.addWidget(self.drop_hint)

        # 2 model
        model_box = QGroupBox("2 · Model")
        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(20)
        self.model_choice = ModelChoice(self, self.context, self.model_combo, method="cleanup", key=KEY_CHECKPOINTS,
                                        choose_tip="Choose a trained cleanup U-Net checkpoint (.pt)",
                                        dialog_title="Cleanup model checkpoint", on_filled=self._on_model_changed,
                                        previous=lambda: self._last_spec, load=self._load_checked,
                                        # looked up per call, so that this module's name can be stubbed (tests)
                                        shipped=lambda: shipped_models("cleanup"))
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.model_info = QLabel("")
        self.model_info.setWordWrap(True)
        self.model_info.setTextFormat(Qt.PlainText)
        self.model_info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        ml = QVBoxLayout(model_box)
        ml.addWidget(self.model_combo)
        self.views_combo = QComboBox()
        for v, text in zip(VIEWS, ("1 view (fastest)", "4 views: mean over flips (default)", "8 views: flips and transposes")):
            self.views_combo.addItem(text, v)
        self.views_combo.setToolTip("Average the U-Net over flipped (and transposed) copies of each scan: slightly "
                                    "cleaner lines, that many times the time.")
        self.views_combo.setCurrentIndex(VIEWS.index(DEFAULT_VIEWS))
        self.views_combo.currentIndexChanged.connect(self._on_views_changed)
        vrow = QHBoxLayout()
        vrow.addWidget(QLabel("Views"))
        vrow.addWidget(self.views_combo, 1)
        ml.addLayout(vrow)
        ml.addWidget(self.model_info)

        # 3 output
        out_box = QGroupBox("3 · Output folder")
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("Choose where the cleaned files go")
        self.out_edit.textChanged.connect(self._on_out_changed)
        self.out_button = QPushButton("Choose…")
        self.out_button.clicked.connect(self.choose_output_dialog)
        self.open_out_button = QPushButton("Open output folder")
        self.open_out_button.clicked.connect(self.open_output_folder)
        orow = QHBoxLayout()
        orow.addWidget(self.out_edit, 1)
        orow.addWidget(self.out_button)
        ol = QVBoxLayout(out_box)
        ol.addLayout(orow)
        ol.addWidget(self.open_out_button)

        # 4 threshold and run
        run_box = QGroupBox("4 · Clean")
        self.threshold_slider = QSlider(Qt.Horizontal)
        self.threshold_slider.setRange(1, 99)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.01, 0.99)
        self.threshold_spin.setSingleStep(0.01)
        self.threshold_spin.setDecimals(2)
        tip = ("Ink probability from which a pixel is a line: lower keeps faint lines, higher drops noise. "
               "The preview updates at once; the batch uses this value.")
        self.threshold_slider.setToolTip(tip)
        self.threshold_spin.setToolTip(tip)
        self.threshold_spin.setValue(DEFAULT_THRESHOLD)
        self.threshold_slider.setValue(int(round(DEFAULT_THRESHOLD * 100)))
        self.threshold_slider.valueChanged.connect(self._on_threshold_slider)
        self.threshold_spin.valueChanged.connect(self._on_threshold_spin)
        trow = QHBoxLayout()
        trow.addWidget(QLabel("Threshold"))
        trow.addWidget(self.threshold_slider, 1)
        trow.addWidget(self.threshold_spin)
        self.run_button = QPushButton("Clean all")
        self.run_button.clicked.connect(self.run_batch)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        brow = QHBoxLayout()
        brow.addWidget(self.run_button, 1)
        brow.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.PlainText)
        self.summary_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        rl = QVBoxLayout(run_box)
        rl.addLayout(trow)
        rl.addLayout(brow)
        rl.addWidget(self.progress)
        rl.addWidget(self.summary_label)

        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(files_box, 1)
        sl.addWidget(model_box)
        sl.addWidget(out_box)
        sl.addWidget(run_box)
        side.setMinimumWidth(360)

        self.view = BeforeAfterView()
        self.view.set_caption("Select a file to see it before and after cleaning.")

        self.splitter = side_panel_layout(self, side, self.view, [420, 980])

    # -- files --------------------------------------------------------------------------------
    def add_paths(self, paths) -> int:
        """Add files and folders to the list; returns how many scans were added."""
        added = 0
        known = {str(p) for p in self.inputs}
        missing = []
        for p in paths:
            p = Path(p).expanduser().resolve()
            if not p.exists():
                missing.append(p.name)
                continue
            if str(p) in known:
                continue
            scans = scans_in(p)
            if p.is_dir() and not scans:
                self.context.log(f"Cleanup: no scans ({', '.join(SCAN_SUFFIXES)}) in {p}.")
                continue
            self.inputs.append(p)
            known.add(str(p))
            for s in scans:
                if str(s) not in self.rows:
                    self._add_row(s)
                    added += 1
        if missing:
            self.context.error("Add scans", "Not found: " + ", ".join(missing))
        if added:
            self.context.status(f"{added} scan(s) added", 3000)
            if not self.table.selectedItems():
                self.table.selectRow(0)
        self._update_enabled()
        return added

    def _add_row(self, src: Path, status: str = "queued", message: str = "") -> int:
        r = self.table.rowCount()
        self.table.insertRow(r)
        item = QTableWidgetItem(src.name)
        item.setData(Qt.UserRole, str(src))
        item.setToolTip(str(src))
        self.table.setItem(r, COL_FILE, item)
        self.table.setItem(r, COL_STATUS, QTableWidgetItem())
        self.table.setItem(r, COL_MESSAGE, QTableWidgetItem())
        self.rows[str(src)] = r
        self._set_status(r, status, message)
        return r

    def _set_status(self, row: int, status: str, message: str = "") -> None:
        it = self.table.item(row, COL_STATUS)
        it.setText(STATUS_TEXT.get(status, status))
        it.setData(Qt.UserRole, status)
        colour = STATUS_COLOUR.get(status)
        it.setForeground(QBrush(colour) if colour is not None else QBrush())
        m = self.table.item(row, COL_MESSAGE)
        m.setText(message)
        m.setToolTip(message)

    def statuses(self) -> dict[str, tuple[str, str]]:
        """{file name: (status, message)} for the list (tests, summary)."""
        out = {}
        for r in range(self.table.rowCount()):
            out[self.table.item(r, COL_FILE).text()] = (self.table.item(r, COL_STATUS).data(Qt.UserRole),
                                                        self.table.item(r, COL_MESSAGE).text())
        return out

    def _rebuild_rows(self, jobs) -> None:
        keep = self.selected_path()
        self.table.setRowCount(0)
        self.rows.clear()
        for j in jobs:
            self._add_row(Path(j.src).resolve() if Path(j.src).exists() else Path(j.src),
                          "queued" if j.status == "pending" else j.status, j.message)
        if keep and keep in self.rows:
            self.table.selectRow(self.rows[keep])

    @Slot()
    def add_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add scans", last_dir(self.context.settings, KEY_OPEN_DIR),
                                                SCAN_FILTER)
        if files:
            set_last_dir(self.context.settings, KEY_OPEN_DIR, files[0])
            self.add_paths(files)

    @Slot()
    def add_folder_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Add a folder of scans",
                                             last_dir(self.context.settings, KEY_OPEN_DIR))
        if d:
            set_last_dir(self.context.settings, KEY_OPEN_DIR, d)
            if not self.add_paths([d]):
                self.context.error("Add folder", f"No scans ({', '.join(SCAN_SUFFIXES)}) found in {d}.")

    @Slot()
    def remove_selected(self) -> None:
        if self.jobs.busy:
            return
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        gone = {self.table.item(r, COL_FILE).data(Qt.UserRole) for r in rows}
        if not gone:
            return
        # A removed file that came from a folder: the folder entry is replaced by its remaining files.
        new_inputs = []
        for p in self.inputs:
            scans = [str(s) for s in scans_in(p)]
            if not any(s in gone for s in scans):
                new_inputs.append(p)
            elif p.is_dir():
                new_inputs += [Path(s) for s in scans if s not in gone]
        self.inputs = new_inputs
        for r in reversed(rows):
            self.table.removeRow(r)
        self.rows = {self.table.item(r, COL_FILE).data(Qt.UserRole): r for r in range(self.table.rowCount())}
        self._update_enabled()

    @Slot()
    def clear_inputs(self) -> None:
        if self.jobs.busy:
            return
        self.inputs.clear()
        self.rows.clear()
        self.table.setRowCount(0)
        self.view.clear()
        self.view.set_caption("Select a file to see it before and after cleaning.")
        self._shown = None
        self._update_enabled()

    # drag and drop onto the tab
    def dragEnterEvent(self, event):
        md = event.mimeData()
        if md.hasUrls() and any(u.isLocalFile() for u in md.urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event):
        self.dragEnterEvent(event)

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            if self.jobs.busy:
                self.context.error("Add scans", "A batch is running: add files when it has ended.")
                return
            self.add_paths(paths)

    def open_path(self, path: Path, **options) -> bool:
        return bool(self.add_paths([path]))

    # -- model --------------------------------------------------------------------------------
    def _load_checked(self, path: Path) -> None:
        """ModelChoice's check that a checkpoint loads; the model is kept so the preview need not load it again."""
        self._model_cache = (str(path), load_model(str(path)))

    @Slot(int)
    def _on_model_changed(self, index: int) -> None:
        spec = self.model_spec()
        if spec is None:
            if self.model_combo.count() <= 1:
                self.model_info.setText("No cleanup model is installed. " + TRAIN_HINT
                                        + " Or choose a checkpoint file above.")
            else:
                self.model_info.setText("Choose a model.")
        else:
            self._last_spec = spec
            self.context.settings.setValue(KEY_MODEL, spec)
            self.model_info.setText(f"Model: {spec}")
        self._update_enabled()
        if self._shown is not None:
            self.show_preview(self._shown[0])

    # -- output folder -------------------------------------------------------------------------
    def output_dir(self) -> Optional[Path]:
        t = self.out_edit.text().strip()
        return Path(t).expanduser() if t else None

    def set_output_dir(self, path) -> None:
        self.out_edit.setText(str(path))

    @Slot(str)
    def _on_out_changed(self, text: str) -> None:
        if text.strip():
            self.context.settings.setValue(KEY_OUT_DIR, text.strip())
        self._update_enabled()

    @Slot()
    def choose_output_dialog(self) -> None:
        start = str(self.output_dir()) if self.output_dir() and self.output_dir().is_dir() else \
            last_dir(self.context.settings, KEY_OPEN_DIR)
        d = QFileDialog.getExistingDirectory(self, "Output folder for cleaned files", start)
        if d:
            self.set_output_dir(d)

    @Slot()
    def open_output_folder(self) -> None:
        d = self.output_dir()
        if d is None or not d.is_dir():
            self.context.error("Open output folder", "The output folder does not exist yet: run a batch first "
                               "or choose an existing folder.")
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(d.resolve()))):
            self.context.error("Open output folder", f"Could not open {d} with the system's file manager.")

    def views(self) -> int:
        """How many flipped/transposed views of a scan the U-Net's probabilities are averaged over."""
        return int(self.views_combo.currentData() or 1)

    def set_views(self, views: int) -> None:
        self.views_combo.setCurrentIndex(max(0, self.views_combo.findData(int(views))))

    @Slot(int)
    def _on_views_changed(self, _index: int) -> None:
        if self._shown is not None:
            self.show_preview(self._shown[0])

    # -- threshold and preview -------------------------------------------------------------------
    def threshold(self) -> float:
        return float(self.threshold_spin.value())

    def set_threshold(self, value: float) -> None:
        self.threshold_spin.setValue(value)

    @Slot(int)
    def _on_threshold_slider(self, v: int) -> None:
        if abs(self.threshold_spin.value() - v / 100.0) > 1e-9:
            self.threshold_spin.setValue(v / 100.0)

    @Slot(float)
    def _on_threshold_spin(self, v: float) -> None:
        sv = int(round(v * 100))
        if self.threshold_slider.value() != sv:
            self.threshold_slider.blockSignals(True)
            self.threshold_slider.setValue(sv)
            self.threshold_slider.blockSignals(False)
        self._apply_threshold()

    def _apply_threshold(self) -> None:
        if self._shown is None:
            return
        grey, prob = self._previews.get(self._shown, (None, None))
        if prob is None:
            return
        t = self.threshold()
        self.view.set_after(np.where(binarize_prob(prob, t) > 0, 0, 255).astype(np.uint8))
        self.thresholdApplied.emit(t)

    def selected_path(self) -> Optional[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        if not rows:
            return None
        return self.table.item(rows[0], COL_FILE).data(Qt.UserRole)

    def select_file(self, name_or_path: str) -> None:
        for r in range(self.table.rowCount()):
            it = self.table.item(r, COL_FILE)
            if name_or_path in (it.text(), it.data(Qt.UserRole)):
                self.table.selectRow(r)
                return

    @Slot()
    def _on_selection(self) -> None:
        p = self.selected_path()
        if p is not None:
            self.show_preview(p)

    def show_preview(self, path: str) -> None:
        spec = self.model_spec()
        key = (path, spec, self.views())
        if key in self._previews:
            grey, prob = self._previews[key]
            self._show(key, grey, prob)
            return
        if self.preview_jobs.busy:
            self._preview_pending = path
            self.preview_jobs.cancel()
            return
        self.view.set_caption(f"{Path(path).name}: cleaning for the preview…")
        self.preview_jobs.submit(preview_job, path, spec, self._model_cache, self.views(), description="cleanup preview",
                                 on_finished=self._on_preview_done, on_failed=self._on_preview_failed,
                                 on_cancelled=self._on_preview_cancelled)

    def _show(self, key, grey, prob) -> None:
        self._shown = key
        path, spec, _views = key
        if prob is None:
            self.view.set_images(grey, None)
            self.view.set_caption(f"{Path(path).name}: choose a model to see the cleaned result.")
        else:
            self.view.set_images(grey, np.where(binarize_prob(prob, self.threshold()) > 0, 0, 255).astype(np.uint8))
            self.view.set_caption(f"{Path(path).name} ({grey.shape[1]}×{grey.shape[0]}), first page")
        self.previewReady.emit(path)

    @Slot(object)
    def _on_preview_done(self, result) -> None:
        path, spec, views, model, grey, prob = result
        if model is not None:
            self._model_cache = (spec, model)
        key = (path, spec, views)
        self._previews[key] = (grey, prob)
        while len(self._previews) > MAX_CACHED_PREVIEWS:
            self._previews.pop(next(iter(self._previews)))
        if self._preview_pending is not None:
            self._next_preview()
            return
        if spec == self.model_spec() and views == self.views() and path == self.selected_path():
            self._show(key, grey, prob)

    @Slot(str)
    def _on_preview_failed(self, message: str) -> None:
        self.context.log(f"Cleanup preview: {message}")
        if self._preview_pending is not None:
            self._next_preview()
            return
        self._shown = None
        self.view.set_images(None, None)
        self.view.set_caption(f"Cannot show this file: {message}")

    @Slot()
    def _on_preview_cancelled(self) -> None:
        self._next_preview()

    def _next_preview(self) -> None:
        p, self._preview_pending = self._preview_pending, None
        if p is not None:
            self.show_preview(p)

    # -- batch --------------------------------------------------------------------------------
    def _update_enabled(self, *_args) -> None:
        busy = self.jobs.busy
        spec = self.model_spec()
        out = self.output_dir()
        reason = ""
        if spec is None:
            reason = NO_MODEL_TIP
        elif not self.inputs:
            reason = "Add scans first (drop files or folders, or use Add files / Add folder)."
        elif out is None:
            reason = "Choose an output folder first."
        self.run_button.setEnabled(not busy and not reason)
        self.run_button.setToolTip(reason or "Clean every listed file into the output folder "
                                   "(files finished earlier are kept)")
        self.cancel_button.setEnabled(busy)
        for w in (self.add_files_button, self.add_folder_button, self.remove_button, self.clear_button,
                  self.model_combo, self.out_edit, self.out_button):
            w.setEnabled(not busy)
        self.drop_hint.setVisible(not self.inputs)

    def is_busy(self) -> bool:
        return self.jobs.busy

    def _emit_file(self, job) -> None:
        """``on_file`` callback: runs in the worker thread, so it only emits a (queued) signal."""
        self.fileUpdated.emit(str(job.src), job.status, job.message)

    @Slot()
    def run_batch(self) -> None:
        if self.jobs.busy:
            return
        spec, out = self.model_spec(), self.output_dir()
        if spec is None:
            self.context.error("Clean", NO_MODEL_TIP)
            return
        if out is None:
            self.context.error("Clean", "Choose an output folder first.")
            return
        if not self.inputs:
            self.context.error("Clean", "Add scans first.")
            return
        try:
            plan = plan_batch(self.inputs, out)
        except InputError as exc:
            self.context.error("Clean", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.context.error("Clean", error_message(exc))
            return
        self._rebuild_rows(plan.jobs)
        self.report = None
        self._batch_spec = spec
        self.summary_label.setText("")
        self.progress.setValue(0)
        self.progress.setFormat("starting…")
        self.context.log(f"Cleanup: {len(plan.jobs)} file(s) → {out} (threshold {self.threshold():.2f}, {self.views()} view(s))")
        self.jobs.submit(batch_job, plan, spec, self._model_cache, self.views(), self.threshold(), self._emit_file,
                         description="cleanup batch", on_finished=self._on_batch_finished,
                         on_failed=self._on_batch_failed, on_cancelled=self._on_batch_cancelled)

    @Slot()
    def cancel(self) -> None:
        if self.jobs.busy:
            self.progress.setFormat("cancelling…")
            self.jobs.cancel()

    @Slot(str, str, str)
    def _on_file_updated(self, src: str, status: str, message: str) -> None:
        key = src if src in self.rows else str(Path(src).resolve())
        r = self.rows.get(key)
        if r is not None:
            self._set_status(r, status, message)
            if status == "running":
                self.table.scrollToItem(self.table.item(r, COL_FILE))

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(1000 * max(0.0, min(1.0, fraction)))))
        self.progress.setFormat(f"%p %  {message}")

    def _counts(self) -> dict[str, int]:
        c: dict[str, int] = {}
        for status, _m in self.statuses().values():
            c[status] = c.get(status, 0) + 1
        return c

    def _summary(self, head: str) -> str:
        c = self._counts()
        parts = [f"{c.get('done', 0)} cleaned", f"{c.get('kept', 0)} kept (done earlier)",
                 f"{c.get('failed', 0)} failed"]
        if c.get("cancelled"):
            parts.append(f"{c['cancelled']} not done (cancelled)")
        return f"{head}: {self.table.rowCount()} file(s): " + ", ".join(parts)

    def _log_failed(self) -> list[str]:
        failed = [(n, m) for n, (s, m) in self.statuses().items() if s == "failed"]
        for n, m in failed:
            self.context.log(f"Cleanup: failed: {n}: {m}")
        return [n for n, _ in failed]

    @Slot(object)
    def _on_batch_finished(self, report) -> None:
        self.report = report
        for j in report.jobs:  # make sure the list shows the final state (signals may lag)
            self._on_file_updated(str(j.src), j.status, j.message)
        text = self._summary("Finished")
        failed = self._log_failed()
        if failed:
            text += "\nFailed: " + ", ".join(failed)
        if report.report_path is not None:
            text += f"\nReport: {report.report_path}"
        for n in report.notices:
            self.context.log(f"Cleanup: {n}")
        self.summary_label.setText(text)
        self.context.log("Cleanup: " + text.replace("\n", " · "))
        self.progress.setValue(1000)
        self.progress.setFormat("done")
        self._update_enabled()
        self.batchEnded.emit("finished")

    @Slot()
    def _on_batch_cancelled(self) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, COL_STATUS).data(Qt.UserRole) in ("queued", "pending", "running"):
                self._set_status(r, "cancelled", "not run (cancelled)")
        text = self._summary("Cancelled")
        self._log_failed()
        self.summary_label.setText(text + "\nRun again to resume: finished files are kept.")
        self.context.log("Cleanup: " + text)
        self.progress.setFormat("cancelled")
        self._update_enabled()
        self.batchEnded.emit("cancelled")

    @Slot(str)
    def _on_batch_failed(self, message: str) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, COL_STATUS).data(Qt.UserRole) in ("queued", "pending", "running"):
                self._set_status(r, "cancelled", "not run (the batch stopped)")
        self.summary_label.setText(f"Failed: {message}")
        self.progress.setFormat("failed")
        self._update_enabled()
        self.context.error("Clean", message)
        self.batchEnded.emit("failed")

    def shutdown(self) -> None:
        self.jobs.shutdown()
        self.preview_jobs.shutdown()
