"""A one-line label that elides its text in the middle to the width it has, full text in its tooltip.

For status lines and output paths: a long path or message must not be cut off at the edge (the end,
often the file name, is what matters) nor widen the side panel; hovering shows all of it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy


def elided(text: str, metrics: QFontMetrics, width: int) -> str:
    """``text`` (one line) elided in the middle to ``width`` pixels."""
    return metrics.elidedText(text, Qt.ElideMiddle, max(1, int(width)))


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.PlainText)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never wider than its place
        self.setMinimumWidth(40)
        self.setText(text)

    def text(self) -> str:
        """The whole text (what the label says); ``shown()`` is the part drawn."""
        return self._full

    def shown(self) -> str:
        return super().text()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = " ".join(str(text).split())  # one line: newlines become spaces
        self._refit()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._refit()

    def _refit(self) -> None:
        shown = elided(self._full, self.fontMetrics(), self.contentsRect().width())
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


def set_bar_text(bar, message: str, suffix: str = "") -> None:
    """A progress bar's format: ``message`` elided in the middle to fit beside ``suffix`` (e.g. ' – %p%'),
    the whole message in the bar's tooltip. ('%' in the message is doubled: it is not a placeholder.)"""
    fm = bar.fontMetrics()
    room = bar.width() - fm.horizontalAdvance(suffix.replace("%p%", "100%")) - 24
    shown = elided(message, fm, room)
    bar.setFormat(shown.replace("%", "%%") + suffix)
    bar.setToolTip(message if shown != message else "")
