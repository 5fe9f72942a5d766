"""Clean one file or a batch: plan (inputs → outputs, refusals), run (progress, cancel, resume), report.

The GUI and ``seqgen clean`` call the same two functions::

    plan = plan_batch(["scans/", "extra.tif"], "cleaned/")      # InputError if it would overwrite an input
    report = run_batch(plan, load_model(), threshold=0.5, on_file=callback, state=state)

``on_file(job)`` is called when a file starts (status "running") and when it ends ("done", "kept",
"failed" or "cancelled"); ``state`` carries the whole batch's progress and the cancel check.
Outputs are written atomically, so one that exists is complete: a rerun keeps it ("kept") and a
half-done batch resumes where it stopped.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable


from .. import __version__
from ..errors import Cancelled, InputError, OutputError
from ..io import atomic_path, check_output_folder, natural_key
from ..jobs import TaskState, ensure_state
from .infer import DEFAULT_OVERLAP, DEFAULT_THRESHOLD, DEFAULT_TILE, CleanupModel, clean_image
from .scanio import SCAN_SUFFIXES, count_pages, iter_pages, output_suffix, write_pages

REPORT_NAME = "cleanup_report.txt"
STATUSES = ("pending", "running", "done", "kept", "failed", "cancelled")


@dataclass
class FileJob:
    """One input file and its output; ``status`` is one of STATUSES, ``message`` says why for failures."""

    src: Path
    dst: Path
    status: str = "pending"
    message: str = ""
    pages: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["src"], d["dst"] = str(self.src), str(self.dst)
        return d


@dataclass
class BatchPlan:
    jobs: list[FileJob]
    out_dir: Path


@dataclass
class BatchReport:
    jobs: list[FileJob]
    out_dir: Path
    report_path: Path | None = None
    threshold: float = DEFAULT_THRESHOLD
    model: str | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(j.status for j in self.jobs))

    @property
    def failed(self) -> list[FileJob]:
        return [j for j in self.jobs if j.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and all(j.status in ("done", "kept") for j in self.jobs)

    def summary(self) -> str:
        c = self.counts
        parts = [f"{c.get('done', 0)} cleaned", f"{c.get('kept', 0)} already done (kept)",
                 f"{c.get('failed', 0)} failed"]
        if c.get("cancelled") or c.get("pending"):
            parts.append(f"{c.get('cancelled', 0) + c.get('pending', 0)} not done (cancelled)")
        return f"{len(self.jobs)} file(s): " + ", ".join(parts)

    def text(self) -> str:
        lines = [f"SeqGen Studio {__version__} drawing cleanup report, {time.strftime('%Y-%m-%d %H:%M:%S')}",
                 f"model: {self.model}", f"threshold: {self.threshold}", f"output folder: {self.out_dir}",
                 self.summary(), ""]
        if self.failed:
            lines.append("Failed (skipped):")
            lines += [f"  {j.src}: {j.message}" for j in self.failed]
            lines.append("")
        lines.append("All files:")
        lines += [f"  [{j.status}] {j.src} -> {j.dst.name}" + (f" ({j.pages} page(s), {j.seconds:.1f} s)"
                                                                if j.status == "done" else "")
                  for j in self.jobs]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "threshold": self.threshold, "model": self.model,
                "counts": self.counts, "jobs": [j.to_dict() for j in self.jobs]}


def _is_hidden(p: Path) -> bool:
    return p.name.startswith(".")


def _scan_folder(folder: Path) -> list[Path]:
    """Scans in ``folder`` and its subfolders (natural order), hidden files and folders skipped."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
        for f in sorted(files, key=natural_key):
            p = Path(root) / f
            if not f.startswith(".") and p.suffix.lower() in SCAN_SUFFIXES:
                found.append(p)
    return found


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def plan_batch(inputs: Iterable, out_dir) -> BatchPlan:
    """Inputs (files and folders, searched recursively) → jobs with their output paths.

    A file's output is OUTDIR/<name>; a folder's files keep their path relative to the folder.
    TIFF stays TIFF (multi-page kept), other types become PNG; names that would collide get the
    input's type added (plan_jpg.png). Raises InputError, before anything is written, when the
    output folder is inside an input folder or an output would overwrite an input.
    """
    # A file in its place, read-only, unreachable (/proc), a name too long: said now, not once per scan.
    out_dir = check_output_folder(out_dir)
    out_res = out_dir.resolve()
    pairs: list[tuple[Path, Path]] = []  # (src, relative output without suffix)
    missing: list[Path] = []
    folders: list[Path] = []
    for item in inputs:
        p = Path(item).expanduser()
        if p.is_dir():
            folders.append(p.resolve())
            if _inside(out_res, p.resolve()):
                raise InputError(f"The output folder {out_dir} is inside the input folder {p}: cleaned files "
                                 "would be mixed with the scans (and read as scans on a rerun). "
                                 "Choose an output folder outside it.")
            for f in _scan_folder(p):
                pairs.append((f, f.relative_to(p).with_suffix("")))
        elif p.exists():
            pairs.append((p, Path(p.stem)))
        else:
            missing.append(p)
    if not pairs and not missing:
        raise InputError("No scans found (" + ", ".join(SCAN_SUFFIXES) + ") in the given files and folders.")

    dsts = [rel.with_name(rel.name + output_suffix(src)) for src, rel in pairs]
    counts = Counter(str(d).lower() for d in dsts)  # case-insensitive file systems collide too
    for i, (src, rel) in enumerate(pairs):
        if counts[str(dsts[i]).lower()] > 1:
            dsts[i] = rel.with_name(f"{rel.name}_{src.suffix.lstrip('.').lower()}{output_suffix(src)}")
    seen: Counter = Counter()
    for i in range(len(dsts)):  # still colliding (same name and type from two folders): number them
        key = str(dsts[i]).lower()
        seen[key] += 1
        if seen[key] > 1:
            dsts[i] = dsts[i].with_name(f"{dsts[i].stem}_{seen[key]}{dsts[i].suffix}")

    srcs = {src.resolve() for src, _ in pairs}
    jobs = []
    for (src, _), rel in zip(pairs, dsts):
        dst = out_dir / rel
        if dst.resolve() in srcs:
            raise InputError(f"Cleaning {src} into {out_dir} would overwrite the input {dst}. "
                             "Choose another output folder.")
        jobs.append(FileJob(src, dst))
    jobs += [FileJob(p, out_dir / (p.stem + output_suffix(p)), "failed", "does not exist") for p in missing]
    return BatchPlan(jobs, out_dir)


