"""Rock tab: 3D porous media from one 2D slice (rock GAN), compared with real rock; and training.

Left: a "Generate" page (input slice, model, generation, comparison, export) and a "Train" page.
Right: the realisations (3D + three slices with the input slice marked), the property histograms
with KL against a reference, and the live training losses.

The input slice (an image or a slice of the Inspect volume) is app.tabs.rock_slice's. All compute runs
in worker threads (``app.worker.TaskRunner``) through the Qt-free functions of
``core.rock.gui_support`` and ``core.volumes``; worker signals go to bound slots of this tab (GUI thread).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QFormLayout, QGroupBox, QListWidget, QListWidgetItem

from core.render import SceneData
from core.rock.config import MIN_SLICE, RockGANConfig
from core.rock.gui_support import (SHARED_ROCKS, GenerateOutput, compare_job, generate_volumes, realisation_metadata,
                                   rock_voxel_size, shared_rock_path, train_from_form)
from core.volumes.export import export_volumes
from core.volumes.reference import Comparison
from core.volumes.split import shared_data_dir

from ..settings import default_run_dir, get_str
from ..widgets.form_helpers import spin as _spin
from ..widgets.form_helpers import choice_combo, double_spin, voxel_spin
from ..widgets.marked_slices import MarkedSliceViews
from ..widgets.model_combo import CHOOSE
from ..widgets.train_form import TrainForm
from ..widgets.train_presets import ROCK_COST, ROCK_PRESETS
from .base import AppContext
from .rock_slice import InputSliceMethods
from .volume_tab import VolumeTab

KEY_CHECKPOINTS = "rock/checkpoints"
KEY_TRAIN_OUT = "rock/train_out"
VOLUME_FILTER = "Volumes (*.tif *.tiff *.npy *.npz *.raw);;All files (*)"


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------

def pct(x: float) -> str:
    return f"{100.0 * float(x):.2f} %"


# ----------------------------------------------------------------------------------------------
# the tab
# ----------------------------------------------------------------------------------------------

class RockTab(InputSliceMethods, VolumeTab):
    """Rock reconstruction: generate 3D volumes from one slice, compare, export, train."""

    LOG_NAME = "Rock"
    MENU_TITLE = "&Rock"
    VOLUME_FILTER = VOLUME_FILTER
    KEY_TRAIN_OUT = KEY_TRAIN_OUT

    sliceLoaded = Signal()

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self.slice: Optional[np.ndarray] = None
        self.slice_source = ""
        self.result: Optional[GenerateOutput] = None
        self.result_meta: dict = {}
        self.comparison: Optional[Comparison] = None
        self._pending_meta: dict = {}
        self._model_index = 0
        self._train_t0 = 0.0
        self._set_up()

    # -- layout -----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self._build_frame([self._slice_box(), self._generate_box()], MarkedSliceViews(), combo_chars=24,
                          export_tip="TIFF, NPY, VTI or STL; seed, model, realisation and slice match are "
                                     "saved with it (in the file, or in <file>.json for NPY/STL)")

    def _generate_box(self) -> QGroupBox:
        box = QGroupBox("2 · Generate")
        self._make_model_combo("rock", KEY_CHECKPOINTS, "Choose a trained rock-gan checkpoint (.pt)",
                               "Choose a rock model checkpoint")
        self.voxel_spin = voxel_spin("Voxel size of the realisations (the training rock's); used for the "
                                     "properties and written into exports")
        self.depth_spin = _spin(1, 2048, 64, "Number of z-slices to generate; the input is slice depth // 2")
        self.count_spin = _spin(1, 256, 4, "Number of realisations (different noise, same slice)")
        srow = self._seed_row("Same seed, slice and model → same volumes")
        self.paste_check = QCheckBox("Paste exact slice")
        self.paste_check.setChecked(True)
        self.paste_check.setToolTip("Write the exact input into the central slice after generation "
                                    "(G's own match is measured before, and reported)")
        form = QFormLayout(box)
        form.addRow("Model", self.model_combo)
        form.addRow("Voxel size", self.voxel_spin)
        form.addRow("Depth", self.depth_spin)
        form.addRow("Realisations", self.count_spin)
        form.addRow("Seed", srow)
        form.addRow(self.paste_check)
        self.match_label = self._add_generate_rows(form)
        return box

    def _train_box(self) -> QGroupBox:
        self.data_list = QListWidget()
        self.data_list.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.data_list.setMaximumHeight(110)
        self.data_list.setToolTip("Segmented volumes (1 = pore). Shared rocks are trained on their "
                                  "training part only (berea_400 z < 300, ketton_256 z < 192)")
        box = TrainForm(self.data_list, min_crop=MIN_SLICE, crop_step=4, batch_tip="Crops per step",
                        channels=(1, 8, "Model width (encoder, generator and discriminator)"),
                        presets=ROCK_PRESETS, cost=ROCK_COST,
                        run_dir=get_str(self.context.settings, KEY_TRAIN_OUT, default_run_dir("rock")),
                        run_dir_tip="Run folder: checkpoints (last.pt, step_*.pt) and log.csv",
                        stop_tip="Stop after the current step; a checkpoint is written (Resume continues)")
        self._add_loss_settings(box)
        self._adopt_train_form(box)
        self.out_edit = box.out_edit
        self.out_button = box.out_button
        return box

    def _add_loss_settings(self, box: TrainForm) -> None:
        """The rock GAN's own settings, starting at a new run's defaults (RockGANConfig)."""
        d = RockGANConfig()
        self.norm_combo = choice_combo(
            (("pixel", "per voxel (local)"), ("group", "group (whole volume)")), d.g_norm,
            "Generator normalisation. Per voxel: planes far from the slice do not depend on the volume's depth, "
            "and generation runs exactly in slabs")
        self.decay_spin = double_spin(0.5, 64.0, d.decay, "Voxels over which the slice's pull on the "
                                      "generator falls by 1/e away from it (crop/8 or less, so that the pull "
                                      "fades within the shallowest training crops)")
        self.porosity_weight_spin = double_spin(0.0, 10000.0, d.porosity_weight,
                                                "Weight of each volume's porosity against the crop its slice came "
                                                "from (0: off)")
        self.profile_weight_spin = double_spin(0.0, 10000.0, d.profile_weight,
                                               "Weight of each band of 4 z-planes' porosity against the crop's "
                                               "(0: off); keeps planes far from the slice as porous as the rock")
        box.add_setting("Generator norm", self.norm_combo)
        box.add_setting("Slice decay", self.decay_spin)
        box.add_setting("Porosity weight", self.porosity_weight_spin)
        box.add_setting("Profile weight", self.profile_weight_spin)

    def _build_actions(self) -> None:
        self.generate_action = QAction("&Generate", self, shortcut=QKeySequence("Ctrl+G"))
        self.generate_action.triggered.connect(self.start_generate)
        super()._build_actions()

    def _menu_generate_actions(self) -> tuple:
        return (self.generate_action, self.cancel_action)

    # -- state ------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self.jobs.busy or self.train_jobs.busy

    @Slot()
    @Slot(bool)
    def _update_enabled(self, *_):
        busy = self.jobs.busy
        inspect = self.inspect_volume() is not None
        self.open_slice_button.setEnabled(not busy)
        self.inspect_button.setEnabled(inspect and not busy)
        self.inspect_axis.setEnabled(inspect)
        self.inspect_index.setEnabled(inspect)
        can_gen = self.slice is not None and self.model_path() is not None and not busy
        self._update_shared_enabled(busy, can_gen)

    # -- the Inspect tab's volume -----------------------------------------------------------
    @Slot()
    def _on_inspect_volume(self) -> None:
        self._update_inspect_range()
        self._fill_references()
        self._update_enabled()

    # -- models -----------------------------------------------------------------------------
    @Slot(int)
    def _on_model_changed(self, index: int) -> None:
        data = self.model_combo.itemData(index)
        if data in (None, CHOOSE):
            self._update_enabled()
            return
        self._model_index = index
        vs = rock_voxel_size(Path(str(data)).name) if "(shipped)" in self.model_combo.itemText(index) else None
        if vs:
            self.voxel_spin.setValue(vs)
        self._update_enabled()

    # -- generation -------------------------------------------------------------------------
    @Slot()
    def start_generate(self) -> bool:
        if self.slice is None:
            self.context.error("Generate", "Load an input slice first (an image, or a slice of the Inspect volume).")
            return False
        model = self.model_path()
        if model is None:
            self.context.error("Generate", "Choose a model first (a shipped one or a checkpoint file).")
            return False
        seed = int(self.seed_spin.value())
        depth, count = int(self.depth_spin.value()), int(self.count_spin.value())
        self._pending_meta = {"seed": seed, "slice_source": self.slice_source, "model_label":
                              self.model_combo.currentText(), "voxel_size_um": float(self.voxel_spin.value()),
                              "slice": self.slice}
        self.context.log(f"Rock: generating {count} × {depth}×{self.slice.shape[0]}×{self.slice.shape[1]} "
                         f"with {self.model_combo.currentText()}, seed {seed}")
        return self._start("Generating", generate_volumes, model, self.slice, depth, count, seed,
                           paste=self.paste_check.isChecked(), device=self.context.device(),
                           on_finished=self._on_generated)

    @Slot(object)
    def _on_generated(self, out: GenerateOutput) -> None:
        self.result = out
        self.result_meta = dict(self._pending_meta)
        g = out.volumes
        for n in getattr(g, "notices", []):
            self.context.log(f"Rock: {n}")
        self._new_generation([f"{i + 1} of {len(g)} · φ {v.mean():.3f} · match {pct(g.slice_match[i])}"
                              for i, v in enumerate(g)])
        seed = self.result_meta["seed"]
        m = np.asarray(g.slice_match, float)
        self.context.log(f"Rock: generated {len(g)} realisation(s) of {g[0].shape[0]}×{g[0].shape[1]}×"
                         f"{g[0].shape[2]} (z×y×x) on {out.device}, seed {seed}; G's own central slice "
                         f"(z = {g.centre}) matched the input at {', '.join(pct(x) for x in m)}"
                         + ("; then the exact slice was pasted in." if g.pasted else "; not pasted."))
        self._job_ended(f"Generated {len(g)}", done=True)
        self.views.setCurrentIndex(0)
        self._show_realisation(0, first=True)
        self._update_enabled()
        self.generated.emit()

    def match_text(self, index: int) -> str:
        g = self.result.volumes
        seed = self.result_meta.get("seed")
        m = float(g.slice_match[index])
        mean = float(np.mean(g.slice_match))
        text = (f"Seed <b>{seed}</b>. G's own central slice (z = {g.centre}) of realisation {index + 1} "
                f"matched the input at <b>{pct(m)}</b> of pixels")
        if len(g) > 1:
            text += f" (mean over {len(g)}: {pct(mean)})"
        text += (". The exact input slice was then <b>pasted</b> in." if g.pasted
                 else ". <b>Not pasted</b>: the central slice is G's own.")
        return text

    def _show_realisation(self, index: int, first: bool = False) -> None:
        g = self.result.volumes
        vol = g[index]
        self.slices.set_volume(vol, mark=g.centre, keep_index=not first)
        self.match_label.setText(self.match_text(index))
        self.real_info.setText(f"{vol.shape[2]}×{vol.shape[1]}×{vol.shape[0]} voxels (x×y×z), porosity "
                               f"{vol.mean():.4f}; input slice at z = {g.centre} (orange)")
        self._show_3d(index, vol)

    def _decorate_scene(self, scene: SceneData) -> None:
        self._mark_input_plane(scene)

    def _mark_input_plane(self, scene: SceneData) -> None:
        """An orange frame in 3D at the input slice (z = depth // 2)."""
        plotter = self.view3d.plotter
        if plotter is None or self.result is None:
            return
        import pyvista as pv

        nz, ny, nx = scene.shape
        z = float(self.result.volumes.centre)
        plane = pv.Plane(center=((nx - 1) / 2, (ny - 1) / 2, z), direction=(0, 0, 1), i_size=nx - 1,
                         j_size=ny - 1, i_resolution=1, j_resolution=1)
        plotter.add_mesh(plane, color="#ff8c00", opacity=0.25, name="input_slice", reset_camera=False)
        plotter.add_mesh(plane.extract_feature_edges(), color="#ff8c00", line_width=3,
                         name="input_slice_edges", reset_camera=False)
        plotter.render()

    # -- comparison -------------------------------------------------------------------------
    def _add_references(self) -> None:
        """Held-out crops of each shared rock (disabled where its file is not here)."""
        for rock in SHARED_ROCKS:
            p = shared_rock_path(rock)
            if p is None:
                where = shared_data_dir()
                tip = f"{SHARED_ROCKS[rock][0]} not found in {(where / 'rocks') if where else '../shared/data/rocks'}"
            else:
                tip = f"Random crops of {p} from its held-out part"
            self._add_ref(f"Held-out crops of {rock.capitalize()}", f"heldout:{rock}" if p else None, tip)

    def select_reference(self, kind: str, rock: Optional[str] = None) -> bool:
        """Choose the reference ``kind`` ('heldout' of ``rock``, or 'volume'); whether it is listed."""
        return super().select_reference(f"{kind}:{rock}" if rock else kind)

    def _reference_shape(self, kind: str, kwargs: dict):
        """The held-out part of the chosen shared rock, or the Inspect volume's shape."""
        if kind == "heldout":
            from .volume_tab import tiff_heldout_shape

            p = shared_rock_path(kwargs.get("rock") or "")
            return tiff_heldout_shape(p) if p is not None else None
        return super()._reference_shape(kind, kwargs)

    @Slot()
    def start_compare(self) -> bool:
        ref = self._chosen_reference()
        if ref is None:
            return False
        kind, _, rock = str(ref).partition(":")
        rock = rock or None
        kwargs = {}
        if kind == "volume":
            kwargs = self._inspect_reference()
            if kwargs is None:
                return False
        return self._start_comparing(compare_job, kind, rock=rock, seed=int(self.result_meta.get("seed", 0)),
                                     voxel_size_um=float(self.result_meta.get("voxel_size_um", self.voxel_spin.value())),
                                     **kwargs)

    @Slot(object)
    def _on_compared(self, comp: Comparison) -> None:
        self._show_compared(comp)

    # -- export -----------------------------------------------------------------------------
    def _export_stem(self) -> str:
        return f"rock_seed{self.result_meta.get('seed', 0)}"

    def _export_parts(self, indices: list[int]) -> tuple:
        """(the export job, the realisations ``indices``, their metadata, the voxel size) for ``export``."""
        g = self.result.volumes
        metas = [realisation_metadata(model_path=self.result.model_path, model_step=self.result.model_step,
                                      seed=self.result_meta["seed"], index=i, count=len(g),
                                      slice_source=self.result_meta["slice_source"], centre=g.centre,
                                      slice_match=g.slice_match[i], pasted=g.pasted) for i in indices]
        return export_volumes, [g[i] for i in indices], metas, float(self.result_meta["voxel_size_um"])

    # -- training ---------------------------------------------------------------------------
    def add_training_files(self, paths) -> None:
        have = set(self.training_files())
        for p in paths:
            p = str(Path(p).resolve())
            if p not in have:
                it = QListWidgetItem(Path(p).name)
                it.setData(Qt.UserRole, p)
                it.setToolTip(p)
                self.data_list.addItem(it)
                have.add(p)

    @Slot()
    def remove_selected_data(self) -> None:
        for it in self.data_list.selectedItems():
            self.data_list.takeItem(self.data_list.row(it))

    def training_files(self) -> list[str]:
        return [self.data_list.item(i).data(Qt.UserRole) for i in range(self.data_list.count())]

    def _training_inputs(self) -> list[str]:
        """The training volumes' paths."""
        return self.training_files()

    def _submit_training(self, data: list[str], out: Path, resume: bool, seed: int, what: str) -> None:
        """Log the run and start ``train_from_form`` on the volumes with the form's settings."""
        self.context.log(f"Rock: {what.lower()} on {', '.join(Path(d).name for d in data)} → {out}"
                         + ("" if resume else f" (seed {seed})"))
        self._train_t0 = time.monotonic()
        self._submit_run(train_from_form, data, out_dir=out, crop=int(self.crop_spin.value()),
                         steps=int(self.steps_spin.value()), batch=int(self.batch_spin.value()),
                         channels=int(self.channels_spin.value()), device=self.device_combo.currentData(),
                         norm=self.norm_combo.currentData(), decay=float(self.decay_spin.value()),
                         porosity_weight=float(self.porosity_weight_spin.value()),
                         profile_weight=float(self.profile_weight_spin.value()),
                         resume=resume, seed=seed, description="rock training")
