"""Screenshots of every tab as a person sees it, for docs/screenshots/ (issue 21).

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python packaging/screenshots.py [OUT_DIR]

The main window at 1400×900 with its real pyvistaqt 3D views, the shipped models and the bundled
sample: Inspect (the sample opened), Rock (a slice of the sample → 2 realisations; its Train page),
Texture (2 × 64³ of the first class; its Train page with the preset and time estimate), Video (a Moving
MNIST test sample continued), Cleanup (as it opens). The 3D views are drawn by VTK into their own
native windows, which a widget grab may miss: each is pasted in from the plotter's own screenshot.
Settings go to a temporary folder, so the user's own are neither used nor changed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(out_dir: str | None = None) -> int:
    out = Path(out_dir or ROOT / "docs" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="seqgen-shots-"))
    app = QApplication.instance() or QApplication(sys.argv)
    from app.main import sample_path
    from app.main_window import MainWindow

    win = MainWindow()
    win.resize(1400, 900)
    win.show()

    def wait(cond, timeout=120.0):
        t0 = time.monotonic()
        while not cond():
            app.processEvents()
            if time.monotonic() - t0 > timeout:
                raise TimeoutError("a job did not end in time")
            time.sleep(0.02)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)

    def shoot(name: str, tab) -> None:
        wait(lambda: True)
        img = win.grab().toImage()
        view = getattr(tab, "view3d", None)
        if view is not None and view.available and view.isVisible():
            rgb = view.screenshot()
            if rgb is not None:
                h, w, _ = rgb.shape
                q = QImage(rgb.copy().data, w, h, 3 * w, QImage.Format_RGB888).copy()
                p = QPainter(img)
                p.drawImage(view.mapTo(win, view.rect().topLeft()), q.scaled(view.size()))
                p.end()
        path = out / f"{name}.png"
        img.convertToFormat(QImage.Format_RGB888).save(str(path), "PNG")
        from PIL import Image  # 128 colours: a few hundred KB less per image, the text stays sharp

        Image.open(path).convert("RGB").quantize(128, dither=Image.Dither.NONE).save(path, optimize=True)
        print(f"wrote {path}")

    tabs = win.tab_by_key
    # Inspect: the bundled sample
    insp = tabs["inspect"]
    win.tabs.setCurrentWidget(insp)
    insp.open_path(sample_path())
    wait(lambda: insp.volume is not None and not insp.jobs.busy)
    wait(lambda: not insp.scene_jobs.busy)
    shoot("inspect", insp)

    # Rock: a slice of the sample → 2 realisations with the shipped model
    rock = tabs["rock"]
    win.tabs.setCurrentWidget(rock)
    rock.use_inspect_slice()
    rock.count_spin.setValue(2)
    rock.seed_spin.setValue(7)
    rock.start_generate()
    wait(lambda: rock.result is not None and not rock.jobs.busy)
    wait(lambda: not rock.scene_jobs.busy)
    shoot("rock", rock)
    rock.side.setCurrentIndex(1)
    shoot("rock_train", rock)
    rock.side.setCurrentIndex(0)

    # Texture: 2 × 64³ of the first class of the shipped model
    tex = tabs["texture"]
    win.tabs.setCurrentWidget(tex)
    wait(lambda: tex.model is not None and not tex.model_jobs.busy)
    tex.size_spin.setValue(64)
    tex.count_spin.setValue(2)
    tex.seed_spin.setValue(7)
    tex.start_generate()
    wait(lambda: tex.result is not None and not tex.jobs.busy)
    wait(lambda: not tex.scene_jobs.busy)
    shoot("texture", tex)
    tex.side.setCurrentIndex(1)
    shoot("texture_train", tex)
    tex.side.setCurrentIndex(0)

    # Video: a Moving MNIST test sample continued by the shipped model
    video = tabs["video"]
    win.tabs.setCurrentWidget(video)
    video.load_test_sample(3)
    video.seed_spin.setValue(7)
    video.generate()
    wait(lambda: video.result is not None and not video.jobs.busy, timeout=300)
    shoot("video", video)

    # Cleanup: as it opens
    clean = tabs["cleanup"]
    win.tabs.setCurrentWidget(clean)
    shoot("cleanup", clean)

    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_API", "pyside6")
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
