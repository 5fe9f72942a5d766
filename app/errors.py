"""Error dialogs and the last-resort exception hook: problems are shown, never a crash."""

from __future__ import annotations

import sys
import threading
import traceback

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from .log_panel import log_message

def show_error(parent, title: str, message: str) -> None:
    """Show a modal error dialog (GUI thread only) and log the message."""
    log_message(f"error: {title}: {message}")
    QMessageBox.critical(parent, title, message)


class _ErrorRelay(QObject):
    """Moves an unexpected-error report from any thread to a dialog in the GUI thread."""

    report = Signal(str, str)

    def __init__(self):
        super().__init__()
        self.report.connect(self.show)
        self._showing = False

    @Slot(str, str)
    def show(self, summary: str, details: str) -> None:
        if self._showing:  # an error inside the dialog must not stack dialogs forever
            return
        self._showing = True
        try:
            box = QMessageBox(QMessageBox.Critical, "Unexpected error",
                              f"{summary}\n\nThe application keeps running; details are in the log.",
                              QMessageBox.Ok, QApplication.activeWindow())
            box.setDetailedText(details)
            box.exec()
        finally:
            self._showing = False


_relay: _ErrorRelay | None = None


def _report(exc_type, exc, tb) -> None:
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(details)
    log_message(f"unexpected error:\n{details}")
    if QApplication.instance() is None or _relay is None:
        return
    summary = f"{exc_type.__name__}: {exc}"
    _relay.report.emit(summary, details)  # queued to the GUI thread when called from elsewhere


def excepthook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    _report(exc_type, exc, tb)


def _thread_excepthook(args) -> None:
    if args.exc_type is SystemExit:
        return
    _report(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthook() -> None:
    """Route uncaught exceptions (GUI thread and Python threads) to an error dialog."""
    global _relay
    if _relay is None:
        _relay = _ErrorRelay()
    sys.excepthook = excepthook
    threading.excepthook = _thread_excepthook
