"""Loading a chosen file (a model) in a worker thread, where only the newest choice counts.

A request while one loads waits (a newer one replaces it); when the running load ends and a
different file waits, its result is dropped and the waiting one loads. ``started(path)``,
``loaded(result)`` and ``failed(message)`` tell the owner, in the GUI thread.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QObject, Signal, Slot

from ..worker import TaskRunner


class LatestLoader(QObject):
    """Runs ``load(path, *args())`` in ``jobs``, one at a time, the newest request winning."""

    started = Signal(str)
    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, load: Callable, args: Callable[[], tuple], description: str, parent=None):
        """``args()`` is read in the GUI thread when a load starts (e.g. the device chosen then)."""
        super().__init__(parent)
        self.load, self.args, self.description = load, args, description
        self.jobs = TaskRunner(self)
        self.loading: Optional[str] = None     # the path of the last load started
        self._pending: Optional[str] = None

    def request(self, path: str) -> None:
        """Load ``path`` now, or once the running load ends."""
        if self.jobs.busy:
            self._pending = path
            return
        self._pending = None
        self.loading = path
        self.started.emit(path)
        self.jobs.submit(self.load, path, *self.args(), on_finished=self._on_finished, on_failed=self._on_failed,
                         description=self.description)

    def _next(self) -> bool:
        """Start the waiting request (True) unless none waits or it is the file just loaded."""
        nxt, self._pending = self._pending, None
        if nxt is not None and nxt != self.loading:
            self.request(nxt)
            return True
        return False

    @Slot(object)
    def _on_finished(self, result) -> None:
        if not self._next():
            self.loaded.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if not self._next():
            self.failed.emit(message)
