"""Video tab: continue a clip (or a Moving MNIST test sequence) with the Latent Video Transformer.

Input → model → context/frames/samples/seed → Generate (worker thread, progress, Cancel) →
player with real and generated frames side by side, per-frame MSE/PSNR, export MP4/GIF/PNG frames.
Compute runs through the Qt-free ``core.video.gui_support``; progress, Cancel and a job's failure or
cancellation go through ``JobTab`` (the Train panel shares the Generate progress bar and Cancel).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from core.errors import InputError
from core.shipped import shipped_models
from core.video import gui_support

from ..settings import KEY_EXPORT_DIR, KEY_OPEN_DIR, default_run_dir, get_str, last_dir, set_last_dir
from ..widgets.continuation_view import ContinuationView
from ..widgets.elided_label import ElidedLabel
from ..widgets.form_helpers import page, spin
from ..widgets.model_choice import ModelChoice, ModelChoiceMethods
from ..widgets.video_player import BASE_FPS
from ..widgets.video_sampling_form import VideoSamplingForm
from ..widgets.video_train_form import VideoTrainForm
from ..worker import error_message
from .base import AppContext
from .job_tab import JobTab

KEY_CHECKPOINTS = "video/checkpoints"
KEY_MODEL = "video/model"
KEY_SEED = "video/seed"
KEY_TRAIN_OUT = "video/train_out"
CLIP_FILTER = "Clips (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.gif *.npy);;All files (*)"
TRAIN_HINT = ("Train one in the Train panel (5) below, or with `seqgen video train-vqvae --out runs/vq` then "
              "`seqgen video train-lvt --vqvae runs/vq --out runs/lvt`, and choose runs/lvt/last.pt.")
NO_MODEL_TIP = "No video model: choose a checkpoint file (Model ▸ Checkpoint file…). " + TRAIN_HINT
GENERATING, TRAINING = "Generating", "Training"  # the two job kinds behind the one progress bar


def _row(*widgets) -> QHBoxLayout:
    """The widgets side by side."""
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    return row


class VideoTab(ModelChoiceMethods, JobTab):
    LOG_NAME = "Video"
    accepts_files = True

    generationEnded = Signal(str)   # "finished", "cancelled" or "failed"
    trainingEnded = Signal(str)     # "finished", "cancelled" or "failed"
    inputChanged = Signal()

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.frames: Optional[np.ndarray] = None       # input clip (T, H, W) uint8
        self.input_name = ""
        self.input_notices: list[str] = []
        self.sample_index: Optional[int] = None          # set when the input is a test sequence
        self.model_path: Optional[str] = None
        self.model_info: Optional[dict] = None
        self.result: Optional[gui_support.Generation] = None
        self.metrics: list[dict] = []
        self._last_spec: Optional[str] = None

        self.jobFailed.connect(self._after_failure)
        self.jobCancelled.connect(self._after_cancel)
        self._build_ui()
        self._fill_models(select=get_str(context.settings, KEY_MODEL, "") or None)
        try:
            seed = int(get_str(context.settings, KEY_SEED, "0") or 0)
        except ValueError:
            seed = 0
        self.seed_spin.setValue(seed)
        self._update_enabled()

    # -- layout -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.train_form = VideoTrainForm(get_str(self.context.settings, KEY_TRAIN_OUT, "") or default_run_dir("video"),
                                         lambda: last_dir(self.context.settings, KEY_OPEN_DIR))
        self.train_form.train_button.clicked.connect(self.train)
        for name in ("vq_steps_spin", "lvt_steps_spin", "train_out_edit", "data_edit", "resume_check", "train_button"):
            setattr(self, name, getattr(self.train_form, name))  # the names callers and tests use on the tab
        self.view = ContinuationView()
        self.player, self.plot = self.view.player, self.view.plot
        self.sample_combo, self.sample_row = self.view.sample_combo, self.view.sample_row
        main = QHBoxLayout(self)
        main.addWidget(self._side_panel([self._input_box(), self._model_box(), self._generate_box(),
                                         self._export_box(), self.train_form]))
        main.addWidget(self.view, 1)

    @staticmethod
    def _side_panel(boxes: list[QWidget]) -> QScrollArea:
        """The boxes top-down in a scroll area as wide as they need (no horizontal scrolling)."""
        scroll = page(*boxes)
        scroll.widget().layout().setContentsMargins(0, 0, 0, 0)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(scroll.widget().minimumSizeHint().width()
                               + scroll.verticalScrollBar().sizeHint().width() + 6)
        return scroll

    def _input_box(self) -> QGroupBox:
        box = QGroupBox("1 · Input")
        self.open_button = QPushButton("Open clip…")
        self.open_button.setToolTip("MP4/AVI/MOV, GIF, .npy (frames×H×W) or a folder of frames")
        self.open_button.clicked.connect(self.open_clip_dialog)
        self.open_folder_button = QPushButton("Folder of frames…")
        self.open_folder_button.clicked.connect(self.open_folder_dialog)
        self.sample_spin = spin(0, gui_support.MAX_TEST_INDEX, 0, "Moving MNIST fixed test sequence (test digits only)")
        self.sample_button = QPushButton("Use test sample")
        self.sample_button.clicked.connect(self._on_sample_button)
        self.input_label = QLabel("No input: open a clip or use a Moving MNIST test sample.")
        self.input_label.setWordWrap(True)
        lay = QVBoxLayout(box)
        lay.addLayout(_row(self.open_button, self.open_folder_button))
        lay.addLayout(_row(QLabel("Test sample"), self.sample_spin, self.sample_button))
        lay.addWidget(self.input_label)
        return box

    def _model_box(self) -> QGroupBox:
        box = QGroupBox("2 · Model")
        self.model_combo = QComboBox()
        self.model_choice = ModelChoice(self, self.context, self.model_combo, method="video", key=KEY_CHECKPOINTS,
                                        choose_tip="Choose a trained video transformer checkpoint (.pt)",
                                        dialog_title="Video model checkpoint", on_filled=self._on_model_changed,
                                        previous=lambda: self._last_spec, load=gui_support.load_model,
                                        # looked up per call, so that this module's name can be stubbed (tests)
                                        shipped=lambda: shipped_models("video"))
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.model_label = QLabel("")
        self.model_label.setWordWrap(True)
        lay = QVBoxLayout(box)
        lay.addWidget(self.model_combo)
        lay.addWidget(self.model_label)
        return box

    def _generate_box(self) -> QGroupBox:
        box = QGroupBox("3 · Generate")
        self.sampling = VideoSamplingForm()
        for name in ("context_spin", "frames_spin", "samples_spin", "temperature_spin", "top_k_spin", "seed_spin"):
            setattr(self, name, getattr(self.sampling, name))  # the names callers and tests use on the tab
        self.seed_spin.valueChanged.connect(self._save_seed)
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)  # GUI-thread slot sets the CancelToken
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status_label = ElidedLabel("")  # one line; all of it in the tooltip (and in the log)
        lay = QVBoxLayout(box)
        lay.addWidget(self.sampling)
        lay.addLayout(_row(self.generate_button, self.cancel_button))
        lay.addWidget(self.progress)
        lay.addWidget(self.status_label)
        return box

    def _export_box(self) -> QGroupBox:
        box = QGroupBox("4 · Export the shown sample")
        self.export_mp4_button = QPushButton("MP4…")
        self.export_gif_button = QPushButton("GIF…")
        self.export_png_button = QPushButton("PNG frames…")
        self.export_mp4_button.clicked.connect(lambda: self.export_dialog(".mp4"))
        self.export_gif_button.clicked.connect(lambda: self.export_dialog(".gif"))
        self.export_png_button.clicked.connect(self.export_png_dialog)
        lay = QHBoxLayout(box)
        for b in (self.export_mp4_button, self.export_gif_button, self.export_png_button):
            lay.addWidget(b)
        return box

    # -- input --------------------------------------------------------------------------------
    def open_clip_dialog(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "Open a clip", last_dir(self.context.settings, KEY_OPEN_DIR),
                                           CLIP_FILTER)
        if f:
            self.open_path(Path(f))

    def open_folder_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open a folder of frames",
                                             last_dir(self.context.settings, KEY_OPEN_DIR))
        if d:
            self.open_path(Path(d))

    def open_path(self, path: Path, **options) -> bool:
        """Read a clip (native size; fitted to the model's size at Generate). Errors → dialog."""
        if self.jobs.busy:
            self.context.error("Open clip", "A generation is running: open the clip when it has ended.")
            return False
        path = Path(path)
        try:
            frames, notes = gui_support.read_input_clip(path, None)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.context.error("Open clip", f"Cannot read {path.name} as a clip:\n{error_message(exc)}")
            return False
        set_last_dir(self.context.settings, KEY_OPEN_DIR, path)
        self.sample_index = None
        self._set_input(frames, path.name, notes)
        return True

    @Slot()
    def _on_sample_button(self) -> None:
        self.load_test_sample(self.sample_spin.value())

    def load_test_sample(self, index: int) -> bool:
        size = self.model_info["size"] if self.model_info else 64
        try:
            frames, notes = gui_support.test_sample(index, size)
        except Exception as exc:  # noqa: BLE001
            self.context.error("Test sample", error_message(exc))
            return False
        self.sample_spin.setValue(int(index))
        self.sample_index = int(index)
        self._set_input(frames, f"Moving MNIST test sample {index}", notes)
        return True

    def _set_input(self, frames: np.ndarray, name: str, notes: list[str]) -> None:
        self.frames = np.ascontiguousarray(frames)
        self.input_name = name
        self.input_notices = list(notes)
        t, h, w = self.frames.shape
        text = f"<b>{name}</b>: {t} frame(s) of {w}×{h}"
        if self.model_info and (h, w) != (self.model_info["size"],) * 2:
            text += f" (fitted to the model's {self.model_info['size']}×{self.model_info['size']} at Generate)"
        if notes:
            text += "<br>" + "<br>".join(notes)
        self.input_label.setText(text)
        for n in notes:
            self.context.log(f"{self.LOG_NAME}: {n}")
        self._clear_result()
        self.player.set_clip(self.frames)
        self._update_enabled()
        self.inputChanged.emit()

    # -- model --------------------------------------------------------------------------------
    @Slot(int)
    def _on_model_changed(self, index: int) -> None:
        spec = self.model_spec()
        self.model_path, self.model_info = None, None
        if spec is None:
            self.model_label.setText(NO_MODEL_TIP)
            self._update_enabled()
            return
        try:
            info = gui_support.model_info(gui_support.load_model(spec))
        except Exception as exc:  # noqa: BLE001
            self.model_label.setText(f"Cannot load this model: {error_message(exc)}")
            self._update_enabled()
            return
        self.model_path, self.model_info, self._last_spec = spec, info, spec
        self.context.settings.setValue(KEY_MODEL, spec)
        self.model_label.setText(gui_support.model_text(info))
        self.context_spin.setMinimum(info["context"])
        if self.sample_index is not None and self.frames is not None and self.frames.shape[1] != info["size"]:
            self.load_test_sample(self.sample_index)
        self._update_enabled()

    # -- seed ---------------------------------------------------------------------------------
    @Slot()
    def new_seed(self) -> int:
        return self.sampling.new_seed()

    @Slot(int)
    def _save_seed(self, value: int) -> None:
        self.context.settings.setValue(KEY_SEED, int(value))

    # -- generate -----------------------------------------------------------------------------
    def _disabled_reason(self) -> str:
        if self.model_path is None:
            return NO_MODEL_TIP
        if self.frames is None:
            return "Open a clip or use a test sample first."
        if self.jobs.busy:
            return "A generation is running."
        return ""

    @Slot()
    def generate(self) -> bool:
        reason = self._disabled_reason()
        if reason:
            self.context.error("Generate", reason)
            return False
        ctx = self.context_spin.value()
        try:
            notes = gui_support.check_context(self.frames, ctx, self.model_info["context"])
        except InputError as exc:
            self.context.error("Generate", str(exc))
            return False
        for n in notes:
            self.context.log(f"{self.LOG_NAME}: {n}")
        seed, temperature = self.seed_spin.value(), self.temperature_spin.value()
        self.status_label.setText(f"Generating {self.frames_spin.value()} frame(s) × {self.samples_spin.value()} "
                                  f"sample(s), {gui_support.sampling_text(temperature, seed)}…")
        # gui_support.generate looked up per call, so that tests can stub it
        return self._start(GENERATING, gui_support.generate, self.model_path, self.frames, ctx,
                           self.frames_spin.value(), samples=self.samples_spin.value(), seed=seed,
                           device=gui_support.generation_device(self.context.device()), temperature=temperature,
                           top_k=self.top_k_spin.value() or None, on_finished=self._on_generated)

    @Slot(object)
    def _on_generated(self, result: gui_support.Generation) -> None:
        self.result = result
        self.metrics = result.metrics()
        self.view.set_result(result, self.metrics)
        self._job_ended(f"Generated {result.samples} sample(s)", done=True)
        text = result.summary()
        self.status_label.setText(text)
        self.context.log(f"{self.LOG_NAME}: {text} (model {result.model_path})")
        self.context.status(text)
        self._update_enabled()
        self.generationEnded.emit("finished")

    def _ended_signal(self):
        """The signal that reports the end of the running job (generation or training)."""
        return self.trainingEnded if self._job_kind == TRAINING else self.generationEnded

    # JobTab's own failure/cancel slots run first (on the GUI thread) and then emit these signals; the
    # extras hang on them rather than on overrides of those slots, which PySide6 would call on the
    # worker's thread.
    @Slot(str)
    def _after_failure(self, message: str) -> None:
        self.status_label.setText(f"{'Training failed' if self._job_kind == TRAINING else 'Failed'}: {message}")
        self._ended_signal().emit("failed")

    @Slot()
    def _after_cancel(self) -> None:
        self.status_label.setText("Training cancelled; a checkpoint was kept. Tick 'Resume' to go on."
                                  if self._job_kind == TRAINING else "Cancelled.")
        self._ended_signal().emit("cancelled")

    def current_sample(self) -> int:
        return self.view.current_sample()

    def _clear_result(self) -> None:
        self.result = None
        self.metrics = []
        self.view.clear()
        self.status_label.setText("")
        self.progress.setValue(0)
        self.progress.setFormat("%p%")

    # -- train --------------------------------------------------------------------------------
    @Slot()
    def train(self) -> bool:
        if self.jobs.busy:
            return False
        out = self.train_out_edit.text().strip()
        data = self.data_edit.text().strip() or None
        resume = self.resume_check.isChecked()
        try:
            gui_support.check_training(out, data, resume)
        except InputError as exc:
            self.context.error("Train", str(exc))
            return False
        self.context.settings.setValue(KEY_TRAIN_OUT, out)
        self.status_label.setText("Training… (Cancel keeps a checkpoint; resume later)")
        return self._start(TRAINING, gui_support.train_both, out, preset=self.train_form.preset_combo.currentData(),
                           vq_steps=self.vq_steps_spin.value(), lvt_steps=self.lvt_steps_spin.value(),
                           data_folder=data, seed=self.seed_spin.value(), device=self.context.device(),
                           resume=resume, on_finished=self._on_trained)

    @Slot(object)
    def _on_trained(self, path) -> None:
        self._job_ended("Trained", done=True)
        self.status_label.setText(f"Trained: {path}")
        self.context.log(f"{self.LOG_NAME}: trained model {path}")
        self.add_checkpoint(path)
        self.trainingEnded.emit("finished")

    # -- export -------------------------------------------------------------------------------
    def shown_clip(self) -> Optional[np.ndarray]:
        return None if self.result is None else self.result.clips[self.current_sample()]

    def export_dialog(self, suffix: str) -> None:
        if self.result is None:
            self.context.error("Export", "Generate first.")
            return
        start = Path(last_dir(self.context.settings, KEY_EXPORT_DIR)) / f"continuation_{self.result.tag}{suffix}"
        f, _ = QFileDialog.getSaveFileName(self, "Export the shown sample", str(start),
                                           f"{suffix[1:].upper()} (*{suffix})")
        if f:
            if Path(f).suffix.lower() != suffix:
                f += suffix
            self.export_to(Path(f))

    def export_png_dialog(self) -> None:
        if self.result is None:
            self.context.error("Export", "Generate first.")
            return
        d = QFileDialog.getExistingDirectory(self, "Folder for PNG frames", last_dir(self.context.settings, KEY_EXPORT_DIR))
        if d:
            self.export_to(Path(d), pngs=True)

    def export_to(self, path: Path, pngs: bool = False) -> Optional[list[Path]]:
        """Write the shown sample (context + generated frames): MP4/GIF/NPY by suffix, or PNGs into a folder."""
        clip = self.shown_clip()
        if clip is None:
            self.context.error("Export", "Generate first.")
            return None
        try:
            if pngs:
                out = gui_support.export_pngs(path, clip, prefix=self.result.tag)
            else:
                out = [gui_support.export_clip(path, clip, fps=BASE_FPS * self.player.speed())]
        except Exception as exc:  # noqa: BLE001
            self.context.error("Export", f"Could not write {Path(path).name}:\n{error_message(exc)}")
            return None
        set_last_dir(self.context.settings, KEY_EXPORT_DIR, path if pngs else Path(path).parent)
        msg = f"Exported {len(clip)} frames ({self.result.tag.replace('seed', 'seed ')}) to {path}"
        self.context.log(f"{self.LOG_NAME}: {msg}")
        self.context.status(msg)
        return out

    # -- state --------------------------------------------------------------------------------
    def _update_enabled(self, *_args) -> None:
        busy = self.jobs.busy
        reason = self._disabled_reason() if not busy else "A generation is running."
        self.generate_button.setEnabled(not reason)
        self.generate_button.setToolTip(reason or "Continue the clip from its first context frames")
        self.cancel_button.setEnabled(busy)
        for w in (self.open_button, self.open_folder_button, self.sample_button, self.sample_spin, self.model_combo,
                  *self.sampling.inputs(), *self.train_form.inputs()):
            w.setEnabled(not busy)
        has = self.result is not None and not busy
        for b in (self.export_mp4_button, self.export_gif_button, self.export_png_button):
            b.setEnabled(has)

    def is_busy(self) -> bool:
        return self.jobs.busy

    def shutdown(self) -> None:
        self.player.pause()
        self.jobs.shutdown()
