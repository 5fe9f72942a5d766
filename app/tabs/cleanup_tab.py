"""Cleanup tab: scanned technical drawings → clean binary line art (U-Net), one file or a batch.

Left: the scans (drop files or folders, or Add files / Add folder) with each file's status, the
model, the output folder, the threshold and Run / Cancel. Right: the selected file before and
after cleaning (side by side or a split overlay, zoom and pan in sync). The threshold re-binarises
the cached probability map of the shown file (``binarize_prob``) without running the net again.

Compute runs in worker threads through the Qt-free ``core.cleanup.gui_support``; the batch goes
through ``JobTab`` (progress, Cancel, failure). ``run_batch``'s ``on_file`` callback runs in the
worker thread: it only emits ``fileUpdated``, which Qt queues to a slot of this tab in the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from core.cleanup import DEFAULT_THRESHOLD, binarize_prob, plan_batch
from core.cleanup.gui_support import (Preview, PreviewCache, batch_job, batch_summary, cleanup_model, failed_files,
                                      finished_text, preview_job, run_blocker)
from core.cleanup.infer import DEFAULT_VIEWS, TRAIN_HINT, VIEWS
from core.cleanup.scanio import SCAN_SUFFIXES
from core.shipped import shipped_models

from ..settings import KEY_OPEN_DIR, get_str, last_dir, set_last_dir
from ..widgets.before_after import BeforeAfterView
from ..widgets.folder_field import FolderField
from ..widgets.form_helpers import choice_combo, side_panel_layout
from ..widgets.model_choice import ModelChoice, ModelChoiceMethods
from ..widgets.scan_list import ScanList, dropped_paths
from ..widgets.threshold_control import ThresholdControl
from ..worker import TaskRunner, error_message
from .base import AppContext
from .job_tab import JobTab

KEY_OUT_DIR = "cleanup/out_dir"
KEY_CHECKPOINTS = "cleanup/checkpoints"
KEY_MODEL = "cleanup/model"
SCAN_FILTER = "Scans (" + " ".join(f"*{s}" for s in SCAN_SUFFIXES) + ");;All files (*)"
PICK_HINT = "Select a file to see it before and after cleaning."
THRESHOLD_TIP = ("Ink probability from which a pixel is a line: lower keeps faint lines, higher drops noise. "
                 "The preview updates at once; the batch uses this value.")
VIEW_TEXT = ("1 view (fastest)", "4 views: mean over flips (default)", "8 views: flips and transposes")


def _labelled(text: str, widget: QWidget, *rest: QWidget) -> QHBoxLayout:
    """A row: a label, ``widget`` (stretching), then ``rest``."""
    row = QHBoxLayout()
    if text:
        row.addWidget(QLabel(text))
    row.addWidget(widget, 1)
    for w in rest:
        row.addWidget(w)
    return row


def _info_label() -> QLabel:
    """A plain-text, wrapping, selectable label for what the tab says."""
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextFormat(Qt.PlainText)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


def _paper(prob: np.ndarray, threshold: float) -> np.ndarray:
    """Black ink on white paper at ``threshold``."""
    return np.where(binarize_prob(prob, threshold) > 0, 0, 255).astype(np.uint8)


class CleanupTab(ModelChoiceMethods, JobTab):
    """Drawing cleanup: batch list, model, output folder, threshold, before/after view."""

    accepts_files = False  # it takes drops itself (files and folders, many at once)
    LOG_NAME = "Cleanup"

    fileUpdated = Signal(str, str, str)   # src, status, message (emitted from the worker thread)
    batchEnded = Signal(str)              # "finished", "cancelled" or "failed"
    previewReady = Signal(str)            # path now shown with its result
    thresholdApplied = Signal(float)

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.report = None                    # last BatchReport
        self._previews = PreviewCache()       # (path, spec, views) → (grey, prob)
        self._shown: Optional[tuple] = None   # key of the shown preview
        self._preview_pending: Optional[str] = None
        self._last_spec: Optional[str] = None
        # self.jobs (JobTab) runs the batch. The live preview has a runner of its own: browsing the
        # files (and the threshold and views) must keep working while a batch runs for minutes.
        self.preview_jobs = TaskRunner(self)
        self.fileUpdated.connect(self._on_file_updated)
        # JobTab's slots end the job (progress text, log, error dialog); these hooks add the list and summary
        self.jobCancelled.connect(self._on_batch_cancelled)
        self.jobFailed.connect(self._on_batch_failed)

        self._build_ui()
        self.setAcceptDrops(True)
        self._fill_models(select=get_str(context.settings, KEY_MODEL, "") or None)
        self.out_edit.setText(get_str(context.settings, KEY_OUT_DIR, ""))
        self._update_enabled()

    # -- layout -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(self._scans_box(), 1)
        for box in (self._model_box(), self._output_box(), self._run_box()):
            sl.addWidget(box)
        side.setMinimumWidth(360)
        self.view = BeforeAfterView()
        self.view.set_caption(PICK_HINT)
        self.splitter = side_panel_layout(self, side, self.view, [420, 980])

    def _scans_box(self) -> ScanList:
        self.scans = ScanList("1 · Scans (drop files or folders here)",
                              "Drop scans (PNG, TIFF, JPEG, BMP) or folders of scans onto this tab.")
        self.scans.add_files_button.clicked.connect(self.add_files_dialog)
        self.scans.add_folder_button.clicked.connect(self.add_folder_dialog)
        self.scans.remove_button.clicked.connect(self.remove_selected)
        self.scans.clear_button.clicked.connect(self.clear_inputs)
        self.scans.selectionChanged.connect(self._on_selection)
        return self.scans

    def _model_box(self) -> QGroupBox:
        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(20)
        self.model_choice = ModelChoice(self, self.context, self.model_combo, method="cleanup", key=KEY_CHECKPOINTS,
                                        choose_tip="Choose a trained cleanup U-Net checkpoint (.pt)",
                                        dialog_title="Cleanup model checkpoint", on_filled=self._on_model_changed,
                                        previous=lambda: self._last_spec, load=self._load_checked,
                                        # looked up per call, so that this module's name can be stubbed (tests)
                                        shipped=lambda: shipped_models("cleanup"))
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.views_combo = choice_combo(zip(VIEWS, VIEW_TEXT), DEFAULT_VIEWS,
                                        "Average the U-Net over flipped (and transposed) copies of each scan: "
                                        "slightly cleaner lines, that many times the time.")
        self.views_combo.currentIndexChanged.connect(self._refresh_preview)
        self.model_info = _info_label()
        box = QGroupBox("2 · Model")
        lay = QVBoxLayout(box)
        lay.addWidget(self.model_combo)
        lay.addLayout(_labelled("Views", self.views_combo))
        lay.addWidget(self.model_info)
        return box

    def _output_box(self) -> FolderField:
        self.out_field = FolderField("3 · Output folder", placeholder="Choose where the cleaned files go",
                                     dialog_title="Output folder for cleaned files", on_error=self.context.error,
                                     start_dir=lambda: last_dir(self.context.settings, KEY_OPEN_DIR),
                                     missing="The output folder does not exist yet: run a batch first "
                                             "or choose an existing folder.")
        self.out_field.folderChanged.connect(self._on_out_changed)
        self.out_edit, self.out_button = self.out_field.edit, self.out_field.choose_button
        self.open_out_button = self.out_field.open_button
        return self.out_field

    def _run_box(self) -> QGroupBox:
        self.run_button = QPushButton("Clean all")
        self.run_button.clicked.connect(self.run_batch)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.summary_label = _info_label()
        self.threshold_box = ThresholdControl(DEFAULT_THRESHOLD, THRESHOLD_TIP)
        self.threshold_slider = self.threshold_box.slider
        self.threshold_box.valueChanged.connect(self._apply_threshold)
        box = QGroupBox("4 · Clean")
        lay = QVBoxLayout(box)
        lay.addWidget(self.threshold_box)
        lay.addLayout(_labelled("", self.run_button, self.cancel_button))
        lay.addWidget(self.progress)
        lay.addWidget(self.summary_label)
        return box

    # -- files --------------------------------------------------------------------------------
    def add_paths(self, paths) -> int:
        """Add files and folders to the list; returns how many scans were added."""
        added, missing, empty = self.scans.add_paths(paths)
        for d in empty:
            self.context.log(f"Cleanup: no scans ({', '.join(SCAN_SUFFIXES)}) in {d}.")
        if missing:
            self.context.error("Add scans", "Not found: " + ", ".join(missing))
        if added:
            self.context.status(f"{added} scan(s) added", 3000)
        self._update_enabled()
        return added

    def statuses(self) -> dict[str, tuple[str, str]]:
        """{file name: (status, message)} for the list (tests, summary)."""
        return self.scans.statuses()

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
        self.scans.remove_selected()
        self._update_enabled()

    @Slot()
    def clear_inputs(self) -> None:
        if self.jobs.busy:
            return
        self.scans.clear()
        self.view.clear()
        self.view.set_caption(PICK_HINT)
        self._shown = None
        self._update_enabled()

    # drag and drop onto the tab
    def dragEnterEvent(self, event):
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event):
        self.dragEnterEvent(event)

    def dropEvent(self, event):
        paths = dropped_paths(event.mimeData())
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
        """ModelChoice's check that a checkpoint loads; the shared cache keeps it for the preview and batch."""
        cleanup_model(str(path))

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
        self._refresh_preview()

    # -- output folder and views ------------------------------------------------------------------
    def output_dir(self) -> Optional[Path]:
        return self.out_field.folder()

    def set_output_dir(self, path) -> None:
        self.out_field.set_folder(path)

    @Slot(str)
    def _on_out_changed(self, text: str) -> None:
        if text.strip():
            self.context.settings.setValue(KEY_OUT_DIR, text.strip())
        self._update_enabled()

    def views(self) -> int:
        """How many flipped/transposed views of a scan the U-Net's probabilities are averaged over."""
        return int(self.views_combo.currentData() or 1)

    def set_views(self, views: int) -> None:
        self.views_combo.setCurrentIndex(max(0, self.views_combo.findData(int(views))))

    @Slot()
    def _refresh_preview(self, *_args) -> None:
        """Show the shown file again with the model and views now chosen."""
        if self._shown is not None:
            self.show_preview(self._shown[0])

    # -- threshold and preview -------------------------------------------------------------------
    def threshold(self) -> float:
        return self.threshold_box.value()

    def set_threshold(self, value: float) -> None:
        self.threshold_box.setValue(value)

    @Slot()
    def _apply_threshold(self, *_args) -> None:
        if self._shown is None:
            return
        grey, prob = self._previews.get(self._shown, (None, None))
        if prob is None:
            return
        t = self.threshold()
        self.view.set_after(_paper(prob, t))
        self.thresholdApplied.emit(t)

    def selected_path(self) -> Optional[str]:
        return self.scans.selected_path()

    def select_file(self, name_or_path: str) -> None:
        self.scans.select_file(name_or_path)

    @Slot()
    def _on_selection(self) -> None:
        p = self.selected_path()
        if p is not None:
            self.show_preview(p)

    def show_preview(self, path: str) -> None:
        key = (path, self.model_spec(), self.views())
        if key in self._previews:
            self._show(key, *self._previews[key])
            return
        if self.preview_jobs.busy:
            self._preview_pending = path
            self.preview_jobs.cancel()
            return
        self.view.set_caption(f"{Path(path).name}: cleaning for the preview…")
        self.preview_jobs.submit(preview_job, *key, description="cleanup preview",
                                 on_finished=self._on_preview_done, on_failed=self._on_preview_failed,
                                 on_cancelled=self._next_preview)

    def _show(self, key, grey, prob) -> None:
        self._shown = key
        name = Path(key[0]).name
        if prob is None:
            self.view.set_images(grey, None)
            self.view.set_caption(f"{name}: choose a model to see the cleaned result.")
        else:
            self.view.set_images(grey, _paper(prob, self.threshold()))
            self.view.set_caption(f"{name} ({grey.shape[1]}×{grey.shape[0]}), first page")
        self.previewReady.emit(key[0])

    @Slot(object)
    def _on_preview_done(self, p: Preview) -> None:
        self._previews.keep(p)
        if self._preview_pending is not None:
            self._next_preview()
        elif p.key == (self.selected_path(), self.model_spec(), self.views()):
            self._show(p.key, p.grey, p.prob)

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
    def _next_preview(self) -> None:
        p, self._preview_pending = self._preview_pending, None
        if p is not None:
            self.show_preview(p)

    # -- batch --------------------------------------------------------------------------------
    def _update_enabled(self, *_args) -> None:
        busy = self.jobs.busy
        reason = run_blocker(self.model_spec(), bool(self.scans.inputs), self.output_dir())
        self.run_button.setEnabled(not busy and not reason)
        self.run_button.setToolTip(reason or "Clean every listed file into the output folder "
                                   "(files finished earlier are kept)")
        self.cancel_button.setEnabled(busy)
        for w in (*self.scans.buttons(), self.model_combo, self.out_edit, self.out_button):
            w.setEnabled(not busy)
        self.scans.drop_hint.setVisible(not self.scans.inputs)

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
        reason = run_blocker(spec, bool(self.scans.inputs), out)
        if reason:
            self.context.error("Clean", reason)
            return
        try:
            plan = plan_batch(self.scans.inputs, out)
        except Exception as exc:  # noqa: BLE001 - an InputError's text as it is, anything else summed up
            self.context.error("Clean", error_message(exc))
            return
        self.scans.rebuild(plan.jobs)
        self.report = None
        self.summary_label.setText("")
        self.context.log(f"Cleanup: {len(plan.jobs)} file(s) → {out} "
                         f"(threshold {self.threshold():.2f}, {self.views()} view(s))")
        self._start("Clean", batch_job, plan, spec, self.views(), self.threshold(), self._emit_file,
                    on_finished=self._on_batch_finished)

    @Slot(str, str, str)
    def _on_file_updated(self, src: str, status: str, message: str) -> None:
        self.scans.update_file(src, status, message)

    def _log_failed(self) -> None:
        for n, m in failed_files(self.statuses()):
            self.context.log(f"Cleanup: failed: {n}: {m}")

    @Slot(object)
    def _on_batch_finished(self, report) -> None:
        self.report = report
        for j in report.jobs:  # make sure the list shows the final state (signals may lag)
            self._on_file_updated(str(j.src), j.status, j.message)
        text = finished_text(report, self.statuses(), self.scans.count())
        self._log_failed()
        for n in report.notices:
            self.context.log(f"Cleanup: {n}")
        self.summary_label.setText(text)
        self.context.log("Cleanup: " + text.replace("\n", " · "))
        self._job_ended("done", done=True)
        self.batchEnded.emit("finished")

    @Slot()
    def _on_batch_cancelled(self) -> None:
        """After JobTab's end of a cancelled job (``jobCancelled``): what the list and summary say."""
        self.scans.mark_unfinished("not run (cancelled)")
        text = batch_summary("Cancelled", self.statuses(), self.scans.count())
        self._log_failed()
        self.summary_label.setText(text + "\nRun again to resume: finished files are kept.")
        self.context.log("Cleanup: " + text)
        self.batchEnded.emit("cancelled")

    @Slot(str)
    def _on_batch_failed(self, message: str) -> None:
        """After JobTab's end of a failed job (``jobFailed``: progress text, error dialog)."""
        self.scans.mark_unfinished("not run (the batch stopped)")
        self.summary_label.setText(f"Failed: {message}")
        self.batchEnded.emit("failed")

    def shutdown(self) -> None:
        self.jobs.shutdown()
        self.preview_jobs.shutdown()
