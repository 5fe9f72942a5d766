"""Command-line options the rock and texture commands share."""

from __future__ import annotations


def add_workers_option(p) -> None:
    """``--workers N``: processes that measure the samples (rock and texture eval)."""
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="processes that measure the samples, e.g. the number of cores (default 1; the results "
                        "are the same)")


# Why the volume GANs (rock GAN, DCGAN baseline, texture GAN) train in float32 unless asked otherwise.
GAN_PRECISION_WHY = "bf16 not yet A/B-tested on GAN quality"
