"""The memory budget that guards every reader against files too large for this machine."""

from __future__ import annotations

import os

from ..errors import InputError


def _total_ram() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def parse_size(text: str) -> int:
    """'4G', '512M', '1000000' -> bytes."""
    t = text.strip().upper().rstrip("B")
    mult = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(t[-1:], 1)
    try:
        return int(float(t[:-1] if mult > 1 else t) * mult)
    except ValueError:
        raise InputError(f"Cannot read the size '{text}' (examples: 4G, 512M).") from None


def default_budget() -> int:
    """Bytes a single loaded array may take: $SEQGEN_MEMORY_BUDGET, else half of the RAM."""
    env = os.environ.get("SEQGEN_MEMORY_BUDGET")
    if env:
        return parse_size(env)
    return _total_ram() // 2


def check_budget(nbytes: int, budget: int | None, what: str) -> None:
    """Raise InputError before reading when ``what`` would need more than the budget."""
    budget = default_budget() if budget is None else int(budget)
    if nbytes > budget:
        raise InputError(
            f"{what} needs {nbytes / 2**30:.2f} GiB in memory, over the budget of "
            f"{budget / 2**30:.2f} GiB. Crop it first, or raise SEQGEN_MEMORY_BUDGET.")
