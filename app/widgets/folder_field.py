"""An output folder: a path field with "Choose…", and a button that opens the folder in the file manager."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout


class FolderField(QGroupBox):
    """``folderChanged(str)`` on every edit; errors (no folder yet, no file manager) go to ``on_error(title, text)``."""

    folderChanged = Signal(str)

    def __init__(self, title: str, *, placeholder: str, dialog_title: str, start_dir: Callable[[], str],
                 on_error: Callable[[str, str], None], missing: str, parent=None):
        super().__init__(title, parent)
        self.dialog_title, self.start_dir, self.on_error, self.missing = dialog_title, start_dir, on_error, missing
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.textChanged.connect(self.folderChanged)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_dialog)
        self.open_button = QPushButton("Open output folder")
        self.open_button.clicked.connect(self.open_folder)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.choose_button)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.open_button)

    def folder(self) -> Optional[Path]:
        t = self.edit.text().strip()
        return Path(t).expanduser() if t else None

    def set_folder(self, path) -> None:
        self.edit.setText(str(path))

    @Slot()
    def choose_dialog(self) -> None:
        d = self.folder()
        start = str(d) if d and d.is_dir() else self.start_dir()
        chosen = QFileDialog.getExistingDirectory(self, self.dialog_title, start)
        if chosen:
            self.set_folder(chosen)

    @Slot()
    def open_folder(self) -> None:
        d = self.folder()
        if d is None or not d.is_dir():
            self.on_error("Open output folder", self.missing)
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(d.resolve()))):
            self.on_error("Open output folder", f"Could not open {d} with the system's file manager.")
