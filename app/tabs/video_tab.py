"""Video tab: continue a clip (or a Moving MNIST test sequence) with the Latent Video Transformer.

Input → model → context/frames/samples/seed → Generate (worker thread, progress, Cancel) →
player with real and generated frames side by side, per-frame MSE/PSNR, export MP4/GIF/PNG frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QScrollArea, QSpinBox, QSplitter, QVBoxLayout, QWidget)

from core.errors import InputError
from core.jobs import new_seed
from core.shipped import shipped_models
from core.video import gui_support

from ..settings import KEY_EXPORT_DIR, KEY_OPEN_DIR, default_run_dir, get_str, last_dir, set_last_dir
from ..widgets.elided_label import ElidedLabel
from ..widgets.form_helpers import double_spin, guard_wheel, spin
from ..widgets.frame_metrics_plot import FrameMetricsPlot
from ..widgets.video_player import BASE_FPS, VideoPlayer
from ..widgets.model_choice import ModelChoice, ModelChoiceMethods
from ..worker import TaskRunner, error_message
from .base import AppContext, BaseTab

KEY_CHECKPOINTS = "video/checkpoints"
KEY_MODEL = "video/model"
KEY_SEED = "video/seed"
KEY_TRAIN_OUT = "video/train_out"
CLIP_FILTER = "Clips (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.gif *.npy);;All files (*)"
TRAIN_HINT = ("Train one in the Train panel (5) below, or with `seqgen video train-vqvae --out runs/vq` then "
              "`seqgen video train-lvt --vqvae runs/vq --out runs/lvt`, and choose runs/lvt/last.pt.")
NO_MODEL_TIP = "No video model: choose a checkpoint file (Model ▸ Checkpoint file…). " + TRAIN_HINT


class VideoTab(ModelChoiceMethods, BaseTab):
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

        self.jobs = TaskRunner(self)
        self.jobs.progress.connect(self._on_progress)
        self.jobs.busyChanged.connect(self._update_enabled)

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
        # input
        in_box = QGroupBox("1 · Input")
        self.open_button = QPushButton("Open clip…")
        self.open_button.setToolTip("MP4/AVI/MOV, GIF, .npy (frames×H×W) or a folder of frames")
        self.open_button.clicked.connect(self.open_clip_dialog)
        self.open_folder_button = QPushButton("Folder of frames…")
        self.open_folder_button.clicked.connect(self.open_folder_dialog)
        self.sample_spin = QSpinBox()
        self.sample_spin.setRange(0, gui_support.MAX_TEST_INDEX)
        self.sample_spin.setToolTip("Moving MNIST fixed test sequence (test digits only)")
        self.sample_button = QPushButton("Use test sample")
        self.sample_button.clicked.connect(self._on_sample_button)
        self.input_label = QLabel("No input: open a clip or use a Moving MNIST test sample.")
        self.input_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.open_folder_button)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Test sample"))
        row2.addWidget(self.sample_spin)
        row2.addWidget(self.sample_button)
        lay = QVBoxLayout(in_box)
        lay.addLayout(row)
        lay.addLayout(row2)
        lay.addWidget(self.input_label)

        # model
        model_box = QGroupBox("2 · Model")
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
        lay = QVBoxLayout(model_box)
        lay.addWidget(self.model_combo)
        lay.addWidget(self.model_label)

        # generation settings
        gen_box = QGroupBox("3 · Generate")
        self.context_spin = QSpinBox()
        self.context_spin.setRange(1, 1000)
        self.context_spin.setValue(10)
        self.context_spin.setToolTip("Frames of the clip given to the model")
        self.frames_spin = QSpinBox()
        self.frames_spin.setRange(1, 200)
        self.frames_spin.setValue(10)
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(1, 16)
        self.samples_spin.setToolTip("Several different continuations (sampled, temperature above 0)")
        self.temperature_spin = double_spin(0.0, 5.0, 0.0, "0: the most likely continuation (no randomness, the "
                                            "seed is not used); above 0: sampled, more varied the higher", 2)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setSpecialValueText("0 (most likely)")
        self.top_k_spin = spin(0, 4096, 0, "Sample among the K most likely codes only (0: all)")
        self.top_k_spin.setSpecialValueText("all codes")
        self.samples_spin.valueChanged.connect(self._on_samples_changed)
        self.temperature_spin.valueChanged.connect(self._on_temperature_changed)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.valueChanged.connect(self._save_seed)
        self.new_seed_button = QPushButton("New seed")
        self.new_seed_button.clicked.connect(self.new_seed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.new_seed_button)
        form = QFormLayout()
        form.addRow("Context frames", self.context_spin)
        form.addRow("Frames to generate", self.frames_spin)
        form.addRow("Samples", self.samples_spin)
        form.addRow("Temperature", self.temperature_spin)
        form.addRow("Top-k", self.top_k_spin)
        form.addRow("Seed", seed_row)
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.jobs.cancel)  # GUI-thread slot sets the CancelToken
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status_label = ElidedLabel("")  # one line; all of it in the tooltip (and in the log)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.cancel_button)
        lay = QVBoxLayout(gen_box)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.status_label)

        # export
        exp_box = QGroupBox("4 · Export the shown sample")
        self.export_mp4_button = QPushButton("MP4…")
        self.export_gif_button = QPushButton("GIF…")
        self.export_png_button = QPushButton("PNG frames…")
        self.export_mp4_button.clicked.connect(lambda: self.export_dialog(".mp4"))
        self.export_gif_button.clicked.connect(lambda: self.export_dialog(".gif"))
        self.export_png_button.clicked.connect(self.export_png_dialog)
        lay = QHBoxLayout(exp_box)
        for b in (self.export_mp4_button, self.export_gif_button, self.export_png_button):
            lay.addWidget(b)

        # train
        train_box = QGroupBox("5 · Train a model")
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Small (32×32, minutes on a CPU)", "small")
        self.preset_combo.addItem("Standard (64×64, 8×8 codes, 20-frame window; hours on a CPU)", "standard")
        self.vq_steps_spin = QSpinBox()
        self.vq_steps_spin.setRange(1, 1_000_000)
        self.vq_steps_spin.setValue(500)
        self.lvt_steps_spin = QSpinBox()
        self.lvt_steps_spin.setRange(1, 1_000_000)
        self.lvt_steps_spin.setValue(1000)
        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("Moving MNIST training digits")
        self.data_edit.setToolTip("Empty: Moving MNIST built from the training digits only; "
                                  "or a folder of your clips (MP4/AVI/GIF/.npy/frame folders)")
        self.data_button = QPushButton("…")
        self.data_button.clicked.connect(self.choose_data_dialog)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_edit, 1)
        data_row.addWidget(self.data_button)
        self.train_out_edit = QLineEdit(get_str(self.context.settings, KEY_TRAIN_OUT, "")
                                        or default_run_dir("video"))
        self.train_out_button = QPushButton("…")
        self.train_out_button.clicked.connect(self.choose_train_out_dialog)
        out_row = QHBoxLayout()
        out_row.addWidget(self.train_out_edit, 1)
        out_row.addWidget(self.train_out_button)
        self.resume_check = QCheckBox("Resume the run in this folder")
        self.train_button = QPushButton("Train VQ-VAE, then transformer")
        self.train_button.clicked.connect(self.train)
        form = QFormLayout()
        form.addRow("Preset", self.preset_combo)
        form.addRow("VQ-VAE steps", self.vq_steps_spin)
        form.addRow("Transformer steps", self.lvt_steps_spin)
        form.addRow("Data", data_row)
        form.addRow("Run folder", out_row)
        lay = QVBoxLayout(train_box)
        lay.addLayout(form)
        lay.addWidget(self.resume_check)
        lay.addWidget(self.train_button)
        hint = QLabel("Uses Generate's progress bar, Cancel and seed. Long or multi-GPU runs: "
                      "<code>seqgen video train-vqvae</code> / <code>train-lvt</code> (torchrun).")
        hint.setWordWrap(True)
        lay.addWidget(hint)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        for b in (in_box, model_box, gen_box, exp_box, train_box):
            ll.addWidget(b)
        ll.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        guard_wheel(left)
        scroll.setMinimumWidth(left.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 6)

        # right: sample selector, player, plot
        self.sample_combo = QComboBox()
        self.sample_combo.currentIndexChanged.connect(self._show_sample)
        self.sample_row = QWidget()
        sr = QHBoxLayout(self.sample_row)
        sr.setContentsMargins(0, 0, 0, 0)
        sr.addWidget(QLabel("Sample"))
        sr.addWidget(self.sample_combo)
        sr.addStretch(1)
        self.sample_row.setVisible(False)
        self.player = VideoPlayer()
        self.plot = FrameMetricsPlot()
        self.player.frameChanged.connect(self.plot.set_cursor)
        right = QSplitter(Qt.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.sample_row)
        tl.addWidget(self.player, 1)
        right.addWidget(top)
        right.addWidget(self.plot)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)

        main = QHBoxLayout(self)
        main.addWidget(scroll)
        main.addWidget(right, 1)

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
            self.context.log(f"video: {n}")
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
        self.model_label.setText(f"{info['size']}×{info['size']} frames; needs ≥ {info['context']} context frames; "
                                 f"{info['window'] - info['context']} new frame(s) per window; step {info['step']}.")
        self.context_spin.setMinimum(info["context"])
        if self.sample_index is not None and self.frames is not None and self.frames.shape[1] != info["size"]:
            self.load_test_sample(self.sample_index)
        self._update_enabled()

    # -- seed ---------------------------------------------------------------------------------
    @Slot()
    def new_seed(self) -> int:
        s = new_seed()
        self.seed_spin.setValue(s)
        return s

    @Slot(int)
    def _save_seed(self, value: int) -> None:
        self.context.settings.setValue(KEY_SEED, int(value))

    # -- sampling -----------------------------------------------------------------------------
    @Slot(int)
    def _on_samples_changed(self, value: int) -> None:
        if value > 1 and self.temperature_spin.value() == 0:  # several samples are sampled ones
            self.temperature_spin.setValue(1.0)

    @Slot(float)
    def _on_temperature_changed(self, value: float) -> None:
        if value == 0 and self.samples_spin.value() > 1:  # the most likely continuation is one clip
            self.samples_spin.setValue(1)

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
            self.context.log(f"video: {n}")
        try:
            from core.jobs import select_device

            device = str(select_device(self.context.device()))
        except Exception:  # noqa: BLE001 - the CPU always works
            device = "cpu"
        seed, temperature = self.seed_spin.value(), self.temperature_spin.value()
        how = "the most likely continuation" if temperature == 0 else f"temperature {temperature:g}, seed {seed}"
        self.status_label.setText(f"Generating {self.frames_spin.value()} frame(s) × {self.samples_spin.value()} "
                                  f"sample(s), {how}…")
        self.progress.setValue(0)
        self.jobs.submit(gui_support.generate, self.model_path, self.frames, ctx, self.frames_spin.value(),
                         samples=self.samples_spin.value(), seed=seed, device=device, temperature=temperature,
                         top_k=self.top_k_spin.value() or None,
                         on_finished=self._on_generated, on_failed=self._on_failed,
                         on_cancelled=self._on_cancelled, description="video continuation")
        return True

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(1000 * max(0.0, min(1.0, fraction)))))
        if message:
            self.progress.setFormat(f"%p% · {message}")

    @Slot(object)
    def _on_generated(self, result: gui_support.Generation) -> None:
        self.result = result
        self.metrics = [gui_support.frame_metrics(result.real, clip, result.context) for clip in result.clips]
        self.sample_combo.blockSignals(True)
        self.sample_combo.clear()
        for i in range(result.samples):
            self.sample_combo.addItem(f"{i + 1} of {result.samples}", i)
        self.sample_combo.blockSignals(False)
        self.sample_row.setVisible(result.samples > 1)
        self._show_sample(0)
        self.progress.setValue(1000)
        how = ("most likely continuation (temperature 0)" if result.temperature == 0
               else f"temperature {result.temperature:g}" + (f", top-k {result.top_k}" if result.top_k else "")
               + f", seed {result.seed}")
        text = (f"Done: {result.context} given + {result.n_frames} generated frame(s), "
                f"{result.samples} sample(s), {how}.")
        if result.notices:
            text += " " + " ".join(result.notices)
        self.status_label.setText(text)
        self.context.log(f"video: {text} (model {result.model_path})")
        self.context.status(text)
        self._update_enabled()
        self.generationEnded.emit("finished")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status_label.setText(f"Failed: {message}")
        self.progress.setValue(0)
        self.context.error("Generate", message)
        self.generationEnded.emit("failed")

    @Slot()
    def _on_cancelled(self) -> None:
        self.status_label.setText("Cancelled.")
        self.progress.setValue(0)
        self.context.status("Video generation cancelled")
        self.generationEnded.emit("cancelled")

    @Slot()
    def cancel(self) -> None:
        self.jobs.cancel()

    def current_sample(self) -> int:
        d = self.sample_combo.currentData()
        return int(d) if d is not None else 0

    @Slot(int)
    def _show_sample(self, index: int) -> None:
        if self.result is None:
            return
        i = max(0, min(int(index), self.result.samples - 1))
        if self.sample_combo.currentIndex() != i:
            self.sample_combo.blockSignals(True)
            self.sample_combo.setCurrentIndex(i)
            self.sample_combo.blockSignals(False)
        self.player.set_clip(self.result.real, self.result.clips[i], self.result.context)
        others = [m for k, m in enumerate(self.metrics) if k != i]
        self.plot.show_metrics(self.metrics[i], others)
        self.plot.set_cursor(self.player.index)

    def _clear_result(self) -> None:
        self.result = None
        self.metrics = []
        self.sample_combo.clear()
        self.sample_row.setVisible(False)
        self.plot.clear()
        self.status_label.setText("")
        self.progress.setValue(0)
        self.progress.setFormat("%p%")

    # -- train --------------------------------------------------------------------------------
    def choose_data_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder of training clips", last_dir(self.context.settings, KEY_OPEN_DIR))
        if d:
            self.data_edit.setText(d)

    def choose_train_out_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Run folder", self.train_out_edit.text() or str(Path.home()))
        if d:
            self.train_out_edit.setText(d)

    @Slot()
    def train(self) -> bool:
        if self.jobs.busy:
            return False
        out = self.train_out_edit.text().strip()
        if not out:
            self.context.error("Train", "Choose a run folder first.")
            return False
        data = self.data_edit.text().strip() or None
        if data and not Path(data).is_dir():
            self.context.error("Train", f"The data folder {data} does not exist.")
            return False
        resume = self.resume_check.isChecked()
        if not resume and any((Path(out) / sub / "last.pt").is_file() for sub in ("vqvae", "lvt")):
            self.context.error("Train", f"{out} already holds a training run. Tick 'Resume' or choose another folder.")
            return False
        self.context.settings.setValue(KEY_TRAIN_OUT, out)
        self.status_label.setText("Training… (Cancel keeps a checkpoint; resume later)")
        self.progress.setValue(0)
        self.jobs.submit(gui_support.train_both, out, preset=self.preset_combo.currentData(),
                         vq_steps=self.vq_steps_spin.value(), lvt_steps=self.lvt_steps_spin.value(),
                         data_folder=data, seed=self.seed_spin.value(), device=self.context.device(), resume=resume,
                         on_finished=self._on_trained, on_failed=self._on_train_failed,
                         on_cancelled=self._on_train_cancelled, description="video training")
        return True

    @Slot(object)
    def _on_trained(self, path) -> None:
        self.progress.setValue(1000)
        self.status_label.setText(f"Trained: {path}")
        self.context.log(f"video: trained model {path}")
        self.add_checkpoint(path)
        self.trainingEnded.emit("finished")

    @Slot(str)
    def _on_train_failed(self, message: str) -> None:
        self.status_label.setText(f"Training failed: {message}")
        self.context.error("Train", message)
        self.trainingEnded.emit("failed")

    @Slot()
    def _on_train_cancelled(self) -> None:
        self.status_label.setText("Training cancelled; a checkpoint was kept. Tick 'Resume' to go on.")
        self.progress.setValue(0)
        self.trainingEnded.emit("cancelled")

    # -- export -------------------------------------------------------------------------------
    def shown_clip(self) -> Optional[np.ndarray]:
        return None if self.result is None else self.result.clips[self.current_sample()]

    def _tag(self) -> str:
        """How the shown result was made, for file names: 'greedy' or 'seedN' (sampled)."""
        return "greedy" if self.result.temperature == 0 else f"seed{self.result.seed}"

    def export_dialog(self, suffix: str) -> None:
        if self.result is None:
            self.context.error("Export", "Generate first.")
            return
        start = Path(last_dir(self.context.settings, KEY_EXPORT_DIR)) / f"continuation_{self._tag()}{suffix}"
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
                out = gui_support.export_pngs(path, clip, prefix=self._tag())
            else:
                out = [gui_support.export_clip(path, clip, fps=BASE_FPS * self.player.speed())]
        except Exception as exc:  # noqa: BLE001
            self.context.error("Export", f"Could not write {Path(path).name}:\n{error_message(exc)}")
            return None
        set_last_dir(self.context.settings, KEY_EXPORT_DIR, path if pngs else Path(path).parent)
        msg = f"Exported {len(clip)} frames ({self._tag().replace('seed', 'seed ')}) to {path}"
        self.context.log(f"video: {msg}")
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
                  self.context_spin, self.frames_spin, self.samples_spin, self.temperature_spin, self.top_k_spin,
                  self.seed_spin, self.new_seed_button,
                  self.train_button, self.preset_combo, self.vq_steps_spin, self.lvt_steps_spin, self.data_edit,
                  self.data_button, self.train_out_edit, self.train_out_button, self.resume_check):
            w.setEnabled(not busy)
        has = self.result is not None and not busy
        for b in (self.export_mp4_button, self.export_gif_button, self.export_png_button):
            b.setEnabled(has)

    def is_busy(self) -> bool:
        return self.jobs.busy

    def shutdown(self) -> None:
        self.player.pause()
        self.jobs.shutdown()
