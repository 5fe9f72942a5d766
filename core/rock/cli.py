"""``seqgen rock train`` and ``seqgen rock generate``; ``register(subparsers)`` is wired into core.cli.

Standalone for testing: ``python -m core.rock.cli rock train ...`` (also under torchrun).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .. import __version__
from ..train.cliargs import add_precision_option, add_time_limit_option
from ..volumes.cliargs import GAN_PRECISION_WHY
from .config import G_NORMS, RockGANConfig
from ..cli import positive_float, positive_int, seed_int


def register(subparsers) -> None:
    """Add the ``rock`` command group to a ``seqgen`` argparse sub-parser set."""
    rock = subparsers.add_parser("rock", help="3D porous media from one 2D slice (GAN)",
                                 description="Train a slice-to-volume GAN, or generate volumes from a slice.")
    sub = rock.add_subparsers(dest="rock_command", metavar="ACTION", required=True)

    p = sub.add_parser("train", help="train (or resume) a rock GAN on segmented volumes",
                       description="Train on random crops of the volumes' training parts (shared data: "
                                   "berea_400 z<300, ketton_256 z<192, bentheimer_500 z<375). "
                                   "Multi-GPU: torchrun --nproc_per_node=N -m core.rock.cli rock train ...")
    _add_run_options(p, crop_help="crop edge in voxels, multiple of 4 (default 64)",
                     check_help="slice-match and porosity check every N steps (0 = off)")
    p.add_argument("--channels", type=int, default=32, help="model width (default 32)")
    d = RockGANConfig()
    p.add_argument("--rec-weight", type=float, default=d.rec_weight, help=f"λ of the slice loss (default {d.rec_weight:g})")
    p.add_argument("--decay", type=float, default=d.decay, metavar="VOXELS",
                   help="voxels over which the slice's pull on the generator falls by 1/e away from it "
                        f"(default {d.decay:g})")
    p.add_argument("--porosity-weight", type=float, default=d.porosity_weight, metavar="MU",
                   help="weight of each generated volume's porosity against the real crop its slice came from "
                        f"(default {d.porosity_weight:g}; 0: off)")
    p.add_argument("--profile-weight", type=float, default=d.profile_weight, metavar="NU",
                   help="weight of each band of 4 z-planes' porosity against the real crop's, so planes far from "
                        f"the slice stay as porous as the rock (default {d.profile_weight:g}; 0: off)")
    p.add_argument("--norm", choices=G_NORMS, default=d.g_norm,
                   help="generator normalisation: pixel (per voxel, so far planes do not depend on the volume's "
                        f"shape) or group (GroupNorm over the volume, every model before) (default {d.g_norm})")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", help="generate 3D volumes from one 2D slice",
                       description="One multi-page uint8 TIFF per realisation (1 = pore); the seed, model and "
                                   "slice match are written into the TIFF metadata.")
    p.add_argument("--model", default="berea",
                   help="shipped model name (berea, ketton), a checkpoint file or a run folder (default: berea)")
    p.add_argument("--slice", required=True, metavar="IMAGE", help="2D slice (PNG, TIFF, ...); 1/bright = pore")
    p.add_argument("--depth", type=positive_int, default=None, help="slices to generate (default: the slice's width)")
    p.add_argument("--count", type=positive_int, default=1, help="number of realisations (default 1)")
    p.add_argument("--seed", type=seed_int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.tif",
                   help="output TIFF; with --count > 1, OUT_001.tif, OUT_002.tif, ...")
    p.add_argument("--no-paste", action="store_true", help="keep G's own central slice instead of the exact input")
    p.add_argument("--voxel-size", type=positive_float, default=1.0, metavar="MICRONS", help="voxel size written to the TIFF")
    p.add_argument("--device", default="auto")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"], help="pore phase of the slice")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("export", help="make a small model file to ship from a training checkpoint",
                       description="Keeps the generator (and encoder) weights, the config and the training "
                                   "provenance; drops the critic, optimiser and random states. Works for "
                                   "rock GAN and DCGAN baseline checkpoints.")
    p.add_argument("checkpoint", help="training checkpoint (last.pt, step_*.pt) or run folder")
    p.add_argument("output", help="model file to write (.pt)")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the size)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "train-baseline", help="train (or resume) the unconditional 3D DCGAN baseline (Mosser et al. 2017)",
        description="Same data, crops and run options as 'rock train' (training parts only: berea_400 z<300, "
                    "ketton_256 z<192, bentheimer_500 z<375). Multi-GPU: torchrun --nproc_per_node=N "
                    "-m core.rock.cli rock train-baseline ...")
    _add_run_options(p, crop_help="crop edge in voxels, a power of two ≥ 16 (default 64)",
                     check_help="porosity check every N steps (0 = off)")
    p.add_argument("--channels", type=int, default=64, help="generator width ngf (default 64, as Mosser et al.)")
    p.add_argument("--d-channels", type=int, default=16, help="discriminator width ndf (default 16)")
    p.add_argument("--nz", type=int, default=512, help="latent channels (default 512)")
    p.set_defaults(func=cmd_train_baseline)

    from .eval_cli import add_eval_parsers  # rock eval

    add_eval_parsers(sub)


def _add_run_options(p, *, crop_help: str, check_help: str) -> None:
    """Options every rock training command shares: data, crop and the shared trainer's run settings."""
    p.add_argument("--data", action="append", required=True, metavar="VOLUME", help="training volume (repeatable)")
    p.add_argument("--crop", type=int, default=64, help=crop_help)
    p.add_argument("--steps", type=int, default=2000, help="total training steps (default 2000)")
    p.add_argument("--batch", type=int, default=8, help="crops per step per process (default 8)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam step size (default 2e-4)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder: checkpoints and log.csv")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, default=500, metavar="N", help="checkpoint every N steps (default 500)")
    add_time_limit_option(p)
    add_precision_option(p, "fp32", GAN_PRECISION_WHY)
    p.add_argument("--log-every", type=int, default=10, metavar="N", help="log mean losses every N steps (default 10)")
    p.add_argument("--check-every", type=int, default=0, metavar="N", help=check_help)
    p.add_argument("--seed", type=seed_int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"], help="pore phase of grey data")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def _note(msg: str, quiet_rank: bool = False) -> None:
    if not quiet_rank:
        print(f"note: {msg}", file=sys.stderr)


def _run_training(args, train_fn, model_cfg) -> int:
    """Shared by ``rock train`` and ``rock train-baseline``."""
    from ..train.cliargs import run_training_command

    return run_training_command(args, lambda tcfg, state: train_fn(args.data, model_cfg, tcfg, pore=args.pore,
                                                                     state=state))


def cmd_train(args) -> int:
    from .train import train

    cfg = RockGANConfig(channels=args.channels, d_channels=args.channels, rec_weight=args.rec_weight, crop=args.crop,
                        porosity_weight=args.porosity_weight, decay=args.decay, g_norm=args.norm,
                        profile_weight=args.profile_weight)
    warning = cfg.reach_warning()
    if warning and not args.resume:
        _note(warning)
    return _run_training(args, train, cfg)


def cmd_train_baseline(args) -> int:
    from ..volumes.baseline import DCGANConfig, train_baseline

    cfg = DCGANConfig(nz=args.nz, ngf=args.channels, ndf=args.d_channels, crop=args.crop)
    return _run_training(args, train_baseline, cfg)


def cmd_export(args) -> int:
    from ..shipped import resolve_model
    from ..train.export import export_verified
    from ..volumes.baseline import KIND as DCGAN_KIND
    from ..volumes.baseline import load_baseline
    from .load import load_model
    from .task import KIND

    src = resolve_model("rock", args.checkpoint)
    # What generation needs: E and G of ours; G of the DCGAN baseline. Critics stay behind.
    choices = {KIND: (["encoder", "generator"], load_model), DCGAN_KIND: (["generator"], load_baseline)}
    out, _, model = export_verified(src, args.output, choices, half=args.half, command="rock export")
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB) from {src} at step {model.step}")
    return 0


