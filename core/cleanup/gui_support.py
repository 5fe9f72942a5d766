"""Qt-free helpers behind the GUI's Cleanup tab: the scans a path stands for, the (cached) model, the
preview and batch jobs, and the words of the batch summary.

Each long function takes ``state: TaskState`` like the rest of core, so the tab can run it in a
worker thread and the tests can call it directly.
"""

from __future__ import annotations

import dataclasses
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np

from ..io import natural_key
from ..jobs import TaskState
from ..model_cache import cached_model
from ..shipped import resolve_model
from .batch import BatchPlan, BatchReport, FileJob, run_batch
from .infer import TRAIN_HINT, CleanupModel, load_model, predict
from .scanio import SCAN_SUFFIXES, iter_pages

MAX_CACHED_PREVIEWS = 4
NO_MODEL_TIP = "No cleanup model: choose a checkpoint file. " + TRAIN_HINT


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------

def scans_in(path: Path) -> list[Path]:
    """The scans a dropped path stands for: the file itself, or a folder's scans (recursive, natural order)."""
    if not path.is_dir():
        return [path]
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
        for f in sorted(files, key=natural_key):
            if not f.startswith(".") and Path(f).suffix.lower() in SCAN_SUFFIXES:
                found.append(Path(root) / f)
    return found


def expand_inputs(paths: Iterable, known: set[str]) -> tuple[list[tuple[Path, list[Path]]], list[str], list[Path]]:
    """What adding ``paths`` to the inputs ``known`` (resolved path strings) brings: ([(new input, its scans)],
    names not found, folders without scans)."""
    added: list[tuple[Path, list[Path]]] = []
    missing: list[str] = []
    empty: list[Path] = []
    known = set(known)
    for p in paths:
        p = Path(p).expanduser().resolve()
        if not p.exists():
            missing.append(p.name)
        elif str(p) not in known:
            scans = scans_in(p)
            if p.is_dir() and not scans:
                empty.append(p)
                continue
            added.append((p, scans))
            known.add(str(p))
    return added, missing, empty


def inputs_without(inputs: Iterable[Path], gone: set[str]) -> list[Path]:
    """``inputs`` less the scans in ``gone``: a folder that lost some of its scans becomes its remaining files."""
    kept: list[Path] = []
    for p in inputs:
        scans = [str(s) for s in scans_in(p)]
        if not any(s in gone for s in scans):
            kept.append(p)
        elif p.is_dir():
            kept += [Path(s) for s in scans if s not in gone]
    return kept


def run_blocker(spec: Optional[str], has_inputs: bool, out: Optional[Path]) -> str:
    """Why a batch cannot start yet ('' when it can)."""
    if spec is None:
        return NO_MODEL_TIP
    if not has_inputs:
        return "Add scans first (drop files or folders, or use Add files / Add folder)."
    if out is None:
        return "Choose an output folder first."
    return ""


# --------------------------------------------------------------------------------------------
# model, preview and batch (worker threads)
# --------------------------------------------------------------------------------------------

def cleanup_model(spec: str, device: str = "cpu") -> CleanupModel:
    """The model of ``spec`` (a checkpoint path or shipped name), loaded once in the shared model cache."""
    path = resolve_model("cleanup", spec)
    return cached_model("cleanup", path, device, lambda: load_model(str(path), device=device))


@dataclass
class Preview:
    path: str
    spec: Optional[str]
    views: int
    grey: np.ndarray                 # the first page, uint8
    prob: Optional[np.ndarray]       # ink probability, or None without a model

    @property
    def key(self) -> tuple:
        return (self.path, self.spec, self.views)


def preview_job(path: str, spec: Optional[str], views: int = 1, *, state: TaskState) -> Preview:
    """The first page of ``path`` and, with a model, its ink probability averaged over ``views``."""
    grey = next(iter_pages(path))
    if spec is None:
        return Preview(path, None, views, grey, None)
    model = dataclasses.replace(cleanup_model(spec), views=views)  # the same net, averaged over ``views``
    return Preview(path, spec, views, grey, predict(model, grey, state=state))


class PreviewCache(OrderedDict):
    """(path, spec, views) → (grey, prob) of the last few previews, the oldest dropped first."""

    def keep(self, p: Preview) -> None:
        self[p.key] = (p.grey, p.prob)
        while len(self) > MAX_CACHED_PREVIEWS:
            self.popitem(last=False)


def batch_job(plan: BatchPlan, spec: str, views: int, threshold: float, on_file: Callable[[FileJob], None], *,
              state: TaskState) -> BatchReport:
    """``run_batch`` with the model of ``spec`` averaged over ``views``."""
    model = dataclasses.replace(cleanup_model(spec), views=views)
    return run_batch(plan, model, threshold=threshold, on_file=on_file, state=state)


# --------------------------------------------------------------------------------------------
# the words of the summary
# --------------------------------------------------------------------------------------------

def batch_summary(head: str, statuses: dict[str, tuple[str, str]], total: int) -> str:
    """'Finished: 3 file(s): 2 cleaned, 0 kept (done earlier), 1 failed' from {name: (status, message)}."""
    c: dict[str, int] = {}
    for status, _m in statuses.values():
        c[status] = c.get(status, 0) + 1
    parts = [f"{c.get('done', 0)} cleaned", f"{c.get('kept', 0)} kept (done earlier)", f"{c.get('failed', 0)} failed"]
    if c.get("cancelled"):
        parts.append(f"{c['cancelled']} not done (cancelled)")
    return f"{head}: {total} file(s): " + ", ".join(parts)


def failed_files(statuses: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, message) of each failed file."""
    return [(n, m) for n, (s, m) in statuses.items() if s == "failed"]


def finished_text(report: BatchReport, statuses: dict[str, tuple[str, str]], total: int) -> str:
    """The summary of a finished batch: the counts, the failed files and where the report is."""
    text = batch_summary("Finished", statuses, total)
    failed = [n for n, _ in failed_files(statuses)]
    if failed:
        text += "\nFailed: " + ", ".join(failed)
    if report.report_path is not None:
        text += f"\nReport: {report.report_path}"
    return text
