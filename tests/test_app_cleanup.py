"""The main window's Cleanup tab (pytest-qt, under Xvfb): batch list, run, resume, cancel, before/after."""

import time

import cv2
import numpy as np
import pytest

from gui_helpers import JOB_MS, click_and_wait, require_gui_and_torch, show_tab

require_gui_and_torch()

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent  # noqa: E402

import app.tabs.cleanup_tab as cleanup_tab  # noqa: E402
import core.cleanup.gui_support as gui_support  # noqa: E402
from core.cleanup import synth  # noqa: E402
from core.cleanup.config import UNetConfig  # noqa: E402


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    """A tiny (1 training step) cleanup U-Net checkpoint made with the core API; the weights do not matter."""
    from core.cleanup.task import CleanupTask
    from core.train import TrainConfig, fit

    out = tmp_path_factory.mktemp("cleanup_run")
    cfg = TrainConfig(steps=1, batch_size=1, checkpoint_every=0, seed=0, device="cpu", out_dir=str(out))
    return fit(CleanupTask(UNetConfig(base_width=4, depth=2, crop=64)), cfg).checkpoint


@pytest.fixture
def scans(tmp_path):
    d = tmp_path / "scans"
    d.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        cv2.imwrite(str(d / name), synth.make_pair(10 + i, 64, 80)[0])
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    return d


@pytest.fixture
def no_shipped(monkeypatch):
    monkeypatch.setattr(cleanup_tab, "shipped_models", lambda method: {})


@pytest.fixture
def tab(no_shipped, main_window, tiny_ckpt, errors):
    t = show_tab(main_window, "cleanup")
    assert t.add_checkpoint(tiny_ckpt)
    assert t.model_spec() == str(tiny_ckpt.resolve())
    return t


def run(qtbot, tab, expect="finished"):
    click_and_wait(qtbot, tab, tab.run_button, tab.batchEnded, expect)


def test_no_model_disables_run(no_shipped, main_window, errors, scans, tmp_path):
    tab = show_tab(main_window, "cleanup")
    tab.add_paths([scans])
    tab.set_output_dir(tmp_path / "out")
    assert tab.model_spec() is None
    assert not tab.run_button.isEnabled()
    assert "train" in tab.run_button.toolTip().lower()
    assert "No cleanup model" in tab.model_info.text()
    # a file that is no checkpoint is refused with a dialog, and Run stays disabled
    assert not tab.add_checkpoint(scans / "a.png")
    assert errors and "Cannot use" in errors[-1][1]
    assert not tab.run_button.isEnabled()


def test_batch_statuses_outputs_summary_and_resume(qtbot, tab, scans, tmp_path, monkeypatch):
    out = tmp_path / "out"
    tab.add_paths([scans])
    assert set(tab.statuses()) == {"a.png", "b.png", "broken.png"}
    assert {s for s, _ in tab.statuses().values()} == {"queued"}
    assert not tab.run_button.isEnabled()  # no output folder yet
    tab.set_output_dir(out)
    assert main_window_settings(tab).value(cleanup_tab.KEY_OUT_DIR) == str(out)

    run(qtbot, tab)
    st = tab.statuses()
    assert st["a.png"][0] == "done" and st["b.png"][0] == "done"
    assert st["broken.png"][0] == "failed" and "corrupt" in st["broken.png"][1]
    for name in ("a.png", "b.png"):
        img = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        assert img is not None and img.shape == (64, 80)
    assert not (out / "broken.png").exists()
    text = tab.summary_label.text()
    assert "2 cleaned" in text and "1 failed" in text and "broken.png" in text
    assert tab.progress.value() == 1000

    mtime = (out / "a.png").stat().st_mtime_ns
    (out / "b.png").unlink()  # as if the first run had stopped before b
    run(qtbot, tab)
    st = tab.statuses()
    assert st["a.png"][0] == "kept" and st["b.png"][0] == "done" and st["broken.png"][0] == "failed"
    assert (out / "a.png").stat().st_mtime_ns == mtime
    assert "1 kept" in tab.summary_label.text() and "1 cleaned" in tab.summary_label.text()

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    tab.open_out_button.click()
    assert opened and opened[0].toLocalFile() == str(out.resolve())


def main_window_settings(tab):
    return tab.context.settings


