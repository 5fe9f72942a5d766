"""Texture tab: volumes of a chosen texture class (or like an example volume) of any size; and training.

Left: a "Generate" page (model, what to generate: a class with its preview slice and training
porosity, or an example volume; size, count, seed; big sizes go to a TIFF file slab by slab) and a
"Train" page (volumes with class names, crop, steps, device, time limit; stop and resume).
Right: the realisations (3D + three orthogonal slices; for big sizes their central part), the
property histograms with KL against a reference (held-out crops of the shared rock of the same
name, the example volume or the Inspect volume), and the live training losses.

All compute runs in worker threads (``app.worker.TaskRunner``) through the Qt-free job functions at
the top of this module, which only compose ``core.texture`` / ``core.volumes`` / ``core.io`` calls
taking a ``TaskState``; worker signals go to bound slots of this tab (GUI thread).
"""

from __future__ import annotations

import html
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QMessageBox,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from core import __version__
from core.errors import InputError
from core.jobs import TaskState, ensure_state
from core.shipped import MODELS_DIR, resolve_model, shipped_models
from core.texture.config import FACTOR, MIN_CROP, TextureGANConfig
from core.texture.generate import check_shape, generate as texture_generate, generate_files, output_paths
from core.texture.task import KIND

from ..settings import KEY_EXPORT_DIR, KEY_OPEN_DIR, default_run_dir, get_str, last_dir, set_last_dir
from ..widgets.form_helpers import choice_combo, double_spin
from ..widgets.form_helpers import spin as _spin
from ..widgets.form_helpers import voxel_spin
from ..widgets.model_combo import CHOOSE
from ..widgets.slice_view import ImageCanvas, SliceViews, binary_rgb, rgb_to_qimage
from ..widgets.train_form import TrainForm
from ..widgets.train_presets import TEXTURE_COST, TEXTURE_PRESETS
from ..worker import TaskRunner
from .base import AppContext
from .volume_tab import VolumeTab

KEY_CHECKPOINTS = "texture/checkpoints"
KEY_TRAIN_OUT = "texture/train_out"
KEY_GEN_OUT = "texture/generate_out"
DEFAULT_SHIPPED = "rocks"            # resources/models/texture_rocks.pt
IN_MEMORY_MAX = 256                  # larger edges are written to a TIFF slab by slab (tiles)
PREVIEW_EDGE = 256                   # of a volume written to file, the central PREVIEW_EDGE³ is shown
PREVIEW_ICON = 56
VOLUME_FILTER = "Volumes (*.tif *.tiff *.npy *.npz);;All files (*)"

# Classes named after a shared rock can be compared with held-out crops of its volume (the binding
# split of ../shared/data/README.md: berea_400 z ≥ 300, ketton_256 z ≥ 192, bentheimer_500 z ≥ 375).
SHARED_CLASS_FILES = {"berea": "berea_400.tif", "ketton": "ketton_256.tif", "bentheimer": "bentheimer_500.tif"}


# ----------------------------------------------------------------------------------------------
# Qt-free jobs run in worker threads (no widgets here)
# ----------------------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_model_cache: dict = {}


def load_texture_model(path, device: str | None = None, *, state: TaskState | None = None):
    """``core.texture.load_model`` with a one-entry cache (path, file times incl. classes.pt, device)."""
    from core.jobs import select_device
    from core.texture.classes import CLASSES_FILE
    from core.texture.load import load_model

    state = ensure_state(state)
    p = Path(path)
    if not p.is_file():
        raise InputError(f"The model file {p} does not exist.")
    dev = str(select_device(None if device in (None, "", "auto") else device))
    side = p.parent / CLASSES_FILE
    key = (str(p.resolve()), p.stat().st_mtime_ns, side.stat().st_mtime_ns if side.is_file() else 0, dev)
    with _cache_lock:
        model = _model_cache.get(key)
    if model is None:
        state.report(0.1, f"Loading {p.name}")
        model = load_model(p, device=dev)
        with _cache_lock:
            _model_cache.clear()
            _model_cache[key] = model
    state.report(1.0, "Model loaded")
    return model


def class_rock(name: Optional[str]) -> Optional[str]:
    """'berea' for a class called berea / Berea / berea_400, else None."""
    if not name:
        return None
    key = str(name).lower().split("_")[0].strip()
    return key if key in SHARED_CLASS_FILES else None


def shared_class_path(name: Optional[str]) -> Optional[Path]:
    """The shared volume of the rock a class is named after, if it is here."""
    from core.volumes.split import shared_data_dir

    rock = class_rock(name)
    base = shared_data_dir()
    if rock is None or base is None:
        return None
    p = base / "rocks" / SHARED_CLASS_FILES[rock]
    return p if p.is_file() else None


def class_voxel_size(name: Optional[str]) -> Optional[float]:
    from core.volumes.split import KNOWN_VOXEL_UM

    rock = class_rock(name)
    if rock is None:
        return None
    return KNOWN_VOXEL_UM[Path(SHARED_CLASS_FILES[rock]).stem][0]


@dataclass
class TextureResult:
    """Realisations as shown (whole volumes, or the central part of each file written) and what they are."""

    volumes: list                     # uint8 (z, y, x) arrays shown
    metadata: list                    # per realisation: seed, model, class/example, code … (as exported)
    porosity: list                    # porosity of each whole volume
    seed: int
    size: int
    label: str                        # "class berea" / "like example.tif"
    cls: Optional[str] = None
    files: Optional[list] = None      # the TIFFs written (big sizes); None when held in memory
    offset: int = 0                   # corner (z = y = x) of the shown part inside the whole volume
    device: str = ""
    notices: list = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return self.files is not None and self.volumes[0].shape[0] < self.size

    def __len__(self) -> int:
        return len(self.volumes)


