"""Side-by-side clip player: real frames beside generated ones, play/pause/step/loop/speed on a QTimer.

Generated frames carry an orange border and a "generated" label; context frames a grey one.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QVBoxLayout, QWidget)

GENERATED_COLOR = "#ff7f0e"
CONTEXT_COLOR = "#888888"
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
BASE_FPS = 10.0
VIEW_PX = 256


def to_pixmap(frame: np.ndarray, px: int = VIEW_PX) -> QPixmap:
    f = np.ascontiguousarray(frame, dtype=np.uint8)
    h, w = f.shape[:2]
    img = QImage(f.data, w, h, w, QImage.Format_Grayscale8).copy()
    return QPixmap.fromImage(img).scaled(px, px, Qt.KeepAspectRatio, Qt.FastTransformation)


class FrameView(QWidget):
    """One frame with a caption; a coloured border marks generated frames."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setAlignment(Qt.AlignCenter)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignCenter)
        self.image.setMinimumSize(VIEW_PX + 8, VIEW_PX + 8)
        self.tag = QLabel("")
        self.tag.setAlignment(Qt.AlignCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addWidget(self.image, 1)
        lay.addWidget(self.tag)
        self.kind = "none"

    def show_frame(self, frame: Optional[np.ndarray], kind: str) -> None:
        """kind: 'context', 'generated', 'real' or 'none' (no frame)."""
        self.kind = kind
        if frame is None:
            self.image.clear()
            self.image.setText("no real frame here")
            self.image.setStyleSheet("border: 3px dashed #cccccc; color: #888888;")
            self.tag.setText("")
            return
        self.image.setPixmap(to_pixmap(frame))
        color = {"generated": GENERATED_COLOR, "context": CONTEXT_COLOR}.get(kind, "#2ca02c")
        self.image.setStyleSheet(f"border: 4px solid {color}; background: black;")
        text = {"generated": "generated", "context": "given (context)", "real": "real"}.get(kind, "")
        self.tag.setText(f"<span style='color:{color}; font-weight:bold'>{text}</span>")


class VideoPlayer(QWidget):
    """Real clip (left) and one sample of context + generated frames (right)."""

    frameChanged = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.real: Optional[np.ndarray] = None
        self.clip: Optional[np.ndarray] = None
        self.context = 0
        self.index = 0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

        self.real_view = FrameView("Real")
        self.gen_view = FrameView("Model")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.back_button = QPushButton("◀ Step")
        self.back_button.clicked.connect(self.step_back)
        self.forward_button = QPushButton("Step ▶")
        self.forward_button.clicked.connect(self.step_forward)
        self.loop_check = QCheckBox("Loop")
        self.loop_check.setChecked(True)
        self.speed_combo = QComboBox()
        for s in SPEEDS:
            self.speed_combo.addItem(f"{s:g}×", s)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.setToolTip(f"Playback speed (1× = {BASE_FPS:g} frames per second)")
        self.speed_combo.currentIndexChanged.connect(self._apply_speed)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.valueChanged.connect(self.show_frame)
        self.frame_label = QLabel("no clip")

        views = QHBoxLayout()
        views.addWidget(self.real_view)
        views.addWidget(self.gen_view)
        buttons = QHBoxLayout()
        for w in (self.back_button, self.play_button, self.forward_button, self.loop_check):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Speed"))
        buttons.addWidget(self.speed_combo)
        seek = QHBoxLayout()
        seek.addWidget(self.slider, 1)
        seek.addWidget(self.frame_label)
        controls = QVBoxLayout()
        controls.addLayout(buttons)
        controls.addLayout(seek)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(views, 1)
        lay.addLayout(controls)
        self._apply_speed()
        self._update_enabled()
        self.show_frame(0)

    # -- data ---------------------------------------------------------------------------------
    def frame_count(self) -> int:
        n = 0 if self.real is None else len(self.real)
        return max(n, 0 if self.clip is None else len(self.clip))

    def set_clip(self, real: Optional[np.ndarray], clip: Optional[np.ndarray] = None, context: int = 0) -> None:
        """``real`` (T, H, W) uint8; ``clip`` = context + generated frames of one sample (or None)."""
        self.real = None if real is None else np.asarray(real)
        self.clip = None if clip is None else np.asarray(clip)
        self.context = int(context)
        keep = self.index
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(self.frame_count() - 1, 0))
        self.slider.blockSignals(False)
        self.index = -1
        self.show_frame(min(keep, max(self.frame_count() - 1, 0)))
        self._update_enabled()

    def is_generated(self, i: int) -> bool:
        return self.clip is not None and self.context <= i < len(self.clip)

    def generated_indices(self) -> list[int]:
        return [i for i in range(self.frame_count()) if self.is_generated(i)]

    def current_frames(self) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        i = self.index
        r = self.real[i] if self.real is not None and 0 <= i < len(self.real) else None
        g = self.clip[i] if self.clip is not None and 0 <= i < len(self.clip) else None
        return r, g

    # -- showing ------------------------------------------------------------------------------
    @Slot(int)
    def show_frame(self, i: int) -> None:
        n = self.frame_count()
        if n == 0:
            self.index = 0
            self.real_view.show_frame(None, "none")
            self.gen_view.show_frame(None, "none")
            self.real_view.image.setText("Open a clip or pick a test sample")
            self.gen_view.image.setText("Generate to see the model's frames")
            self.frame_label.setText("no clip")
            return
        i = int(min(max(i, 0), n - 1))
        changed = i != self.index
        self.index = i
        if self.slider.value() != i:
            self.slider.blockSignals(True)
            self.slider.setValue(i)
            self.slider.blockSignals(False)
        r, g = self.current_frames()
        self.real_view.show_frame(r, "context" if (self.clip is not None and i < self.context) else "real")
        if self.clip is None:
            self.gen_view.show_frame(None, "none")
            self.gen_view.image.setText("Generate to see the model's frames")
        else:
            self.gen_view.show_frame(g, "generated" if self.is_generated(i) else "context")
        mark = " · generated" if self.is_generated(i) else ""
        self.frame_label.setText(f"frame {i + 1} / {n}{mark}")
        if changed:
            self.frameChanged.emit(i)

    @Slot()
    def step_forward(self) -> None:
        n = self.frame_count()
        if n:
            self.show_frame(0 if (self.index >= n - 1 and self.loop_check.isChecked()) else self.index + 1)

    @Slot()
    def step_back(self) -> None:
        n = self.frame_count()
        if n:
            self.show_frame(n - 1 if (self.index <= 0 and self.loop_check.isChecked()) else self.index - 1)

    # -- playback -----------------------------------------------------------------------------
    def speed(self) -> float:
        return float(self.speed_combo.currentData() or 1.0)

    @Slot()
    def _apply_speed(self) -> None:
        self.timer.setInterval(max(int(1000.0 / (BASE_FPS * self.speed())), 10))

    def play(self) -> None:
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    def is_playing(self) -> bool:
        return self.timer.isActive()

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        if on and self.frame_count() > 1:
            if self.index >= self.frame_count() - 1:
                self.show_frame(0)
            self.timer.start()
            self.play_button.setText("⏸ Pause")
        else:
            self.timer.stop()
            self.play_button.setText("▶ Play")
            if self.play_button.isChecked():
                self.play_button.blockSignals(True)
                self.play_button.setChecked(False)
                self.play_button.blockSignals(False)

    @Slot()
    def _tick(self) -> None:
        n = self.frame_count()
        if self.index >= n - 1:
            if self.loop_check.isChecked():
                self.show_frame(0)
            else:
                self.pause()
            return
        self.show_frame(self.index + 1)

    def _update_enabled(self) -> None:
        has = self.frame_count() > 0
        for w in (self.play_button, self.back_button, self.forward_button, self.slider):
            w.setEnabled(has)
        if not has:
            self.pause()
