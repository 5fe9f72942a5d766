"""``seqgen clean``: clean scans (files or folders), and ``clean train | eval | export``.

    seqgen clean IN... -o OUTDIR [--threshold T] [--model NAME|PATH]
    seqgen clean train --steps N --crop 256 --batch B --out DIR [--resume] [--device D]
    seqgen clean eval [--model M] [--set heldout|valgen] [--n 100] [--pairs SCANDIR GTDIR]
    seqgen clean export CHECKPOINT OUT.pt [--half]

``register(subparsers)`` adds the group to ``seqgen`` (core.cli.COMMAND_MODULES). Because the
batch form takes free file names and the actions are words, the ``clean`` parser hands all its
arguments to one of four inner parsers (a file literally named "train" is given as ./train).
Standalone (tests, torchrun): ``python -m core.cleanup.cli clean train ...``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from ..train.cliargs import add_precision_option, add_time_limit_option

ACTIONS = ("train", "eval", "export")
USAGE = """usage: seqgen clean IN... -o OUTDIR [--threshold T] [--model NAME|PATH] [options]
       seqgen clean train --steps N --crop 256 --batch B --out DIR [--resume] [--device D]
       seqgen clean eval [--model M] [--set heldout|valgen] [--n 100] [--pairs SCANDIR GTDIR]
       seqgen clean export CHECKPOINT OUT.pt [--half]

