"""Limits checked before work starts: the memory budget of readers and generators, and the free disk space
for outputs, so that a job too large for this machine is refused up front with a plain message."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

from ..errors import InputError, OutputError

BUDGET_ENV = "SEQGEN_MEMORY_BUDGET"


def _total_ram() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def parse_size(text: str) -> int:
    """'4G', '512M', '1000000' -> bytes (positive and finite: 'inf' or '-1' are refused, not overflowed)."""
    t = str(text).strip().upper().rstrip("B")
    mult = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(t[-1:], 1)
    try:
        value = float(t[:-1] if mult > 1 else t) * mult
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 1):
        raise InputError(f"Cannot read the size '{text}': give a positive size such as 4G or 512M.")
    return int(value)


def default_budget() -> int:
    """Bytes a single loaded array may take: $SEQGEN_MEMORY_BUDGET, else half of the RAM."""
    env = os.environ.get(BUDGET_ENV)
    if env:
        try:
            return parse_size(env)
        except InputError as e:
            raise InputError(f"{BUDGET_ENV}={env}: {e}") from None
    return _total_ram() // 2


def check_budget(nbytes: int, budget: int | None, what: str) -> None:
    """Raise InputError before reading when ``what`` would need more than the budget."""
    budget = default_budget() if budget is None else int(budget)
    if nbytes > budget:
        raise InputError(
            f"{what} needs {nbytes / 2**30:.2f} GiB in memory, over the budget of "
            f"{budget / 2**30:.2f} GiB. Crop it first, or raise {BUDGET_ENV}.")


def existing_folder(path) -> Path:
    """The nearest folder of ``path`` (itself or an ancestor) that exists: where a new file would go."""
    p = Path(os.path.abspath(Path(path).expanduser()))
    while p != p.parent:
        try:
            if p.exists():
                break
        except OSError:  # a name too long, say: it does not exist either
            pass
        p = p.parent
    return p


def free_bytes(path) -> int:
    """Free bytes on the file system that would hold ``path`` (which need not exist yet)."""
    try:
        return shutil.disk_usage(existing_folder(path)).free
    except OSError:
        return 2**62  # unknown (e.g. a special file system): let the write itself tell


def _size(n: float) -> str:
    for unit, k in (("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if n >= 2**k:
            return f"{n / 2**k:.1f} {unit}"
    return f"{n / 2**10:.0f} KiB"


# zlib-compressed TIFFs of binary volumes take ~1/5 byte per voxel (core.texture.tiled measured 4.5×
# at level 1); a random-like porous volume cannot go much below 1/8. 1/32 is a floor that refuses
# only what cannot fit, never a volume that would have.
TIFF_MIN_VOXELS_PER_BYTE = 32


def binary_tiff_min_bytes(voxels: int) -> int:
    """Bytes a zlib TIFF of ``voxels`` binary voxels needs at least (for ``check_disk``)."""
    return int(voxels) // TIFF_MIN_VOXELS_PER_BYTE


def check_disk(nbytes: int, path, what: str) -> None:
    """Raise OutputError before writing when ``what`` needs more than the free space where ``path`` goes.

    ``nbytes`` is what the file needs at least (the exact size for uncompressed formats, a lower
    bound for compressed ones): a file that fits by the estimate but not on disk still fails
    cleanly at the write (core.io.atomic_path), this only saves the wait.
    """
    free = free_bytes(path)
    if nbytes > free:
        raise OutputError(f"{what} needs at least {_size(nbytes)} on disk, but only {_size(free)} is free "
                          f"in {existing_folder(path)}. Free space, or choose a smaller size or another folder.",
                          disk_full=True)
