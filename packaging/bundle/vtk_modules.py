"""The VTK modules the bundle ships: what pyvista can load lazily (its own tables) plus what the app
loads at run time. pyvista names ``from vtk import *`` under TYPE_CHECKING, which PyInstaller would
follow into ``vtkmodules.all`` (every VTK module, about 550 MB); the spec excludes that and lists these.

``PYTHONPATH=build/bundle/tools python packaging/bundle/vtk_modules.py SCRIPT|-m MODULE ARGS...`` runs a
script or module with every other ``vtkmodules.vtk*`` import refused, to check that the list is enough
before a build.
"""

from __future__ import annotations

import sys

# Loaded by the app beyond pyvista's tables (seen in a run of the window, the renders and the exports).
EXTRA = [
    "vtkRenderingContextOpenGL2", "vtkRenderingContext2D", "vtkPythonContext2D", "vtkViewsContext2D",
    "vtkRenderingHyperTreeGrid", "vtkRenderingMatplotlib", "vtkFiltersPython", "vtkImagingMath",
    "vtkIOCore", "vtkCommonMisc", "vtkCommonSystem", "vtkRenderingOpenGL2", "vtkRenderingVolumeOpenGL2",
    "vtkRenderingGL2PSOpenGL2", "vtkInteractionStyle", "vtkRenderingUI", "vtkRenderingFreeType",
]


def modules() -> list[str] | None:
    """``vtkmodules.vtkX`` names to ship, or None when pyvista's tables are not there (ship all)."""
    try:
        import pyvista._vtk as pv_vtk
    except ImportError:
        return None
    tables = [getattr(pv_vtk, n, None) for n in ("_CORE_MODULES", "_PLOTTING_MODULES", "_OPENGL_MODULES")]
    if not all(isinstance(t, dict) for t in tables):
        return None
    names = {k for t in tables for k in t if k.startswith("vtk")} | set(EXTRA)
    return sorted(f"vtkmodules.{n}" for n in names)


def closure(mods: list[str]) -> set[str]:
    """``mods`` and the VTK modules they import when loaded (PyInstaller's hooks add the same)."""
    from _pyinstaller_hooks_contrib.utils.vtkmodules import _module_dependencies as deps

    seen, todo = set(), list(mods)
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(deps.get(m, []))
    return seen


def _refuse_others(allowed: set[str]) -> None:
    import importlib.abc

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            parts = fullname.split(".")
            if len(parts) == 2 and parts[0] == "vtkmodules" and parts[1].startswith("vtk") \
                    and fullname not in allowed:
                raise ImportError(f"{fullname} is not in the bundle's VTK list (packaging/bundle/vtk_modules.py)")
            return None

    sys.meta_path.insert(0, Refuse())


if __name__ == "__main__":
    import runpy

    mods = modules()
    assert mods, "pyvista's tables of VTK modules were not found"
    allowed = closure(mods)
    print(f"{len(mods)} VTK modules listed, {len(allowed)} with their dependencies", file=sys.stderr)
    _refuse_others(allowed)
    if sys.argv[1] == "-m":
        sys.argv = sys.argv[2:]
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = sys.argv[1:]
        runpy.run_path(sys.argv[0], run_name="__main__")
