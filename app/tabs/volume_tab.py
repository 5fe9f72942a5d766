"""The frame shared by the volume tabs (Rock, Texture): side pages on the left; Realisations, Properties
and Training views on the right; and the slots that only show things in those views.

``scene_jobs`` (3D scenes, with ``_gen_id``/``_scenes`` of the current generation) and the signals
``generated()``, ``sceneReady(int)``, ``compared()`` and ``exported(list)`` are made here. Subclasses
provide ``MENU_TITLE``, ``INSPECT_REF``, ``VOLUME_FILTER``, ``KEY_TRAIN_OUT``, ``_build_ui``,
``_menu_generate_actions()``, ``_train_box``, ``model_combo`` (made by ``_make_model_combo``),
``_model_index``, ``_on_model_changed(index)``, ``result``, ``_show_realisation(index)``,
``_on_inspect_volume``, ``_add_references``, ``start_compare``, ``_export_parts(indices)``,
``_export_stem()``, ``_update_enabled``, ``_training_inputs``, ``add_training_files`` and
``_submit_training``, and call ``_set_up`` at the end of ``__init__``. The comparison with a reference
(``_fill_references`` … ``kl_values``) is ``ReferenceCompareMethods`` of volume_compare.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QMenu, QProgressBar,
                               QPushButton, QTabWidget, QVBoxLayout, QWidget)

from core.io import numbered_paths
from core.jobs import new_seed
from core.render import SceneData, prepare_scene
from core.volumes.split import shared_data_dir
# re-exported: the Rock and Texture tabs import tiff_heldout_shape from here
from core.volumes.subcrops import (MAX_SUBCROPS, compare_subcrops_job, subcrop_shape, subcrops,  # noqa: F401
                                   tiff_heldout_shape)

from ..file_filters import EXPORT_VOLUME_FILTERS as EXPORT_FILTERS
from ..settings import KEY_EXPORT_DIR, KEY_OPEN_DIR, last_dir, set_last_dir
from ..widgets.form_helpers import page, side_panel_layout, spin
from ..widgets.model_choice import ModelChoice, ModelChoiceMethods, combo_spec
from ..widgets.property_compare import PropertyComparePanel
from ..widgets.realisation_view import RealisationView
from ..widgets.training_view import TrainingView
from ..worker import TaskRunner
from .base import AppContext
from .train_tab import TrainTab
from .volume_compare import ReferenceCompareMethods


def scene_job(gen_id: int, index: int, volume: np.ndarray, *, state) -> tuple[int, int, SceneData]:
    """(``gen_id``, ``index``, the 3D surface scene of ``volume``), made in a worker thread."""
    return gen_id, index, prepare_scene(volume, "surface", state=state)


class VolumeTab(ModelChoiceMethods, ReferenceCompareMethods, TrainTab):
    MENU_TITLE = ""
    INSPECT_REF = "volume"            # the reference combo's data for the Inspect volume
    VOLUME_FILTER = "All files (*)"   # of the training volumes' file dialog
    KEY_TRAIN_OUT = ""                # settings key of the last run folder

    generated = Signal()
    sceneReady = Signal(int)          # realisation index now shown in 3D
    compared = Signal()
    exported = Signal(list)

    def __init__(self, context: AppContext, parent=None):
        super().__init__(context, parent)
        self._gen_id = 0
        self._scenes: dict[int, SceneData] = {}
        self._inspect_connected = False
        self.scene_jobs = TaskRunner(self)     # 3D scene of the shown realisation

    def _set_up(self) -> None:
        """Build the widgets and actions and fill the lists (the end of a subclass's ``__init__``)."""
        self._build_ui()
        self._build_actions()
        self._fill_models()
        self._fill_references()
        self._connect_inspect()
        self._update_enabled()

    # -- layout -----------------------------------------------------------------------------
    def _build_frame(self, generate_boxes: list[QWidget], slices: QWidget, *, export_tip: str, combo_chars: int,
                     selectable_info: bool = False) -> None:
        self.side = QTabWidget()
        gen = QWidget()  # the boxes scroll; Generate, Cancel and the progress bar stay in view below them
        gl = QVBoxLayout(gen)
        gl.setContentsMargins(0, 0, 0, 0)
        gl.setSpacing(2)
        gl.addWidget(page(*generate_boxes), 1)
        gl.addWidget(self.generate_footer)
        self.side.addTab(gen, "Generate")
        self.side.addTab(page(self._train_box()), "Train")
        self.side.setMinimumWidth(340)
        self.side.currentChanged.connect(self._on_side_changed)

        # realisations: combo, 3D view, slices
        self.real_view = RealisationView(slices, export_tip=export_tip, combo_chars=combo_chars,
                                         selectable_info=selectable_info)
        self.real_combo = self.real_view.combo
        self.real_combo.currentIndexChanged.connect(self._on_realisation_changed)
        self.real_info = self.real_view.info
        self.view3d = self.real_view.view3d
        self.slices = self.real_view.slices
        self.export_which = self.real_view.export_which
        self.export_button = self.real_view.export_button
        self.export_button.clicked.connect(self.export_dialog)

        # properties: histograms + table
        self.properties = PropertyComparePanel()
        self.ref_combo = self.properties.ref_combo
        self.ref_combo.currentIndexChanged.connect(self._on_reference_changed)
        self.ncrops_spin = self.properties.ncrops_spin
        self.perm_check = self.properties.perm_check
        self.compare_button = self.properties.compare_button
        self.compare_button.clicked.connect(self.start_compare)
        self.histograms = self.properties.histograms
        self.kl_table = self.properties.kl_table
        self.kl_note = self.properties.kl_note

        # training curves
        self.train_view = TrainingView()
        self.loss_plot = self.train_view.loss_plot
        self.train_info = self.train_view.info

        self.views = QTabWidget()
        self.views.addTab(self.real_view, "Realisations")
        self.views.addTab(self.properties, "Properties")
        self.views.addTab(self.train_view, "Training")

        self.splitter = side_panel_layout(self, self.side, self.views, [380, 1000])

    def _seed_row(self, tip: str) -> QHBoxLayout:
        """``seed_spin`` (a fresh seed) and a New seed button."""
        self.seed_spin = spin(0, 2**31 - 1, new_seed(), tip)
        self.new_seed_button = QPushButton("New seed")
        self.new_seed_button.clicked.connect(self.new_seed)
        row = QHBoxLayout()
        row.addWidget(self.seed_spin, 1)
        row.addWidget(self.new_seed_button)
        return row

    def _add_generate_rows(self, form: QFormLayout) -> QLabel:
        """A note label (returned) at the end of ``form``; Generate and Cancel and the job progress bar in
        ``generate_footer``, which ``_build_frame`` keeps below the scrolled boxes (always reachable)."""
        self.generate_button = QPushButton("Generate")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(self.start_generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("Idle")
        self.progress.setTextVisible(True)
        note = QLabel("")
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.generate_footer = QWidget()
        fl = QVBoxLayout(self.generate_footer)
        fl.setContentsMargins(6, 2, 6, 4)
        brow = QHBoxLayout()
        brow.addWidget(self.generate_button, 1)
        brow.addWidget(self.cancel_button)
        fl.addLayout(brow)
        fl.addWidget(self.progress)
        form.addRow(note)
        return note

    def _build_actions(self) -> None:
        """The actions after Generate (made by the subclass): Cancel, Compare, Export, Train, Stop."""
        self.cancel_action = QAction("&Cancel generation/comparison", self)
        self.cancel_action.triggered.connect(self.cancel)
        self.compare_action = QAction("Co&mpare properties", self)
        self.compare_action.triggered.connect(self.start_compare)
        self.export_action = QAction("&Export realisations…", self)
        self.export_action.triggered.connect(self.export_dialog)
        self.train_action = QAction("&Train", self)
        self.train_action.triggered.connect(self.start_train)
        self.stop_action = QAction("&Stop training", self)
        self.stop_action.triggered.connect(self.stop_training)

    def menu(self) -> QMenu:
        m = QMenu(self.MENU_TITLE, self)
        for a in (*self._menu_generate_actions(), self.compare_action, self.export_action):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.train_action)
        m.addAction(self.stop_action)
        return m

    @Slot(int)
    def _on_reference_changed(self, index: int) -> None:
        self._update_enabled()

    @Slot(int)
    def _on_side_changed(self, index: int) -> None:
        if index == 1:
            self.views.setCurrentIndex(2)
        elif self.views.currentIndex() == 2:
            self.views.setCurrentIndex(0)

    @Slot()
    def new_seed(self) -> None:
        self.seed_spin.setValue(new_seed())

    # -- models -----------------------------------------------------------------------------
    def _make_model_combo(self, method: str, key: str, choose_tip: str, dialog_title: str, **options) -> QComboBox:
        """``model_combo`` and its ``model_choice`` with the volume tabs' labels; ``options`` go to ModelChoice."""
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(16)
        self.model_choice = ModelChoice(self, self.context, self.model_combo, method=method, key=key,
                                        choose_tip=choose_tip, dialog_title=dialog_title,
                                        on_filled=self._on_models_filled,
                                        previous=lambda: self.model_combo.itemData(self._model_index),
                                        label=self._checkpoint_label, shipped_label=str.capitalize, **options)
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        return self.model_combo

    def _on_models_filled(self, index: int) -> None:
        """After a refill the chosen entry is the one a cancelled dialog goes back to."""
        self._model_index = index
        self._on_model_changed(index)

    # -- state ------------------------------------------------------------------------------
    def model_path(self) -> Optional[str]:
        return combo_spec(self.model_combo)

    def volumes(self) -> list:
        return list(self.result.volumes) if self.result is not None else []

    def current_index(self) -> int:
        return max(0, self.real_combo.currentIndex())

    @staticmethod
    def _checkpoint_label(path: str) -> str:
        p = Path(path)
        name = f"{p.parent.name}/{p.name}" if p.name == "last.pt" or p.name.startswith("step_") else p.name
        return f"{name} (checkpoint)"

    def _update_shared_enabled(self, busy: bool, can_gen: bool, train_extra: tuple = ()) -> None:
        """Generate (``can_gen``) and Cancel (``busy``); Compare and Export (realisations, an idle job
        worker, a usable reference); the Train page (locked while a run goes on, with ``train_extra``); Stop."""
        self.generate_button.setEnabled(can_gen)
        self.generate_action.setEnabled(can_gen)
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        has_res = self.result is not None
        ref_ok = self.ref_combo.currentData() is not None
        self.compare_button.setEnabled(has_res and not busy and ref_ok)
        self.compare_action.setEnabled(has_res and not busy and ref_ok)
        self.export_button.setEnabled(has_res and not busy)
        self.export_action.setEnabled(has_res and not busy)
        tb = self.train_jobs.busy
        for w in (self.train_button, self.train_action, *self.train_form.inputs(), *train_extra):
            w.setEnabled(not tb)
        self.stop_button.setEnabled(tb)
        self.stop_action.setEnabled(tb)

    # -- the Inspect tab --------------------------------------------------------------------
    def inspect_tab(self):
        tabs = getattr(self.context.window, "tab_by_key", None) or {}
        return tabs.get("inspect")

    def inspect_volume(self):
        """The LoadedVolume open in the Inspect tab, or None."""
        tab = self.inspect_tab()
        return getattr(tab, "volume", None) if tab is not None else None

    def inspect_name(self) -> str:
        vol = self.inspect_volume()
        p = getattr(vol, "path", None)
        return Path(p).name if p else "the Inspect volume"

    def _connect_inspect(self) -> None:
        if self._inspect_connected:
            return
        sig = getattr(self.inspect_tab(), "volumeLoaded", None)
        if sig is not None:
            sig.connect(self._on_inspect_volume)
            self._inspect_connected = True

    def showEvent(self, event):
        super().showEvent(event)
        self._connect_inspect()  # in case this tab was built before the Inspect tab
        self._on_inspect_volume()

    # -- realisations -----------------------------------------------------------------------
    @Slot(int)
    def _on_realisation_changed(self, index: int) -> None:
        if self.result is not None and index >= 0:
            self._show_realisation(index)

    def _new_generation(self, labels: list[str]) -> None:
        """A new set of realisations: forget the comparison and the 3D scenes, list ``labels``."""
        self.comparison = None
        self._gen_id += 1
        self._scenes = {}
        self.real_combo.blockSignals(True)
        self.real_combo.clear()
        for i, label in enumerate(labels):
            self.real_combo.addItem(label, i)
        self.real_combo.setCurrentIndex(0)
        self.real_combo.blockSignals(False)
        self.properties.clear()

    def _show_3d(self, index: int, volume: np.ndarray) -> None:
        """Realisation ``index`` in 3D: its scene when made, else one made in ``scene_jobs``."""
        if index in self._scenes:
            self._show_scene(index, self._scenes[index], reset_camera=False)
        elif not self.scene_jobs.busy:
            self.scene_jobs.submit(scene_job, self._gen_id, index, volume, on_finished=self._on_scene,
                                   on_failed=self._on_scene_failed, description=f"{self.LOG_NAME.lower()} 3D scene")
        # else: _on_scene starts the scene of the then-current realisation

    @Slot(object)
    def _on_scene(self, res) -> None:
        gen_id, index, scene = res
        if gen_id != self._gen_id or self.result is None:
            if self.result is not None:
                self._show_realisation(self.current_index())
            return
        self._scenes[index] = scene
        cur = self.current_index()
        if index == cur:
            self._show_scene(index, scene, reset_camera=len(self._scenes) == 1)
        else:
            self._show_realisation(cur)

    @Slot(str)
    def _on_scene_failed(self, message: str) -> None:
        # e.g. an all-grain realisation: nothing to draw, which is not an error dialog's worth
        self.context.log(f"{self.LOG_NAME}: 3D view: {message}")
        self.view3d.clear()

    def _decorate_scene(self, scene: SceneData) -> None:
        """Extra drawing after a scene is shown (none by default)."""

    def _show_scene(self, index: int, scene: SceneData, reset_camera: bool) -> None:
        try:
            self.view3d.show_scene(scene, reset_camera=reset_camera)
            self._decorate_scene(scene)
        except Exception as exc:  # a rendering problem must not take the tab down
            self.context.error("3D view", f"The 3D view could not draw this realisation: {exc}")
            return
        self.sceneReady.emit(index)

    # -- export -----------------------------------------------------------------------------
    @Slot()
    def export_dialog(self) -> None:
        if self.result is None:
            return
        filters = ";;".join(EXPORT_FILTERS.values())
        stem = self._export_stem()
        if self.export_which.currentData() == "one":
            stem += f"_r{self.current_index() + 1:03d}"
        suggest = str(Path(last_dir(self.context.settings, KEY_EXPORT_DIR)) / f"{stem}.tif")
        path, flt = QFileDialog.getSaveFileName(self, "Export realisations", suggest, filters)
        if not path:
            return
        if not Path(path).suffix:
            path += next((s for s, f in EXPORT_FILTERS.items() if f == flt), ".tif")
        self.export(Path(path), all_realisations=self.export_which.currentData() == "all")

    def export(self, path, all_realisations: bool = False) -> bool:
        """Write the selected (or every) realisation with its metadata; several get _001, _002, …"""
        if self.result is None:
            return False
        path = Path(path)
        if path.suffix.lower() not in EXPORT_FILTERS and path.suffix.lower() != ".tiff":
            self.context.error("Export", f"Choose one of {', '.join(EXPORT_FILTERS)} (not '{path.suffix or path.name}').")
            return False
        indices = list(range(len(self.result.volumes))) if all_realisations else [self.current_index()]
        paths = numbered_paths(path, len(indices))
        job, sources, metas, voxel_size_um = self._export_parts(indices)
        set_last_dir(self.context.settings, KEY_EXPORT_DIR, path)
        return self._start("Exporting", job, paths, sources, metas, voxel_size_um=voxel_size_um,
                           on_finished=self._on_exported)

    @Slot(object)
    def _on_exported(self, paths) -> None:
        self._job_ended(f"Exported {len(paths)}", done=True)
        for p in paths:
            self.context.log(f"{self.LOG_NAME}: wrote {p}")
        self.context.status(f"Wrote {len(paths)} file(s)")
        self.exported.emit([str(p) for p in paths])

    # -- training ---------------------------------------------------------------------------
    @Slot()
    def add_data_dialog(self) -> None:
        """Training volumes from a file dialog, opened in the shared rocks folder when it is here."""
        base = shared_data_dir()
        rocks = base / "rocks" if base else None
        start = str(rocks) if rocks and rocks.is_dir() else last_dir(self.context.settings, KEY_OPEN_DIR)
        paths, _ = QFileDialog.getOpenFileNames(self, "Training volumes", start, self.VOLUME_FILTER)
        self.add_training_files(paths)

    @Slot()
    def start_train(self) -> bool:
        """Train on ``_training_inputs`` in the training worker, once they pass ``_training_ok``."""
        if self.train_jobs.busy:
            return False
        data = self._training_inputs()
        if not data:
            self.context.error("Train", "Add at least one training volume.")
            return False
        if not self._training_ok(data):
            return False
        folder = self._run_folder()
        if folder is None:
            return False
        out, resume = folder
        seed = new_seed()
        what = self._begin_run(out, resume, self.KEY_TRAIN_OUT)
        self._submit_training(data, out, resume, seed, what)
        return True

    def _training_ok(self, data: list) -> bool:
        """Further checks of the training inputs (said where one fails); none by default."""
        return True

    # -- closing ----------------------------------------------------------------------------
    def _more_runners(self) -> tuple:
        """Further ``TaskRunner``s of the subclass, shut down after ``jobs``."""
        return ()

    def shutdown(self) -> None:
        self.log_timer.stop()
        self.jobs.shutdown()
        for runner in self._more_runners():
            runner.shutdown()
        self.scene_jobs.shutdown()
        self.train_jobs.shutdown(timeout_ms=60000)  # a stopped run writes its checkpoint first
        self.view3d.close_plotter()
