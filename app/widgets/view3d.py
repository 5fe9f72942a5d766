"""The 3D view: a pyvistaqt QtInteractor showing a ``core.render`` scene.

If OpenGL is not usable (or SEQGEN_NO_3D=1), a label takes its place and the rest of the
window keeps working.
"""

from __future__ import annotations

import logging
import os

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.render import SceneData, add_scene

log = logging.getLogger("app.view3d")


class View3D(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plotter = None
        self.error: str | None = None
        self.scene: SceneData | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        platform = QGuiApplication.platformName()
        if os.environ.get("SEQGEN_NO_3D", "") not in ("", "0"):
            self.error = "The 3D view is turned off (SEQGEN_NO_3D)."
        elif platform in ("offscreen", "minimal"):
            self.error = f"The 3D view needs a display (Qt platform '{platform}' has no OpenGL)."
        else:
            try:
                from pyvistaqt import QtInteractor

                self.plotter = QtInteractor(self)
                self.plotter.set_background("#20242b", top="#4a5160")
                lay.addWidget(self.plotter.interactor)
            except Exception as exc:  # no OpenGL, no display, broken driver
                self.plotter = None
                self.error = f"The 3D view is not available here: {exc}"
                log.warning(self.error)
        if self.plotter is None:
            label = QLabel(self.error or "No 3D view")
            label.setAlignment(Qt.AlignCenter)
            label.setWordWrap(True)
            lay.addWidget(label)
        self.setMinimumSize(240, 200)

    @property
    def available(self) -> bool:
        return self.plotter is not None

    def show_scene(self, data: SceneData, reset_camera: bool = True) -> None:
        self.scene = data
        if self.plotter is None:
            return
        add_scene(self.plotter, data, reset_camera=reset_camera)
        self.plotter.render()

    def clear(self) -> None:
        self.scene = None
        if self.plotter is not None:
            self.plotter.clear_actors()
            self.plotter.render()

    def screenshot(self, path=None) -> np.ndarray | None:
        """RGB array of the 3D view (and a PNG at ``path`` if given); None without a 3D view."""
        if self.plotter is None:
            return None
        self.plotter.render()
        return self.plotter.screenshot(str(path) if path is not None else None)

    def close_plotter(self) -> None:
        if self.plotter is not None:
            try:
                self.plotter.close()
            except Exception:
                pass
            self.plotter = None
