"""The main window's Inspect tab (pytest-qt, under Xvfb through pytest-xvfb)."""

import csv
import json

import numpy as np
import pytest

from gui_helpers import require_gui

require_gui()

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

from app.main import sample_path  # noqa: E402
from core.io import write_volume  # noqa: E402
from core.properties import porosity  # noqa: E402

LOAD_MS = 30_000


def porous(n=40, seed=0, phi=0.3):
    from scipy.ndimage import gaussian_filter

    r = gaussian_filter(np.random.default_rng(seed).standard_normal((n, n, n)), 2.0)
    return (r > np.quantile(r, 1 - phi)).astype(np.uint8)


@pytest.fixture
def small_tif(tmp_path):
    a = porous(40)
    return write_volume(tmp_path / "small.tif", a, voxel_size_um=2.5), a


def load(qtbot, window, path, **options):
    tab = window.inspect_tab
    with qtbot.waitSignal(tab.volumeLoaded, timeout=LOAD_MS):
        assert window.open_path(path, **options)
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=LOAD_MS)
    return tab


def n_colours(img):
    return len(np.unique(img.reshape(-1, img.shape[-1]), axis=0))


def test_open_sample_renders_3d_and_slices(main_window, qtbot, x_server, errors):
    tab = main_window.inspect_tab
    with qtbot.waitSignal(tab.sceneReady, timeout=LOAD_MS):
        load(qtbot, main_window, sample_path())
    assert tab.volume.array.shape == (100, 100, 100)
    assert tab.voxel_spin.value() == pytest.approx(5.345)          # from the file's metadata
    assert "berea_crop_100.tif" in tab.file_label.text()
    for view in tab.slices.views:                                   # three slice views, middle slice
        assert view.slider.isEnabled() and view.slider.value() == 50
        assert view.canvas.image() is not None and not view.canvas.image().isNull()
    z = tab.slices.views[0]
    z.slider.setValue(10)
    assert z.index_label.text() == "z = 10 of 0–99"        # 0-based, like "z = N" elsewhere
    assert tab.view3d.available
    img = tab.view3d.screenshot()
    assert n_colours(img) > 50                                      # the rock, not a blank view
    # volume rendering: toggled from the combo box, computed in a worker
    with qtbot.waitSignal(tab.sceneReady, timeout=LOAD_MS):
        tab.mode_combo.setCurrentIndex(tab.mode_combo.findData("volume"))
    assert tab.view3d.scene.mode == "volume"
    assert n_colours(tab.view3d.screenshot()) > 50
    with qtbot.waitSignal(tab.sceneReady, timeout=LOAD_MS):       # back to the cached surface
        tab.mode_combo.setCurrentIndex(tab.mode_combo.findData("surface"))
    assert tab.view3d.scene.mode == "surface"
    from app.settings import recent_files

    assert str(sample_path().resolve()) in recent_files(main_window.settings)
    assert errors == []