def cmd_generate(args) -> int:
    from ..cli import make_state
    from ..errors import InputError
    from ..io import binary_tiff_min_bytes, check_disk, check_outputs, numbered_paths, read_image, write_volume
    from ..jobs import new_seed
    from .generate import generate
    from .load import load_model

    if Path(args.output).suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"The output must be a .tif file (got {Path(args.output).name}).")
    paths = numbered_paths(args.output, args.count)
    check_outputs(paths, inputs=[args.slice])  # before any work: writable, never over the slice
    seed = args.seed if args.seed is not None else new_seed()
    state, progress, _ = make_state(args.quiet)
    image = read_image(args.slice, pore=args.pore)
    for n in image.notices:
        _note(n)
    from ..shipped import resolve_model

    model_path = resolve_model("rock", args.model)
    model = load_model(model_path, device=args.device)
    h, w = image.array.shape
    depth = args.depth if args.depth is not None else w
    check_disk(len(paths) * binary_tiff_min_bytes(depth * h * w), paths[0], f"Writing {len(paths)} volume(s)")
    vols = generate(model, image.array, depth, args.count, seed, state=state.sub(0.0, 0.9), paste=not args.no_paste)
    progress.done()
    for n in vols.notices:
        _note(n)
    for i, (vol, path) in enumerate(zip(vols, paths)):
        meta = {"generator": "rock-gan", "model": str(model_path.resolve()), "model_step": model.step,
                "seed": seed, "realisation": i, "count": args.count, "slice": str(Path(args.slice).resolve()),
                "central_slice_index": vols.centre, "slice_match_before_paste": round(vols.slice_match[i], 6),
                "slice_pasted": vols.pasted, "seqgen_version": __version__}
        write_volume(path, vol, metadata=meta, voxel_size_um=args.voxel_size)
        print(f"wrote {path}: {vol.shape[0]}×{vol.shape[1]}×{vol.shape[2]} (z×y×x), porosity {vol.mean():.4f}, "
              f"G's central slice matched the input at {100 * vols.slice_match[i]:.2f} % of pixels"
              + (" (then the exact slice was pasted in)" if vols.pasted else ""))
    print(f"seed {seed}")
    return 0


def main(argv=None) -> int:
    """Standalone entry (for tests and torchrun) with the same error handling as ``seqgen``."""
    from ..cli import module_main

    return module_main("python -m core.rock.cli", register, argv)


if __name__ == "__main__":
    sys.exit(main())
