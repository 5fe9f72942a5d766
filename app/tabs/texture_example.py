"""The Texture tab's example volume: read from a file or taken from the Inspect tab, listed with the
classes (``TextureClassPanel``), generated like and compared against.

A mixin of ``TextureTab``, which provides ``example``/``example_source``/``example_name``, ``class_panel``,
``voxel_spin``, ``_on_class_changed``, ``exampleLoaded`` and VolumeTab's jobs and Inspect access.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog

from core.texture.config import MIN_CROP
from core.texture.gui_support import read_example_job

from ..settings import KEY_OPEN_DIR, last_dir, set_last_dir


class ExampleVolumeMethods:
    """Mixin: the example volume of the Texture tab."""

    def _example_entry(self) -> Optional[tuple]:
        """(array, source, name) of the example volume, or None."""
        return None if self.example is None else (self.example, self.example_source, self.example_name)

    @Slot()
    def open_example_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "An example volume to continue",
                                              last_dir(self.context.settings, KEY_OPEN_DIR), self.VOLUME_FILTER)
        if path:
            self.load_example(path)

    def load_example(self, path) -> bool:
        """Read an example volume in the background; it is listed (and selected) when read."""
        path = Path(path)
        set_last_dir(self.context.settings, KEY_OPEN_DIR, path)
        self._pending_meta = {"example_path": str(path.resolve()), "example_name": path.name}
        return self._start("Reading example", read_example_job, path, on_finished=self._on_example_read)

    @Slot(object)
    def _on_example_read(self, vol) -> None:
        for n in vol.notices:
            self.context.log(f"Texture: {n}")
        if vol.voxel_size_um:
            self.voxel_spin.setValue(float(vol.voxel_size_um))
        self._job_ended("Example read", done=True)
        self.set_example(vol.array, self._pending_meta["example_path"], self._pending_meta["example_name"])

    @Slot()
    def use_inspect_example(self) -> bool:
        vol = self.inspect_volume()
        if vol is None:
            self.context.error("Example", "No volume is open in the Inspect tab.")
            return False
        if min(vol.array.shape) < MIN_CROP:
            self.context.error("Example", f"The Inspect volume is {'×'.join(map(str, vol.array.shape))} voxels; an "
                                          f"example must be at least {MIN_CROP} along every axis.")
            return False
        spin = getattr(self.inspect_tab(), "voxel_spin", None)
        if spin is not None:
            self.voxel_spin.setValue(float(spin.value()))
        self.set_example(vol.array, str(vol.path) if vol.path else "the Inspect volume", self.inspect_name())
        return True

    def set_example(self, array: np.ndarray, source: str, name: str) -> None:
        """Make ``array`` (binarised) the example: listed, chosen, offered as a reference."""
        a = np.ascontiguousarray(np.asarray(array) > 0, dtype=np.uint8)
        self.example, self.example_source, self.example_name = a, source, name
        self.class_panel.put_example(a, source, name)
        self._on_class_changed(self.class_list.currentRow())
        self._fill_references()
        self.context.log(f"Texture: example {source}: {a.shape[2]}×{a.shape[1]}×{a.shape[0]}, porosity {a.mean():.4f}")
        self.exampleLoaded.emit()
