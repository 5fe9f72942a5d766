"""Texture tab: volumes of a chosen texture class (or like an example volume) of any size; and training.

Left: a "Generate" page (model; what to generate: a class with its preview slice and training porosity,
or an example volume (``app.widgets.texture_classes``); size, count, seed, and big sizes into a TIFF
slab by slab (``app.widgets.texture_generate_box``)) and a "Train" page (``texture_train_panel``).
Right: the realisations (3D + three orthogonal slices; for big sizes their central part), the
property histograms with KL against a reference (held-out crops of the shared rock of the same
name, the example volume or the Inspect volume), and the live training losses.

All compute runs in worker threads (``app.worker.TaskRunner``) through the Qt-free functions of
``core.texture.gui_support``; worker signals go to bound slots of this tab (GUI thread).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from core.errors import InputError
from core.shipped import MODELS_DIR, resolve_model, shipped_models
from core.texture.generate import check_shape
from core.texture.gui_support import (IN_MEMORY_MAX, PREVIEW_EDGE, TextureResult, compare_job, export_job, file_tag,
                                      generate_job, heldout_reference, load_texture_model, shared_class_path,
                                      train_job, training_specs)

from ..settings import KEY_EXPORT_DIR, default_run_dir, get_str, last_dir
from ..widgets.latest_loader import LatestLoader
from ..widgets.model_combo import CHOOSE
from ..widgets.slice_view import SliceViews
from ..widgets.texture_classes import TextureClassPanel, model_text
from ..widgets.texture_generate_box import TextureGenerateBox, show_generated
from .base import AppContext
from .texture_example import ExampleVolumeMethods
from .texture_train_panel import TextureTrainPanel
from .volume_tab import VolumeTab

KEY_CHECKPOINTS = "texture/checkpoints"
KEY_TRAIN_OUT = "texture/train_out"
KEY_GEN_OUT = "texture/generate_out"
DEFAULT_SHIPPED = "rocks"            # resources/models/texture_rocks.pt
VOLUME_FILTER = "Volumes (*.tif *.tiff *.npy *.npz);;All files (*)"


class TextureTab(ExampleVolumeMethods, VolumeTab):
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
        self.example: Optional[np.ndarray] = None
        self.example_source = ""
        self.example_name = ""
        self.result: Optional[TextureResult] = None
        self.comparison = None
        self._pending_meta: dict = {}

        # loading a model (and its class table), the newest choice winning
        self.model_loader = LatestLoader(load_texture_model, lambda: (self.context.device(),), "texture model", self)
        self.model_jobs = self.model_loader.jobs
        self.model_jobs.busyChanged.connect(self._update_enabled)
        self.model_loader.started.connect(self._on_model_loading)
        self.model_loader.loaded.connect(self._on_model_loaded)
        self.model_loader.failed.connect(self._on_model_failed)
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
        box = self.class_panel = TextureClassPanel()
        self.class_list, self.class_preview, self.class_label = box.class_list, box.class_preview, box.class_label
        self.example_button, self.inspect_example_button = box.example_button, box.inspect_example_button
        self.class_list.currentRowChanged.connect(self._on_class_changed)
        self.example_button.clicked.connect(self.open_example_dialog)
        self.inspect_example_button.clicked.connect(self.use_inspect_example)
        return box

    def _generate_box(self) -> QGroupBox:
        box = self.gen_box = TextureGenerateBox(self._seed_row("Same seed, model and texture → same volumes; "
                                                               "the seed is saved with every output"))
        self.size_spin, self.count_spin, self.spread_spin = box.size_spin, box.count_spin, box.spread_spin
        self.voxel_spin, self.file_check = box.voxel_spin, box.file_check
        self.out_file_edit, self.out_file_button = box.out_file_edit, box.out_file_button
        self.size_spin.valueChanged.connect(self._update_enabled)
        self.file_check.toggled.connect(self._update_enabled)
        self.out_file_button.clicked.connect(self.choose_output_file)
        self.gen_label = self._add_generate_rows(box.form)
        return box

    def _train_box(self) -> QGroupBox:
        box = TextureTrainPanel(get_str(self.context.settings, KEY_TRAIN_OUT, default_run_dir("texture")))
        self.data_table, self.norm_combo, self.porosity_weight_spin = box.table, box.norm_combo, box.porosity_weight_spin
        self._adopt_train_form(box)
        self.minutes_spin = box.minutes_spin
        self.train_out_edit = box.out_edit
        self.train_out_button = box.out_button
        return box

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
        return self.class_panel.class_names()

    def selection(self) -> Optional[tuple[str, Optional[str]]]:
        """('class', name), ('example', None) or None."""
        return self.class_panel.selection()

    def select_class(self, name: str) -> bool:
        return self.class_panel.select(("class", name))

    def select_example(self) -> bool:
        return self.class_panel.select(("example", None))

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
        self.gen_box.sync_file_mode(self.size_spin.value() > IN_MEMORY_MAX, busy)
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
        self.model_loader.request(path)

    @Slot(str)
    def _on_model_loading(self, path: str) -> None:
        self.model_label.setText(f"Loading {html.escape(Path(path).name)}…")

    @Slot(object)
    def _on_model_loaded(self, model) -> None:
        self.model, self.model_error = model, ""
        for n in model.notices:
            self.context.log(f"Texture: {n}")
        info = model.class_info()
        self.model_label.setText(model_text(model))
        self.model_label.setToolTip(str(model.path))
        self._fill_classes(info)
        self.context.log(f"Texture: model {model.path} (step {model.step}); classes: "
                         f"{', '.join(c['name'] for c in info) or 'none'}")
        self._update_enabled()
        self.modelLoaded.emit()

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model, self.model_error = None, message
        if self.model_loader.loading:  # not offered again next time (it stays in the list now, to show what failed)
            self.model_choice.forget(self.model_loader.loading)
        self._fill_classes([])
        self.model_label.setText(f"<span style='color:#c0392b'><b>Could not load this model.</b></span> "
                                 f"{html.escape(message)}")
        self.context.error("Texture model", message)
        self._update_enabled()
        self.modelFailed.emit(message)

    def _fill_classes(self, info: list[dict]) -> None:
        self.class_panel.fill(info, self._example_entry())
        self._on_class_changed(self.class_list.currentRow())

    @Slot(int)
    def _on_class_changed(self, row: int) -> None:
        vs = self.class_panel.show_entry(row, self.model is not None, self._example_entry())
        if vs:
            self.voxel_spin.setValue(vs)
        if self.result is None:
            self._fill_references()
        self._update_enabled()

    # -- generation -------------------------------------------------------------------------
    def suggested_output(self) -> Path:
        """A new output name for the settings now: texture_<class>_<size>_seed<seed>.tif, in the folder
        of the last one (or of the last export)."""
        last = get_str(self.context.settings, KEY_GEN_OUT, "")
        folder = Path(last).parent if last else Path(last_dir(self.context.settings, KEY_EXPORT_DIR))
        sel = self.selection()
        what = file_tag(sel[1] if sel is not None and sel[0] == "class" else "example")
        return folder / f"texture_{what}_{self.size_spin.value()}_seed{self.seed_spin.value()}.tif"

    @Slot()
    def choose_output_file(self) -> bool:
        return self.gen_box.ask_output(self.suggested_output())

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
            out = self.gen_box.output_for_run(count, self.suggested_output(), self.context.error)
            if out is None:
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
        self._new_generation(res.labels())
        self.context.log(f"Texture: {res.summary()}")
        show_generated(self.gen_label, res)
        if res.files:
            self.out_file_edit.clear()  # the next run into files asks for its own name
        self._fill_references()
        self._job_ended(f"Generated {len(res)}", done=True)
        self.views.setCurrentIndex(0)
        self._show_realisation(0)
        self._update_enabled()
        self.generated.emit()

    def _show_realisation(self, index: int) -> None:
        vol = self.result.volumes[index]
        self.slices.set_volume(vol)
        self.real_info.setText(self.result.describe(index))
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
        held = heldout_reference(self._reference_class())
        if held is not None:
            self._add_ref(*held)
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
        return f"texture_{file_tag(self.result.cls)}_seed{self.result.seed}"

    def _export_parts(self, indices: list[int]) -> tuple:
        """(the export job, the whole realisations ``indices`` (arrays or their TIFFs), their metadata, the voxel
        size) for ``export``."""
        res = self.result
        return (export_job, [res.files[i] if res.files else res.volumes[i] for i in indices],
                [res.metadata[i] for i in indices], float(res.metadata[0]["voxel_size_um"]))

    # -- training ---------------------------------------------------------------------------
    def add_training_files(self, paths, names=None) -> None:
        """Add volumes; each gets its class name (default: the file stem before '_', berea_400 → berea)."""
        self.data_table.add_files(paths, names)

    @Slot()
    def remove_selected_data(self) -> None:
        self.data_table.remove_selected()

    def training_data(self) -> list[tuple[str, str]]:
        """(class name, path) of each training volume."""
        return self.data_table.entries()

    def _training_inputs(self) -> list[tuple[str, str]]:
        return self.training_data()

    def _training_ok(self, data: list[tuple[str, str]]) -> bool:
        """Class names the CLI's NAME=PATH can carry, and a crop the model's factor divides."""
        try:
            training_specs(data, self.crop_spin.value())
        except InputError as exc:
            self.context.error("Train", str(exc))
            return False
        return True

    def _submit_training(self, data: list[tuple[str, str]], out: Path, resume: bool, seed: int, what: str) -> None:
        """Log the run and start ``train_job`` on the classes' volumes with the form's settings."""
        classes = sorted({n for n, _ in data})
        self.context.log(f"Texture: {what.lower()} on classes {', '.join(classes)} "
                         f"({', '.join(Path(p).name for _, p in data)}) → {out}"
                         + ("" if resume else f" (seed {seed})"))
        self._submit_run(train_job, training_specs(data, self.crop_spin.value()), out_dir=out, resume=resume,
                         seed=seed, description="texture training", **self.train_form.train_settings())

    def _trained_text(self, result) -> str:
        losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
        limited = " (time limit reached: Train with “Resume” goes on)" if result.time_limited else ""
        return (f"Trained to step {result.step}{limited} ({losses}). Checkpoint {result.checkpoint} with its "
                "classes — now in the Generate page's model list.")

    # -- closing ----------------------------------------------------------------------------
    def _more_runners(self) -> tuple:
        return (self.model_jobs,)
