"""The Texture tab's "2 · Texture" box: the model's classes (a real slice and the training porosity of
each), the example volume once one is loaded, the example buttons, and a preview of the chosen entry.

Widgets only: the tab connects ``class_list.currentRowChanged`` and the buttons to its own slots and
keeps the example volume; entries carry ("class", name) or ("example", None) as their data.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout)

from core.texture.gui_support import central_slice, class_voxel_size

from .slice_view import ImageCanvas, binary_rgb, rgb_to_qimage

PREVIEW_ICON = 56


def slice_icon(slice2d: np.ndarray) -> QIcon:
    """A binary slice as a list icon."""
    return QIcon(QPixmap.fromImage(rgb_to_qimage(binary_rgb(slice2d))))


def model_text(model) -> str:
    """The model label's rich text: file, step, classes, code size, crop, device (and a missing class table)."""
    info = model.class_info()
    name = Path(model.path).name if model.path else "model"
    cfg = model.config
    text = (f"<b>{html.escape(name)}</b>: step {model.step}, {len(info)} class{'es' if len(info) != 1 else ''}, "
            f"code size {cfg.code_dim}, trained on {cfg.crop}³ crops; on {model.device}.")
    if not info:
        text += ("<br><b>No fitted classes</b>: generate from an example, or fit them (“seqgen texture export "
                 "CHECKPOINT OUT.pt --data NAME=VOLUME”). " + html.escape(" ".join(model.notices)))
    return text


class TextureClassPanel(QGroupBox):
    """The class list with the example entry, the From example… / Inspect volume buttons, and the preview."""

    def __init__(self, parent=None):
        super().__init__("2 · Texture", parent)
        self.class_list = QListWidget()
        self.class_list.setIconSize(QSize(PREVIEW_ICON, PREVIEW_ICON))
        self.class_list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.class_list.setMinimumHeight(120)
        self.class_list.setMaximumHeight(200)
        self.class_list.setToolTip("The classes the model was trained on (a real slice of each, with its "
                                   "training porosity), and an example volume once one is loaded")
        self.example_button = QPushButton("From example…")
        self.example_button.setToolTip("Load a volume: the model encodes its texture and generates more like it")
        self.inspect_example_button = QPushButton("Inspect volume")
        self.inspect_example_button.setToolTip("Use the volume open in the Inspect tab as the example")
        erow = QHBoxLayout()
        erow.addWidget(self.example_button, 1)
        erow.addWidget(self.inspect_example_button)
        self.class_preview = ImageCanvas()
        self.class_preview.setMinimumSize(110, 110)
        self.class_preview.setMaximumHeight(170)
        self.class_label = QLabel("")
        self.class_label.setWordWrap(True)
        prow = QHBoxLayout()
        prow.addWidget(self.class_preview, 1)
        prow.addWidget(self.class_label, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.class_list)
        lay.addLayout(erow)
        lay.addLayout(prow)

    # -- the entries ------------------------------------------------------------------------
    def _rows(self):
        return (self.class_list.item(i) for i in range(self.class_list.count()))

    def class_names(self) -> list[str]:
        """The classes listed (not the example)."""
        return [it.data(Qt.UserRole)[1] for it in self._rows() if it.data(Qt.UserRole)[0] == "class"]

    def selection(self) -> Optional[tuple[str, Optional[str]]]:
        """('class', name), ('example', None) or None."""
        it = self.class_list.currentItem()
        return tuple(it.data(Qt.UserRole)) if it is not None else None

    def select(self, key: tuple) -> bool:
        """Choose the entry whose data is ``key``: ('class', name) or ('example', None)."""
        for i, it in enumerate(self._rows()):
            if tuple(it.data(Qt.UserRole)) == tuple(key):
                self.class_list.setCurrentRow(i)
                return True
        return False

    def fill(self, info: list[dict], example: Optional[tuple]) -> None:
        """List the classes of ``info`` (and the ``example`` (array, source, name)), keeping the chosen entry;
        without signals (the tab then shows the current row itself)."""
        keep = self.selection()
        self.class_list.blockSignals(True)
        self.class_list.clear()
        for c in info:
            prev = np.asarray(c["preview"])
            it = QListWidgetItem(f"{c['name']}\ntraining porosity {c['porosity']:.4f}")
            if prev.ndim == 2 and prev.size:
                it.setIcon(slice_icon(prev))
            it.setData(Qt.UserRole, ("class", c["name"]))
            it.setData(Qt.UserRole + 1, c)
            it.setToolTip(f"Class {c['name']}: training porosity {c['porosity']:.4f}; code Gaussian fitted on "
                          f"{c['n_crops']} crops")
            self.class_list.addItem(it)
        if example is not None:
            self._add_example_item(*example)
        row = 0
        for i, it in enumerate(self._rows()):
            if keep is not None and tuple(it.data(Qt.UserRole)) == keep:
                row = i
        self.class_list.setCurrentRow(row if self.class_list.count() else -1)
        self.class_list.blockSignals(False)

    def put_example(self, array: np.ndarray, source: str, name: str) -> None:
        """Replace the example entry by this one and choose it (without signals)."""
        for i, it in enumerate(self._rows()):
            if it.data(Qt.UserRole)[0] == "example":
                self.class_list.takeItem(i)
                break
        self.class_list.blockSignals(True)
        self._add_example_item(array, source, name)
        self.class_list.setCurrentRow(self.class_list.count() - 1)
        self.class_list.blockSignals(False)

    def _add_example_item(self, a: np.ndarray, source: str, name: str) -> None:
        it = QListWidgetItem(f"Example: {name}\nporosity {a.mean():.4f}, {a.shape[2]}×{a.shape[1]}×{a.shape[0]}")
        it.setIcon(slice_icon(central_slice(a)))
        it.setData(Qt.UserRole, ("example", None))
        it.setToolTip(f"Generate more like {source}")
        self.class_list.addItem(it)

    # -- the chosen entry -------------------------------------------------------------------
    def show_entry(self, row: int, have_model: bool, example: Optional[tuple]) -> Optional[float]:
        """Preview and note of entry ``row``; the voxel size of a class named after a shared rock, else None."""
        it = self.class_list.item(row) if row >= 0 else None
        if it is None:
            self.class_preview.set_image(None)
            self.class_label.setText("Choose a model to list its texture classes." if not have_model
                                     else "No classes: load an example volume.")
            return None
        kind, name = it.data(Qt.UserRole)
        if kind != "class":
            a, _, ex_name = example
            self.class_preview.set_image(rgb_to_qimage(binary_rgb(central_slice(a))))
            self.class_label.setText(f"<b>Example</b> {html.escape(ex_name)}<br>porosity "
                                     f"{a.mean():.4f}<br>{a.shape[2]}×{a.shape[1]}×{a.shape[0]} (x×y×z)")
            return None
        c = it.data(Qt.UserRole + 1)
        prev = np.asarray(c["preview"])
        self.class_preview.set_image(rgb_to_qimage(binary_rgb(prev)) if prev.ndim == 2 and prev.size else None)
        vs = class_voxel_size(name)
        self.class_label.setText(f"<b>{html.escape(name)}</b><br>training porosity {c['porosity']:.4f}<br>"
                                 f"(a real slice of its training data)" + (f"<br>voxel size {vs:g} µm" if vs else ""))
        return vs
