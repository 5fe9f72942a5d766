"""The built wheel installs anywhere: resources inside, every runtime dependency declared.

The wheel is built from a copy of the sources (nothing written into the checkout) and installed
into a fresh virtual environment in a temporary folder. That environment gets no packages of its
own: one ``.pth`` line puts the current interpreter's site-packages after its own, so the declared
dependencies are found without downloading anything, while the project's editable install there
stays inert (its finder is hooked in by a ``.pth`` file, and ``.pth`` files of a folder named in a
``.pth`` line are not run). Every command runs from a temporary working directory.

Select these with ``-m packaging``; they take well under a minute.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "core", "app", "resources")
# Needed at run time without an import of their own in core/ or app/: imageio's GIF plugin.
INDIRECT = {"pillow"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _clean_env(tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SEQGEN_", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "home" / ".config"),
               OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"), MPLBACKEND="Agg", **extra)
    return env


def _run(cmd, cwd, env, timeout=300):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        p = ROOT / name
        (shutil.copytree(p, src / name, ignore=ignore) if p.is_dir() else shutil.copy2(p, src / name))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", tmp / "dist", src], cwd=tmp, env=_clean_env(tmp))
    (whl,) = (tmp / "dist").glob("seqgen_studio-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("venv")
    env_dir = tmp / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=tmp, env=_clean_env(tmp))
    py = env_dir / "bin" / "python"
    purelib = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        cwd=tmp, env=_clean_env(tmp)).stdout.strip())
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "_seqgen_test_deps.pth").write_text("".join(f"{p}\n" for p in deps))
    _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-index", "--no-deps", wheel],
         cwd=tmp, env=_clean_env(tmp))
    return env_dir


def _imported_distributions() -> dict[str, set[str]]:
    """{distribution: files} for every non-stdlib module imported anywhere in core/ and app/."""
    owners = md.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "core").rglob("*.py")) + sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("core", "app", "seqgen_resources"):
                    continue
                for dist in owners.get(top, [f"<no distribution: {top}>"]):
                    found.setdefault(_norm(dist), set()).add(str(path.relative_to(ROOT)))
    return found


def test_wheel_carries_packages_resources_and_declares_every_dependency(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    for rel in ("models", "sample"):
        shipped = {p.relative_to(ROOT / "resources").as_posix() for p in (ROOT / "resources" / rel).iterdir()
                   if p.is_file()}
        assert shipped, rel
        missing = {f"seqgen_resources/{s}" for s in shipped} - names
        assert not missing, f"not in the wheel: {sorted(missing)}"
    packages = {p.parent.relative_to(ROOT).as_posix() for top in ("core", "app")
                for p in (ROOT / top).rglob("__init__.py") if "__pycache__" not in p.parts}
    missing = {f"{pkg}/__init__.py" for pkg in packages} - names
    assert not missing, f"packages left out of the wheel: {sorted(missing)}"
    assert "seqgen = core.cli:entry" in entry_points and "seqgen-studio = app.main:main" in entry_points

    declared = {_norm(re.split(r"[ ;<>=!~\[(]", line.split(":", 1)[1].strip())[0])
                for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    imported = _imported_distributions()
    undeclared = {d: sorted(files)[:3] for d, files in imported.items() if d not in declared}
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"
    assert INDIRECT <= declared and {"torch", "pyside6-essentials", "pyvista", "imageio"} <= declared


def test_installed_seqgen_generates_a_rock_volume_outside_the_checkout(venv, tmp_path):
    from PIL import Image

    from core.io import read_volume

    env = _clean_env(tmp_path)
    bindir = venv / "bin"
    where = _run([bindir / "python", "-c",
                  "import core, app.main, core.shipped as s; print(core.__file__); "
                  "print(s.MODELS_DIR); print(app.main.sample_path())"], cwd=tmp_path, env=env).stdout.split()
    for p in where:
        assert Path(p).resolve().is_relative_to(venv.resolve()), where
        assert Path(p).exists(), p

    info = _run([bindir / "seqgen", "info"], cwd=tmp_path, env=env).stdout
    assert f"resources: {venv}" in info, info

    # A 32×32 crop of the installed sample slice, generated 24 deep by the shipped Berea model.
    slice_png = Path(where[2]).with_name("berea_slice_100.png")
    crop = np.asarray(Image.open(slice_png).convert("L"))[:32, :32]
    Image.fromarray(crop).save(tmp_path / "slice.png")
    out = tmp_path / "out" / "rock.tif"
    _run([bindir / "seqgen", "rock", "generate", "--model", "berea", "--slice", "slice.png", "--depth", "24",
          "--seed", "3", "-o", "out/rock.tif", "-q"], cwd=tmp_path, env=env)
    assert out.is_file()
    vol = read_volume(out).array
    assert vol.shape == (24, 32, 32)
    assert set(np.unique(vol)) <= {0, 1}
    assert 0.02 < vol.mean() < 0.6                       # Berea-like porosity, not empty or full
    mid = vol[vol.shape[0] // 2]
    assert np.array_equal(mid, (crop > 127).astype(mid.dtype))   # the input slice pasted in exactly


def test_installed_seqgen_studio_smoke_test(venv, tmp_path, x_server):
    from PIL import Image

    out = tmp_path / "shots" / "smoke.png"
    r = _run([venv / "bin" / "seqgen-studio", "--smoke-test", out], cwd=tmp_path,
             env=_clean_env(tmp_path), timeout=300)
    assert "smoke test: wrote" in r.stdout, r.stdout + r.stderr
    img = np.asarray(Image.open(out).convert("RGB"))
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50
