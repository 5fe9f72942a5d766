"""The Cleanup tab's list of scans: Add files / Add folder / Remove / Clear, one row per file and its status.

``inputs`` are what was added (files and folders); the rows are their scans. Each row keeps the file's
full path (``Qt.UserRole`` of the name cell) and its status word (``Qt.UserRole`` of the status cell);
the cells show a friendlier text and colour. What the buttons do is the tab's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from core.cleanup.gui_support import expand_inputs, inputs_without

COL_FILE, COL_STATUS, COL_MESSAGE = range(3)
STATUS_TEXT = {"pending": "queued", "queued": "queued", "running": "running…", "done": "done", "kept": "kept",
               "failed": "failed", "cancelled": "cancelled"}
STATUS_COLOUR = {"done": QColor(30, 130, 50), "kept": QColor(60, 100, 160), "failed": QColor(190, 30, 30),
                 "cancelled": QColor(150, 110, 20), "running": QColor(20, 20, 200)}
UNFINISHED = ("queued", "pending", "running")


def dropped_paths(mime) -> list[str]:
    """The local files and folders in a drag's mime data."""
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []


class ScanList(QGroupBox):
    """The scans and their batch status, with the buttons that change the list."""

    selectionChanged = Signal()

    def __init__(self, title: str, hint: str, parent=None):
        super().__init__(title, parent)
        self.inputs: list[Path] = []          # what the user added (files and folders)
        self.rows: dict[str, int] = {}        # str(src) → table row
        self.add_files_button = QPushButton("Add files…")
        self.add_folder_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected files from the list")
        self.clear_button = QPushButton("Clear")
        row = QHBoxLayout()
        for b in self.buttons():
            row.addWidget(b)
        self.table = self._make_table()
        self.drop_hint = QLabel(hint)
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setStyleSheet("color: gray")
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.drop_hint)

    def _make_table(self) -> QTableWidget:
        t = QTableWidget(0, 3)
        t.setHorizontalHeaderLabels(["File", "Status", "Message"])
        t.verticalHeader().setVisible(False)
        t.setEditTriggers(QAbstractItemView.NoEditTriggers)
        t.setSelectionBehavior(QAbstractItemView.SelectRows)
        t.setSelectionMode(QAbstractItemView.ExtendedSelection)
        hh = t.horizontalHeader()
        hh.setSectionResizeMode(COL_FILE, QHeaderView.Stretch)
        hh.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeToContents)
        hh.setSectionResizeMode(COL_MESSAGE, QHeaderView.Interactive)
        hh.resizeSection(COL_MESSAGE, 140)
        t.setWordWrap(False)
        t.setTextElideMode(Qt.ElideRight)
        # drops go to the tab (files and folders anywhere on it), not into the table's cells
        t.setAcceptDrops(False)
        t.viewport().setAcceptDrops(False)
        t.itemSelectionChanged.connect(self.selectionChanged)
        return t

    def buttons(self) -> tuple:
        return (self.add_files_button, self.add_folder_button, self.remove_button, self.clear_button)

    def count(self) -> int:
        return self.table.rowCount()

    # -- inputs and rows ----------------------------------------------------------------------
    def add_paths(self, paths) -> tuple[int, list[str], list]:
        """Add files and folders: (how many scans were added, names not found, folders without scans)."""
        new, missing, empty = expand_inputs(paths, {str(p) for p in self.inputs})
        added = 0
        for p, scans in new:
            self.inputs.append(p)
            for s in scans:
                if str(s) not in self.rows:
                    self.add_row(s)
                    added += 1
        if added:
            self.select_first_if_none()
        return added, missing, empty

    def add_row(self, src: Path, status: str = "queued", message: str = "") -> int:
        r = self.table.rowCount()
        self.table.insertRow(r)
        item = QTableWidgetItem(src.name)
        item.setData(Qt.UserRole, str(src))
        item.setToolTip(str(src))
        self.table.setItem(r, COL_FILE, item)
        self.table.setItem(r, COL_STATUS, QTableWidgetItem())
        self.table.setItem(r, COL_MESSAGE, QTableWidgetItem())
        self.rows[str(src)] = r
        self.set_status(r, status, message)
        return r

    def set_status(self, row: int, status: str, message: str = "") -> None:
        it = self.table.item(row, COL_STATUS)
        it.setText(STATUS_TEXT.get(status, status))
        it.setData(Qt.UserRole, status)
        colour = STATUS_COLOUR.get(status)
        it.setForeground(QBrush(colour) if colour is not None else QBrush())
        m = self.table.item(row, COL_MESSAGE)
        m.setText(message)
        m.setToolTip(message)

    def update_file(self, src: str, status: str, message: str) -> None:
        """Show a batch job's new status on its row (the running one scrolled into view)."""
        r = self.rows.get(src if src in self.rows else str(Path(src).resolve()))
        if r is not None:
            self.set_status(r, status, message)
            if status == "running":
                self.table.scrollToItem(self.table.item(r, COL_FILE))

    def mark_unfinished(self, message: str) -> None:
        """Rows still queued or running become 'cancelled' with ``message``."""
        for r in range(self.table.rowCount()):
            if self.table.item(r, COL_STATUS).data(Qt.UserRole) in UNFINISHED:
                self.set_status(r, "cancelled", message)

    def statuses(self) -> dict[str, tuple[str, str]]:
        """{file name: (status, message)} for the list (tests, summary)."""
        return {self.table.item(r, COL_FILE).text(): (self.table.item(r, COL_STATUS).data(Qt.UserRole),
                                                      self.table.item(r, COL_MESSAGE).text())
                for r in range(self.table.rowCount())}

    def rebuild(self, jobs) -> None:
        """One row per batch job (``FileJob``), in the batch's order; the selected file stays selected."""
        keep = self.selected_path()
        self.clear_rows()
        for j in jobs:
            self.add_row(Path(j.src).resolve() if Path(j.src).exists() else Path(j.src),
                         "queued" if j.status == "pending" else j.status, j.message)
        if keep and keep in self.rows:
            self.table.selectRow(self.rows[keep])

    def remove_selected(self) -> None:
        """Remove the selected rows (a folder that loses some of its scans becomes its remaining files)."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        gone = {self.table.item(r, COL_FILE).data(Qt.UserRole) for r in rows}
        if not gone:
            return
        self.inputs = inputs_without(self.inputs, gone)
        for r in reversed(rows):
            self.table.removeRow(r)
        self.rows = {self.table.item(r, COL_FILE).data(Qt.UserRole): r for r in range(self.table.rowCount())}

    def clear_rows(self) -> None:
        self.rows.clear()
        self.table.setRowCount(0)

    def clear(self) -> None:
        """No inputs, no rows."""
        self.inputs.clear()
        self.clear_rows()

    # -- selection ----------------------------------------------------------------------------
    def selected_path(self) -> Optional[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return self.table.item(rows[0], COL_FILE).data(Qt.UserRole) if rows else None

    def select_first_if_none(self) -> None:
        if not self.table.selectedItems():
            self.table.selectRow(0)

    def select_file(self, name_or_path: str) -> None:
        for r in range(self.table.rowCount()):
            it = self.table.item(r, COL_FILE)
            if name_or_path in (it.text(), it.data(Qt.UserRole)):
                self.table.selectRow(r)
                return