def test_cancel_keeps_window_responsive(qtbot, tab, tmp_path, monkeypatch):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(4):
        cv2.imwrite(str(d / f"s{i}.png"), synth.make_pair(30 + i, 48, 48)[0])
    import core.cleanup.batch as batch

    real_clean = batch.clean_image

    def slow_clean_image(model, image, *, state=None, **kw):
        for _ in range(200):  # ~10 s unless cancelled
            state.report(0.5, "slow")
            time.sleep(0.05)
        return real_clean(model, image, state=state, **kw)

    monkeypatch.setattr(batch, "clean_image", slow_clean_image)
    tab.add_paths([d])
    tab.set_output_dir(tmp_path / "out")
    tab.run_button.click()
    qtbot.waitUntil(lambda: any(s == "running" for s, _ in tab.statuses().values()), timeout=JOB_MS)
    assert tab.cancel_button.isEnabled() and not tab.run_button.isEnabled()
    # the GUI thread is free while the batch runs
    tab.set_threshold(0.3)
    assert tab.threshold_slider.value() == 30
    t0 = time.monotonic()
    with qtbot.waitSignal(tab.batchEnded, timeout=JOB_MS) as sig:
        tab.cancel_button.click()
    assert sig.args == ["cancelled"]
    assert time.monotonic() - t0 < 5
    st = tab.statuses()
    assert {s for s, _ in st.values()} == {"cancelled"}
    assert "Cancelled" in tab.summary_label.text()
    qtbot.waitUntil(lambda: tab.run_button.isEnabled(), timeout=JOB_MS)
    assert not list((tmp_path / "out").glob("*.png"))


def test_before_after_threshold_and_synced_zoom(qtbot, tab, scans, monkeypatch):
    calls = []
    real = gui_support.predict

    def counting_predict(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(gui_support, "predict", counting_predict)
    tab.add_paths([scans / "a.png", scans / "b.png"])
    with qtbot.waitSignal(tab.previewReady, timeout=JOB_MS):
        tab.select_file("b.png")
    qtbot.waitUntil(lambda: tab.view.after_array() is not None and tab._shown[0].endswith("b.png"),
                    timeout=JOB_MS)
    before = tab.view.before_array()
    assert before.shape == (64, 80)
    assert np.array_equal(before, cv2.imread(str(scans / "b.png"), cv2.IMREAD_GRAYSCALE))
    n = len(calls)
    assert n >= 1

    prob = tab._previews[tab._shown][1]
    lo, hi = (round(float(q), 2) for q in np.quantile(prob, [0.2, 0.8]))
    lo, hi = max(lo, 0.01), min(hi, 0.99)
    if lo == hi:
        lo, hi = 0.01, 0.99
    tab.set_threshold(lo)
    s_lo = int(tab.view.after_array().sum())
    tab.threshold_slider.setValue(int(round(hi * 100)))  # the slider drives the spin box
    assert tab.threshold() == pytest.approx(hi)
    s_hi = int(tab.view.after_array().sum())
    assert s_lo != s_hi and s_hi > s_lo  # higher threshold: less ink, more white paper
    assert len(calls) == n  # no second run of the net

    # views: the default preview is the mean over the 4 flips; 1 view runs the plain network again
    import dataclasses

    from core.cleanup.infer import DEFAULT_VIEWS

    assert tab.views() == DEFAULT_VIEWS == 4 and tab._shown[2] == 4
    model = gui_support.cleanup_model(tab.model_spec())
    four = prob
    assert np.allclose(four, real(dataclasses.replace(model, views=4), before), atol=1e-5)
    with qtbot.waitSignal(tab.previewReady, timeout=JOB_MS):
        tab.set_views(1)
    qtbot.waitUntil(lambda: tab._shown is not None and tab._shown[2] == 1, timeout=JOB_MS)
    plain = tab._previews[tab._shown][1]
    assert len(calls) == n + 1 and not np.array_equal(four, plain)
    assert np.allclose(plain, real(dataclasses.replace(model, views=1), before), atol=1e-5)
    tab.set_views(4)  # back: from the cache, no new run
    assert tab._shown[2] == 4 and len(calls) == n + 1

    # synchronised zoom and pan (side by side), and the overlay follows
    tab.view.before_view.zoom_by(3.0)
    assert tab.view.after_view.transform() == tab.view.before_view.transform()
    tab.view.after_view.zoom_by(1.5)
    assert tab.view.before_view.transform() == tab.view.after_view.transform()
    assert tab.view.overlay_view.transform() == tab.view.after_view.transform()
    hb = tab.view.before_view.horizontalScrollBar()
    if hb.maximum() > 0:
        hb.setValue(hb.maximum() // 2)
        assert tab.view.after_view.horizontalScrollBar().value() == hb.value()
    tab.view.overlay_button.click()
    assert tab.view.mode() == tab.view.OVERLAY
    tab.view.set_split(0.25)
    assert tab.view.ov_clip.rect().width() == pytest.approx(0.25 * 80)
    tab.view.overlay_view.zoom_by(0.5)
    assert tab.view.before_view.transform() == tab.view.overlay_view.transform()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_drop_folder_on_tab(qtbot, tab, scans):
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(scans))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    tab.dragEnterEvent(enter)
    assert enter.isAccepted()
    tab.dropEvent(QDropEvent(QPointF(10, 10), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier))
    assert set(tab.statuses()) == {"a.png", "b.png", "broken.png"}
