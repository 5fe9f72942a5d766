"""A tab base with one-at-a-time worker jobs behind a progress bar and a Cancel button.

``jobs`` (a ``TaskRunner``) and the signals ``jobFailed(str)`` and ``jobCancelled()`` are made here.
Subclasses create ``progress`` (a 0–1000 ``QProgressBar``), offer ``_update_enabled`` (called when a
job starts or ends) and set ``LOG_NAME`` (the prefix of their log lines). Worker signals go to the
bound slots below (GUI thread); Cancel sets the worker's token through ``TaskRunner.cancel``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMessageBox

from ..widgets.elided_label import set_bar_text
from ..worker import TaskRunner
from .base import AppContext, BaseTab


class JobTab(BaseTab):
    LOG_NAME = "Job"

    jobCancelled = Signal()
    jobFailed = Signal(str)

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self._job_kind = ""
        self.jobs = TaskRunner(self)           # one job at a time behind the progress bar
        self.jobs.progress.connect(self._on_progress)
        self.jobs.busyChanged.connect(self._update_enabled)

    def _start(self, kind: str, fn, *args, on_finished, **kwargs) -> bool:
        if self.jobs.busy:
            QMessageBox.information(self, "Busy", "Another job is running; wait for it or press Cancel.")
            return False
        self._job_kind = kind
        self.progress.setValue(0)
        self.progress.setFormat(f"{kind}… %p%")
        self.context.log(f"{self.LOG_NAME}: {kind.lower()} started")
        self.jobs.submit(fn, *args, on_finished=on_finished, on_failed=self._on_job_failed,
                         on_cancelled=self._on_job_cancelled,
                         description=f"{self.LOG_NAME.lower()} {kind.lower()}", **kwargs)
        return True

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        set_bar_text(self.progress, (message or self._job_kind).replace("&", "&&"), " – %p%")

    def _job_ended(self, text: str, done: bool = False) -> None:
        self.progress.setValue(1000 if done else 0)
        self.progress.setFormat(text)

    def _failed_text(self, kind: str) -> str:
        """The progress bar's words for a failed job of ``kind`` (subclasses add what is still shown)."""
        return f"{kind} failed"

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        kind = self._job_kind or "Job"
        self._job_ended(self._failed_text(kind))
        self.context.error(f"{kind} failed", message)
        self.jobFailed.emit(message)

    @Slot()
    def _on_job_cancelled(self) -> None:
        kind = self._job_kind or "Job"
        self._job_ended(f"{kind} cancelled")
        self.context.log(f"{self.LOG_NAME}: {kind.lower()} cancelled")
        self.context.status("Cancelled")
        self.jobCancelled.emit()

    @Slot()
    def cancel(self) -> None:
        """Cancel button: ask the running job to stop (GUI thread; sets the worker's token)."""
        if self.jobs.busy:
            self.progress.setFormat("Cancelling…")
            self.jobs.cancel()
