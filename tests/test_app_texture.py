"""The Texture tab (pytest-qt, under Xvfb): classes with previews, generate by class / like an example,
big sizes into a TIFF, cancel, bad models, compare, export, and a short training run from the Train panel."""

import json
import re

import numpy as np
import pytest

from gui_helpers import JOB_MS, assert_scene_drawn, generate_volumes, require_gui_and_torch, show_tab

torch = require_gui_and_torch()

import tifffile  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMainWindow  # noqa: E402
from scipy import ndimage  # noqa: E402

from core.io import read_volume, write_volume  # noqa: E402
from core.texture import (CLASSES_FILE, TextureGANConfig, TextureModel, generate, load_class_table,  # noqa: E402
                          noise_planes)
from core.texture.task import FORMAT_VERSION, KIND  # noqa: E402
from core.train import LAST, load_checkpoint, save_checkpoint  # noqa: E402

TINY = TextureGANConfig(code_dim=4, noise_channels=2, g_channels=8, g_fine=2, e_channels=4, d_channels=4,
                        dz_hidden=8, crop=16)


def blobs(shape, seed=0, sigma=1.5, porosity=0.3):
    f = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), sigma)
    return (f > np.quantile(f, 1 - porosity)).astype(np.uint8)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A tiny untrained texture model file with a hand-made class table (two classes with previews).

    G's output bias is set so that a code near 0 paints about half pore (an untrained G tends to
    paint one phase only, which has no surface to draw in 3D)."""
    m = TextureModel.from_config(TINY, seed=0)
    g, cells = m.generator, m.generator.latent_cells(32)
    with torch.no_grad():
        g.out.bias -= g(torch.zeros(1, 4), noise_planes(0, 0, 0, cells, 2, cells, cells)[None]).median()
    e = torch.zeros(4)
    e[0] = 0.5
    cov = 0.01 * torch.eye(4)
    classes = {"plus": {"mean": e.clone(), "cov": cov, "porosity": 0.3, "n_crops": 2,
                        "preview": torch.from_numpy(blobs((40, 40), 1, porosity=0.3))},
               "minus": {"mean": -e, "cov": cov, "porosity": 0.125, "n_crops": 2,
                         "preview": torch.from_numpy(blobs((40, 40), 2, porosity=0.125))}}
    path = tmp_path_factory.mktemp("texture_model") / "tiny_texture.pt"
    save_checkpoint(path, {"kind": KIND, "format_version": FORMAT_VERSION, "step": 7, "config": TINY.to_dict(),
                           "models": {"encoder": m.encoder.state_dict(), "generator": g.state_dict()},
                           "classes": classes})
    return path


def make_tab(qtbot):
    from app.settings import app_settings
    from app.tabs.base import AppContext
    from app.tabs.texture_tab import TextureTab

    win = QMainWindow()
    t = TextureTab(AppContext(win, app_settings()))
    win.setCentralWidget(t)
    qtbot.addWidget(win)
    win.resize(1100, 750)
    win.show()
    qtbot.waitExposed(win)
    return win, t


@pytest.fixture
def tab(qsettings_tmp, qtbot, errors, monkeypatch):
    """The Texture tab on its own (quicker than the whole main window), shown, without its 3D view
    (SEQGEN_NO_3D: a label stands in; scenes are still prepared and sceneReady still comes)."""
    monkeypatch.setenv("SEQGEN_NO_3D", "1")
    win, t = make_tab(qtbot)
    assert not t.view3d.available
    yield t
    t.shutdown()
    win.close()


@pytest.fixture
def tab3d(qsettings_tmp, qtbot, errors, x_server):
    """The Texture tab with its pyvistaqt 3D view (under Xvfb)."""
    win, t = make_tab(qtbot)
    yield t
    t.shutdown()
    win.close()


def load(qtbot, tab, path):
    with qtbot.waitSignal(tab.modelLoaded, timeout=JOB_MS):
        assert tab.add_checkpoint(path)
    qtbot.waitUntil(lambda: not tab.model_jobs.busy, timeout=JOB_MS)


def run_generate(qtbot, tab, *, size=32, count=2, seed=1234):
    tab.size_spin.setValue(size)
    tab.count_spin.setValue(count)
    tab.seed_spin.setValue(seed)
    return generate_volumes(qtbot, tab)


def test_tab_registered_bad_models_then_classes(main_window, qtbot, model_file, tmp_path, errors):
    from app.tabs import TAB_FACTORIES
    from core.shipped import shipped_models

    keys = [s.key for s in TAB_FACTORIES]
    assert keys.index("texture") == keys.index("rock") + 1
    tab = show_tab(main_window, "texture")
    assert main_window.tabs.tabText(main_window.tabs.indexOf(tab)) == "Texture"
    assert tab.menu() is not None
    if not shipped_models("texture"):   # no shipped model: the tab says so and cannot generate
        assert not tab.generate_button.isEnabled()
        assert "No shipped texture model" in tab.model_label.text() and "Checkpoint file" in tab.model_label.text()
    else:  # the shipped model loads in the background and lists its classes
        qtbot.waitUntil(lambda: tab.model is not None, timeout=JOB_MS)
        assert {"berea", "ketton", "bentheimer"} <= set(tab.class_names()) and tab.generate_button.isEnabled()

    # a damaged file and a model of another kind: a clear error, no classes, no crash
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with qtbot.waitSignal(tab.modelFailed, timeout=JOB_MS):
        assert tab.add_checkpoint(bad)
    assert errors[-1][0] == "Texture model" and "not a SeqGen Studio model" in errors[-1][1]
    assert tab.model is None and tab.class_list.count() == 0 and not tab.generate_button.isEnabled()
    assert "Could not load" in tab.model_label.text()
    from app.settings import get_list
    from app.tabs.texture_tab import KEY_CHECKPOINTS

    assert str(bad.resolve()) not in get_list(tab.context.settings, KEY_CHECKPOINTS)   # not offered next time
    other = tmp_path / "rock.pt"
    save_checkpoint(other, {"kind": "rock-gan", "format_version": 1, "step": 1, "config": {}, "models": {}})
    with qtbot.waitSignal(tab.modelFailed, timeout=JOB_MS):
        assert tab.add_checkpoint(other)
    assert "'texture-gan' model is needed" in errors[-1][1]
    assert not tab.start_generate() and errors[-1][0] == "Generate"
    assert not tab.add_checkpoint(tmp_path / "missing.pt") and "No texture model" in errors[-1][1]

    # a good model: its classes are listed with a preview slice and the training porosity
    n = len(errors)
    load(qtbot, tab, model_file)
    assert tab.class_names() == ["plus", "minus"] and len(errors) == n
    item = tab.class_list.item(1)
    assert "training porosity 0.1250" in item.text() and not item.icon().isNull()
    assert "step 7" in tab.model_label.text() and "2 classes" in tab.model_label.text()
    assert tab.selection() == ("class", "plus") and tab.generate_button.isEnabled()
    assert tab.select_class("minus") and tab.class_preview.image() is not None


def test_generate_reproduce_compare_export(tab3d, qtbot, model_file, tmp_path, errors):
    tab = tab3d
    load(qtbot, tab, model_file)
    assert tab.select_class("minus")
    with qtbot.waitSignal(tab.sceneReady, timeout=JOB_MS):            # realisation 1 drawn in 3D
        vols = run_generate(qtbot, tab, size=32, count=2, seed=1234)
    assert len(vols) == 2 and all(v.shape == (32, 32, 32) and v.dtype == np.uint8 for v in vols)
    direct = generate(tab.model, 32, 1234, cls="minus", count=2)      # what the engine gives for that seed
    for a, b in zip(vols, direct):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(vols[0], vols[1])
    assert "1234" in tab.gen_label.text() and "class minus" in tab.gen_label.text()
    assert tab.slices.views[0]._volume is tab.result.volumes[0]
    assert_scene_drawn(tab.view3d, tab._scenes[0])
    assert tab.view3d.scene.shape == (32, 32, 32)
    with qtbot.waitSignal(tab.sceneReady, timeout=JOB_MS, check_params_cb=lambda i: i == 1):
        tab.real_combo.setCurrentIndex(1)
    assert tab.slices.views[0]._volume is tab.result.volumes[1]

    # the same seed again gives the same volumes
    for a, b in zip(vols, run_generate(qtbot, tab, size=32, count=2, seed=1234)):
        np.testing.assert_array_equal(a, b)
    tab.real_combo.setCurrentIndex(1)

    # export: all as TIFF (seed, class, code in the metadata); the selected one as NPY + JSON
    with qtbot.waitSignal(tab.exported, timeout=JOB_MS) as blocker:
        assert tab.export(tmp_path / "out.tif", all_realisations=True)
    assert [p.rsplit("/", 1)[-1] for p in blocker.args[0]] == ["out_001.tif", "out_002.tif"]
    for i, p in enumerate(blocker.args[0]):
        back = read_volume(p)
        np.testing.assert_array_equal(back.array, vols[i])
        assert back.metadata["seed"] == 1234 and back.metadata["realisation"] == i
        assert back.metadata["class"] == "minus" and back.metadata["generator"] == "texture-gan"
        assert back.metadata["model"].endswith("tiny_texture.pt") and len(back.metadata["code"]) == 4
    with qtbot.waitSignal(tab.exported, timeout=JOB_MS):
        assert tab.export(tmp_path / "one.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "one.npy"), vols[1])
    assert json.loads((tmp_path / "one.npy.json").read_text())["seed"] == 1234
    assert not tab.export(tmp_path / "x.png") and "Choose one of" in errors[-1][1]
    errors.clear()

    # from an example volume: listed and selected; the engine's result for that example
    ex = blobs((40, 40, 40), seed=5, porosity=0.25)
    src = write_volume(tmp_path / "example.tif", ex, voxel_size_um=2.5)
    with qtbot.waitSignal(tab.exampleLoaded, timeout=JOB_MS):
        assert tab.load_example(src)
    assert tab.selection() == ("example", None) and "example.tif" in tab.class_list.currentItem().text()
    assert tab.voxel_spin.value() == pytest.approx(2.5) and not tab.spread_spin.isEnabled()
    got = run_generate(qtbot, tab, size=32, count=2, seed=5)
    for a, b in zip(got, generate(tab.model, 32, 5, example=ex, count=2)):
        np.testing.assert_array_equal(a, b)
    assert tab.result.metadata[0]["example"] == str(src.resolve()) and tab.result.cls is None

    # compare with crops of the example: histograms and a KL per property
    assert tab.select_reference("example")
    tab.ncrops_spin.setValue(3)
    with qtbot.waitSignal(tab.compared, timeout=JOB_MS):
        assert tab.start_compare()
    kl = tab.kl_values()
    assert len(kl) == 3 and all(isinstance(v, float) and v >= 0 for v in kl.values())
    assert tab.comparison.reference["porosity"].shape == (3,) and tab.comparison.generated["porosity"].shape == (2,)
    assert "example.tif" in tab.comparison.reference_label and tab.views.currentIndex() == 1
    assert errors == []


def test_big_sizes_go_to_a_tiff(tab, qtbot, model_file, tmp_path, errors, monkeypatch):
    import app.tabs.texture_tab as tt

    monkeypatch.setattr(tt, "IN_MEMORY_MAX", 24)      # "big" = above 24³ here, so the test stays tiny
    monkeypatch.setattr(tt, "PREVIEW_EDGE", 16)
    load(qtbot, tab, model_file)
    tab.size_spin.setValue(32)
    assert tab.file_mode() and tab.file_check.isChecked() and not tab.file_check.isEnabled()
    tab.out_file_edit.setText(str(tmp_path / "big"))
    with qtbot.waitSignal(tab.sceneReady, timeout=JOB_MS):
        shown = run_generate(qtbot, tab, size=32, count=2, seed=77)
    files = [tmp_path / "big_001.tif", tmp_path / "big_002.tif"]
    assert tab.result.files == files and tab.result.partial and tab.result.offset == 8
    whole = generate(tab.model, 32, 77, cls="plus", count=2)
    for part, f, w in zip(shown, files, whole):
        back = read_volume(f)
        np.testing.assert_array_equal(back.array, w)                # tiles: the same volume as in one piece
        assert back.metadata["seed"] == 77 and back.metadata["class"] == "plus"
        np.testing.assert_array_equal(part, w[8:24, 8:24, 8:24])    # the central part is shown
    assert part.shape == (16, 16, 16) and "central 16³" in tab.real_info.text()
    # export converts the whole file
    with qtbot.waitSignal(tab.exported, timeout=JOB_MS):
        assert tab.export(tmp_path / "whole.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "whole.npy"), whole[0])
    assert json.loads((tmp_path / "whole.npy.json").read_text())["seed"] == 77
    assert tifffile.TiffFile(files[0]).series[0].shape == (32, 32, 32)
    assert errors == []


def test_cancel_generation(tab, qtbot, model_file, errors):
    load(qtbot, tab, model_file)
    tab.size_spin.setValue(96)
    tab.count_spin.setValue(256)                       # ~10 s of work: cancelled long before the end
    with qtbot.waitSignal(tab.jobCancelled, timeout=JOB_MS):
        assert tab.start_generate()
        qtbot.waitUntil(lambda: "Generating tile" in tab.progress.format(), timeout=JOB_MS)
        assert tab.cancel_button.isEnabled() and not tab.generate_button.isEnabled()
        tab.cancel_button.click()
    assert "cancelled" in tab.progress.format().lower()
    assert tab.result is None and tab.generate_button.isEnabled() and not tab.jobs.busy and errors == []


def test_train_stop_and_resume(tab, qtbot, tmp_path, errors):
    a, b = (write_volume(tmp_path / f"{n}.tif", blobs((24, 24, 24), seed=i, porosity=p))
            for i, (n, p) in enumerate((("coarse_1", 0.35), ("fine", 0.15))))
    out = tmp_path / "run"
    tab.side.setCurrentIndex(1)
    assert tab.views.currentIndex() == 2                     # the loss plot comes to the front
    tab.add_training_files([a, b], names=[None, "small"])
    assert tab.training_data() == [("coarse", str(a.resolve())), ("small", str(b.resolve()))]
    tab.crop_spin.setValue(16)
    tab.steps_spin.setValue(2)
    tab.batch_spin.setValue(1)
    tab.channels_spin.setValue(8)
    tab.device_combo.setCurrentIndex(tab.device_combo.findData("cpu"))
    tab.train_out_edit.setText(str(out))
    # the texture GAN's own settings, each away from its default, reach the run's config
    norm = "batch" if tab.norm_combo.currentData() == "pixel" else "pixel"
    tab.norm_combo.setCurrentIndex(tab.norm_combo.findData(norm))
    tab.porosity_weight_spin.setValue(7)

    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as blocker:
        assert tab.start_train()
        assert not tab.train_button.isEnabled() and tab.stop_button.isEnabled()
        assert not tab.norm_combo.isEnabled() and not tab.porosity_weight_spin.isEnabled()
    assert blocker.args == ["finished"], tab.train_status.text()
    assert load_checkpoint(out / LAST)["step"] == 2 and load_class_table(out / CLASSES_FILE)["step"] == 2
    cfg = load_checkpoint(out / LAST)["config"]
    assert (cfg["g_norm"], cfg["porosity_weight"]) == (norm, 7.0) and tab.norm_combo.isEnabled()
    assert tab.loss_plot.has_data() and "loss_d_x" in tab.loss_plot.series
    last = str((out / LAST).resolve())
    assert tab.model_combo.findData(last) >= 0 and tab.resume_check.isChecked()   # offered, not forced

    # the new checkpoint generates by the classes it was trained on
    with qtbot.waitSignal(tab.modelLoaded, timeout=JOB_MS):
        tab.model_combo.setCurrentIndex(tab.model_combo.findData(last))
    assert tab.class_names() == ["coarse", "small"]

    # a long resumed run, stopped from the GUI: a checkpoint (and the classes) are written
    tab.steps_spin.setValue(100_000)
    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as blocker:
        assert tab.start_train()
        qtbot.waitUntil(lambda: bool(re.search(r"step \d+/100000", tab.train_status.text())), timeout=JOB_MS)
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
    assert blocker.args == ["cancelled"]
    step = load_checkpoint(out / LAST)["step"]
    assert step > 2 and load_class_table(out / CLASSES_FILE)["step"] == step
    assert "stopped" in tab.train_status.text().lower() and str(out / LAST) in tab.train_status.text()

    tab.steps_spin.setValue(step + 1)                         # Resume continues from there
    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as blocker:
        assert tab.start_train()
    assert blocker.args == ["finished"]
    assert tab.train_result.resumed_from == step and tab.train_result.step == step + 1
    assert errors == []


def test_heldout_reference_of_rock_classes():
    from core.texture.gui_support import class_rock, class_voxel_size, compare_job, shared_class_path

    assert class_rock("Berea") == "berea" and class_rock("ketton_256") == "ketton" and class_rock("plus") is None
    assert class_voxel_size("berea") == pytest.approx(5.345) and class_voxel_size("minus") is None
    if shared_class_path("ketton") is None:
        pytest.skip("shared data not here")
    comp = compare_job([blobs((32, 32, 32), i) for i in range(2)], "heldout", cls="Ketton", n_ref=2,
                       voxel_size_um=3.0)
    assert "ketton_256.tif (z ≥ 192)" in comp.reference_label and comp.reference["porosity"].shape == (2,)
    assert set(comp.kl) == {"porosity", "surface_area_density", "euler_density"}
