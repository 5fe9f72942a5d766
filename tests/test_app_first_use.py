"""The GUI as a new user meets it (issue 21): Train panels that fit a CPU with their time shown before
Start, losses from the first step, a progress bar that agrees with itself, honest plots, the side panel
scrolling under the wheel with Generate in view, file outputs never under an old name, comparisons of
large volumes, and words that say what is on screen."""

import re
from pathlib import Path

import numpy as np
import pytest

from gui_helpers import JOB_MS, generate_volumes, require_gui_and_torch, show_tab

torch = require_gui_and_torch()

from PIL import Image  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog  # noqa: E402

from core.io import write_volume  # noqa: E402
from core.train import read_log  # noqa: E402
from test_app_texture import blobs, load, make_tab, model_file  # noqa: E402,F401 - the tiny model fixture


def wheel(widget, steps=-3):
    """A mouse-wheel turn over the middle of ``widget`` (negative: towards the user, i.e. scroll down)."""
    c = QPointF(widget.width() / 2, widget.height() / 2)
    ev = QWheelEvent(c, QPointF(widget.mapToGlobal(c.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                     Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


@pytest.fixture
def ttab(qsettings_tmp, qtbot, errors, monkeypatch):
    """The Texture tab alone without its 3D view (as in test_app_texture)."""
    monkeypatch.setenv("SEQGEN_NO_3D", "1")
    win, t = make_tab(qtbot)
    yield t
    t.shutdown()
    win.close()


# -- Train panels ------------------------------------------------------------------------------

def test_train_defaults_are_the_shipped_cpu_recipes_with_an_estimate(main_window, monkeypatch):
    rock = show_tab(main_window, "rock")
    f = rock.train_form
    # rock_berea.md / rock_ketton.md: crop 48, width 8, batch 8, per-voxel norm, decay 6, weights 100
    assert (rock.crop_spin.value(), rock.channels_spin.value(), rock.batch_spin.value()) == (48, 8, 8)
    assert rock.norm_combo.currentData() == "pixel" and rock.decay_spin.value() == 6.0
    assert rock.porosity_weight_spin.value() == 100.0 and rock.profile_weight_spin.value() == 100.0
    assert f.preset_combo.currentData() == "usable"
    # the time is shown before Start; a step takes seconds, so Stop (after the current step) does too
    assert f.step_seconds() < 5
    total = f.step_seconds() * rock.steps_spin.value()
    assert 40 * 60 <= total <= 65 * 60 and "Estimated time: ≈ " in f.eta_label.text()
    assert "Not measured here" in f.eta_label.toolTip() and "rock_berea" in f.eta_label.toolTip()
    f.preset_combo.setCurrentIndex(f.preset_combo.findData("quick"))
    assert f.step_seconds() * rock.steps_spin.value() <= 10 * 60 and rock.crop_spin.value() == 32
    # the former defaults, by the same estimate: about the "ETA 35 h" the issue saw
    rock.crop_spin.setValue(64)
    rock.channels_spin.setValue(32)
    rock.steps_spin.setValue(2000)
    assert f.preset_combo.currentData() == "custom"
    assert 25 * 3600 < f.step_seconds() * 2000 < 45 * 3600 and " h " in f.eta_label.text()

    tex = show_tab(main_window, "texture")
    g = tex.train_form
    # texture_rocks.md: crop 32, batch 4, G width 32, BatchNorm, porosity weight 10
    assert (tex.crop_spin.value(), tex.batch_spin.value(), tex.channels_spin.value()) == (32, 4, 32)
    assert tex.norm_combo.currentData() == "batch" and tex.porosity_weight_spin.value() == 10.0
    assert g.step_seconds() < 5 and 40 * 60 <= g.step_seconds() * tex.steps_spin.value() <= 65 * 60

    # ... and the run gets the shipped model's widths (encoder and critics 32, D_z 128), not half of them
    import importlib

    from core.texture.gui_support import train_job

    ct = importlib.import_module("core.texture.train")  # the module (core.texture.train is also a function)
    seen = {}
    monkeypatch.setattr(ct, "train", lambda specs, cfg, tcfg, state=None: seen.update(cfg=cfg, tcfg=tcfg))
    train_job(["a=x.tif"], out_dir="run", channels=32, crop=32, steps=10, batch=4)
    c = seen["cfg"]
    assert (c.g_channels, c.e_channels, c.d_channels, c.dz_hidden) == (32, 32, 32, 128)


def test_losses_from_the_first_step_and_a_bar_that_agrees(main_window, qtbot, tmp_path, errors, x_server):
    tab = show_tab(main_window, "rock")
    tab.side.setCurrentIndex(1)
    rng = np.random.default_rng(1)
    tab.add_training_files([write_volume(tmp_path / "train.tif", (rng.random((24, 24, 24)) > 0.6).astype(np.uint8))])
    tab.crop_spin.setValue(16)
    tab.batch_spin.setValue(1)
    tab.channels_spin.setValue(4)
    tab.steps_spin.setValue(1000)   # over 200 steps: the panel used to log every 10th step only
    tab.device_combo.setCurrentIndex(tab.device_combo.findData("cpu"))
    out = tmp_path / "run"
    tab.out_edit.setText(str(out))
    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as blocker:
        assert tab.start_train()
        qtbot.waitUntil(lambda: tab.loss_plot.has_data(), timeout=JOB_MS)
        tab.stop_training()
    assert blocker.args == ["cancelled"]
    steps = sorted({r["step"] for r in read_log(out / "log.csv")})
    assert steps[0] == 1 and steps == list(range(1, steps[-1] + 1))       # every step, from the first
    assert int(tab.loss_plot.series["loss_d"][0][0]) == 1
    assert errors == []


def test_progress_bar_words_agree_with_its_numbers(main_window):
    tab = show_tab(main_window, "rock")
    # the bar's words and numbers agree: the share of the run's steps, not of the whole job (data reading)
    tab._on_train_progress(0.02 + 0.98 / 2000, "step 1/2000 · loss_d 1.5 · ETA 35 h 10 min")
    assert tab.train_progress.text() == "step 1/2000 – 0%"
    tab._on_train_progress(0.02 + 0.98 * 1000 / 2000, "step 1000/2000 · loss_d 1.5 · ETA 1 min")
    assert tab.train_progress.text() == "step 1000/2000 – 50%" and tab.train_progress.value() == 500


# -- Video tab ---------------------------------------------------------------------------------

def test_video_mse_curve_is_not_clipped(qtbot):
    from app.widgets.frame_metrics_plot import FrameMetricsPlot

    PSNR_CAP = 99.0  # what an identical frame's infinite PSNR is drawn at
    plot = FrameMetricsPlot()
    qtbot.addWidget(plot)
    m = {"frame": np.arange(3), "mse": np.array([150.0, 320.5, 4000.0]), "psnr": np.array([21.0, np.inf, 12.0])}
    plot.show_metrics(m, [dict(m, mse=m["mse"] * 2)])
    other, shown = plot.ax_mse.lines[:2]                # then the frame cursor
    np.testing.assert_allclose(shown.get_ydata(), [150.0, 320.5, 4000.0])   # a sum over pixels: as it is
    np.testing.assert_allclose(other.get_ydata(), [300.0, 641.0, 8000.0])
    np.testing.assert_allclose(plot.ax_psnr.lines[1].get_ydata(), [21.0, PSNR_CAP, 12.0])  # only ∞ capped


def test_video_runs_go_to_the_users_runs_folder(main_window):
    video = show_tab(main_window, "video")
    assert video.train_out_edit.text() == str(Path.home() / "seqgen-runs" / "video")
    assert Path(show_tab(main_window, "rock").out_edit.text()).parent == Path(video.train_out_edit.text()).parent


# -- Texture tab -------------------------------------------------------------------------------

def test_tiff_output_is_not_left_forced_nor_written_under_an_old_name(ttab, qtbot, model_file, tmp_path,  # noqa: F811
                                                                       monkeypatch):
    import app.tabs.texture_tab as tt

    tab = ttab
    monkeypatch.setattr(tt, "IN_MEMORY_MAX", 24)       # "big" = above 24³ here, so the test stays tiny
    monkeypatch.setattr(tt, "PREVIEW_EDGE", 16)
    load(qtbot, tab, model_file)
    tab.size_spin.setValue(32)
    assert tab.file_check.isChecked() and not tab.file_check.isEnabled()      # forced on by the size
    tab.size_spin.setValue(16)
    assert not tab.file_check.isChecked() and tab.file_check.isEnabled() and not tab.file_mode()

    asked = []

    def save_dialog(parent, title, start, flt):
        asked.append(start)
        return str(tmp_path / f"run{len(asked)}.tif"), flt

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    tab.file_check.click()                                                    # the user's own choice stays
    tab.size_spin.setValue(32)
    tab.size_spin.setValue(16)
    assert tab.file_check.isChecked()
    tab.count_spin.setValue(1)
    tab.seed_spin.setValue(5)
    generate_volumes(qtbot, tab)
    assert tab.result.files == [tmp_path / "run1.tif"] and Path(asked[0]).name == "texture_plus_16_seed5.tif"
    assert tab.out_file_edit.text() == ""                 # the next run into files asks for its own name
    tab.size_spin.setValue(32)
    tab.count_spin.setValue(2)
    generate_volumes(qtbot, tab)
    assert len(asked) == 2 and Path(asked[1]).name == "texture_plus_32_seed5.tif"
    assert tab.result.files == [tmp_path / "run2_001.tif", tmp_path / "run2_002.tif"]
    assert (tmp_path / "run1.tif").is_file() and not (tmp_path / "run1_001.tif").exists()


def test_compare_larger_realisations_on_subcrops(ttab, qtbot, model_file, errors):  # noqa: F811
    tab = ttab
    load(qtbot, tab, model_file)
    tab.set_example(blobs((16, 40, 40), seed=4), "example.tif", "example.tif")   # thinner than 32³ realisations
    tab.select_class("plus")
    tab.size_spin.setValue(32)
    tab.count_spin.setValue(2)
    generate_volumes(qtbot, tab)
    assert tab.select_reference("example")
    tab.ncrops_spin.setValue(4)
    tab.perm_check.setChecked(False)
    with qtbot.waitSignal(tab.compared, timeout=JOB_MS):
        assert tab.start_compare()
    assert errors == []
    note = tab.kl_note.text()
    assert "sub-crops of 16×32×32" in note and "larger than the reference" in note
    assert tab.kl_values() and tab.comparison is not None


# -- the side panel ----------------------------------------------------------------------------

def test_wheel_scrolls_the_panel_and_generate_is_in_view(main_window, qtbot):
    main_window.resize(1400, 900)
    qtbot.wait(50)
    for key in ("texture", "rock"):
        tab = show_tab(main_window, key)
        tab.side.setCurrentIndex(0)
        qtbot.waitUntil(lambda: not tab.generate_button.visibleRegion().isEmpty(), timeout=2000)
        # Generate is in view without scrolling: inside the window
        top_left = tab.generate_button.mapTo(main_window, QPoint(0, 0))
        assert 0 <= top_left.y() and top_left.y() + tab.generate_button.height() <= main_window.height()
    main_window.resize(1000, 560)                     # a small screen: the Train page scrolls
    tab = show_tab(main_window, "rock")
    tab.side.setCurrentIndex(1)
    area = tab.side.currentWidget()
    bar = area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)
    bar.setValue(0)
    spin = tab.batch_spin
    before = spin.value()
    wheel(spin)
    assert spin.value() == before and bar.value() > 0          # the panel scrolled, the box kept its value
    main_window.activateWindow()
    spin.setFocus(Qt.MouseFocusReason)                           # as a click into the box gives it
    qtbot.waitUntil(spin.hasFocus, timeout=5000)
    wheel(spin, steps=1)
    assert spin.value() == before + 1                            # focused: the wheel is the box's own


# -- words -------------------------------------------------------------------------------------

def test_failed_load_says_the_previous_volume_stays_without_bytes_reprs(main_window, qtbot, tmp_path, errors):
    # a failed load keeps the previous volume: the bar says so
    insp = show_tab(main_window, "inspect")
    good = write_volume(tmp_path / "good.tif", (np.random.default_rng(0).random((20, 20, 20)) > 0.5).astype(np.uint8))
    with qtbot.waitSignal(insp.volumeLoaded, timeout=JOB_MS):
        insp.open_path(good)
    qtbot.waitUntil(lambda: not insp.jobs.busy, timeout=JOB_MS)
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    with qtbot.waitSignal(insp.jobFailed, timeout=JOB_MS):
        insp.open_path(empty)
    title, text = errors[-1]
    assert insp.volume.path.name == "good.tif"
    if "b'" not in text:  # (the bytes repr is checked below, on its own)
        assert insp.progress.text() == "Loading failed; still showing good.tif"
    assert "empty.tif" in text and "b'" not in text and 'b"' not in text       # no Python bytes repr
    assert "the TIFF file is corrupt or truncated (not a TIFF file)" in text


def test_every_2nd_voxel(qtbot):
    from core.render import prepare_scene

    scene = prepare_scene(np.ones((40, 40, 40), np.uint8) * (np.arange(40) % 3 == 0), "surface", max_dim=20)
    assert any("every 2nd voxel" in n for n in scene.notices)


def test_a_notice_names_its_file_once(main_window, tmp_path, monkeypatch):
    rock = show_tab(main_window, "rock")
    logged = []
    monkeypatch.setattr(rock.context, "log", logged.append)
    png = tmp_path / "berea_slice_100.png"
    Image.fromarray(((np.random.default_rng(2).random((32, 32)) > 0.5) * 200).astype(np.uint8)).save(png)
    assert rock.load_slice_image(png)
    two = [t for t in logged if "Two-valued" in t]
    assert two and all(t.count("berea_slice_100.png") == 1 for t in two)


def test_long_status_lines_elided_with_full_tooltip(main_window, qtbot):
    rock = show_tab(main_window, "rock")
    long_path = "/data/" + "/".join(f"folder_{i:02d}" for i in range(40)) + "/run/last.pt"
    rock.side.setCurrentIndex(1)
    status = rock.train_status
    qtbot.waitUntil(status.isVisible, timeout=2000)
    status.setText(f"Training stopped at step 7; checkpoint saved: {long_path}")
    shown = status.shown() if hasattr(status, "shown") else status.text()
    assert shown != status.text() and "…" in shown and shown.endswith("last.pt")
    assert status.toolTip() == status.text() and status.width() <= rock.side.width()
    assert status.fontMetrics().horizontalAdvance(shown) <= status.width()
    main_window.statusBar().setMinimumWidth(0)
    rock.context.status(f"Wrote {long_path}")
    assert "…" in main_window.statusBar().currentMessage() and long_path in main_window.statusBar().toolTip()


def test_slice_slider_and_label_count_alike(qtbot):
    from app.widgets.slice_view import SliceView

    # one convention for slice numbers: the slider's 50 is "z = 50", as the marks and the log say
    view = SliceView(0)
    qtbot.addWidget(view)
    view.set_volume(np.zeros((100, 8, 8), np.uint8))
    assert view.slider.value() == 50 and re.match(r"z = 50\b", view.index_label.text())
    view.slider.setValue(99)
    assert view.index_label.text().startswith("z = 99")
