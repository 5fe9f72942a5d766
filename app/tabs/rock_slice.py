"""The Rock tab's input slice: its box, an image file or a slice of the Inspect volume, checked and shown.

A mixin of ``RockTab`` (it uses the tab's ``context``, ``inspect_tab``, ``inspect_volume``, ``inspect_name``,
``voxel_spin``, ``depth_spin``, ``_update_enabled`` and ``sliceLoaded``), kept apart to keep the tab short.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from core.errors import InputError
from core.io import IMAGE_SUFFIXES, read_image
from core.rock.config import MIN_SLICE

from ..settings import KEY_OPEN_DIR, last_dir, set_last_dir
from ..widgets.form_helpers import spin as _spin
from ..widgets.marked_slices import MarkedCanvas


class InputSliceMethods:
    """The input slice of the Rock tab: ``slice`` (uint8 0/1) and ``slice_source``, set by ``set_slice``."""

    def _slice_box(self) -> QGroupBox:
        box = QGroupBox("1 · Input slice")
        self.open_slice_button = QPushButton("Open image…")
        self.open_slice_button.setToolTip("A 2D image (PNG, TIFF, …); grey images are binarised "
                                          "(1 / bright = pore unless told otherwise)")
        self.open_slice_button.clicked.connect(self.open_slice_dialog)
        self.inspect_axis = QComboBox()
        for i, a in enumerate("zyx"):
            self.inspect_axis.addItem(a, i)
        self.inspect_axis.setToolTip("Axis across which the slice is cut")
        self.inspect_axis.currentIndexChanged.connect(self._update_inspect_range)
        self.inspect_index = _spin(0, 0, 0, "Slice index along that axis")
        self.inspect_button = QPushButton("Use slice of Inspect volume")
        self.inspect_button.setToolTip("Take a slice of the volume open in the Inspect tab")
        self.inspect_button.clicked.connect(self.use_inspect_slice)
        self.preview = MarkedCanvas()
        self.preview.setMinimumSize(120, 120)
        self.preview.setMaximumHeight(220)
        self.slice_label = QLabel("No slice loaded.")
        self.slice_label.setWordWrap(True)
        irow = QHBoxLayout()
        irow.addWidget(QLabel("Axis"))
        irow.addWidget(self.inspect_axis)
        irow.addWidget(QLabel("Index"))
        irow.addWidget(self.inspect_index, 1)
        lay = QVBoxLayout(box)
        lay.addWidget(self.open_slice_button)
        lay.addLayout(irow)
        lay.addWidget(self.inspect_button)
        prow = QHBoxLayout()
        prow.addWidget(self.preview, 1)
        prow.addWidget(self.slice_label, 1)
        lay.addLayout(prow)
        return box

    # -- the Inspect tab's volume -----------------------------------------------------------
    def inspect_voxel_size(self) -> Optional[float]:
        tab = self.inspect_tab()
        spin = getattr(tab, "voxel_spin", None)
        if spin is not None:
            return float(spin.value())
        vol = self.inspect_volume()
        return getattr(vol, "voxel_size_um", None)

    @Slot()
    @Slot(int)
    def _update_inspect_range(self, *_):
        vol = self.inspect_volume()
        if vol is None:
            self.inspect_index.setRange(0, 0)
            self.inspect_button.setToolTip("Open a volume in the Inspect tab first")
            return
        n = vol.array.shape[int(self.inspect_axis.currentData())]
        old_max = self.inspect_index.maximum()
        self.inspect_index.setRange(0, n - 1)
        if old_max != n - 1:
            self.inspect_index.setValue(n // 2)
        self.inspect_button.setToolTip(f"Take a slice of {self.inspect_name()} (Inspect tab)")

    # -- the input slice --------------------------------------------------------------------
    @Slot()
    def open_slice_dialog(self) -> None:
        exts = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Open a 2D slice", last_dir(self.context.settings, KEY_OPEN_DIR),
                                              f"Images ({exts});;All files (*)")
        if path:
            self.load_slice_image(Path(path))

    def load_slice_image(self, path) -> bool:
        """Read a 2D image as the input slice (binarisation notices go to the log)."""
        path = Path(path)
        try:
            img = read_image(path)
            self._check_slice(img.array)
        except InputError as exc:
            self.context.error("Open slice", str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a broken file must not take the tab down
            self.context.error("Open slice", f"Could not read {path.name}: {exc}")
            return False
        set_last_dir(self.context.settings, KEY_OPEN_DIR, path)
        for n in img.notices:  # they name the file already
            self.context.log(f"Rock: {n}")
        self.set_slice(img.array, str(path.resolve()), path.name)
        return True

    @staticmethod
    def _check_slice(a: np.ndarray) -> None:
        if a.ndim != 2:
            raise InputError(f"The slice must be a 2D image; this one has shape {a.shape}.")
        if min(a.shape) < MIN_SLICE:
            raise InputError(f"The slice is {a.shape[1]}×{a.shape[0]} pixels; the rock models need at least "
                             f"{MIN_SLICE}×{MIN_SLICE}.")

    @Slot()
    def use_inspect_slice(self) -> bool:
        """Take the chosen slice of the volume open in the Inspect tab as the input."""
        vol = self.inspect_volume()
        if vol is None:
            self.context.error("Use slice", "No volume is open in the Inspect tab.")
            return False
        axis = int(self.inspect_axis.currentData())
        index = int(self.inspect_index.value())
        a = np.ascontiguousarray(np.take(vol.array, index, axis=axis)).astype(np.uint8)
        try:
            self._check_slice(a)
        except InputError as exc:
            self.context.error("Use slice", str(exc))
            return False
        name = self.inspect_name()
        src = f"{vol.path} ({'zyx'[axis]} = {index})" if vol.path else f"Inspect volume ({'zyx'[axis]} = {index})"
        vs = self.inspect_voxel_size()
        if vs:
            self.voxel_spin.setValue(vs)
        self.set_slice(a, src, f"{name}, {'zyx'[axis]} = {index}")
        return True

    def set_slice(self, array: np.ndarray, source: str, title: str) -> None:
        a = (np.asarray(array) > 0).astype(np.uint8)
        self.slice, self.slice_source = a, source
        from ..widgets.slice_view import binary_rgb, rgb_to_qimage

        self.preview.set_image(rgb_to_qimage(binary_rgb(a)))
        self.slice_label.setText(f"<b>{html.escape(title)}</b><br>{a.shape[1]}×{a.shape[0]} pixels (x×y)<br>"
                                 f"porosity {a.mean():.4f}")
        self.slice_label.setToolTip(source)
        self.depth_spin.setValue(int(a.shape[1]))
        self.context.log(f"Rock: input slice {title}: {a.shape[1]}×{a.shape[0]}, porosity {a.mean():.4f}")
        self._update_enabled()
        self.sliceLoaded.emit()
