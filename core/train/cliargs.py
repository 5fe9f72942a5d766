"""Run options every training command shares (rock, texture, cleanup, video): one definition, one reading."""

from __future__ import annotations

import argparse

from .config import TrainConfig


def add_time_limit_option(p: argparse.ArgumentParser) -> None:
    """``--max-minutes``: stop with a checkpoint after this much wall time (a lent GPU, a night on a laptop)."""
    p.add_argument("--max-minutes", type=float, default=0.0, metavar="M",
                   help="stop after M minutes of training in this invocation, with a checkpoint "
                        "(resume with --resume); 0 = no limit (default)")


def train_config_from_args(args, seed: int) -> TrainConfig:
    """The TrainConfig a training command's parsed arguments describe."""
    return TrainConfig(steps=args.steps, batch_size=args.batch, lr=args.lr, checkpoint_every=args.checkpoint_every,
                       log_every=args.log_every, check_every=args.check_every, seed=seed, device=args.device,
                       amp=not args.no_amp, out_dir=args.out, resume=args.resume,
                       max_minutes=getattr(args, "max_minutes", 0.0))
