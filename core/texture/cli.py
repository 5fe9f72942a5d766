"""``seqgen texture train | classes | generate | export | eval``; ``register(subparsers)`` is wired into core.cli.

Standalone for testing: ``python -m core.texture.cli texture train ...`` (also under torchrun).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..cli import positive_float, positive_int, seed_int

DEFAULT_MODEL = "rocks"  # resources/models/texture_rocks.pt


def register(subparsers) -> None:
    """Add the ``texture`` command group to a ``seqgen`` argparse sub-parser set."""
    from ..volumes.cliargs import GAN_PRECISION_WHY
    from ..train.cliargs import add_precision_option, add_time_limit_option
    from .config import G_NORMS, TextureGANConfig

    tex = subparsers.add_parser("texture", help="multi-texture 3D synthesis with class selection (GAN)",
                                description="Train one GAN on several textures (rock types), list its classes, "
                                            "generate seamless volumes of any size of a chosen class or like an "
                                            "example volume.")
    sub = tex.add_subparsers(dest="texture_command", metavar="ACTION", required=True)

    p = sub.add_parser("train", help="train (or resume) a multi-texture GAN on segmented volumes",
                       description="Each --data [NAME=]PATH adds a class (NAME defaults to the file stem before "
                                   "'_': berea_400.tif → berea; a folder of volumes is one class). Trains on random "
                                   "crops of the training parts only (berea_400 z<300, ketton_256 z<192, "
                                   "bentheimer_500 z<375); at the end the classes are fitted (classes.pt). "
                                   "Multi-GPU: torchrun --nproc_per_node=N -m core.texture.cli texture train ...")
    p.add_argument("--data", action="append", required=True, metavar="[NAME=]PATH",
                   help="training volume or folder of volumes of one class (repeatable)")
    p.add_argument("--crop", type=int, default=64, help="crop edge in voxels, multiple of 8 (default 64)")
    p.add_argument("--steps", type=int, default=2000, help="total training steps (default 2000)")
    p.add_argument("--batch", type=int, default=8, help="crop pairs per step per process (default 8)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam step size (default 2e-4)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder: checkpoints, log.csv, classes.pt")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, default=500, metavar="N",
                   help="checkpoint every N steps (default 500)")
    add_time_limit_option(p)
    add_precision_option(p, "fp32", GAN_PRECISION_WHY)
    p.add_argument("--log-every", type=int, default=10, metavar="N", help="log mean losses every N steps (default 10)")
    p.add_argument("--check-every", type=int, default=0, metavar="N",
                   help="porosity and code statistics check every N steps (0 = off)")
    p.add_argument("--seed", type=seed_int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"], help="pore phase of grey data")
    g = p.add_argument_group("model (ignored on --resume: the run keeps its own)")
    g.add_argument("--code-dim", type=int, default=16, help="texture code size (default 16)")
    g.add_argument("--noise-channels", type=int, default=8, help="noise channels at 1/8 resolution (default 8)")
    g.add_argument("--g-channels", type=int, default=64, help="generator width at 1/8 resolution (default 64)")
    g.add_argument("--g-fine", type=int, default=4, help="generator channels at full resolution (default 4)")
    g.add_argument("--e-channels", type=int, default=32, help="encoder base width (default 32)")
    g.add_argument("--d-channels", type=int, default=32, help="patch critics' base width (default 32)")
    g.add_argument("--dz-hidden", type=int, default=128, help="latent critic width (default 128)")
    for name, help_ in (("alpha1", "L_x in G's loss"), ("alpha2", "L_xx in G's loss"),
                        ("beta1", "L_z in E's loss"), ("beta2", "L_xx in E's loss")):
        g.add_argument(f"--{name}", type=float, default=1.0, help=f"weight of {help_} (default 1)")
    g.add_argument("--porosity-weight", type=float, default=10.0,
                   help="extra loss: reconstructions keep their crop's porosity, weight γ (default 10; 0 = off)")
    g.add_argument("--porosity-on", choices=["soft", "binary"],
                   default="binary" if TextureGANConfig.porosity_hard else "soft",
                   help="what the porosity term compares: the soft pore probabilities or the binary volume "
                        "(straight-through gradient) (default %(default)s)")
    g.add_argument("--g-ema", type=float, default=TextureGANConfig.g_ema, metavar="DECAY",
                   help="generate with a moving average of G's weights of this decay (0 = the last weights; "
                        f"default {TextureGANConfig.g_ema})")
    g.add_argument("--logit-margin", type=float, default=TextureGANConfig.logit_margin, metavar="λ",
                   help="weight of a term that keeps G's logits at least 1 from the threshold "
                        f"(0 = off; default {TextureGANConfig.logit_margin})")
    g.add_argument("--norm", choices=G_NORMS, default=TextureGANConfig.g_norm,
                   help="generator norm: pixel (PixelNorm, per voxel: training and inference agree) or batch "
                        f"(BatchNorm, the first models) (default {TextureGANConfig.g_norm})")
    c = p.add_argument_group("class conditioning (off by default; ignored on --resume: the run keeps its own)")
    c.add_argument("--class-embed", action="store_true",
                   help="give G the class: a learned per-class scale and shift of every block's channels (FiLM), "
                        "one per --data class")
    c.add_argument("--class-porosity-weight", type=float, default=TextureGANConfig.class_porosity_weight,
                   metavar="W", help="weight of a term pulling the porosity mean and std of G's samples of each class "
                                     "to those of the class's training crops (binary; needs --class-embed; "
                                     f"default {TextureGANConfig.class_porosity_weight})")
    c.add_argument("--d-projection", action="store_true",
                   help="the patch critic judges 'real of class c' (projection critic; needs --class-embed)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("classes", help="list the texture classes a model can generate",
                       description="Class names with their training porosity and the crops their code "
                                   "Gaussian was fitted on.")
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"shipped model name, model/checkpoint file or run folder (default: {DEFAULT_MODEL})")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_classes)

    p = sub.add_parser("generate", help="generate volumes of a class, or like an example volume",
                       description="One multi-page uint8 TIFF per realisation (1 = pore), written slab by slab "
                                   "(bounded memory at any size); seed, model, class and code are in its "
                                   "metadata. The same seed gives the same volume.")
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"shipped model name, model/checkpoint file or run folder (default: {DEFAULT_MODEL})")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--class", dest="cls", metavar="NAME", help="texture class (see 'seqgen texture classes')")
    what.add_argument("--example", metavar="VOLUME", help="a volume whose texture to continue")
    p.add_argument("--size", type=positive_int, required=True, metavar="N", help="edge of the cubic volume, multiple of 8")
    p.add_argument("--count", type=positive_int, default=1, help="number of realisations (default 1)")
    p.add_argument("--seed", type=seed_int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("--spread", type=float, default=1.0,
                   help="scale of the class code draw around the class mean (0 = the mean; default 1)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.tif",
                   help="output TIFF; with --count > 1, OUT_001.tif, OUT_002.tif, ...")
    p.add_argument("--voxel-size", type=positive_float, default=1.0, metavar="MICRONS", help="voxel size written to the TIFF")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"], help="pore phase of the example")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("export", help="make a small model file to ship from a training checkpoint",
                       description="Keeps encoder and generator weights, config, training provenance and the "
                                   "class table (from classes.pt beside the checkpoint, or fitted anew with "
                                   "--data); drops the critics, optimiser and random states.")
    p.add_argument("checkpoint", help="training checkpoint (last.pt, step_*.pt) or run folder")
    p.add_argument("output", help="model file to write (.pt)")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the size)")
    p.add_argument("--data", action="append", metavar="[NAME=]PATH",
                   help="fit the classes anew on these volumes (repeatable)")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"], help="pore phase of grey data")
    p.set_defaults(func=cmd_export)

    add_eval_parser(sub)


def add_eval_parser(sub) -> None:
    """``texture eval``: thesis Table 2 on held-out data (core.texture.evaluate)."""
    from ..volumes.cliargs import add_workers_option

    p = sub.add_parser(
        "eval", help="thesis Table 2: ours vs DCGAN baselines vs held-out real crops, per class",
        description="For every --data NAME=VOLUME (NAME a class of the model), draws N random SIZE³ crops from the "
                    "held-out part of VOLUME (berea_400 z≥300, ketton_256 z≥192, bentheimer_500 z≥375; crops may "
                    "overlap), generates N volumes of class NAME (each its own seed) and N volumes of the class's "
                    "DCGAN baseline (--baseline NAME=MODEL), measures permeability, porosity, surface area and "
                    "Euler densities and the S2 correlation length, and writes KL tables per property (bootstrap "
                    "std, real-vs-real floor, sample counts, thesis reference values), a nearest-class-centroid "
                    "check with confusion matrices, histograms and a JSON of every per-sample value.")
    p.add_argument("--model", required=True, help="texture model: shipped name, model/checkpoint file or run folder")
    p.add_argument("--data", action="append", required=True, metavar="NAME=VOLUME",
                   help="a class of the model and its volume (repeatable; NAME defaults to the file stem before '_')")
    p.add_argument("--baseline", action="append", default=[], metavar="NAME=MODEL",
                   help="DCGAN baseline of class NAME: shipped dcgan name (berea, ketton) or checkpoint (repeatable; "
                        "classes without one get no baseline column)")
    p.add_argument("--n", type=int, default=200, help="samples per set and class (default 200)")
    p.add_argument("--size", type=positive_int, default=64, help="crop / output edge in voxels, multiple of 8 (default 64)")
    p.add_argument("--seed", type=seed_int, default=0, help="seed for crops and generation (default 0)")
    p.add_argument("--out", default="docs/results/texture", metavar="DIR",
                   help="output folder (default docs/results/texture)")
    p.add_argument("--no-permeability", action="store_true", help="skip permeability (~1 s per 64³ sample)")
    p.add_argument("--no-control", action="store_true", help="no second independent draw of real crops")
    p.add_argument("--spread", type=float, default=1.0, help="scale of the class code draw (default 1)")
    p.add_argument("--heldout-z", action="append", default=[], metavar="[NAME=]Z",
                   help="first held-out z of a volume that is not one of the shared ones (bare Z: every class)")
    p.add_argument("--voxel-size", action="append", default=[], metavar="[NAME=]MICRONS",
                   help="voxel size (default: known for the shared volumes, else from the file, else 1)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"])
    add_workers_option(p)
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_eval)


def _named(values, what: str, conv=str, *, bare_ok: bool = False, classes=None) -> dict:
    """["a=1", "2"] → {name: value}; a bare value (when allowed) applies to every class not named."""
    from ..errors import InputError

    named, bare = {}, None
    for text in values:
        name, sep, rest = str(text).partition("=")
        if not sep:
            if not bare_ok:
                raise InputError(f"{what} is given as NAME=VALUE (got '{text}').")
            name, rest = None, text
        try:
            val = conv(rest.strip())
        except ValueError:
            raise InputError(f"{what}: '{rest}' is not a valid value.") from None
        if name is None:
            bare = val
        else:
            named[name.strip()] = val
    if bare is not None:
        named = {**{c: bare for c in classes or []}, **named}
    return named


def _data_specs(values) -> dict:
    from ..errors import InputError
    from .data import default_class_name

    out = {}
    for text in values:
        name, sep, rest = str(text).partition("=")
        if sep and name.strip() and not any(ch in name for ch in "/\\") and not Path(text).exists():
            name, path = name.strip(), Path(rest).expanduser()
        else:
            name, path = default_class_name(text), Path(text).expanduser()
        if name in out:
            raise InputError(f"Class {name} is given twice (--data); evaluate each class on one volume.")
        out[name] = path
    return out


def cmd_eval(args) -> int:
    from ..cli import make_state
    from ..shipped import resolve_model
    from .evaluate import evaluate

    data = _data_specs(args.data)
    baselines = {c: str(resolve_model("dcgan", m)) for c, m in _named(args.baseline, "--baseline").items()}
    heldout = _named(args.heldout_z, "--heldout-z", int, bare_ok=True, classes=list(data))
    voxel = _named(args.voxel_size, "--voxel-size", float, bare_ok=True, classes=list(data))
    state, progress, _ = make_state(args.quiet)
    res = evaluate(str(resolve_model("texture", args.model)), data, n=args.n, size=args.size, seed=args.seed,
                   permeability=not args.no_permeability, state=state, baselines=baselines, out_dir=args.out,
                   heldout_z=heldout or None, voxel_size_um=voxel or None, real_control=not args.no_control,
                   spread=args.spread, device=args.device, pore=args.pore, n_bootstrap=args.bootstrap,
                   workers=args.workers)
    progress.done()
    if not args.quiet:
        print(res.markdown)
    print(f"wrote {res.table_path}, {res.json_path} and {len(res.figures)} figures in {res.out_dir}")
    return 0


def _note(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"note: {msg}", file=sys.stderr)


def cmd_train(args) -> int:
    from ..train.cliargs import run_training_command
    from .config import TextureGANConfig
    from .train import train

    cfg = TextureGANConfig(code_dim=args.code_dim, noise_channels=args.noise_channels, g_channels=args.g_channels,
                           g_fine=args.g_fine, e_channels=args.e_channels, d_channels=args.d_channels,
                           dz_hidden=args.dz_hidden, crop=args.crop, alpha1=args.alpha1, alpha2=args.alpha2,
                           beta1=args.beta1, beta2=args.beta2, porosity_weight=args.porosity_weight,
                           g_norm=args.norm, porosity_hard=args.porosity_on == "binary", g_ema=args.g_ema,
                           logit_margin=args.logit_margin, class_embed=int(args.class_embed),  # rows: from the data
                           class_porosity_weight=args.class_porosity_weight, d_projection=args.d_projection)
    return run_training_command(args, lambda tcfg, state: train(args.data, cfg, tcfg, pore=args.pore, state=state))


def _load(args):
    from ..shipped import resolve_model
    from .load import load_model

    path = resolve_model("texture", args.model)
    model = load_model(path, device=getattr(args, "device", "cpu"))
    return path, model


def cmd_classes(args) -> int:
    path, model = _load(args)
    rows = [{"class": c["name"], "training_porosity": round(c["porosity"], 6), "crops": c["n_crops"]}
            for c in model.class_info()]
    if args.json:
        print(json.dumps({"model": str(path), "step": model.step, "classes": rows, "notices": model.notices}, indent=2))
        return 0
    for n in model.notices:
        _note(n)
    if not rows:
        print(f"{path}: no fitted classes")
        return 0
    print(f"{path} (step {model.step}): {len(rows)} classes")
    width = max(len(r["class"]) for r in rows)
    for r in rows:
        print(f"  {r['class']:<{width}}  training porosity {r['training_porosity']:.4f}  "
              f"(code Gaussian of {r['crops']} crops)")
    return 0


def cmd_generate(args) -> int:
    from ..cli import make_state
    from ..jobs import new_seed
    from .generate import check_shape, generate_files

    check_shape(args.size)  # before loading anything
    seed = args.seed if args.seed is not None else new_seed()
    path, model = _load(args)
    state, progress, _ = make_state(args.quiet)
    written = generate_files(model, args.output, args.size, seed, cls=args.cls, example=args.example,
                             count=args.count, spread=args.spread, pore=args.pore, voxel_size_um=args.voxel_size,
                             state=state)
    progress.done()
    for n in model.notices + written.notices:
        _note(n)
    for w in written:
        what = f"class {args.cls}" if args.cls else f"like {Path(args.example).name}"
        print(f"wrote {w.path}: {'×'.join(map(str, w.shape))} (z×y×x), {what}, porosity {w.porosity:.4f}")
    print(f"seed {seed}")
    return 0


def cmd_export(args) -> int:
    from ..shipped import resolve_model
    from .export import export

    src = resolve_model("texture", args.checkpoint)
    out, model = export(src, args.output, half=args.half, data=args.data, pore=args.pore)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB) from {src} at step {model.step}; "
          f"classes: {', '.join(model.class_names())}")
    return 0


def main(argv=None) -> int:
    """Standalone entry (for tests and torchrun) with the same error handling as ``seqgen``."""
    from ..cli import module_main

    return module_main("python -m core.texture.cli", register, argv)


if __name__ == "__main__":
    sys.exit(main())