def clean_file(src, dst, model: CleanupModel, *, threshold: float = DEFAULT_THRESHOLD, tile: int = DEFAULT_TILE,
               overlap: int = DEFAULT_OVERLAP, state: TaskState | None = None) -> int:
    """Clean every page of ``src`` into ``dst`` (written atomically); returns the number of pages."""
    state = ensure_state(state)
    src, dst = Path(src), Path(dst)
    n = count_pages(src)
    meta = {"software": f"SeqGen Studio {__version__}", "source": src.name, "model": model.path,
            "model_step": model.step, "views": model.views, "threshold": threshold, "convention": "0 = ink, 255 = paper"}

    def pages():
        for i, grey in enumerate(iter_pages(src)):
            yield clean_image(model, grey, threshold=threshold, tile=tile, overlap=overlap,
                              state=state.sub(i / n, (i + 1) / n))

    if n > 1 and dst.suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"{src.name} has {n} pages: write it as .tif.")
    return write_pages(dst, pages(), metadata=meta)


def write_report(report: BatchReport) -> Path:
    path = report.out_dir / REPORT_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(report.text(), encoding="utf-8")
    report.report_path = path
    return path


def run_batch(plan: BatchPlan, model: CleanupModel, *, threshold: float = DEFAULT_THRESHOLD, redo: bool = False,
              tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
              on_file: Callable[[FileJob], None] | None = None, write_report_file: bool = True,
              state: TaskState | None = None) -> BatchReport:
    """Clean every pending job of ``plan``; unreadable files are marked failed and skipped.

    Existing outputs are kept (status "kept") unless ``redo``. On cancel the current file is left
    unwritten, the report is still written, and Cancelled is raised again.
    """
    state = ensure_state(state)
    if not 0.0 < float(threshold) < 1.0:
        raise InputError(f"The threshold must be between 0 and 1 (got {threshold}).")
    report = BatchReport(plan.jobs, plan.out_dir, threshold=float(threshold), model=model.path)
    todo = [j for j in plan.jobs if j.status != "failed"]
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    notify = on_file or (lambda job: None)
    try:
        for i, job in enumerate(todo):
            state.report(i / max(len(todo), 1), f"file {i + 1}/{len(todo)}: {job.src.name}")
            # A 0-byte output is no finished page (an older version wrote them on a full disk): redo it.
            if job.dst.exists() and job.dst.stat().st_size > 0 and not redo:
                job.status, job.message = "kept", "output exists (finished earlier)"
                notify(job)
                continue
            job.status, job.message = "running", ""
            notify(job)
            t0 = time.perf_counter()
            try:
                job.pages = clean_file(job.src, job.dst, model, threshold=threshold, tile=tile, overlap=overlap,
                                       state=state.sub(i / len(todo), (i + 1) / len(todo)))
                job.status = "done"
            except Cancelled:
                job.status, job.message = "cancelled", "cancelled by the user"
                notify(job)
                raise
            except OutputError as e:
                if e.disk_full:  # every next file would fail the same way: stop, say so once
                    job.status, job.message = "failed", str(e)
                    notify(job)
                    raise
                job.status, job.message = "failed", str(e)
            except InputError as e:
                job.status, job.message = "failed", str(e)
            except (OSError, ValueError, MemoryError, RuntimeError) as e:
                job.status, job.message = "failed", f"{type(e).__name__}: {e}"
            job.seconds = time.perf_counter() - t0
            notify(job)
        state.report(1.0, report.summary())
    finally:
        if write_report_file:
            try:
                write_report(report)
            except (OSError, OutputError) as e:
                report.notices.append(f"Could not write the report: {e}")
    return report


def clean_paths(inputs, out_dir, model: CleanupModel, **kw) -> BatchReport:
    """plan_batch + run_batch in one call."""
    return run_batch(plan_batch(inputs, out_dir), model, **kw)
