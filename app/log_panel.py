"""The log panel (a dock) and a thread-safe way to write to it from anywhere.

``log_message("text")`` may be called from any thread; Python ``logging`` records of the
``core`` and ``app`` loggers (INFO and up) go there as well.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QDockWidget, QPlainTextEdit

MAX_LINES = 5000


class LogBus(QObject):
    """Carries log lines to the GUI thread (signals are queued across threads)."""

    message = Signal(str)


_bus: LogBus | None = None


def log_bus() -> LogBus:
    global _bus
    if _bus is None:
        _bus = LogBus()
    return _bus


def log_message(text: str) -> None:
    """Append a time-stamped line to the log panel (safe from any thread)."""
    log_bus().message.emit(f"{time.strftime('%H:%M:%S')}  {text}")


class _BusHandler(logging.Handler):
    def emit(self, record):
        try:
            log_message(f"[{record.levelname.lower()}] {self.format(record)}")
        except Exception:  # never let logging raise
            pass


_handler: _BusHandler | None = None


def install_logging_bridge(level=logging.INFO) -> None:
    """Send the ``core`` and ``app`` loggers' records to the log panel (once)."""
    global _handler
    if _handler is not None:
        return
    _handler = _BusHandler(level)
    _handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    for name in ("core", "app"):
        lg = logging.getLogger(name)
        lg.addHandler(_handler)
        if lg.level == logging.NOTSET or lg.level > level:
            lg.setLevel(level)


class LogPanel(QDockWidget):
    def __init__(self, parent=None):
        super().__init__("Log", parent)
        self.setObjectName("logDock")
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        font = QFont("monospace")
        font.setStyleHint(QFont.TypeWriter)
        self.text.setFont(font)
        self.setWidget(self.text)
        log_bus().message.connect(self.append)

    @Slot(str)
    def append(self, line: str) -> None:
        self.text.appendPlainText(line)
        self.text.moveCursor(QTextCursor.End)

    def lines(self) -> list[str]:
        return self.text.toPlainText().splitlines()