def central_part(path, size: int, edge: int) -> tuple[np.ndarray, int]:
    """(the central ``edge``³ of a ``size``³ TIFF volume, its corner), reading only those pages."""
    import tifffile

    edge = min(int(edge), int(size))
    o = (int(size) - edge) // 2
    a = tifffile.imread(str(path), key=range(o, o + edge))
    a = a.reshape((edge,) + a.shape[-2:])
    return np.ascontiguousarray(a[:, o:o + edge, o:o + edge]).astype(np.uint8, copy=False), o


def generate_job(model, size: int, seed: int, *, cls: Optional[str] = None, example=None,
                 example_source: Optional[str] = None, count: int = 1, spread: float = 1.0, out=None,
                 voxel_size_um: float = 1.0, preview_edge: int = PREVIEW_EDGE,
                 state: TaskState | None = None) -> TextureResult:
    """``count`` realisations of ``size``³: in memory, or (``out`` given) into TIFFs via ``generate_files``
    of which the central ``preview_edge``³ is read back for display."""
    state = ensure_state(state)
    size = int(size)
    like = Path(example_source).name if example_source else "the example"
    label = f"class {cls}" if cls is not None else f"like {like}"
    model_path = str(Path(model.path).resolve()) if model.path else None
    if out is None:
        g = texture_generate(model, size, seed, cls=cls, example=example, count=count, spread=spread, state=state)
        metas = []
        for i, code in enumerate(g.codes):
            metas.append({"generator": KIND, "model": model_path, "model_step": model.step, "seed": int(seed),
                          "realisation": i, "count": int(count), "class": cls, "example": example_source,
                          "spread": float(spread) if cls is not None else None,
                          "code": [round(float(v), 6) for v in code], "voxel_size_um": float(voxel_size_um),
                          "seqgen_version": __version__})
        return TextureResult(list(g), metas, [float(v.mean()) for v in g], int(seed), size, label, cls,
                             device=str(model.device), notices=list(g.notices))
    extra = {"example": example_source} if example is not None else None
    written = generate_files(model, out, size, seed, cls=cls, example=example, count=count, spread=spread,
                             voxel_size_um=voxel_size_um, metadata=extra, state=state.sub(0.0, 0.9))
    vols, offset = [], 0
    for i, w in enumerate(written):
        state.report(0.9 + 0.1 * i / len(written), f"Reading the central part of {w.path.name}")
        part, offset = central_part(w.path, size, preview_edge)
        vols.append(part)
    state.report(1.0, "Done")
    metas = [{**w.metadata, "voxel_size_um": float(voxel_size_um)} for w in written]
    return TextureResult(vols, metas, [float(w.porosity) for w in written], int(seed), size, label, cls,
                         files=[Path(w.path) for w in written], offset=offset, device=str(model.device),
                         notices=list(written.notices))


def read_example_job(path, *, state: TaskState | None = None):
    """Read an example volume (binarised) and check that it is big enough to encode."""
    from core.io import read_volume

    vol = read_volume(path, state=state)
    if min(vol.array.shape) < MIN_CROP:
        raise InputError(f"{Path(path).name} is {'×'.join(map(str, vol.array.shape))} voxels (z×y×x); an example "
                         f"must be at least {MIN_CROP} voxels along every axis.")
    return vol


def compare_job(volumes, kind: str, *, cls: Optional[str] = None, array: Optional[np.ndarray] = None,
                array_label: str = "the volume", n_ref: int = 20, seed: int = 0, voxel_size_um: float = 1.0,
                permeability: bool = False, state: TaskState | None = None):
    """Reference crops of the realisations' shape ('heldout' crops of the shared rock named like class
    ``cls``, or 'volume' = crops of ``array``), then ``core.volumes.reference.compare_properties`` (KL)."""
    from core.volumes.crops import sample_heldout_crops
    from core.volumes.reference import compare_with_reference, read_cached
    from core.volumes.split import heldout_start

    def heldout(shape, st):
        path = shared_class_path(cls)
        if path is None:
            raise InputError(f"No shared volume for class '{cls}' here (looked for ../shared/data/rocks/"
                             f"{SHARED_CLASS_FILES.get(class_rock(cls) or '', '?')}).")
        a = read_cached(path, st)
        crops, _ = sample_heldout_crops(a, path.name, n_ref, shape[0], np.random.default_rng([int(seed), 7]))
        return crops, f"{len(crops)} held-out crops of {path.name} (z ≥ {heldout_start(path.name)})"

    return compare_with_reference(volumes, kind, heldout, array=array, array_label=array_label,
                                  missing_array="There is no reference volume.", n_ref=n_ref, seed=seed,
                                  voxel_size_um=voxel_size_um, permeability=permeability, state=state)


