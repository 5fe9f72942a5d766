"""log.csv: one row per (step, quantity), appended across resumes, header written once.

Long format (step, time_s, kind, name, value) because losses and check results have different
names per method and may change between checks; pandas ``pivot`` turns it wide for plots.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..io import atomic_path

HEADER = ["step", "time_s", "kind", "name", "value"]


class CsvLog:
    """Append-only CSV of losses and check results (written by rank 0 only)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step``: a killed run may have logged past its last checkpoint,
        and the resumed run will log those steps again."""
        if not self.path.is_file():
            return
        with open(self.path, newline="") as f:
            rows = list(csv.reader(f))
        keep = [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) <= step]
        if len(keep) == len(rows) - 1:
            return
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(keep)

    def write(self, step: int, time_s: float, kind: str, values: dict[str, float]) -> None:
        new = not self.path.is_file() or self.path.stat().st_size == 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(HEADER)
            for name, value in values.items():
                w.writerow([step, f"{time_s:.3f}", kind, name, f"{float(value):.6g}"])


def read_log(path: str | os.PathLike) -> list[dict]:
    """The rows of a log.csv as dicts (step int, value float), for tests and plots."""
    with open(path, newline="") as f:
        return [{**r, "step": int(r["step"]), "value": float(r["value"])} for r in csv.DictReader(f)]
