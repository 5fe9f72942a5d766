"""A tab base for one training run beside the other jobs: progress, live losses, Stop, and the ends of a run.

``train_jobs`` (a ``TaskRunner``), ``log_timer`` (polls ``poll_log``) and the signal
``trainingEnded(str)`` are made here. Subclasses create ``train_view`` (``TrainingView``, page 2 of
``views``) and ``train_info``, hand their ``TrainForm`` to ``_adopt_train_form``, and offer
``start_train``, ``add_data_dialog``, ``remove_selected_data`` and ``add_checkpoint(path, select=...)``.
Stop cancels through ``TaskRunner.cancel`` from a GUI-thread slot; the run's signals go to the bound
slots below.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..widgets.elided_label import set_bar_text
from ..worker import TaskRunner
from .base import AppContext
from .job_tab import JobTab

LOG_POLL_MS = 700
STEP_RE = re.compile(r"step (\d+)/(\d+)")


class TrainTab(JobTab):
    trainingEnded = Signal(str)       # "finished", "cancelled" or "failed"

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.train_out: Optional[Path] = None
        self.train_result = None
        self.train_jobs = TaskRunner(self)     # training runs beside the rest
        self.train_jobs.progress.connect(self._on_train_progress)
        self.train_jobs.busyChanged.connect(self._update_enabled)
        self.log_timer = QTimer(self)
        self.log_timer.setInterval(LOG_POLL_MS)
        self.log_timer.timeout.connect(self.poll_log)

    @Slot()
    def stop_training(self) -> None:
        """Stop button: the trainer stops after its current step and writes a checkpoint."""
        if self.train_jobs.busy:
            self.train_progress.setFormat("Stopping after the current step (writing a checkpoint)…")
            self.train_jobs.cancel()

    @Slot(float, str)
    def _on_train_progress(self, fraction: float, message: str) -> None:
        """The bar shows the steps done of the run's steps when the trainer names them ("step 1/2000 –
        0 %"); before (reading the data) and after (fitting classes) it shows the job's own fraction."""
        m = STEP_RE.match(message or "")
        if m:
            done, total = int(m.group(1)), max(1, int(m.group(2)))
            self.train_progress.setValue(int(1000 * done // total))
            self.train_progress.setFormat(f"step {done}/{total} – {100 * done // total}%")
        else:
            self.train_progress.setValue(int(round(fraction * 1000)))
            set_bar_text(self.train_progress, message.split(" · ")[0] if message else "Training", " – %p%")
        self.train_status.setText(message)

    @Slot()
    def poll_log(self) -> None:
        """Re-read the run's log.csv (QTimer while training, and once at the end)."""
        if self.train_out is None:
            return
        self.train_view.refresh(self.train_out)

    def _train_ended(self) -> None:
        self.log_timer.stop()
        self.poll_log()

    def _trained_text(self, result) -> str:
        """What to say about a run that wrote ``result.checkpoint``."""
        losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
        return (f"Trained to step {result.step} ({losses}). Checkpoint {result.checkpoint} — now in the "
                "Generate page's model list.")

    @Slot(object)
    def _on_trained(self, result) -> None:
        self._train_ended()
        self.train_result = result
        for n in result.notices:
            self.context.log(f"{self.LOG_NAME}: {n}")
        self.resume_check.setChecked(True)
        if result.checkpoint is None:
            msg = f"The run in {result.out_dir} is already at step {result.step}; raise Steps to train further."
            self.train_progress.setFormat("Nothing to do")
        else:
            msg = self._trained_text(result)
            self.train_progress.setValue(1000)
            self.train_progress.setFormat(f"Done: step {result.step}")
            self.add_checkpoint(result.checkpoint, select=False)
        self.train_status.setText(msg)
        self.train_info.setText(msg)
        self.context.log(f"{self.LOG_NAME}: {msg}")
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
        self.context.log(f"{self.LOG_NAME}: {msg}")
        self.trainingEnded.emit("cancelled")

    @Slot(str)
    def _on_train_failed(self, message: str) -> None:
        self._train_ended()
        self.train_progress.setValue(0)
        self.train_progress.setFormat("Training failed")
        self.train_status.setText(message)
        self.context.error("Training failed", message)
        self.trainingEnded.emit("failed")

    def _adopt_train_form(self, form) -> None:
        """Take a ``TrainForm``'s widgets as this tab's and connect its buttons to the bound slots."""
        self.train_form = form
        self.add_data_button = form.add_data_button
        self.remove_data_button = form.remove_data_button
        self.crop_spin = form.crop_spin
        self.steps_spin = form.steps_spin
        self.batch_spin = form.batch_spin
        self.channels_spin = form.channels_spin
        self.device_combo = form.device_combo
        self.resume_check = form.resume_check
        self.train_button = form.train_button
        self.stop_button = form.stop_button
        self.train_progress = form.progress
        self.train_status = form.status
        self.add_data_button.clicked.connect(self.add_data_dialog)
        self.remove_data_button.clicked.connect(self.remove_selected_data)
        self.train_button.clicked.connect(self.start_train)
        self.stop_button.clicked.connect(self.stop_training)
        form.out_button.clicked.connect(self.choose_run_dir)
        form.apply_preset()  # after the tab's own settings were added: the shipped models' recipe

    @Slot()
    def choose_run_dir(self) -> None:
        edit = self.train_form.out_edit
        d = QFileDialog.getExistingDirectory(self, "Run folder", edit.text() or str(Path.home()))
        if d:
            edit.setText(d)
            self.resume_check.setChecked((Path(d) / "last.pt").is_file())

    def _run_folder(self) -> Optional[tuple[Path, bool]]:
        """(run folder, resume?) from the form; asks before a new run would go into an existing one."""
        text = self.train_form.out_edit.text().strip()
        if not text:
            self.context.error("Train", "Choose an output folder for the run.")
            return None
        out = Path(text).expanduser()
        resume = self.resume_check.isChecked()
        if not resume and (out / "last.pt").is_file():
            ans = QMessageBox.question(self, "Train", f"{out} already holds a training run. Resume it?\n\n"
                                       "(No keeps it untouched; choose another output folder for a new run.)",
                                       QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
            if ans != QMessageBox.Yes:
                return None
            resume = True
            self.resume_check.setChecked(True)
        return out, resume

    def _begin_run(self, out: Path, resume: bool, settings_key: str) -> str:
        """Reset the plot and the run's labels for a run in ``out``; 'Training' or 'Resuming'."""
        self.train_out = out
        self.train_result = None
        self.context.settings.setValue(settings_key, str(out))
        self.train_view.reset()
        self.loss_plot.clear("Waiting for the first step's losses…")
        self.train_progress.setValue(0)
        self.train_progress.setFormat("Starting… %p%")
        what = "Resuming" if resume else "Training"
        self.train_status.setText(f"{what} in {out}")
        self.train_info.setText(f"Run folder: {out}")
        return what

    def _submit_run(self, fn, *args, **kwargs) -> None:
        """Run ``fn`` in the training worker (its signals to the bound slots here), poll its log, show it.

        Every step is logged, so that the loss curve starts with the first step (TrainingView reads
        the log incrementally)."""
        self.train_jobs.submit(fn, *args, on_finished=self._on_trained, on_failed=self._on_train_failed,
                               on_cancelled=self._on_train_cancelled, log_every=1, **kwargs)
        self.log_timer.start()
        self.views.setCurrentIndex(2)
