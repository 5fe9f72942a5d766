"""Where the shipped resources (``models/``, ``sample/``) are: a checkout, an installed wheel or a bundle.

The checkout keeps them in ``resources/`` at the top level. A wheel installs that folder as the
data-only package ``seqgen_resources`` (setup.py maps it there); a PyInstaller bundle puts it at
``resources/`` beside the frozen packages, which is the checkout layout again.
``$SEQGEN_RESOURCES`` overrides all of these.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

PACKAGE = "seqgen_resources"
_CHECKOUT = Path(__file__).resolve().parent.parent / "resources"


def _package_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for loc in spec.submodule_search_locations or ():
        if Path(loc).is_dir():
            return Path(loc)
    return None


def resources_dir() -> Path:
    """The folder holding ``models/`` and ``sample/`` (the checkout's ``resources/`` when present)."""
    env = os.environ.get("SEQGEN_RESOURCES")
    if env:
        return Path(env).expanduser()
    if (_CHECKOUT / "models").is_dir() or (_CHECKOUT / "sample").is_dir():
        return _CHECKOUT
    return _package_dir() or _CHECKOUT


def resource_path(*parts: str) -> Path:
    """A path inside the resources folder, e.g. ``resource_path('sample', 'berea_slice_100.png')``."""
    return resources_dir().joinpath(*parts)
