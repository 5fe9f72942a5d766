"""The seqgen-studio entry point: --smoke-test with a display, the headless demo without one."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def n_colours(path):
    img = np.asarray(Image.open(path).convert("RGB"))
    return len(np.unique(img.reshape(-1, 3), axis=0))


def test_has_display(monkeypatch):
    from app.main import has_display

    for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not has_display()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert has_display()
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display()


def test_smoke_test_writes_a_3d_screenshot(tmp_path, x_server):
    out = tmp_path / "smoke.png"
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "app", "--smoke-test", str(out)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert out.exists() and n_colours(out) > 50
    assert "smoke test: wrote" in r.stdout


def test_headless_demo_without_display(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-m", "app", "--out", str(tmp_path / "demo"), "--no-permeability"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No display" in r.stdout
    assert "Porosity" in r.stdout and "0.191" in r.stdout        # the bundled Berea crop
    pngs = sorted((tmp_path / "demo").glob("*.png"))
    assert [p.name for p in pngs] == ["berea_crop_100_surface.png", "berea_crop_100_volume.png"]
    assert all(n_colours(p) > 50 for p in pngs)
    assert (tmp_path / "demo" / "berea_crop_100_properties.json").exists()
    assert "PySide6" not in r.stderr
