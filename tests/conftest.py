"""Shared fixtures for the GUI tests (Qt is imported lazily, so core tests never load it)."""

import os
import sys

import pytest

# gui_helpers asserts on behalf of the test modules: rewrite it too, so its failures explain themselves.
pytest.register_assert_rewrite("gui_helpers")
pytest.register_assert_rewrite("bad_inputs")  # assert_refused, likewise


def _has_window_server() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # Runs after pytest-xvfb has started Xvfb (and set $DISPLAY). With no X server at all, Qt's
    # widgets still work on the offscreen platform; the tests that need OpenGL skip themselves.
    if not _has_window_server() and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


@pytest.fixture
def x_server():
    """Skip the test when there is truly no X (or Wayland) server, e.g. Xvfb is not installed."""
    if not _has_window_server():
        pytest.skip("no X server (install Xvfb or run under xvfb-run)")


@pytest.fixture
def qsettings_tmp(tmp_path):
    """Point the app's QSettings (INI, user scope) at a fresh folder."""
    from PySide6.QtCore import QSettings

    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    return folder


@pytest.fixture
def errors(monkeypatch):
    """Record error dialogs (title, text) instead of showing them."""
    from PySide6.QtWidgets import QMessageBox

    seen = []

    def fake_critical(parent, title, text, *args, **kwargs):
        seen.append((title, text))
        return QMessageBox.Ok

    monkeypatch.setattr(QMessageBox, "critical", staticmethod(fake_critical))
    return seen


@pytest.fixture
def main_window(qsettings_tmp, qtbot):
    """The main window, shown, with isolated settings; closed (jobs stopped) afterwards."""
    from app.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
