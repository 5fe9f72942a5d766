"""Run options every training command shares (rock, texture, cleanup, video): one definition, one reading."""

from __future__ import annotations

import argparse

from .config import TrainConfig


def add_time_limit_option(p: argparse.ArgumentParser) -> None:
    """``--max-minutes`` (stop with a checkpoint after this much wall time: a lent GPU, a night on a
    laptop), ``--init`` (start a new run from a trained model's weights: fine-tuning) and
    ``--keep-checkpoints`` (how many step checkpoints stay)."""
    p.add_argument("--max-minutes", type=float, default=0.0, metavar="M",
                   help="stop after M minutes of training in this invocation, with a checkpoint "
                        "(resume with --resume); 0 = no limit (default)")
    p.add_argument("--init", default="", metavar="MODEL",
                   help="start a new run from the weights of this model file, checkpoint or run folder "
                        "(same kind and model settings; step count, schedule and optimiser start afresh)")
    p.add_argument("--keep-checkpoints", type=int, default=TrainConfig.keep_checkpoints, metavar="N",
                   help="step checkpoints kept besides last.pt, the newest N (0 = keep all, to choose one "
                        f"later; default {TrainConfig.keep_checkpoints})")


def add_precision_option(p: argparse.ArgumentParser, default: str = "fp32", why: str = "") -> None:
    """``--precision fp32|bf16|auto`` for CPU training (bf16 autocast; auto = where the CPU has bf16 units)."""
    p.add_argument("--precision", default=default, choices=["auto", "fp32", "bf16"],
                   help=f"CPU arithmetic: fp32, bf16 (autocast, weights stay fp32) or auto (bf16 on CPUs with "
                        f"AMX or AVX-512 BF16, else fp32); default {default}{'; ' + why if why else ''}")


def train_config_from_args(args, seed: int) -> TrainConfig:
    """The TrainConfig a training command's parsed arguments describe."""
    return TrainConfig(steps=args.steps, batch_size=args.batch, lr=args.lr, checkpoint_every=args.checkpoint_every,
                       log_every=args.log_every, check_every=args.check_every, seed=seed, device=args.device,
                       amp=not args.no_amp, out_dir=args.out, resume=args.resume,
                       max_minutes=getattr(args, "max_minutes", 0.0), init_from=getattr(args, "init", "") or "",
                       keep_checkpoints=getattr(args, "keep_checkpoints", TrainConfig.keep_checkpoints),
                       precision=getattr(args, "precision", TrainConfig.precision))


def run_training_command(args, train_fn) -> int:
    """What every ``... train`` command does around ``train_fn(tcfg, state)``: seed (printed when new),
    run config, progress, torchrun's SIGTERM as a cancel, notices, and the closing line (rank 0 only)."""
    import os
    import signal
    import sys
    from pathlib import Path

    from ..cli import make_state, seed_int
    from ..errors import InputError
    from ..io import check_output_folder
    from ..jobs import new_seed

    check_output_folder(args.out, "The run folder")  # before data or models load: a file, read-only, /proc
    if args.seed is not None:  # parsers that do not use core.cli.seed_int (clean train) are checked here
        try:
            seed_int(str(args.seed))
        except argparse.ArgumentTypeError as e:
            raise InputError(f"--seed {e}.") from None

    other_rank = int(os.environ.get("RANK", "0")) != 0  # only rank 0 talks under torchrun

    def note(msg: str) -> None:
        if not other_rank:
            print(f"note: {msg}", file=sys.stderr)

    seed = args.seed if args.seed is not None else new_seed()
    if args.seed is None and not args.resume:
        note(f"seed {seed}")
    tcfg = train_config_from_args(args, seed)
    state, progress, token = make_state(args.quiet or other_rank)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # torchrun answers Ctrl+C by sending SIGTERM to the workers (SIGKILL 30 s later): treat it
        # as a cancel so that all ranks stop at one step and rank 0 writes a checkpoint.
        signal.signal(signal.SIGTERM, lambda signum, frame: token.cancel())
    result = train_fn(tcfg, state)
    progress.done()
    for n in result.notices:
        note(n)
    if not other_rank:
        extra = f"; last losses {result.losses}" if result.losses else ""
        checks = f"; checks {result.checks}" if result.checks else ""
        print(f"trained to step {result.step}; checkpoint {result.checkpoint}; log {Path(args.out) / 'log.csv'}"
              f"{extra}{checks}")
    return 0
