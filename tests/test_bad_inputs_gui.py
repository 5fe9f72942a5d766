"""Issue 23, the GUI side: opening a bad file or exporting to a path that cannot be written shows one
error dialog naming the problem; the window keeps working, the files stay as they were and nothing
(no temporary file) is left behind. pytest-qt, under Xvfb through pytest-xvfb."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from gui_helpers import require_gui

require_gui()

from core.io import write_volume  # noqa: E402

LOAD_MS = 30_000
LONG = "n" * 300


def _snapshot(folder: Path) -> dict:
    return {str(p): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def files(tmp_path):
    d = tmp_path / "files"
    d.mkdir()
    vol = (np.random.default_rng(0).random((16, 16, 16)) > 0.6).astype(np.uint8)
    write_volume(d / "good.tif", vol)
    data = (d / "good.tif").read_bytes()
    (d / "trunc.tif").write_bytes(data[: len(data) // 2])
    (d / "empty.tif").write_bytes(b"")
    (d / "text.tif").write_text("not an image")
    np.save(d / "complex.npy", np.zeros((4, 4, 4), np.complex64))
    np.save(d / "flat.npy", np.zeros((8, 8), np.uint8))
    (d / "empty.npy").write_bytes(b"")
    (d / "adir.tif").mkdir()
    (d / "adir.csv").mkdir()
    (d / "afile.txt").write_text("x")
    return d


def _open_fails(qtbot, window, path, errors) -> str:
    tab = window.inspect_tab
    with qtbot.waitSignal(tab.jobFailed, timeout=LOAD_MS):
        assert window.open_path(path)
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=LOAD_MS)
    assert len(errors) == 1, errors
    assert tab.volume is None and tab.open_button.isEnabled()
    return errors[0][1]


@pytest.mark.parametrize("name", ["trunc.tif", "empty.tif", "text.tif", "complex.npy", "flat.npy", "empty.npy"])
def test_open_bad_volume_shows_a_dialog(name, main_window, qtbot, files, errors):
    before = _snapshot(files)
    text = _open_fails(qtbot, main_window, files / name, errors)
    assert name in text
    assert _snapshot(files) == before


@pytest.mark.parametrize("value", ["inf", "-1", "lots"])
def test_bad_memory_budget_is_named_not_a_corrupt_file(value, main_window, qtbot, files, errors, monkeypatch):
    monkeypatch.setenv("SEQGEN_MEMORY_BUDGET", value)
    text = _open_fails(qtbot, main_window, files / "good.tif", errors)
    assert "SEQGEN_MEMORY_BUDGET" in text and "corrupt" not in text


BAD_EXPORTS = {  # name: (path from the files folder, what the dialog says)
    "existing folder": (lambda d, s: d / f"adir{s}", r"folder"),
    "parent is a file": (lambda d, s: d / "afile.txt" / f"x{s}", r"not a folder|is a file"),
    "name of 300 characters": (lambda d, s: d / f"{LONG}{s}", r"too long|longer than"),
    "under /proc": (lambda d, s: Path("/proc") / f"seqgen_x{s}", r"cannot hold files|cannot write"),
}


@pytest.fixture
def loaded(main_window, qtbot, files):
    tab = main_window.inspect_tab
    with qtbot.waitSignal(tab.volumeLoaded, timeout=LOAD_MS):
        assert main_window.open_path(files / "good.tif")
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=LOAD_MS)
    return tab


@pytest.mark.parametrize("case", list(BAD_EXPORTS))
def test_export_volume_to_a_bad_path_shows_a_dialog(case, loaded, qtbot, files, errors):
    path_for, expect = BAD_EXPORTS[case]
    before = _snapshot(files)
    with qtbot.waitSignal(loaded.jobFailed, timeout=LOAD_MS):
        assert loaded.export_volume(path_for(files, ".tif"))
    qtbot.waitUntil(lambda: not loaded.jobs.busy, timeout=LOAD_MS)
    assert len(errors) == 1 and re.search(expect, errors[0][1], re.I), errors
    assert _snapshot(files) == before  # nothing written, no temporary file
    assert loaded.volume is not None and loaded.export_volume_button.isEnabled()


@pytest.mark.parametrize("case", list(BAD_EXPORTS))
def test_export_results_to_a_bad_path_shows_a_dialog(case, loaded, qtbot, files, errors):
    loaded.perm_check.setChecked(False)
    with qtbot.waitSignal(loaded.measured, timeout=LOAD_MS):
        loaded.measure_button.click()
    path_for, expect = BAD_EXPORTS[case]
    before = _snapshot(files)
    assert not loaded.export_results(path_for(files, ".csv"))
    assert len(errors) == 1 and re.search(expect, errors[0][1], re.I), errors
    assert _snapshot(files) == before


@pytest.mark.parametrize("name", ["complex.npy", "empty.npy", "text.tif"])
def test_open_bad_clip_shows_a_dialog(name, main_window, files, errors):
    from gui_helpers import show_tab

    tab = show_tab(main_window, "video")
    before = _snapshot(files)
    assert not tab.open_path(files / name)
    assert len(errors) == 1 and name in errors[0][1], errors
    assert _snapshot(files) == before
