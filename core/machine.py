"""What machine this is: for benchmark results and model cards (written with every reported figure)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def total_ram_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: a busy machine makes every timing pessimistic."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def peak_rss_mib() -> float:
    """Peak resident memory of this process (MiB).

    Linux: VmHWM of /proc/self/status, which starts afresh at exec; ``ru_maxrss`` would carry
    the parent's peak over fork+exec (a child of a big parent would report the parent's peak).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def machine_info(torch_info: bool = True) -> dict:
    """Platform, Python, CPU, cores, RAM (and torch/CUDA when asked) as a JSON-able dict."""
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu_name(),
            "logical_cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "ram_gib": total_ram_gib()}
    import numpy

    info["numpy"] = numpy.__version__
    if torch_info:
        import torch

        info["torch"] = torch.__version__
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def machine_summary() -> str:
    """One line for a model card: OS, CPU, cores."""
    return f"{platform.system()} {platform.machine()}, {cpu_name()}, {os.cpu_count()} logical cores"
