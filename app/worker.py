"""Run a core compute function in a worker thread with progress, cancel and error signals.

Any ``fn(*args, state=TaskState, **kwargs)`` can be run. Rules kept here so every tab follows them:

* the worker only emits signals; the GUI connects them to slots of GUI-thread objects (bound
  methods, no lambdas that touch widgets), so Qt queues the calls into the GUI thread;
* Cancel is a GUI-thread slot that sets a ``CancelToken``; the compute function sees it through
  ``TaskState(cancelled=token.is_set)`` and raises ``core.errors.Cancelled`` at its next check;
* every error becomes a ``failed(str)`` signal with a plain message, never an exception that
  escapes the thread.

Usage in a tab::

    self.jobs = TaskRunner(self)
    self.jobs.progress.connect(self.on_progress)
    job = self.jobs.submit(measure, array, 5.0, on_finished=self.on_measured,
                           on_failed=self.on_failed, on_cancelled=self.on_cancelled)
    ...
    self.cancel_button.clicked.connect(self.jobs.cancel)
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Callable, Optional

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.errors import Cancelled, SeqGenError
from core.jobs import CancelToken, TaskState

log = logging.getLogger("app.worker")

# Progress signals are throttled to this interval (s) so a chatty job cannot flood the GUI.
PROGRESS_INTERVAL = 0.05


def error_message(exc: BaseException) -> str:
    """A plain message for the user: the text of a SeqGenError, a short summary otherwise."""
    if isinstance(exc, SeqGenError):
        return str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError):
        return "There is not enough memory for this job. Try a smaller volume."
    if isinstance(exc, OSError) and exc.strerror:
        name = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{name}."
    return f"Unexpected error: {type(exc).__name__}: {exc}"


class Worker(QObject):
    """Runs ``fn(*args, state=TaskState, **kwargs)`` once, in whichever thread calls ``run``."""

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()  # after finished, failed or cancelled

    def __init__(self, fn: Callable, *args, description: str = "", **kwargs):
        super().__init__()
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self.description = description or getattr(fn, "__name__", "job")
        self.token = CancelToken()
        self._last_emit = 0.0
        self._last_message = None

    def _on_progress(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if message != self._last_message or fraction >= 1.0 or now - self._last_emit >= PROGRESS_INTERVAL:
            self._last_emit = now
            self._last_message = message
            self.progress.emit(float(fraction), str(message))

    @Slot()
    def cancel(self) -> None:
        self.token.cancel()

    def is_cancelled(self) -> bool:
        return self.token.is_set()

    @Slot()
    def run(self) -> None:
        state = TaskState(progress=self._on_progress, cancelled=self.token.is_set)
        try:
            state.check()
            result = self._fn(*self._args, state=state, **self._kwargs)
        except Cancelled:
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - everything becomes a message for the user
            if not isinstance(exc, SeqGenError):
                log.error("%s failed:\n%s", self.description, traceback.format_exc())
            self.failed.emit(error_message(exc))
        else:
            self.finished.emit(result)
        finally:
            self.done.emit()


class TaskRunner(QObject):
    """Runs one Worker at a time, each in its own QThread; lives in the GUI thread.

    Its signals repeat the current worker's; ``busyChanged(bool)`` tells when a job starts/ends.
    """

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    busyChanged = Signal(bool)

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._worker: Optional[Worker] = None
        self._threads: list[tuple[QThread, Worker]] = []  # kept alive until each thread ends

    @property
    def busy(self) -> bool:
        return self._worker is not None

    @property
    def worker(self) -> Optional[Worker]:
        return self._worker

    def submit(self, fn: Callable, *args, on_finished=None, on_failed=None, on_cancelled=None,
               description: str = "", **kwargs) -> Worker:
        """Start ``fn`` in a new thread; the ``on_*`` callbacks should be bound GUI-thread slots."""
        if self.busy:
            raise RuntimeError("A job is already running.")
        worker = Worker(fn, *args, description=description, **kwargs)
        thread = QThread()
        thread.setObjectName(f"worker:{worker.description}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # The runner's own slots first: they clear ``busy`` before the tab's callbacks run,
        # so a callback may start the next job.
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        if on_finished is not None:
            worker.finished.connect(on_finished)
        if on_failed is not None:
            worker.failed.connect(on_failed)
        if on_cancelled is not None:
            worker.cancelled.connect(on_cancelled)
        # Direct: QThread.quit is thread-safe, and shutdown() may block the GUI thread in wait().
        worker.done.connect(thread.quit, Qt.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._worker = worker
        self._threads.append((thread, worker))
        thread.start()
        self.busyChanged.emit(True)
        return worker

    @Slot()
    def cancel(self) -> None:
        """Ask the running job to stop (it stops at its next progress report or check)."""
        if self._worker is not None:
            self._worker.cancel()

    def _end(self, worker) -> bool:
        if worker is not self._worker:
            return False
        self._worker = None
        self.busyChanged.emit(False)
        return True

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if self.sender() is self._worker:
            self.progress.emit(fraction, message)

    @Slot(object)
    def _on_finished(self, result) -> None:
        if self._end(self.sender()):
            self.finished.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._end(self.sender()):
            self.failed.emit(message)

    @Slot()
    def _on_cancelled(self) -> None:
        if self._end(self.sender()):
            self.cancelled.emit()

    @Slot()
    def _on_thread_finished(self) -> None:
        alive = []
        for thread, worker in self._threads:
            if thread.isFinished():
                worker.deleteLater()
                thread.deleteLater()
            else:
                alive.append((thread, worker))
        self._threads = alive

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel the job and wait for every thread to end (on window close); True if all ended."""
        self.cancel()
        ok = True
        for thread, _worker in list(self._threads):
            ok = thread.wait(timeout_ms) and ok
        return ok