def export_job(paths, sources, metadatas, *, voxel_size_um: float = 1.0, state: TaskState | None = None) -> list:
    """Write each realisation (an array, or a TIFF written by generate_files) to ``paths``.

    Arrays go through ``core.volumes.export.export_volumes`` (metadata in the TIFF, or in
    ``<file>.json`` beside NPY/STL). A generated TIFF is copied as is to a .tif, otherwise read
    (within the memory budget) and converted.
    """
    from core.io import atomic_path, read_volume
    from core.volumes.export import export_volumes

    state = ensure_state(state)
    out = []
    n = len(paths)
    for i, (p, src, meta) in enumerate(zip(paths, sources, metadatas)):
        part = state.sub(i / n, (i + 1) / n)
        p = Path(p)
        if isinstance(src, (str, Path)):
            if p.suffix.lower() in (".tif", ".tiff"):
                part.report(0.0, f"Copying to {p.name}")
                if Path(src).resolve() != p.resolve():
                    with atomic_path(p) as tmp:
                        shutil.copyfile(src, tmp)
                out.append(p)
                continue
            arr = read_volume(src, state=part.sub(0.0, 0.5)).array
            out += export_volumes([p], [arr], [meta], voxel_size_um=voxel_size_um, state=part.sub(0.5, 1.0))
        else:
            out += export_volumes([p], [src], [meta], voxel_size_um=voxel_size_um, state=part)
    return out


