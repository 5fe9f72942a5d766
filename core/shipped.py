"""Shipped models in resources/models: names such as 'berea' resolve to files, with model cards.

A shipped model is ``resources/models/<method>_<name>.pt`` with its card ``<method>_<name>.md``
beside it. Commands and the GUI accept either such a name or a path to any checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .resources import resource_path

MODELS_DIR = resource_path("models")  # checkout, installed wheel or bundle (core.resources)


def shipped_models(method: str) -> dict[str, Path]:
    """{name: path} of the shipped models of ``method`` (e.g. 'rock') that are present."""
    prefix = f"{method}_"
    if not MODELS_DIR.is_dir():
        return {}
    return {p.stem[len(prefix):]: p for p in sorted(MODELS_DIR.glob(f"{prefix}*.pt"))}


def run_checkpoint(path: str | Path) -> Path:
    """A training run folder means its ``last.pt``; any other path is itself (``~`` expanded)."""
    p = Path(path).expanduser()
    return p / "last.pt" if p.is_dir() else p


def resolve_model(method: str, name_or_path: str | Path) -> Path:
    """A shipped model's name or a checkpoint path → the file; unknown names get a clear error."""
    text = str(name_or_path)
    shipped = shipped_models(method)
    if text in shipped:
        return shipped[text]
    p = run_checkpoint(text)
    if p.is_file():
        return p
    names = ", ".join(shipped) or "none installed"
    raise InputError(f"No {method} model '{text}': give a checkpoint file or a shipped model name ({names}).")
