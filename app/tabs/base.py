"""What every tab offers the main window, and what the main window offers every tab."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu, QWidget

from ..errors import show_error
from ..log_panel import log_message
from ..settings import device_preference


@dataclass
class AppContext:
    """Shared services handed to each tab factory."""

    window: QWidget
    settings: QSettings

    def log(self, text: str) -> None:
        log_message(text)

    def error(self, title: str, message: str) -> None:
        show_error(self.window, title, message)

    def status(self, text: str, timeout_ms: int = 5000) -> None:
        """A status bar message, elided in the middle to the bar's width (all of it in the bar's tooltip)."""
        bar = getattr(self.window, "statusBar", None)
        if bar is not None:
            from ..widgets.elided_label import elided

            b = bar()
            shown = elided(" ".join(str(text).split()), b.fontMetrics(), b.width() - 40)
            b.showMessage(shown, timeout_ms)
            b.setToolTip(text if shown != text else "")

    def device(self) -> str:
        return device_preference(self.settings)


class BaseTab(QWidget):
    """A method tab. Override what applies; the defaults do nothing."""

    #: True if File ▸ Open and drag-and-drop may hand files to this tab.
    accepts_files = False

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context

    def open_path(self, path: Path, **options) -> None:
        """Open a file or folder (only called when ``accepts_files``)."""

    def menu(self) -> Optional[QMenu]:
        """A menu of this tab's actions for the menu bar, or None."""
        return None

    def is_busy(self) -> bool:
        return False

    def shutdown(self) -> None:
        """Stop jobs and free resources; called once when the window closes."""
