"""``seqgen rock eval``: thesis Table 1 on held-out data (ours vs DCGAN baseline vs real crops).

``core.rock.cli.register`` adds it to the ``rock`` group with ``add_eval_parsers``.
"""

from __future__ import annotations

import sys

from ..cli import positive_float, positive_int, seed_int
from ..volumes.cliargs import add_workers_option


def add_eval_parsers(rock_sub) -> None:
    """Add ``eval`` to the ``rock`` group's sub-parsers."""
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
    p.add_argument("--size", type=positive_int, default=64, help="crop / output edge in voxels (default 64)")
    p.add_argument("--seed", type=seed_int, default=0, help="seed for crops and generation (default 0)")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default docs/results/rock_<rock>/)")
    p.add_argument("--no-permeability", action="store_true", help="skip permeability (~1 s per 64³ sample)")
    p.add_argument("--no-control", action="store_true", help="no second independent draw of real crops")
    p.add_argument("--paste", action="store_true", help="paste the exact input slice into our volumes (default: G's own output)")
    p.add_argument("--heldout-z", type=int, default=None, metavar="Z",
                   help="first held-out z of a volume that is not one of the shared ones")
    p.add_argument("--voxel-size", type=positive_float, default=None, metavar="MICRONS",
                   help="voxel size (default: known for the shared volumes, else from the file, else 1)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"])
    add_workers_option(p)
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args) -> int:
    from ..cli import make_state
    from ..shipped import resolve_model
    from .evaluate import evaluate

    state, progress, _ = make_state(args.quiet)
    baseline = str(resolve_model("dcgan", args.baseline)) if args.baseline else None
    res = evaluate(str(resolve_model("rock", args.model)), baseline, args.data, n=args.n, size=args.size, seed=args.seed,
                   permeability=not args.no_permeability, state=state, out_dir=args.out,
                   voxel_size_um=args.voxel_size, heldout_z=args.heldout_z, real_control=not args.no_control,
                   paste=args.paste, device=args.device, pore=args.pore, workers=args.workers)
    progress.done()
    if not args.quiet:
        print(res.markdown)
    print(f"wrote {res.table_path}, {res.json_path} and {len(res.figures)} figures in {res.out_dir}")
    return 0


def main(argv=None) -> int:
    """Standalone entry: the whole ``rock`` group (eval included), as ``seqgen rock ...``."""
    from .cli import main as rock_main

    return rock_main(argv)


if __name__ == "__main__":
    sys.exit(main())
