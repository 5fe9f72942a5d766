"""Helpers shared by the GUI test modules (tests/test_app_*.py); Qt and torch are imported only when asked for."""

import pytest

JOB_MS = 30_000


def require_gui() -> None:
    """Skip the calling test module unless PySide6 and pytest-qt are installed."""
    pytest.importorskip("PySide6")
    pytest.importorskip("pytestqt")


def require_gui_and_torch():
    """Like require_gui, and torch too; return torch, set to one thread."""
    require_gui()
    torch = pytest.importorskip("torch")
    # The tiny test models gain nothing from more threads, and the jobs' worker threads share the cores.
    torch.set_num_threads(1)
    return torch


def show_tab(window, key):
    """Bring the main window's tab ``key`` to the front and return it."""
    tab = window.tab_by_key[key]
    window.tabs.setCurrentWidget(tab)
    return tab


def click_and_wait(qtbot, tab, button, ended, expect="finished"):
    """Click the enabled ``button``, check that ``ended`` reports ``expect``, and wait until the tab's jobs are idle."""
    assert button.isEnabled(), button.toolTip()
    with qtbot.waitSignal(ended, timeout=JOB_MS) as sig:
        button.click()
    assert sig.args == [expect]
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=JOB_MS)


def generate_volumes(qtbot, tab):
    """Start the tab's generation, wait for its result and return copies of the volumes."""
    with qtbot.waitSignal(tab.generated, timeout=JOB_MS):
        assert tab.start_generate()
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=JOB_MS)
    return [v.copy() for v in tab.result.volumes]


def assert_scene_drawn(view3d, scene) -> None:
    """The 3D view exists (these tests run with a display: Xvfb in CI) and draws ``scene``, not a blank view.

    A view that could not start fails here with its reason, instead of the 3D checks being dropped."""
    import numpy as np

    assert view3d.available, f"no 3D view under a display: {view3d.error}"
    assert view3d.scene is scene
    img = view3d.screenshot()
    assert img is not None and img.ndim == 3
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 50  # a shaded rock, not the background
