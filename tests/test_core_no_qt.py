"""core/ is the Qt-free engine: importing every module of it must load no Qt binding."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import importlib, pkgutil, sys
import core
names = ["core"] + [m.name for m in pkgutil.walk_packages(core.__path__, "core.")
                    if not m.name.endswith("__main__")]
for n in names:
    importlib.import_module(n)
qt = sorted(m for m in sys.modules
            if m.split(".")[0] in ("PySide6", "PySide2", "PyQt5", "PyQt6", "qtpy", "pyvistaqt", "shiboken6"))
print(len(names))
print(",".join(qt))
"""


def test_importing_all_of_core_loads_no_qt():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    count, qt = out.stdout.strip().split("\n") + [""] * (2 - len(out.stdout.strip().split("\n")))
    assert int(count) >= 8  # the walk really found core's modules
    assert qt == "", f"core loaded Qt modules: {qt}"