Clean scanned technical drawings into binary line art with a U-Net (black lines on white).
Run 'seqgen clean --help', 'seqgen clean train --help', ... for the options of each form."""


def register(subparsers) -> None:
    """Add the ``clean`` command to a ``seqgen`` argparse sub-parser set."""
    p = subparsers.add_parser("clean", help="clean scanned technical drawings (U-Net); also clean train/eval/export",
                              add_help=False, prefix_chars="\x01", usage=USAGE, description=USAGE)
    p.add_argument("argv", nargs="*")
    p.set_defaults(func=cmd_clean)


def _batch_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seqgen clean", description="Clean scans (PNG, TIFF incl. multi-page, JPEG, BMP) given as files or "
        "folders (searched recursively). Outputs go to OUTDIR: TIFF stays TIFF (one page per input page), "
        "the rest become 1-bit PNG; black lines on white. Inputs are never overwritten; unreadable files are "
        "skipped and listed at the end and in OUTDIR/cleanup_report.txt; a rerun keeps finished outputs. "
        "Exit status 1 if any file failed.",
        epilog="Other forms: seqgen clean train | eval | export (each with --help).")
    p.add_argument("inputs", nargs="+", metavar="IN", help="scan files or folders")
    p.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="output folder (created if needed)")
    p.add_argument("--threshold", type=float, default=0.5, metavar="T",
                   help="line probability from which a pixel is ink (0–1, default 0.5; lower keeps fainter lines)")
    p.add_argument("--model", default=None, metavar="NAME|PATH",
                   help="shipped model name, checkpoint or training run folder (default: resources/models/cleanup_unet.pt)")
    p.add_argument("--redo", action="store_true", help="clean again files whose output already exists")
    p.add_argument("--tile", type=int, default=1024, help="largest tile edge in pixels (default 1024; memory grows with it)")
    p.add_argument("--overlap", type=int, default=64, help="overlap of neighbouring tiles in pixels (default 64)")
    p.add_argument("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="auto (default): bfloat16 on CPUs that compute it natively, else float32")
    p.add_argument("--views", type=int, default=4, choices=[1, 4, 8],
                   help="average the U-Net over 1, 4 (flips; default) or 8 (flips and transposes) views of each "
                        "scan: slightly better lines, that many passes of the network")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


def _train_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seqgen clean train", description="Train (or resume) the cleanup U-Net on synthetic technical "
        "drawings generated on the fly (training seeds < 2**60; the held-out set uses 2**61 + i). "
        "Multi-GPU: torchrun --nproc_per_node=N -m core.cleanup.cli clean train ...")
    p.add_argument("--steps", type=int, default=20000, help="total training steps (default 20000)")
    p.add_argument("--crop", type=int, default=256, help="crop edge in pixels, multiple of 2**depth (default 256)")
    p.add_argument("--batch", type=int, default=8, help="crops per step per process (default 8)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam step size (default 1e-3)")
    p.add_argument("--base-width", type=int, default=8, help="channels at full resolution (default 8)")
    p.add_argument("--depth", type=int, default=4, help="down-samplings (default 4)")
    p.add_argument("--pos-weight", type=float, default=1.0, help="BCE weight of line pixels (default 1)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder: checkpoints and log.csv")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, default=500, metavar="N", help="checkpoint every N steps (default 500)")
    add_time_limit_option(p)
    add_precision_option(p, "auto", "a U-Net step is ~3x faster in bf16 with channels_last on a Zen 5 core, "
                         "same validation IoU (docs/results/cleanup_valgen)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="processes drawing the synthetic samples (default 0: this process; use several on a GPU)")
    p.add_argument("--log-every", type=int, default=10, metavar="N", help="log mean losses every N steps (default 10)")
    p.add_argument("--check-every", type=int, default=250, metavar="N",
                   help="validation IoU on 4 fixed crops every N steps (0 = off, default 250)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


def _eval_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seqgen clean eval", description="IoU of line pixels, PSNR and F-measure for ours, Otsu and Sauvola "
        "on the fixed held-out synthetic set (seeds 2**61 + i, never trained on) or, with --set valgen, on the "
        "independent validation generator, and, with --pairs, on a "
        "folder of scans and a folder of ground truths matched by file name. Markdown + JSON to OUT.")
    p.add_argument("--model", default=None, help="shipped name, checkpoint or run folder (default: the shipped model)")
    p.add_argument("--baselines-only", action="store_true", help="only Otsu and Sauvola (no model needed)")
    p.add_argument("--set", default="heldout", choices=["heldout", "valgen"],
                   help="synthetic set: heldout (default; the training generator's held-out seeds 2**61 + i, "
                        "written as heldout.md/.json) or valgen (the independent validation generator "
                        "core/cleanup/valgen.py, seeds 3·2**60 + i, written as valgen.md/.json with the share "
                        "of images where ours beats both Otsu and Sauvola)")
    p.add_argument("--n", type=int, default=100, help="synthetic images (default 100; 0 = skip the synthetic set)")
    p.add_argument("--size", type=int, default=512, help="synthetic image edge in pixels (default 512)")
    p.add_argument("--pairs", nargs=2, metavar=("SCANDIR", "GTDIR"), help="your scans and their ground truths")
    p.add_argument("--threshold", type=float, default=0.5, help="our threshold (default 0.5)")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default docs/results/cleanup)")
    p.add_argument("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="auto (default): bfloat16 on CPUs that compute it natively, else float32")
    p.add_argument("--views", type=int, nargs="+", default=[1, 4], choices=[1, 4, 8], metavar="V",
                   help="one row of ours per view count (default 1 4): 1 = the scan as it is, 4 = mean over flips "
                        "(what `seqgen clean` uses by default), 8 = flips and transposes")
    p.add_argument("-q", "--quiet", action="store_true")
    return p


def _export_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seqgen clean export",
                                description="A small model file to ship from a training checkpoint (weights, "
                                            "config, provenance; no optimiser or random states).")
    p.add_argument("checkpoint", help="training checkpoint (last.pt, step_*.pt) or run folder")
    p.add_argument("output", help="model file to write (.pt), e.g. resources/models/cleanup_unet.pt")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the size)")
    return p


def cmd_clean(args) -> int:
    argv = list(args.argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE + "\n")
        _batch_parser().print_help()
        return 0 if argv else 2
    action = argv[0] if argv[0] in ACTIONS else None
    make_parser, run = FORMS[action or "batch"]
    sub = make_parser().parse_args(argv[1:] if action else argv)
    sub.command_line = "seqgen clean " + " ".join(shlex.quote(a) for a in argv)
    return run(sub)


def _note(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"note: {msg}", file=sys.stderr)


def cmd_batch(args) -> int:
    from ..cli import make_state
    from ..errors import Cancelled
    from .batch import REPORT_NAME, plan_batch, run_batch
    from .infer import load_model

    plan = plan_batch(args.inputs, args.out)  # refusals happen here, before a model is loaded
    model = load_model(args.model, device=args.device, precision=args.precision, views=args.views)
    state, progress, _ = make_state(args.quiet)
    try:
        report = run_batch(plan, model, threshold=args.threshold, redo=args.redo, tile=args.tile,
                           overlap=args.overlap, state=state)
    except Cancelled:  # run_batch wrote the report of what was done
        progress.done()
        print(f"Finished outputs are kept; run the same command again to resume. "
              f"Report: {plan.out_dir / REPORT_NAME}", file=sys.stderr)
        raise
    progress.done()
    print(report.summary())
    for j in report.failed:
        print(f"  failed: {j.src}: {j.message}", file=sys.stderr)
    for n in report.notices:
        _note(n)
    if report.report_path:
        print(f"report: {report.report_path}")
    return 1 if report.failed else 0


def cmd_train(args) -> int:
    from ..train.cliargs import run_training_command
    from .config import UNetConfig
    from .train import train

    cfg = UNetConfig(base_width=args.base_width, depth=args.depth, crop=args.crop, pos_weight=args.pos_weight)
    return run_training_command(args, lambda tcfg, state: train(cfg, tcfg, state=state, workers=args.workers))


def cmd_eval(args) -> int:
    from ..cli import make_state
    from ..errors import InputError
    from .evaluate import evaluate_heldout, evaluate_pairs, write_results
    from .infer import load_model

    if args.n <= 0 and not args.pairs:
        raise InputError("Nothing to evaluate: give --n > 0 and/or --pairs SCANDIR GTDIR.")
    model = None if args.baselines_only else load_model(args.model, device=args.device, precision=args.precision)
    desc = "none (baselines only)" if model is None else model.describe()
    state, progress, _ = make_state(args.quiet)
    jobs = ([args.set] if args.n > 0 else []) + (["pairs"] if args.pairs else [])
    for i, what in enumerate(jobs):
        sub = state.sub(i / len(jobs), (i + 1) / len(jobs))
        if what == "heldout":
            res = evaluate_heldout(model, args.n, size=args.size, threshold=args.threshold, views=args.views,
                                   state=sub)
        elif what == "valgen":
            from .valgen_eval import evaluate_valgen

            res = evaluate_valgen(model, args.n, size=args.size, threshold=args.threshold, views=args.views,
                                  state=sub)
        else:
            res = evaluate_pairs(model, *args.pairs, threshold=args.threshold, views=args.views, state=sub)
        md, js = write_results(res, what, args.out, model_desc=desc, command=args.command_line)
        progress.done()
        print(f"{res['set']} ({res['n']} images):")
        for name, r in res["methods"].items():
            m = r["mean"]
            print(f"  {name:<32} IoU {100 * m['iou']['mean']:6.2f} %  PSNR {m['psnr']['mean']:6.2f} dB  "
                  f"F {100 * m['f_measure']['mean']:6.2f} %")
        for name, share in res.get("beats_both", {}).items():
            print(f"  {name:<32} above Otsu and Sauvola on {100 * share:5.1f} % of images")
        for n in res.get("notes", []):
            _note(n)
        print(f"wrote {md} and {js}")
    return 0


def cmd_export(args) -> int:
    from ..shipped import resolve_model
    from ..train.export import export_model
    from .infer import load_model
    from .task import KIND

    src = resolve_model("cleanup", args.checkpoint)
    out = export_model(src, args.output, kind=KIND, keep_models=["unet"], half=args.half)
    model = load_model(out)  # prove the exported file loads before saying so
    print(f"wrote {out} ({out.stat().st_size / 2**10:.0f} KiB) from {src} at step {model.step}")
    return 0


# (parser, handler) of each form; the batch form is the one without an action word
FORMS = {"batch": (_batch_parser, cmd_batch), "train": (_train_parser, cmd_train),
         "eval": (_eval_parser, cmd_eval), "export": (_export_parser, cmd_export)}


def main(argv=None) -> int:
    """Standalone entry (tests, torchrun) with the same error handling as ``seqgen``."""
    from ..cli import module_main

    return module_main("python -m core.cleanup.cli", register, argv)


if __name__ == "__main__":
    sys.exit(main())