def test_measure_fills_table_plots_and_exports(main_window, qtbot, small_tif, tmp_path, errors):
    path, a = small_tif
    tab = load(qtbot, main_window, path)
    assert tab.voxel_spin.value() == pytest.approx(2.5)
    tab.perm_check.setChecked(False)
    with qtbot.waitSignal(tab.measured, timeout=LOAD_MS):
        tab.measure_button.click()
    rows = {name: value for name, value, _unit in tab.table_rows()}
    assert rows["Porosity"] == pytest.approx(porosity(a))
    assert rows["Voxel size"] == pytest.approx(2.5)
    assert tab.table.rowCount() >= 8
    assert len(tab.plots.ax_s2.lines) >= 3 and len(tab.plots.ax_hist.patches) > 3
    assert tab.progress.value() == 1000 and tab.export_results_button.isEnabled()
    assert any("Measured" in line for line in main_window.log_panel.lines())

    assert tab.export_results(tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["property", "value", "unit"] and table[1][0] == "Porosity"
    assert float(table[1][1]) == pytest.approx(porosity(a))
    assert tab.export_results(tmp_path / "out.json")
    d = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert d["porosity"] == pytest.approx(porosity(a)) and len(d["local_porosity"]["values"]) > 10

    for suffix in (".npy", ".stl"):
        with qtbot.waitSignal(tab.jobs.finished, timeout=LOAD_MS):
            assert tab.export_volume(tmp_path / f"vol{suffix}")
        assert (tmp_path / f"vol{suffix}").stat().st_size > 0
    assert np.array_equal(np.load(tmp_path / "vol.npy"), a)
    # a voxel size change marks the results as stale
    tab.voxel_spin.setValue(3.0)
    assert "Measure again" in tab.results_label.text()
    assert errors == []


def test_cancel_measurement_keeps_window_responsive(main_window, qtbot, small_tif, errors):
    path, a = small_tif
    tab = load(qtbot, main_window, path)
    tab.perm_check.setChecked(True)                      # the slow path (pore network)
    with qtbot.waitSignal(tab.jobCancelled, timeout=LOAD_MS):
        tab.measure_button.click()
        assert tab.jobs.busy and tab.cancel_button.isEnabled()
        qtbot.mouseClick(tab.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=LOAD_MS)
    assert "cancelled" in tab.progress.format().lower()
    assert tab.result is None and tab.table.rowCount() == 0
    assert tab.measure_button.isEnabled() and not tab.cancel_button.isEnabled()
    # the window still responds: slices move, and a new measurement runs to the end
    tab.slices.views[2].slider.setValue(3)
    assert tab.slices.views[2].index_label.text() == "x = 3 of 0–39"
    tab.perm_check.setChecked(False)
    with qtbot.waitSignal(tab.measured, timeout=LOAD_MS):
        tab.measure_button.click()
    assert tab.table.rowCount() > 0
    assert errors == []


def test_corrupt_file_shows_error_dialog(main_window, qtbot, small_tif, tmp_path, errors):
    path, _ = small_tif
    data = path.read_bytes()
    bad = tmp_path / "broken.tif"
    bad.write_bytes(data[: len(data) // 2])
    tab = main_window.inspect_tab
    with qtbot.waitSignal(tab.jobFailed, timeout=LOAD_MS):
        main_window.open_path(bad)
    assert len(errors) == 1
    title, text = errors[0]
    assert "Loading failed" in title
    assert "broken.tif" in text and ("corrupt" in text or "truncated" in text)
    assert tab.volume is None and not tab.jobs.busy and tab.open_button.isEnabled()
    assert "failed" in tab.progress.format()
    # a good file still opens afterwards
    load(qtbot, main_window, path)
    assert tab.volume is not None


def test_raw_npy_and_drop(main_window, qtbot, tmp_path, errors):
    from app.widgets.raw_dialog import RawDialog, guess_shape

    a = porous(24)
    raw = tmp_path / "vol.raw"
    (a.astype(">u2") * 1000).tofile(raw)
    assert guess_shape(raw.stat().st_size, 2) == (24, 24, 24)
    dlg = RawDialog(str(raw))
    dlg.dtype.setCurrentText("uint16")
    dlg.order.setCurrentText("big")
    opts = dlg.options()
    assert opts["raw_shape"] == (24, 24, 24) and opts["raw_dtype"] == "uint16"
    assert dlg.buttons.button(dlg.buttons.StandardButton.Ok).isEnabled()
    dlg.deleteLater()
    tab = load(qtbot, main_window, raw, **opts)
    assert np.array_equal(tab.volume.array, a)
    # dropping a file on the window opens it
    npy = tmp_path / "dropped.npy"
    np.save(npy, porous(20, seed=3))
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(npy))])
    ev = QDropEvent(QPointF(10, 10), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(tab.volumeLoaded, timeout=LOAD_MS):
        main_window.dropEvent(ev)
    assert tab.volume.path.name == "dropped.npy" and tab.volume.array.shape == (20, 20, 20)
    assert errors == []


def test_settings_persist(qsettings_tmp, qtbot, small_tif):
    from app.main_window import MainWindow
    from app.settings import KEY_DEVICE, KEY_GEOMETRY, KEY_OPEN_DIR, app_settings

    path, _ = small_tif
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    load(qtbot, w, path)
    w.device_group.actions()[-1].trigger()  # CPU
    w.close()
    s = app_settings()
    assert s.value(KEY_GEOMETRY) is not None
    assert s.value(KEY_OPEN_DIR) == str(path.parent)
    assert s.value(KEY_DEVICE) == "cpu"
    assert list(qsettings_tmp.rglob("*.ini")), "settings were not written to the test folder"
    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2._fill_recent()
    assert [a.data() for a in w2.recent_menu.actions()] == [str(path.resolve())]
    assert [a.data() for a in w2.device_group.actions() if a.isChecked()] == ["cpu"]
    w2.close()

