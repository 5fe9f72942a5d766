"""The tree's shape: method packages sit side by side (none imports another), core never imports Qt,
and a method's GUI tab imports only its own method (shared code lives in core.volumes, core.train, ...)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("rock", "texture", "video", "cleanup")
QT = {"PySide6", "PySide2", "PyQt5", "PyQt6", "qtpy", "pyvistaqt", "shiboken6"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports anywhere (functions included), relative
    imports resolved; ``from a import b`` yields a and a.b; importlib.import_module("x") yields x."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if a.name != "*")
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.add(node.args[0].value)
    return found


def methods_in(modules: set[str]) -> set[str]:
    return {m.split(".")[1] for m in modules if m.startswith("core.") and m.split(".")[1] in METHODS}


def imports_of(path: Path) -> set[str]:
    return imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


CORE_FILES = sorted((ROOT / "core").rglob("*.py"))


def test_the_parser_sees_relative_absolute_and_lazy_imports():
    src = ("from ..rock.data import CropSampler\nfrom .. import video\nfrom .model import G\n"
           "def f():\n    import core.cleanup.infer\n    importlib.import_module('core.rock.cli')\n")
    mods = imported_modules(src, "core.texture.data")
    assert {"core.rock.data", "core.video", "core.texture.model", "core.cleanup.infer", "core.rock.cli"} <= mods
    assert methods_in(mods) == {"rock", "video", "cleanup", "texture"}
    assert imported_modules("from . import model\n", "core.rock", is_package=True) >= {"core.rock.model"}
    # the real tree: files are found and their imports read
    assert len(CORE_FILES) > 50
    assert "core.train" in imports_of(ROOT / "core" / "rock" / "task.py")


@pytest.mark.parametrize("method", METHODS)
def test_no_method_package_imports_another(method):
    files = sorted((ROOT / "core" / method).rglob("*.py"))
    assert files
    bad = {}
    for f in files:
        other = methods_in(imports_of(f)) - {method}
        if other:
            bad[str(f.relative_to(ROOT))] = sorted(other)
    assert not bad, f"core/{method} imports other method packages: {bad}"


def test_core_never_imports_qt():
    bad = {str(f.relative_to(ROOT)): sorted(m for m in imports_of(f) if m.split(".")[0] in QT) for f in CORE_FILES}
    assert not {k: v for k, v in bad.items() if v}


@pytest.mark.parametrize("method", METHODS)
def test_a_method_tab_imports_only_its_own_method(method):
    tab = ROOT / "app" / "tabs" / f"{method}_tab.py"
    assert tab.is_file()
    mods = imports_of(tab)
    assert f"core.{method}" in {".".join(m.split(".")[:2]) for m in mods}  # the parser reads the tab
    assert methods_in(mods) == {method}, f"{tab.name} imports {sorted(methods_in(mods) - {method})}"
