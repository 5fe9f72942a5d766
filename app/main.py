"""``seqgen-studio [FILE] [--smoke-test OUT.png]``: start the SeqGen Studio window.

Without a display (Linux with neither $DISPLAY nor $WAYLAND_DISPLAY, and Qt not told to draw
off screen) it runs a headless demo instead: it measures the bundled Berea sample (or FILE) and
writes 3D renders and the results to ``seqgen-demo/`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

SAMPLE_NAME = "berea_crop_100.tif"
SAMPLE_VOXEL_UM = 5.345
SMOKE_TIMEOUT_MS = 180_000


def sample_path() -> Path:
    """The bundled sample volume (resources/sample/berea_crop_100.tif; see core.resources)."""
    env = os.environ.get("SEQGEN_SAMPLE")
    if env:
        return Path(env)
    from core.resources import resource_path

    return resource_path("sample", SAMPLE_NAME)


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        return True
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # Windows and macOS always have a window server


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="seqgen-studio", description="SeqGen Studio desktop application.")
    p.add_argument("file", nargs="?", help="volume to open (TIFF stack, folder of slices, .npy, .npz, .raw)")
    p.add_argument("--smoke-test", metavar="OUT.png",
                   help="open the window, load the sample (or FILE), save the 3D view to OUT.png, exit")
    p.add_argument("--headless", action="store_true", help="run the headless demo even with a display")
    p.add_argument("--out", metavar="DIR", help="folder for the headless demo's outputs (default: ./seqgen-demo)")
    p.add_argument("--no-permeability", action="store_true",
                   help="headless demo: skip the (slower) permeability computation")
    p.add_argument("--voxel-size", type=float, default=None, metavar="UM",
                   help="voxel size in µm (default: from the file, else 5.345 for the sample, else 1)")
    return p.parse_args(argv)


# ----------------------------------------------------------------------------------------------
# headless demo (no Qt at all)
# ----------------------------------------------------------------------------------------------

def headless_demo(args) -> int:
    from core.cli import make_state
    from core.errors import Cancelled, SeqGenError
    from core.io import read_volume
    from core.properties import measure
    from core.render import render_png

    path = Path(args.file) if args.file else sample_path()
    out = Path(args.out) if args.out else Path.cwd() / "seqgen-demo"
    try:
        print(f"Loading {path}")
        vol = read_volume(path)
        for n in vol.notices:
            print(f"note: {n}")
        voxel = args.voxel_size or vol.voxel_size_um or (SAMPLE_VOXEL_UM if path.name == SAMPLE_NAME else 1.0)
        a = vol.array
        print(f"Volume {a.shape[2]}×{a.shape[1]}×{a.shape[0]} voxels (x×y×z), voxel size {voxel:g} µm")
        state, progress, _token = make_state()
        report = measure(a, voxel, permeability=not args.no_permeability, state=state)
        progress.done()
        width = max(len(r[0]) for r in report.rows())
        for name, value, unit in report.rows():
            v = f"{value:.6g}" if isinstance(value, float) else str(value)
            print(f"  {name:<{width}}  {v:>14}  {unit}")
        out.mkdir(parents=True, exist_ok=True)
        stem = path.stem
        js = out / f"{stem}_properties.json"
        js.write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
        print(f"\nResults: {js}")
        for mode in ("surface", "volume"):
            png = render_png(a, out / f"{stem}_{mode}.png", mode=mode)
            print(f"3D render ({mode}): {png}")
    except Cancelled:
        print("Cancelled.", file=sys.stderr)
        return 130
    except SeqGenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


# ----------------------------------------------------------------------------------------------
# the window
# ----------------------------------------------------------------------------------------------

def _make_app(argv):
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from .settings import APPLICATION, ORGANIZATION

    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(argv)
    return app


def _smoke_runner_class():
    from PySide6.QtCore import QObject, QTimer, Slot

    class SmokeRunner(QObject):
        """Load, wait for the 3D scene, save a screenshot of it, quit with 0 on success."""

        def __init__(self, app, window, out: Path):
            super().__init__()
            self.app, self.window, self.out = app, window, out
            self.rc = 1
            tab = window.inspect_tab
            tab.sceneReady.connect(self.on_scene)
            tab.jobFailed.connect(self.on_failed)
            self.timer = QTimer(self)
            self.timer.setSingleShot(True)
            self.timer.timeout.connect(self.on_timeout)
            self.timer.start(SMOKE_TIMEOUT_MS)

        @Slot()
        def on_scene(self):
            QTimer.singleShot(300, self.take)

        @Slot()
        def take(self):
            import numpy as np

            try:
                img = self.window.inspect_tab.view3d.screenshot(self.out)
                if img is None:
                    print("smoke test: the 3D view is not available", file=sys.stderr)
                    self.rc = 1
                else:
                    colours = len(np.unique(img.reshape(-1, img.shape[-1]), axis=0))
                    print(f"smoke test: wrote {self.out} ({img.shape[1]}×{img.shape[0]}, {colours} colours)")
                    self.rc = 0 if colours > 50 else 1
            except Exception as exc:
                print(f"smoke test: screenshot failed: {exc}", file=sys.stderr)
                self.rc = 1
            self.window.close()
            self.app.exit(self.rc)

        @Slot(str)
        def on_failed(self, message):
            print(f"smoke test: loading failed: {message}", file=sys.stderr)
            self.window.close()
            self.app.exit(1)

        @Slot()
        def on_timeout(self):
            print("smoke test: timed out", file=sys.stderr)
            self.window.close()
            self.app.exit(1)

    return SmokeRunner


def run_gui(args) -> int:
    app = _make_app(sys.argv[:1])
    from .errors import install_excepthook, show_error
    from .main_window import MainWindow

    install_excepthook()
    window = MainWindow()
    if args.smoke_test:
        # Loading errors go to stdout, not a modal dialog nobody can close.
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical = staticmethod(lambda *a, **k: print(f"error: {a[1:3]}", file=sys.stderr))
        out = Path(args.smoke_test)
        out.parent.mkdir(parents=True, exist_ok=True)
        window.resize(1200, 800)
        window.show()
        runner = _smoke_runner_class()(app, window, out)  # noqa: F841 - kept alive until exit
        path = Path(args.file) if args.file else sample_path()
        if not window.open_path(path):
            print(f"smoke test: could not start loading {path}", file=sys.stderr)
            return 1
        return app.exec()
    window.show()
    if args.file:
        window.open_path(Path(args.file))
    try:
        return app.exec()
    except Exception as exc:  # pragma: no cover - last resort
        show_error(None, "SeqGen Studio", str(exc))
        return 1


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.headless or not has_display():
        if not args.headless:
            print("No display found (neither DISPLAY nor WAYLAND_DISPLAY is set): "
                  "running the headless demo instead of the window.")
        if args.smoke_test:
            print("The --smoke-test needs a display (run it under xvfb-run); "
                  "writing an off-screen render instead.")
            from core.io import read_volume
            from core.render import render_png

            path = Path(args.file) if args.file else sample_path()
            render_png(read_volume(path).array, args.smoke_test)
            print(f"3D render: {args.smoke_test}")
            return 0
        return headless_demo(args)
    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