def train_job(specs, *, out_dir, crop: int = 64, steps: int = 2000, batch: int = 8, channels: int = 64,
              device: str = "auto", max_minutes: float = 0.0, resume: bool = False, seed: int = 0,
              checkpoint_every: int = 500, log_every: Optional[int] = None, norm: Optional[str] = None,
              porosity_weight: Optional[float] = None, state: TaskState | None = None):
    """``core.texture.train`` with the Train panel's settings. ``channels`` is G's width; the encoder
    and the patch critics get half of it and D_z twice, but never more than G's own width (four times
    for D_z) up to TextureGANConfig's 32 and 128: 64 → 32, 32, 128 (the defaults) and 32 → 32, 32, 128
    (the shipped CPU model, texture_rocks.md), 16 → 16, 16, 64. ``norm`` and ``porosity_weight``
    default to TextureGANConfig's."""
    from core.texture.train import train
    from core.train import TrainConfig

    if log_every is None:
        log_every = 1 if steps <= 200 else 10
    c = int(channels)
    d = TextureGANConfig()
    side = max(c // 2, min(c, d.e_channels))
    cfg = TextureGANConfig(g_channels=c, e_channels=side, d_channels=side,
                           dz_hidden=max(2 * c, min(4 * c, d.dz_hidden)), crop=int(crop), g_norm=norm or d.g_norm,
                           porosity_weight=d.porosity_weight if porosity_weight is None else float(porosity_weight))
    tcfg = TrainConfig(steps=int(steps), batch_size=int(batch), checkpoint_every=int(checkpoint_every),
                       log_every=int(log_every), seed=int(seed), device=device or "auto", out_dir=str(out_dir),
                       resume=bool(resume), max_minutes=float(max_minutes))
    return train(list(specs), cfg, tcfg, state=state)


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------

def slice_icon(slice2d: np.ndarray) -> QIcon:
    return QIcon(QPixmap.fromImage(rgb_to_qimage(binary_rgb(slice2d))))


def central_slice(volume: np.ndarray, edge: int = 128) -> np.ndarray:
    s = volume[volume.shape[0] // 2]
    y0, x0 = max(0, (s.shape[0] - edge) // 2), max(0, (s.shape[1] - edge) // 2)
    return np.ascontiguousarray(s[y0:y0 + edge, x0:x0 + edge])


# ----------------------------------------------------------------------------------------------
# the tab
# ----------------------------------------------------------------------------------------------

class TextureTab(VolumeTab):
    """Multi-texture synthesis: generate by class or like an example, compare, export, train."""

    LOG_NAME = "Texture"
    MENU_TITLE = "Te&xture"
    INSPECT_REF = "inspect"
    VOLUME_FILTER = VOLUME_FILTER
    KEY_TRAIN_OUT = KEY_TRAIN_OUT

    modelLoaded = Signal()
    modelFailed = Signal(str)
    exampleLoaded = Signal()

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.model = None                              # core.texture.TextureModel
        self.model_error = ""
        self._model_index = 0
        self._loading_path: Optional[str] = None
        self._pending_model: Optional[str] = None
        self.example: Optional[np.ndarray] = None
        self.example_source = ""
        self.example_name = ""
        self.result: Optional[TextureResult] = None
        self.comparison = None
        self._pending_meta: dict = {}

        self.model_jobs = TaskRunner(self)     # loading a model (and its class table)
        self.model_jobs.busyChanged.connect(self._update_enabled)
        self._set_up()

    # -- layout -----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self._build_frame([self._model_box(), self._what_box(), self._generate_box()], SliceViews(),
                          combo_chars=20, selectable_info=True,
                          export_tip="TIFF, NPY, VTI or STL of the whole volume; seed, model, class and code "
                                     "are saved with it (in the file, or in <file>.json for NPY/STL)")

    def _model_box(self) -> QGroupBox:
        box = QGroupBox("1 · Model")
        self._make_model_combo("texture", KEY_CHECKPOINTS,
                               "Choose a trained texture-gan checkpoint or model file (.pt)",
                               "Choose a texture model or checkpoint", default=DEFAULT_SHIPPED, remember_dir=True,
                               resolve=lambda p: Path(resolve_model("texture", str(p))).resolve())
        self.model_label = QLabel("")
        self.model_label.setWordWrap(True)
        self.model_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay = QVBoxLayout(box)
        lay.addWidget(self.model_combo)
        lay.addWidget(self.model_label)
        return box

    def _what_box(self) -> QGroupBox:
        box = QGroupBox("2 · Texture")
        self.class_list = QListWidget()
        self.class_list.setIconSize(QSize(PREVIEW_ICON, PREVIEW_ICON))
        self.class_list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.class_list.setMinimumHeight(120)
        self.class_list.setMaximumHeight(200)
        self.class_list.setToolTip("The classes the model was trained on (a real slice of each, with its "
                                   "training porosity), and an example volume once one is loaded")
        self.class_list.currentRowChanged.connect(self._on_class_changed)
        self.example_button = QPushButton("From example…")
        self.example_button.setToolTip("Load a volume: the model encodes its texture and generates more like it")
        self.example_button.clicked.connect(self.open_example_dialog)
        self.inspect_example_button = QPushButton("Inspect volume")
        self.inspect_example_button.setToolTip("Use the volume open in the Inspect tab as the example")
        self.inspect_example_button.clicked.connect(self.use_inspect_example)
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
        lay = QVBoxLayout(box)
        lay.addWidget(self.class_list)
        lay.addLayout(erow)
        lay.addLayout(prow)
        return box

    def _generate_box(self) -> QGroupBox:
        box = QGroupBox("3 · Generate")
        self.size_spin = _spin(16, 4096, 64, f"Edge of the cubic volume (a multiple of {FACTOR}); above "
                               f"{IN_MEMORY_MAX} it is generated tile by tile straight into a TIFF", step=FACTOR)
        self.size_spin.setSuffix("³")
        self.size_spin.valueChanged.connect(self._on_size_changed)
        self.count_spin = _spin(1, 256, 4, "Number of realisations (each with its own code and noise)")
        srow = self._seed_row("Same seed, model and texture → same volumes; "
                                    "the seed is saved with every output")
        self.spread_spin = QDoubleSpinBox()
        self.spread_spin.setRange(0.0, 5.0)
        self.spread_spin.setSingleStep(0.1)
        self.spread_spin.setValue(1.0)
        self.spread_spin.setToolTip("How far each realisation's code is drawn from the class mean "
                                    "(0: always the mean; 1: the class's own spread)")
        self.voxel_spin = voxel_spin("Voxel size of the realisations; used for the properties, written into outputs")
        self.file_check = QCheckBox("Write to a TIFF file")
        self.file_check.setToolTip(f"Generate straight into multi-page TIFFs, slab by slab (always above "
                                   f"{IN_MEMORY_MAX}³); the central part is shown")
        self.file_check.toggled.connect(self._update_enabled)
        self.file_check.clicked.connect(self._on_file_check_clicked)
        self._file_forced = False   # ticked by a size above IN_MEMORY_MAX, not by the user: unticked below it
        # Empty at the start and after every generation into files: a name is chosen for each such run
        # (the dialog proposes one with its size and seed), so nothing is written under an old name.
        self.out_file_edit = QLineEdit("")
        self.out_file_edit.setPlaceholderText("output .tif (several: _001, _002, …); asked at Generate")
        self.out_file_button = QPushButton("…")
        self.out_file_button.setMaximumWidth(32)
        self.out_file_button.clicked.connect(self.choose_output_file)
        frow = QHBoxLayout()
        frow.addWidget(self.out_file_edit, 1)
        frow.addWidget(self.out_file_button)
        form = QFormLayout(box)
        form.addRow("Size", self.size_spin)
        form.addRow("Realisations", self.count_spin)
        form.addRow("Seed", srow)
        form.addRow("Spread", self.spread_spin)
        form.addRow("Voxel size", self.voxel_spin)
        form.addRow(self.file_check)
        form.addRow("Output", frow)
        self.gen_label = self._add_generate_rows(form)
        return box

    def _train_box(self) -> QGroupBox:
        self.data_table = QTableWidget(0, 2)
        self.data_table.setHorizontalHeaderLabels(["Class", "Volume"])
        self.data_table.verticalHeader().setVisible(False)
        self.data_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.data_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.data_table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.data_table.setMaximumHeight(140)
        self.data_table.setToolTip("Segmented volumes (1 = pore) and their class names (edit a name by "
                                   "double-clicking; volumes with one name form one class). Shared rocks are "
                                   "trained on their training part only (berea_400 z < 300, ketton_256 z < 192, "
                                   "bentheimer_500 z < 375)")
        box = TrainForm(self.data_table, min_crop=MIN_CROP, crop_step=FACTOR, batch_tip="Crop pairs per step",
                        channels=(4, 32, "Generator width (encoder and critics: 32, D_z 128, or half and twice "
                                         "G's width when G is wider than 64; narrower G: the encoder and critics "
                                         "as wide, D_z four times)"),
                        presets=TEXTURE_PRESETS, cost=TEXTURE_COST,
                        run_dir=get_str(self.context.settings, KEY_TRAIN_OUT,
                                        default_run_dir("texture")),
                        run_dir_tip="Run folder: checkpoints (last.pt, step_*.pt), log.csv and classes.pt",
                        stop_tip="Stop after the current step; a checkpoint is written and the classes are "
                                 "fitted (Resume continues)",
                        time_limit=True)
        self._add_loss_settings(box)
        self._adopt_train_form(box)
        self.minutes_spin = box.minutes_spin
        self.train_out_edit = box.out_edit
        self.train_out_button = box.out_button
        return box

    def _add_loss_settings(self, box: TrainForm) -> None:
        """The texture GAN's own settings, starting at a new run's defaults (TextureGANConfig)."""
        d = TextureGANConfig()
        self.norm_combo = choice_combo(
            (("batch", "batch (shipped model)"), ("pixel", "per voxel (experimental)")), d.g_norm,
            "Generator normalisation. Batch: BatchNorm, whose training statistics generation replaces by averages. "
            "Per voxel: training and generation compute the same function, but CPU runs drifted to near-uniform "
            "output without the logit margin of 'seqgen texture train --logit-margin 1' "
            "(docs/results/texture_cpu_runs)")
        self.porosity_weight_spin = double_spin(0.0, 10000.0, d.porosity_weight,
                                                "Weight of each reconstruction's porosity against its crop's "
                                                "(0: off)")
        box.add_setting("Generator norm", self.norm_combo)
        box.add_setting("Porosity weight", self.porosity_weight_spin)

    def _build_actions(self) -> None:
        self.generate_action = QAction("&Generate texture", self)
        self.generate_action.triggered.connect(self.start_generate)
        self.example_action = QAction("Generate from &example…", self)
        self.example_action.triggered.connect(self.open_example_dialog)
        super()._build_actions()

    def _menu_generate_actions(self) -> tuple:
        return (self.generate_action, self.cancel_action, self.example_action)

    # -- state ------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self.jobs.busy or self.train_jobs.busy or self.model_jobs.busy

    def class_names(self) -> list[str]:
        """The classes listed (not the example)."""
        out = []
        for i in range(self.class_list.count()):
            kind, name = self.class_list.item(i).data(Qt.UserRole)
            if kind == "class":
                out.append(name)
        return out

    def selection(self) -> Optional[tuple[str, Optional[str]]]:
        """('class', name), ('example', None) or None."""
        it = self.class_list.currentItem()
        return tuple(it.data(Qt.UserRole)) if it is not None else None

    def select_class(self, name: str) -> bool:
        for i in range(self.class_list.count()):
            if tuple(self.class_list.item(i).data(Qt.UserRole)) == ("class", name):
                self.class_list.setCurrentRow(i)
                return True
        return False

    def select_example(self) -> bool:
        for i in range(self.class_list.count()):
            if self.class_list.item(i).data(Qt.UserRole)[0] == "example":
                self.class_list.setCurrentRow(i)
                return True
        return False

    def file_mode(self) -> bool:
        return self.size_spin.value() > IN_MEMORY_MAX or self.file_check.isChecked()

    @Slot()
    @Slot(bool)
    @Slot(int)
    def _update_enabled(self, *_):
        busy = self.jobs.busy
        loading = self.model_jobs.busy
        sel = self.selection()
        can_gen = self.model is not None and sel is not None and not busy and not loading
        self.generate_button.setToolTip("" if can_gen else self._why_not_generate())
        self.model_combo.setEnabled(not busy)
        for w in (self.example_button, self.example_action):
            w.setEnabled(self.model is not None and not busy and not loading)
        self.inspect_example_button.setEnabled(self.model is not None and not busy and not loading
                                               and self.inspect_volume() is not None)
        self.class_list.setEnabled(not busy)
        self.spread_spin.setEnabled(sel is None or sel[0] == "class")
        big = self.size_spin.value() > IN_MEMORY_MAX
        if big != self.file_check.isChecked() and (big or self._file_forced):
            self.file_check.blockSignals(True)
            self.file_check.setChecked(big)
            self.file_check.blockSignals(False)
            self._file_forced = big
        self.file_check.setEnabled(not big and not busy)
        fm = self.file_mode()
        self.out_file_edit.setEnabled(fm and not busy)
        self.out_file_button.setEnabled(fm and not busy)
        self._update_shared_enabled(busy, can_gen, (self.data_table,))

    def _why_not_generate(self) -> str:
        if self.jobs.busy:
            return "A job is running."
        if self.model_jobs.busy:
            return "The model is loading."
        if self.model is None:
            return "Choose a model first (a shipped one or a checkpoint file)."
        return "Choose a class, or load an example volume."

    # -- the Inspect tab's volume -----------------------------------------------------------
    @Slot()
    def _on_inspect_volume(self) -> None:
        self._fill_references()
        self._update_enabled()

    # -- models -----------------------------------------------------------------------------
    def no_model_text(self) -> str:
        if shipped_models("texture"):
            return "Choose a model."
        return (f"No shipped texture model is installed ({MODELS_DIR / 'texture_rocks.pt'} is missing). "
                "Choose a trained checkpoint with “Checkpoint file…”, or train one on the Train page.")

    @Slot(int)
    def _on_model_changed(self, index: int) -> None:
        data = self.model_combo.itemData(index)
        if data in (None, CHOOSE):
            if self.model is None and not self.model_jobs.busy:
                self.model_label.setText(self.no_model_text())
            self._update_enabled()
            return
        self._model_index = index
        self.load_model(str(data))

    def load_model(self, path: str) -> None:
        """Load ``path`` in the background (the newest request wins; an unchanged file comes from the cache)."""
        if self.model_jobs.busy:
            self._pending_model = path
            return
        self._pending_model = None
        self._loading_path = path
        self.model_label.setText(f"Loading {html.escape(Path(path).name)}…")
        self.model_jobs.submit(load_texture_model, path, self.context.device(), on_finished=self._on_model_loaded,
                               on_failed=self._on_model_failed, description="texture model")

    def _next_model(self) -> bool:
        nxt, self._pending_model = self._pending_model, None
        if nxt is not None and nxt != self._loading_path:
            self.load_model(nxt)
            return True
        return False

    @Slot(object)
    def _on_model_loaded(self, model) -> None:
        if self._next_model():
            return
        self.model, self.model_error = model, ""
        for n in model.notices:
            self.context.log(f"Texture: {n}")
        info = model.class_info()
        name = Path(model.path).name if model.path else "model"
        cfg = model.config
        text = (f"<b>{html.escape(name)}</b>: step {model.step}, {len(info)} class{'es' if len(info) != 1 else ''}, "
                f"code size {cfg.code_dim}, trained on {cfg.crop}³ crops; on {model.device}.")
        if not info:
            text += ("<br><b>No fitted classes</b>: generate from an example, or fit them (“seqgen texture export "
                     "CHECKPOINT OUT.pt --data NAME=VOLUME”). " + html.escape(" ".join(model.notices)))
        self.model_label.setText(text)
        self.model_label.setToolTip(str(model.path))
        self._fill_classes(info)
        self.context.log(f"Texture: model {model.path} (step {model.step}); classes: "
                         f"{', '.join(c['name'] for c in info) or 'none'}")
        self._update_enabled()
        self.modelLoaded.emit()

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        if self._next_model():
            return
        self.model, self.model_error = None, message
        if self._loading_path:  # not offered again next time (it stays in the list now, to show what failed)
            self.model_choice.forget(self._loading_path)
        self._fill_classes([])
        self.model_label.setText(f"<span style='color:#c0392b'><b>Could not load this model.</b></span> "
                                 f"{html.escape(message)}")
        self.context.error("Texture model", message)
        self._update_enabled()
        self.modelFailed.emit(message)

    def _fill_classes(self, info: list[dict]) -> None:
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
        if self.example is not None:
            self._add_example_item()
        row = 0
        for i in range(self.class_list.count()):
            if keep is not None and tuple(self.class_list.item(i).data(Qt.UserRole)) == keep:
                row = i
        self.class_list.setCurrentRow(row if self.class_list.count() else -1)
        self.class_list.blockSignals(False)
        self._on_class_changed(self.class_list.currentRow())

    def _add_example_item(self) -> None:
        a = self.example
        it = QListWidgetItem(f"Example: {self.example_name}\nporosity {a.mean():.4f}, "
                             f"{a.shape[2]}×{a.shape[1]}×{a.shape[0]}")
        it.setIcon(slice_icon(central_slice(a)))
        it.setData(Qt.UserRole, ("example", None))
        it.setToolTip(f"Generate more like {self.example_source}")
        self.class_list.addItem(it)

    @Slot(int)
    def _on_class_changed(self, row: int) -> None:
        it = self.class_list.item(row) if row >= 0 else None
        if it is None:
            self.class_preview.set_image(None)
            self.class_label.setText("Choose a model to list its texture classes." if self.model is None
                                     else "No classes: load an example volume.")
        else:
            kind, name = it.data(Qt.UserRole)
            if kind == "class":
                c = it.data(Qt.UserRole + 1)
                prev = np.asarray(c["preview"])
                self.class_preview.set_image(rgb_to_qimage(binary_rgb(prev)) if prev.ndim == 2 and prev.size else None)
                vs = class_voxel_size(name)
                self.class_label.setText(f"<b>{html.escape(name)}</b><br>training porosity {c['porosity']:.4f}<br>"
                                         f"(a real slice of its training data)"
                                         + (f"<br>voxel size {vs:g} µm" if vs else ""))
                if vs:
                    self.voxel_spin.setValue(vs)
            else:
                a = self.example
                self.class_preview.set_image(rgb_to_qimage(binary_rgb(central_slice(a))))
                self.class_label.setText(f"<b>Example</b> {html.escape(self.example_name)}<br>porosity "
                                         f"{a.mean():.4f}<br>{a.shape[2]}×{a.shape[1]}×{a.shape[0]} (x×y×z)")
        if self.result is None:
            self._fill_references()
        self._update_enabled()

    # -- the example volume -----------------------------------------------------------------
    @Slot()
    def open_example_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "An example volume to continue",
                                              last_dir(self.context.settings, KEY_OPEN_DIR), VOLUME_FILTER)
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
        a = np.ascontiguousarray(np.asarray(array) > 0, dtype=np.uint8)
        self.example, self.example_source, self.example_name = a, source, name
        for i in range(self.class_list.count()):
            if self.class_list.item(i).data(Qt.UserRole)[0] == "example":
                self.class_list.takeItem(i)
                break
        self.class_list.blockSignals(True)
        self._add_example_item()
        self.class_list.setCurrentRow(self.class_list.count() - 1)
        self.class_list.blockSignals(False)
        self._on_class_changed(self.class_list.currentRow())
        self._fill_references()
        self.context.log(f"Texture: example {source}: {a.shape[2]}×{a.shape[1]}×{a.shape[0]}, porosity {a.mean():.4f}")
        self.exampleLoaded.emit()

    # -- generation -------------------------------------------------------------------------
    @Slot(int)
    def _on_size_changed(self, value: int) -> None:
        self._update_enabled()

    @Slot(bool)
    def _on_file_check_clicked(self, checked: bool) -> None:
        self._file_forced = False  # the user's own choice now

    def suggested_output(self) -> Path:
        """A new output name for the settings now: texture_<class>_<size>_seed<seed>.tif, in the folder
        of the last one (or of the last export)."""
        last = get_str(self.context.settings, KEY_GEN_OUT, "")
        folder = Path(last).parent if last else Path(last_dir(self.context.settings, KEY_EXPORT_DIR))
        sel = self.selection()
        what = sel[1] if sel is not None and sel[0] == "class" else "example"
        what = re.sub(r"[^A-Za-z0-9_.-]+", "_", what or "example")
        return folder / f"texture_{what}_{self.size_spin.value()}_seed{self.seed_spin.value()}.tif"

    @Slot()
    def choose_output_file(self) -> bool:
        start = self.out_file_edit.text().strip() or str(self.suggested_output())
        path, _ = QFileDialog.getSaveFileName(self, "Write the volumes to", start, "Multi-page TIFF (*.tif *.tiff)")
        if not path:
            return False
        if Path(path).suffix.lower() not in (".tif", ".tiff"):
            path += ".tif"
        self.out_file_edit.setText(path)
        return True

    @Slot()
    def start_generate(self) -> bool:
        if self.model is None:
            self.context.error("Generate", self.model_error or self._why_not_generate())
            return False
        sel = self.selection()
        if sel is None:
            self.context.error("Generate", "Choose a class, or load an example volume (“From example…”).")
            return False
        size, count, seed = int(self.size_spin.value()), int(self.count_spin.value()), int(self.seed_spin.value())
        try:
            check_shape(size)
        except InputError as exc:
            self.context.error("Generate", str(exc))
            return False
        out = None
        if self.file_mode():
            if not self.out_file_edit.text().strip() and not self.choose_output_file():
                return False
            out = Path(self.out_file_edit.text().strip()).expanduser()
            if out.suffix.lower() not in (".tif", ".tiff"):
                out = out.with_name(out.name + ".tif")
                self.out_file_edit.setText(str(out))
            if not out.parent.is_dir():
                self.context.error("Generate", f"The folder {out.parent} does not exist.")
                return False
            there = [p for p in output_paths(out, count) if p.exists()]
            if there:
                ans = QMessageBox.question(self, "Generate", f"{', '.join(p.name for p in there[:4])}"
                                           f"{' …' if len(there) > 4 else ''} already exist in {out.parent}. "
                                           "Replace?", QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
                if ans != QMessageBox.Yes:
                    return False
            self.context.settings.setValue(KEY_GEN_OUT, str(out))
        kind, name = sel
        kwargs = {"cls": name} if kind == "class" else {"example": self.example, "example_source": self.example_source}
        what = f"class {name}" if kind == "class" else f"like {self.example_name}"
        where = f" into {out}" if out is not None else ""
        self.context.log(f"Texture: generating {count} × {size}³ {what}, seed {seed}{where}")
        return self._start("Generating", generate_job, self.model, size, seed, count=count,
                           spread=float(self.spread_spin.value()), out=out,
                           voxel_size_um=float(self.voxel_spin.value()), preview_edge=PREVIEW_EDGE,
                           on_finished=self._on_generated, **kwargs)

    @Slot(object)
    def _on_generated(self, res: TextureResult) -> None:
        self.result = res
        for n in res.notices:
            self.context.log(f"Texture: {n}")
        self._new_generation([f"{i + 1} of {len(res)} · φ {res.porosity[i]:.3f}" for i in range(len(res))])
        where = f"; written to {', '.join(str(p) for p in res.files)}" if res.files else ""
        self.context.log(f"Texture: generated {len(res)} × {res.size}³ {res.label} on {res.device}, seed {res.seed}"
                         f"{where}; porosity {', '.join(f'{p:.4f}' for p in res.porosity)}")
        text = (f"Seed <b>{res.seed}</b> (saved with every output) · {len(res)} × {res.size}³ {html.escape(res.label)}"
                f" · mean porosity {np.mean(res.porosity):.4f}")
        self.gen_label.setToolTip("")
        if res.files:
            from ..widgets.elided_label import elided

            # the path elided in the middle to the label's width (it cannot wrap); every file in the tooltip
            path = elided(str(res.files[0]), self.gen_label.fontMetrics(), max(120, self.gen_label.width() - 80))
            text += f"<br>Written to {html.escape(path)}" + (f" (and {len(res.files) - 1} more)" if len(res.files) > 1 else "")
            self.gen_label.setToolTip("\n".join(str(p) for p in res.files))
            if res.partial:
                e = res.volumes[0].shape[0]
                text += f"<br>Shown: the central {e}³ of each volume (from z = y = x = {res.offset})."
        self.gen_label.setText(text)
        if res.files:
            self.out_file_edit.clear()  # the next run into files asks for its own name
        self._fill_references()
        self._job_ended(f"Generated {len(res)}", done=True)
        self.views.setCurrentIndex(0)
        self._show_realisation(0)
        self._update_enabled()
        self.generated.emit()

    def _show_realisation(self, index: int) -> None:
        res = self.result
        vol = res.volumes[index]
        self.slices.set_volume(vol)
        if res.partial:
            self.real_info.setText(f"central {vol.shape[0]}³ of the {res.size}³ volume {res.files[index].name} "
                                   f"(porosity {res.porosity[index]:.4f}; of this part {vol.mean():.4f}); "
                                   f"seed {res.seed}")
        else:
            name = f" ({res.files[index].name})" if res.files else ""
            self.real_info.setText(f"{res.size}³ voxels{name}, porosity {res.porosity[index]:.4f}; seed {res.seed}")
        self._show_3d(index, vol)

    # -- comparison -------------------------------------------------------------------------
    def _reference_class(self) -> Optional[str]:
        if self.result is not None:
            return self.result.cls
        sel = self.selection()
        return sel[1] if sel is not None and sel[0] == "class" else None

    def _fill_references(self) -> None:
        """The reference combo anew (see VolumeTab), then what depends on the chosen entry."""
        super()._fill_references()
        self._update_enabled()

    def _add_references(self) -> None:
        """Held-out crops of the shared rock the class is named after; crops of the example."""
        cls = self._reference_class()
        rock = class_rock(cls)
        if rock is not None:
            p = shared_class_path(cls)
            fname = SHARED_CLASS_FILES[rock]
            self._add_ref(f"Held-out crops of {fname}", "heldout" if p else None,
                          f"Random crops of {p} from its held-out part" if p
                          else f"{fname} is not in ../shared/data/rocks here")
        if self.example is not None:
            self._add_ref(f"Crops of the example ({self.example_name})", "example",
                          f"Random crops of {self.example_source}")

    def _reference_shape(self, kind: str, kwargs: dict):
        """The held-out part of the class's shared rock, or the example's / Inspect volume's shape."""
        if kind == "heldout":
            from .volume_tab import tiff_heldout_shape

            p = shared_class_path(kwargs.get("cls"))
            return tiff_heldout_shape(p) if p is not None else None
        return super()._reference_shape(kind, kwargs)

    @Slot()
    def start_compare(self) -> bool:
        ref = self._chosen_reference()
        if ref is None:
            return False
        if ref == "heldout":
            kind, kwargs = "heldout", {"cls": self.result.cls}
        elif ref == "example":
            kind, kwargs = "volume", {"array": self.example, "array_label": self.example_name}
        else:
            kind, kwargs = "volume", self._inspect_reference()
            if kwargs is None:
                return False
        return self._start_comparing(compare_job, kind, seed=int(self.result.seed),
                                     voxel_size_um=float(self.result.metadata[0]["voxel_size_um"]), **kwargs)

    @Slot(object)
    def _on_compared(self, comp) -> None:
        part = (f" Realisations: the central {self.result.volumes[0].shape[0]}³ of each volume."
                if self.result is not None and self.result.partial else "")
        self._show_compared(comp, part)

    # -- export -----------------------------------------------------------------------------
    def _export_stem(self) -> str:
        what = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.result.cls or "example")
        return f"texture_{what}_seed{self.result.seed}"

    def _export_parts(self, indices: list[int]) -> tuple:
        """(the export job, the whole realisations ``indices`` (arrays or their TIFFs), their metadata, the voxel
        size) for ``export``."""
        res = self.result
        return (export_job, [res.files[i] if res.files else res.volumes[i] for i in indices],
                [res.metadata[i] for i in indices], float(res.metadata[0]["voxel_size_um"]))

    # -- training ---------------------------------------------------------------------------
    def add_training_files(self, paths, names=None) -> None:
        """Add volumes; each gets its class name (default: the file stem before '_', berea_400 → berea)."""
        from core.texture.data import default_class_name

        have = {p for _, p in self.training_data()}
        names = list(names) if names is not None else [None] * len(list(paths))
        for p, name in zip(paths, names):
            p = str(Path(p).resolve())
            if p in have:
                continue
            r = self.data_table.rowCount()
            self.data_table.insertRow(r)
            self.data_table.setItem(r, 0, QTableWidgetItem(name or default_class_name(p)))
            it = QTableWidgetItem(Path(p).name)
            it.setData(Qt.UserRole, p)
            it.setToolTip(p)
            it.setFlags(it.flags() & ~Qt.ItemIsEditable)
            self.data_table.setItem(r, 1, it)
            have.add(p)

    @Slot()
    def remove_selected_data(self) -> None:
        rows = sorted({i.row() for i in self.data_table.selectedIndexes()}, reverse=True)
        for r in rows:
            self.data_table.removeRow(r)

    def training_data(self) -> list[tuple[str, str]]:
        """(class name, path) of each training volume."""
        out = []
        for r in range(self.data_table.rowCount()):
            name, it = self.data_table.item(r, 0), self.data_table.item(r, 1)
            out.append(((name.text() if name else "").strip(), it.data(Qt.UserRole)))
        return out

    def _training_inputs(self) -> list[tuple[str, str]]:
        """(class name, path) of each training volume."""
        return self.training_data()

    def _training_ok(self, data: list[tuple[str, str]]) -> bool:
        """Class names the CLI's NAME=PATH can carry, and a crop the model's factor divides."""
        bad = [n for n, _ in data if not n or any(c in n for c in "=/\\")]
        if bad:
            self.context.error("Train", "Every volume needs a class name without '=', '/' or '\\' "
                                        f"(got {', '.join(repr(b) for b in bad)}).")
            return False
        if self.crop_spin.value() % FACTOR:
            self.context.error("Train", f"The crop must be a multiple of {FACTOR} (got {self.crop_spin.value()}).")
            return False
        return True

    def _submit_training(self, data: list[tuple[str, str]], out: Path, resume: bool, seed: int, what: str) -> None:
        """Log the run and start ``train_job`` on the classes' volumes with the form's settings."""
        classes = sorted({n for n, _ in data})
        self.context.log(f"Texture: {what.lower()} on classes {', '.join(classes)} "
                         f"({', '.join(Path(p).name for _, p in data)}) → {out}"
                         + ("" if resume else f" (seed {seed})"))
        self._submit_run(train_job, [f"{n}={p}" for n, p in data], out_dir=out, crop=int(self.crop_spin.value()),
                         steps=int(self.steps_spin.value()), batch=int(self.batch_spin.value()),
                         channels=int(self.channels_spin.value()), device=self.device_combo.currentData(),
                         max_minutes=float(self.minutes_spin.value()), resume=resume, seed=seed,
                         norm=self.norm_combo.currentData(), porosity_weight=float(self.porosity_weight_spin.value()),
                         description="texture training")

    def _trained_text(self, result) -> str:
        losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
        limited = " (time limit reached: Train with “Resume” goes on)" if result.time_limited else ""
        return (f"Trained to step {result.step}{limited} ({losses}). Checkpoint {result.checkpoint} with its "
                "classes — now in the Generate page's model list.")

    # -- closing ----------------------------------------------------------------------------
    def _more_runners(self) -> tuple:
        return (self.model_jobs,)
