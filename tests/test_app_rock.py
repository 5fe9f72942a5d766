"""The main window's Rock tab (pytest-qt, under Xvfb): slice → 3D realisations, compare, export, train."""

import json
import re
import time

import numpy as np
import pytest

from gui_helpers import JOB_MS, assert_scene_drawn, generate_volumes, require_gui_and_torch, show_tab

require_gui_and_torch()

from PIL import Image  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from scipy import ndimage  # noqa: E402

from core.io import read_volume, write_volume  # noqa: E402
from core.rock import RockGANConfig, RockGANTask  # noqa: E402
from core.errors import InputError  # noqa: E402
from core.rock.gui_support import SHARED_ROCKS, heldout_crops, shared_rock_path  # noqa: E402
from core.train import TrainConfig, fit, load_checkpoint  # noqa: E402
from core.volumes.crops import random_crops  # noqa: E402

TINY = RockGANConfig(channels=4, z_channels=4, d_channels=4, crop=16)


def blobs(shape, seed=0, sigma=1.5):
    rng = np.random.default_rng(seed)
    return (ndimage.gaussian_filter(rng.random(shape), sigma) > 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    """An (almost) untrained tiny rock GAN checkpoint, made with the core API (1 step)."""
    out = tmp_path_factory.mktemp("tiny_run")
    fit(RockGANTask(TINY, [blobs((24, 24, 24))]),
        TrainConfig(steps=1, batch_size=1, checkpoint_every=0, log_every=1, seed=0, device="cpu", out_dir=str(out)))
    return out / "last.pt"


@pytest.fixture
def slice_png(tmp_path):
    s = blobs((24, 24), seed=3)
    p = tmp_path / "slice.png"
    Image.fromarray(s * 255).save(p)
    return p, s


@pytest.fixture
def rock(main_window, tiny_ckpt):
    tab = show_tab(main_window, "rock")
    tab.add_checkpoint(tiny_ckpt)
    assert tab.model_path() == str(tiny_ckpt.resolve())
    return tab


def generate(qtbot, tab, *, depth=16, count=2, seed=1234, paste=True):
    tab.depth_spin.setValue(depth)
    tab.count_spin.setValue(count)
    tab.seed_spin.setValue(seed)
    tab.paste_check.setChecked(paste)
    return generate_volumes(qtbot, tab)


def test_generate_switch_and_export(main_window, rock, qtbot, slice_png, tmp_path, errors, x_server):
    tab = rock
    path, s = slice_png
    with qtbot.waitSignal(tab.sliceLoaded):
        assert tab.load_slice_image(path)
    np.testing.assert_array_equal(tab.slice, s)
    assert tab.depth_spin.value() == 24 and "24×24" in tab.slice_label.text()

    with qtbot.waitSignal(tab.sceneReady, timeout=JOB_MS):     # realisation 1 drawn in 3D
        vols = generate(qtbot, tab)
    assert len(vols) == 2 and all(v.shape == (16, 24, 24) and v.dtype == np.uint8 for v in vols)
    centre = tab.result.volumes.centre
    assert centre == 8
    for v in vols:                                               # paste on: the exact input at z = 8
        np.testing.assert_array_equal(v[centre], s)
    assert re.search(r"matched the input at <b>\d+\.\d+ %</b>", tab.match_label.text())
    assert "pasted" in tab.match_label.text() and "1234" in tab.match_label.text()
    assert any("matched the input at" in line for line in main_window.log_panel.lines())
    # the slice views show realisation 1 with the input slice marked
    z, y, x = tab.slices.views
    assert tab.slices.volume() is tab.result.volumes[0]
    assert z.slider.value() == centre and z.canvas.frame and "input slice" in z.title.text()
    assert y.canvas.mark_row == centre and x.canvas.mark_row == centre

    # switching realisation updates the slices and the 3D view
    with qtbot.waitSignal(tab.sceneReady, timeout=JOB_MS, check_params_cb=lambda i: i == 1):
        tab.real_combo.setCurrentIndex(1)
    assert tab.slices.volume() is tab.result.volumes[1]
    assert "realisation 2" in tab.match_label.text()
    assert_scene_drawn(tab.view3d, tab._scenes[1])
    assert tab.view3d.scene.shape == (16, 24, 24)

    # same seed → same volumes
    again = generate(qtbot, tab)
    for a, b in zip(vols, again):
        np.testing.assert_array_equal(a, b)
    tab.real_combo.setCurrentIndex(1)

    # export: all as TIFF (seed etc. in the metadata), the selected one as NPY (+ JSON beside it)
    with qtbot.waitSignal(tab.exported, timeout=JOB_MS) as blocker:
        assert tab.export(tmp_path / "out.tif", all_realisations=True)
    written = blocker.args[0]
    assert [p.rsplit("/", 1)[-1] for p in written] == ["out_001.tif", "out_002.tif"]
    for i, p in enumerate(written):
        back = read_volume(p)
        np.testing.assert_array_equal(back.array, vols[i])
        assert back.metadata["seed"] == 1234 and back.metadata["realisation"] == i
        assert back.metadata["slice_pasted"] is True and 0 <= back.metadata["slice_match_before_paste"] <= 1
        assert back.metadata["model"].endswith("last.pt")
    with qtbot.waitSignal(tab.exported, timeout=JOB_MS):
        assert tab.export(tmp_path / "one.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "one.npy"), vols[1])
    meta = json.loads((tmp_path / "one.npy.json").read_text())
    assert meta["seed"] == 1234 and meta["realisation"] == 1

    # paste off: G's own central slice stays, and the label says so
    generate(qtbot, tab, count=1, seed=7, paste=False)
    g = tab.result.volumes
    assert g.pasted is False and "Not pasted" in tab.match_label.text()
    assert g.slice_match[0] == pytest.approx(float((g[0][g.centre] == s).mean()))
    assert errors == []


def test_compare_with_the_inspect_volume(main_window, rock, qtbot, tmp_path, errors, x_server):
    tab = rock
    # the shared held-out references are offered only when the shared data is there
    for i, rk in enumerate(SHARED_ROCKS):
        assert (tab.ref_combo.itemData(i) is not None) == (shared_rock_path(rk) is not None)
    assert tab.ref_combo.findData("volume") < 0 and not tab.inspect_button.isEnabled()

    vol = blobs((40, 40, 40), seed=5)
    src = write_volume(tmp_path / "inspect.tif", vol, voxel_size_um=2.0)
    with qtbot.waitSignal(main_window.inspect_tab.volumeLoaded, timeout=JOB_MS):
        assert main_window.open_path(src)
    qtbot.waitUntil(lambda: not main_window.inspect_tab.jobs.busy, timeout=JOB_MS)
    main_window.tabs.setCurrentWidget(tab)
    assert tab.inspect_button.isEnabled() and tab.inspect_index.maximum() == 39

    # the input slice from the Inspect volume: axis y, index 11
    tab.inspect_axis.setCurrentIndex(1)
    tab.inspect_index.setValue(11)
    assert tab.use_inspect_slice()
    np.testing.assert_array_equal(tab.slice, vol[:, 11, :])
    assert tab.voxel_spin.value() == pytest.approx(2.0)
    generate(qtbot, tab, depth=16, count=3, seed=3)

    assert tab.select_reference("volume")
    tab.ncrops_spin.setValue(4)
    with qtbot.waitSignal(tab.compared, timeout=JOB_MS):
        assert tab.start_compare()
    kl = tab.kl_values()
    assert len(kl) == 3 and all(isinstance(v, float) and v >= 0 for v in kl.values())
    assert tab.comparison.reference["porosity"].shape == (4,)
    assert tab.comparison.generated["porosity"].shape == (3,)
    assert "inspect.tif" in tab.comparison.reference_label
    assert tab.views.currentIndex() == 1
    assert errors == []


def test_train_stop_and_resume(main_window, rock, qtbot, tmp_path, errors, x_server):
    tab = rock
    data = write_volume(tmp_path / "train.tif", blobs((24, 24, 24), seed=1))
    out = tmp_path / "run"
    tab.side.setCurrentIndex(1)
    assert tab.views.currentIndex() == 2                     # the loss plot comes to the front
    tab.add_training_files([data])
    assert tab.training_files() == [str(data.resolve())]
    tab.crop_spin.setValue(16)
    tab.steps_spin.setValue(2)
    tab.batch_spin.setValue(1)
    tab.channels_spin.setValue(4)
    tab.device_combo.setCurrentIndex(tab.device_combo.findData("cpu"))
    tab.out_edit.setText(str(out))
    # the rock GAN's own settings, each away from its default, reach the run's config
    norm = "group" if tab.norm_combo.currentData() == "pixel" else "pixel"
    tab.norm_combo.setCurrentIndex(tab.norm_combo.findData(norm))
    tab.decay_spin.setValue(2.5)
    tab.porosity_weight_spin.setValue(7)
    tab.profile_weight_spin.setValue(3)

    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as blocker:
        assert tab.start_train()
        assert not tab.train_button.isEnabled() and tab.stop_button.isEnabled()
        assert not tab.norm_combo.isEnabled() and not tab.profile_weight_spin.isEnabled()
    assert blocker.args == ["finished"]
    assert (out / "last.pt").is_file() and load_checkpoint(out / "last.pt")["step"] == 2
    cfg = load_checkpoint(out / "last.pt")["config"]
    assert (cfg["g_norm"], cfg["decay"], cfg["porosity_weight"], cfg["profile_weight"]) == (norm, 2.5, 7.0, 3.0)
    assert tab.norm_combo.isEnabled()
    assert tab.loss_plot.has_data() and "loss_d" in tab.loss_plot.series
    assert tab.model_combo.findData(str((out / "last.pt").resolve())) >= 0   # offered, not forced
    assert tab.resume_check.isChecked()

    # a long resumed run, stopped from the GUI: the trainer writes a checkpoint
    tab.steps_spin.setValue(100_000)
    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as blocker:
        assert tab.start_train()
        qtbot.waitUntil(lambda: bool(re.search(r"step \d+/100000", tab.train_status.text())), timeout=JOB_MS)
        t0 = time.monotonic()
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
        tab.new_seed_button.click()                           # the window still answers
        assert time.monotonic() - t0 < 2
    assert blocker.args == ["cancelled"]
    step = load_checkpoint(out / "last.pt")["step"]
    assert step > 2
    assert "stopped" in tab.train_status.text().lower() and str(out / "last.pt") in tab.train_status.text()
    assert tab.train_button.isEnabled() and not tab.train_jobs.busy

    # Resume continues from that step
    tab.steps_spin.setValue(step + 2)
    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as blocker:
        assert tab.start_train()
    assert blocker.args == ["finished"]
    assert tab.train_result.resumed_from == step and tab.train_result.step == step + 2
    assert errors == []


def test_cancel_generation_and_bad_input(main_window, rock, qtbot, slice_png, tmp_path, errors, monkeypatch,
                                         x_server):
    tab = rock
    # a corrupt image and a too-small one: error dialogs, nothing loaded
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    assert not tab.load_slice_image(bad)
    assert errors and errors[-1][0] == "Open slice" and tab.slice is None
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "tiny.png")
    assert not tab.load_slice_image(tmp_path / "tiny.png")
    assert "at least 16×16" in errors[-1][1]
    assert not tab.generate_button.isEnabled()

    # a slow generation, cancelled through the Cancel button
    import sys

    gen_mod = sys.modules["core.rock.generate"]  # (core.rock.generate is also the function's name)

    def slow_generate(model, slice2d, depth, count, seed, state=None, **kw):
        for i in range(2000):
            state.report(i / 2000, f"slow step {i}")
            time.sleep(0.01)
        raise AssertionError("not cancelled")

    monkeypatch.setattr(gen_mod, "generate", slow_generate)
    assert tab.load_slice_image(slice_png[0])
    n_errors = len(errors)
    with qtbot.waitSignal(tab.jobCancelled, timeout=JOB_MS):
        assert tab.start_generate()
        qtbot.waitUntil(lambda: "slow step" in tab.progress.format(), timeout=JOB_MS)
        assert tab.cancel_button.isEnabled() and not tab.generate_button.isEnabled()
        tab.cancel_button.click()
    assert "cancelled" in tab.progress.format().lower()
    assert tab.result is None and tab.generate_button.isEnabled() and len(errors) == n_errors


def test_reference_crops_respect_the_split():
    a = np.ascontiguousarray(np.broadcast_to(np.arange(64, dtype=np.uint8)[:, None, None], (64, 30, 30)))
    crops, _ = random_crops(a, (8, 10, 10), 50, np.random.default_rng(0), z0=40, purpose="realisations")
    assert len(crops) == 50 and all(c.shape == (8, 10, 10) and c.min() >= 40 for c in crops)
    with pytest.raises(InputError, match="smaller than the realisations"):
        random_crops(a, (30, 10, 10), 1, np.random.default_rng(0), z0=40, purpose="realisations")


@pytest.mark.skipif(shared_rock_path("ketton") is None, reason="shared data not here")
def test_heldout_crops_of_ketton():
    crops, label = heldout_crops("ketton", (16, 20, 20), 3, seed=1)
    assert len(crops) == 3 and all(c.shape == (16, 20, 20) for c in crops) and "z ≥ 192" in label
    with pytest.raises(InputError, match="held-out part"):
        heldout_crops("ketton", (100, 20, 20), 1)
