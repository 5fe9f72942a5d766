"""``seqgen rock eval`` (thesis Table 1 on held-out data) and ``seqgen rock train-baseline`` (DCGAN).

Wiring (one line in ``core.rock.cli.register``, after ``sub = rock.add_subparsers(...)``)::

    from .eval_cli import add_eval_parsers; add_eval_parsers(sub)

or, from outside, after ``core.rock.cli.register(subparsers)``: ``register_eval(subparsers)``.
Standalone (tests, torchrun): ``python -m core.rock.eval_cli rock train-baseline ...``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def add_eval_parsers(rock_sub) -> None:
    """Add ``eval`` and ``train-baseline`` to the ``rock`` group's sub-parsers."""
    p = rock_sub.add_parser(
        "eval", help="thesis Table 1: ours vs DCGAN baseline vs held-out real crops",
        description="Draws N random SIZE³ crops from the held-out part of VOLUME (berea_400 z≥300, ketton_256 "
                    "z≥192, bentheimer_500 z≥375; crops may overlap), generates one volume per crop from its "
                    "central slice with our model and N unconditional baseline volumes, measures porosity, "
                    "permeability, S2, surface area and Euler densities, and writes KL tables (with bootstrap "
                    "std, real-vs-real floor and sample counts), histograms and a JSON of every raw value.")
    p.add_argument("--model", required=True, help="our rock GAN: berea, ketton, bentheimer (shipped) or a checkpoint path")
    p.add_argument("--baseline", default=None, metavar="PATH", help="DCGAN baseline: shipped name (berea, ketton) or checkpoint (omit: no baseline column)")
    p.add_argument("--data", required=True, metavar="VOLUME", help="a shared volume (berea_400.tif, ketton_256.tif, ...)")
    p.add_argument("--n", type=int, default=200, help="samples per set (default 200)")
    p.add_argument("--size", type=int, default=64, help="crop / output edge in voxels (default 64)")
    p.add_argument("--seed", type=int, default=0, help="seed for crops and generation (default 0)")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default docs/results/rock_<rock>/)")
    p.add_argument("--no-permeability", action="store_true", help="skip permeability (~1 s per 64³ sample)")
    p.add_argument("--no-control", action="store_true", help="no second independent draw of real crops")
    p.add_argument("--paste", action="store_true", help="paste the exact input slice into our volumes (default: G's own output)")
    p.add_argument("--heldout-z", type=int, default=None, metavar="Z",
                   help="first held-out z of a volume that is not one of the shared ones")
    p.add_argument("--voxel-size", type=float, default=None, metavar="MICRONS",
                   help="voxel size (default: known for the shared volumes, else from the file, else 1)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"])
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = rock_sub.add_parser(
        "train-baseline", help="train (or resume) the unconditional 3D DCGAN baseline (Mosser et al. 2017)",
        description="Same data, crops and run options as 'rock train' (training parts only: berea_400 z<300, "
                    "ketton_256 z<192, bentheimer_500 z<375). Multi-GPU: torchrun --nproc_per_node=N "
                    "-m core.rock.eval_cli rock train-baseline ...")
    p.add_argument("--data", action="append", required=True, metavar="VOLUME", help="training volume (repeatable)")
    p.add_argument("--crop", type=int, default=64, help="crop edge in voxels, a power of two ≥ 16 (default 64)")
    p.add_argument("--steps", type=int, default=2000, help="total training steps (default 2000)")
    p.add_argument("--batch", type=int, default=8, help="crops per step per process (default 8)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam step size (default 2e-4)")
    p.add_argument("--channels", type=int, default=64, help="generator width ngf (default 64, as Mosser et al.)")
    p.add_argument("--d-channels", type=int, default=16, help="discriminator width ndf (default 16)")
    p.add_argument("--nz", type=int, default=512, help="latent channels (default 512)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder: checkpoints and log.csv")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, default=500, metavar="N", help="checkpoint every N steps (default 500)")
    p.add_argument("--log-every", type=int, default=10, metavar="N", help="log mean losses every N steps (default 10)")
    p.add_argument("--check-every", type=int, default=0, metavar="N", help="porosity check every N steps (0 = off)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"], help="pore phase of grey data")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_train_baseline)


def register_eval(subparsers) -> None:
    """Add the commands to an existing ``rock`` group (registered by ``core.rock.cli.register``)."""
    rock = subparsers.choices.get("rock")
    if rock is None:
        raise RuntimeError("Register core.rock.cli first: register_eval adds to its 'rock' group.")
    for action in rock._actions:  # argparse keeps the sub-parser set only there
        if isinstance(action, argparse._SubParsersAction):
            if "eval" not in action.choices:
                add_eval_parsers(action)
            return
    raise RuntimeError("The 'rock' command has no sub-commands to add to.")


def cmd_eval(args) -> int:
    from ..cli import make_state
    from .evaluate import evaluate

    state, progress, _ = make_state(args.quiet)
    from ..shipped import resolve_model

    baseline = str(resolve_model("dcgan", args.baseline)) if args.baseline else None
    res = evaluate(str(resolve_model("rock", args.model)), baseline, args.data, n=args.n, size=args.size, seed=args.seed,
                   permeability=not args.no_permeability, state=state, out_dir=args.out,
                   voxel_size_um=args.voxel_size, heldout_z=args.heldout_z, real_control=not args.no_control,
                   paste=args.paste, device=args.device, pore=args.pore)
    progress.done()
    if not args.quiet:
        print(res.markdown)
    print(f"wrote {res.table_path}, {res.json_path} and {len(res.figures)} figures in {res.out_dir}")
    return 0


def cmd_train_baseline(args) -> int:
    from ..cli import make_state
    from ..jobs import new_seed
    from ..train import TrainConfig
    from .baseline import DCGANConfig, train_baseline

    other_rank = int(os.environ.get("RANK", "0")) != 0
    seed = args.seed if args.seed is not None else new_seed()
    if args.seed is None and not args.resume and not other_rank:
        print(f"note: seed {seed}", file=sys.stderr)
    cfg = DCGANConfig(nz=args.nz, ngf=args.channels, ndf=args.d_channels, crop=args.crop)
    tcfg = TrainConfig(steps=args.steps, batch_size=args.batch, lr=args.lr, checkpoint_every=args.checkpoint_every,
                       log_every=args.log_every, check_every=args.check_every, seed=seed, device=args.device,
                       amp=not args.no_amp, out_dir=args.out, resume=args.resume)
    state, progress, token = make_state(args.quiet or other_rank)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        signal.signal(signal.SIGTERM, lambda signum, frame: token.cancel())
    result = train_baseline(args.data, cfg, tcfg, pore=args.pore, state=state)
    progress.done()
    if not other_rank:
        for n in result.notices:
            print(f"note: {n}", file=sys.stderr)
        print(f"trained to step {result.step}; checkpoint {result.checkpoint}; log {Path(args.out) / 'log.csv'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import cli as rock_cli

    parser = argparse.ArgumentParser(prog="python -m core.rock.eval_cli")
    sub = parser.add_subparsers(dest="command", required=True)
    rock_cli.register(sub)
    register_eval(sub)
    return parser


def main(argv=None) -> int:
    """Standalone entry with the same error handling as ``seqgen``."""
    from ..errors import Cancelled, SeqGenError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Cancelled as e:
        print(f"\n{e}", file=sys.stderr)
        return 130
    except SeqGenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
