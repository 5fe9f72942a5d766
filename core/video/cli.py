"""``seqgen video train-vqvae | train-lvt | continue``; ``register(subparsers)`` is wired into core.cli.

    seqgen video train-vqvae --out DIR [--data FOLDER] [--downsample 8] [--steps N] ...
    seqgen video train-lvt --vqvae VQ.pt --out DIR [--data FOLDER] [--frames 20 --context 10] ...
    seqgen video continue --model NAME|PATH --input CLIP --context T0 --frames N -o OUT
                          [--samples K --temperature T --top-k K --seed S]
    seqgen video export CHECKPOINT OUT.pt [--half]
    seqgen video eval --model NAME|PATH [--n 256] [--context 10] [--frames 10] [--samples 1] [--seed 0] [--out DIR]

Standalone (tests, torchrun): ``python -m core.video.cli video train-lvt ...``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from ..cli import positive_float, positive_int, seed_int
from ..train.cliargs import add_precision_option, add_time_limit_option

DEFAULT_MODEL = "mnist"  # resources/models/video_mnist.pt once shipped
TEST_PREFIX = "mnist-test:"
DIGIT_READER = "eval_digits"  # resources/models/eval_digits.pt: the evaluation's digit reader (not a video model)


def register(subparsers) -> None:
    """Add the ``video`` command group to a ``seqgen`` argparse sub-parser set."""
    video = subparsers.add_parser("video", help="video continuation (Latent Video Transformer)",
                                  description="Continue clips with a VQ-VAE + latent transformer; train both.")
    sub = video.add_subparsers(dest="video_command", metavar="ACTION", required=True)

    p = sub.add_parser("train-vqvae", help="train (or resume) the frame VQ-VAE",
                       description="Frames of Moving MNIST built from the training digits only (default), or of "
                                   "the clips in --data. Multi-GPU: torchrun --nproc_per_node=N -m core.video.cli "
                                   "video train-vqvae ...")
    _add_run_options(p, steps=20000, batch=64, lr=1e-3)
    p.add_argument("--size", type=positive_int, default=64, help="frame edge in pixels, multiple of the grid "
                                                                 "factor (default 64)")
    p.add_argument("--downsample", type=positive_int, default=8, metavar="F",
                   help="latent grid factor, a power of two: 8 gives 8×8 codes per part for 64×64 frames, 4 gives "
                        "16×16 (default 8)")
    p.add_argument("--channels", type=int, default=64, help="encoder/decoder width (default 64)")
    p.add_argument("--embed-dim", type=int, default=64, help="latent vector size D (default 64)")
    p.add_argument("--parts", type=int, default=2, help="n_c: codes per latent position (default 2)")
    p.add_argument("--codebook-size", type=int, default=256, help="K: entries per part codebook (default 256)")
    p.set_defaults(func=cmd_train_vqvae)

    p = sub.add_parser("train-lvt", help="train (or resume) the latent transformer on a frozen VQ-VAE",
                       description="Teacher forcing on clips of --frames frames (Moving MNIST training digits by "
                                   "default): every code is predicted from all codes before it in one causal "
                                   "window; the given --context frames' codes weigh --context-weight in the loss. "
                                   "The VQ-VAE is stored with it.")
    _add_run_options(p, steps=50000, batch=16, lr=3e-4)
    p.add_argument("--vqvae", required=True, metavar="PATH", help="trained VQ-VAE checkpoint or run folder")
    p.add_argument("--frames", type=positive_int, default=20, help="frames per window: given + predicted (default 20)")
    p.add_argument("--context", type=positive_int, default=10, help="given frames per window (default 10)")
    p.add_argument("--context-weight", type=float, default=1.0, metavar="W",
                   help="loss weight of the given frames' codes, 0 … 1 (default 1: all codes alike)")
    p.add_argument("--dim", type=positive_int, default=128, help="model width (default 128)")
    p.add_argument("--heads", type=positive_int, default=4, help="attention heads (default 4)")
    p.add_argument("--layers", type=positive_int, default=4, help="transformer blocks (default 4)")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--prev-frames", type=int, default=0, metavar="F",
                   help="also feed each position the codes near it in the F frames before (0: off, the shipped "
                        "format; 2 gives position and motion)")
    p.add_argument("--prev-radius", type=int, default=1, metavar="R",
                   help="neighbourhood of those codes, (2R+1)² latent positions (default 1)")
    p.set_defaults(func=cmd_train_lvt)

    p = sub.add_parser("continue", help="generate the continuation of a clip",
                       description="Reads the first --context frames of the clip and generates --frames more: "
                                   "by default the most likely continuation (greedy, no randomness); with "
                                   "--samples K (temperature 1 unless given) or --temperature T > 0, sampled ones "
                                   "(same seed, same output). Output: OUT.mp4, OUT.gif or OUT.npy (uint8 "
                                   "frames×H×W: the context frames followed by the generated ones); with "
                                   "--samples > 1, OUT_001.ext, OUT_002.ext, ...; the settings and the seed go "
                                   "to OUT.json beside them.")
    p.add_argument("--model", default=DEFAULT_MODEL, help="shipped model name, checkpoint or run folder")
    p.add_argument("--input", required=True, metavar="CLIP",
                   help=f"MP4/AVI/MOV, GIF, .npy, a folder of frames, or {TEST_PREFIX}I (test sequence I)")
    p.add_argument("--context", type=int, default=None, metavar="T0", help="given frames (default: the model's)")
    p.add_argument("--frames", type=positive_int, default=10, metavar="N", help="frames to generate (default 10)")
    p.add_argument("--samples", type=positive_int, default=1, metavar="K", help="continuations (default 1)")
    p.add_argument("--seed", type=seed_int, default=None,
                   help="random seed of sampled continuations (default: a new one, printed and saved)")
    _add_sampling_options(p)
    p.add_argument("--no-cache", action="store_true", help="recompute the prefix at every token (slow; for checks)")
    p.add_argument("--fps", type=positive_float, default=10.0, help="frame rate of MP4/GIF outputs (default 10)")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_continue)

    p = sub.add_parser("eval", help="metrics on the fixed Moving MNIST test set (ours vs copy-last)",
                       description="Given --context frames of each of --n fixed test sequences (test digits only), "
                                   "predicts --frames; per-frame MSE (sum over pixels), PSNR, SSIM for ours, "
                                   "copy-last-frame and VQ-VAE reconstruction; bits per latent code; pixel-"
                                   "histogram KL. Writes eval.md, eval.json and per_frame.png to --out.")
    p.add_argument("--model", default=DEFAULT_MODEL, help="shipped model name, checkpoint or run folder")
    p.add_argument("--n", type=int, default=256, help="test sequences (default 256)")
    p.add_argument("--context", type=int, default=10, help="given frames (default 10)")
    p.add_argument("--frames", type=positive_int, default=10, help="predicted frames (default 10)")
    p.add_argument("--samples", type=positive_int, default=1, help="continuations per sequence (default 1)")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--batch", type=positive_int, default=16, help="sequences generated at once (default 16)")
    _add_sampling_options(p)
    p.add_argument("--out", default="docs/results/video", metavar="DIR", help="report folder (default docs/results/video)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--digits", default=None, metavar="MODEL",
                   help=f"digit reader for the 'same digits at the last frame' check (default "
                        f"resources/models/{DIGIT_READER}.pt when present; 'none' skips it)")
    p.add_argument("--examples", type=int, default=8, metavar="K",
                   help="sequences shown in examples.png, given | true | ours (default 8; 0: none)")
    p.set_defaults(func=lambda a: __import__("core.video.evaluate", fromlist=["cmd_eval"]).cmd_eval(a))

    p = sub.add_parser("train-digits", help="train the digit reader used by `video eval`",
                       description="A small CNN that reads which digits a 64×64 Moving MNIST frame shows, trained "
                                   "on frames of the training digits only (blur and noise added); used to check "
                                   "that continuations keep their digits.")
    p.add_argument("--steps", type=positive_int, default=4000)
    p.add_argument("--batch", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=2e-3)
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--out", default=f"resources/models/{DIGIT_READER}.pt", metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_train_digits)

    p = sub.add_parser("export", help="make a small model file to ship from a training checkpoint",
                       description="Keeps the weights (for a transformer also its VQ-VAE), the config and the "
                                   "training provenance; drops optimiser and random states.")
    p.add_argument("checkpoint", help="training checkpoint (last.pt, step_*.pt) or run folder")
    p.add_argument("output", help="model file to write (.pt), e.g. resources/models/video_mnist.pt")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the size)")
    p.set_defaults(func=cmd_export)


def non_negative_float(text: str) -> float:
    """argparse type: a finite number ≥ 0."""
    import argparse
    import math

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got '{text}')") from None
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"must be 0 or a positive number (got '{text}')")
    return v


def _add_sampling_options(p) -> None:
    p.add_argument("--temperature", type=non_negative_float, default=None, metavar="T",
                   help="0: the most likely continuation (greedy; the default for one sample); > 0: sampled "
                        "(the default is 1 with --samples > 1)")
    p.add_argument("--top-k", type=positive_int, default=None, metavar="K",
                   help="sample among the K most likely codes only (with a temperature > 0)")


def _add_run_options(p, *, steps: int, batch: int, lr: float) -> None:
    p.add_argument("--data", default=None, metavar="FOLDER", help="folder of your clips (default: Moving MNIST)")
    p.add_argument("--steps", type=int, default=steps, help=f"total training steps (default {steps})")
    p.add_argument("--batch", type=int, default=batch, help=f"samples per step per process (default {batch})")
    p.add_argument("--lr", type=float, default=lr, help=f"Adam step size (default {lr:g})")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder: checkpoints and log.csv")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, default=500, metavar="N")
    add_time_limit_option(p)
    add_precision_option(p, "auto", "CUDA uses fp16 AMP instead (--no-amp: float32)")
    p.add_argument("--log-every", type=int, default=10, metavar="N")
    p.add_argument("--check-every", type=int, default=250, metavar="N", help="validation check every N steps (0 = off)")
    p.add_argument("--seed", type=seed_int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def _note(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"note: {msg}", file=sys.stderr)


def _run_training(args, train_fn) -> int:
    from ..train.cliargs import run_training_command

    return run_training_command(args, train_fn)


def _clips(args, size: int, min_frames: int):
    if not args.data:
        return None
    from .clipio import read_clip_folder

    clips, notes = read_clip_folder(args.data, size, min_frames)
    for n in notes:
        _note(n, int(os.environ.get("RANK", "0")) != 0)
    return clips


def cmd_train_vqvae(args) -> int:
    from .config import VQVAEConfig
    from .train import train_vqvae

    cfg = VQVAEConfig(size=args.size, channels=args.channels, embed_dim=args.embed_dim, n_parts=args.parts,
                      codebook_size=args.codebook_size, downsample=args.downsample)
    clips = _clips(args, cfg.size, 1)
    return _run_training(args, lambda tcfg, state: train_vqvae(cfg, tcfg, clips=clips, state=state))


def cmd_train_lvt(args) -> int:
    from ..shipped import resolve_model
    from .config import LVTConfig
    from .loader import load_vqvae
    from .train import train_lvt

    vq_path = resolve_model("video", args.vqvae)
    vq, _ = load_vqvae(vq_path)
    vc = vq.cfg
    cfg = LVTConfig(frames=args.frames, context=args.context, height=vc.latent, width=vc.latent, n_parts=vc.n_parts,
                    codebook_size=vc.codebook_size, dim=args.dim, heads=args.heads, layers=args.layers,
                    dropout=args.dropout, context_weight=args.context_weight, vqvae=vc.to_dict(),
                    prev_frames=args.prev_frames, prev_radius=args.prev_radius)
    clips = _clips(args, vc.size, cfg.frames)
    return _run_training(args, lambda tcfg, state: train_lvt(cfg, vq_path, tcfg, clips=clips, state=state))


def read_input(spec: str, size: int) -> tuple:
    """(frames uint8 (T, size, size), notices) from a clip path or ``mnist-test:I``."""
    from ..errors import InputError
    from .clipio import read_clip

    if spec.startswith(TEST_PREFIX):
        from .mnist import fixed_test_set

        try:
            i = int(spec[len(TEST_PREFIX):])
        except ValueError:
            raise InputError(f"Write a test sequence as {TEST_PREFIX}I with a number I (got '{spec}').") from None
        if not 0 <= i < 10_000:
            raise InputError("The test sequence number must lie in 0 … 9999.")
        return fixed_test_set(i + 1, size=size)[i], [f"Moving MNIST test sequence {i} (test digits only)."]
    return read_clip(spec, size)


def cmd_continue(args) -> int:
    import numpy as np

    from ..cli import make_state
    from ..errors import InputError
    from ..io import check_disk, check_outputs, numbered_paths
    from ..jobs import new_seed, select_device
    from ..shipped import resolve_model
    from .clipio import write_clip
    from .loader import load_lvt
    from .sampling import continue_clip, resolve_temperature

    if Path(args.output).suffix.lower() not in (".mp4", ".gif", ".npy"):
        raise InputError(f"The output must end in .mp4, .gif or .npy (got {Path(args.output).name}).")
    if args.frames < 1 or args.samples < 1:
        raise InputError("--frames and --samples must be at least 1.")
    temperature = resolve_temperature(args.temperature, args.samples)
    paths = numbered_paths(args.output, args.samples)
    settings_path = Path(args.output).with_suffix(".json")
    check_outputs(paths + [settings_path], inputs=[] if args.input.startswith(TEST_PREFIX) else [args.input])
    model_path = resolve_model("video", args.model)
    loaded = load_lvt(model_path, device=select_device(args.device))
    cfg = loaded.model.cfg
    t0 = cfg.context if args.context is None else args.context
    if t0 < cfg.context:
        raise InputError(f"This model needs at least {cfg.context} context frames (got --context {t0}).")
    frames, notes = read_input(args.input, loaded.vqvae.cfg.size)
    for n in notes:
        _note(n)
    if len(frames) < t0:
        raise InputError(f"The clip has {len(frames)} frame(s), fewer than the {t0} context frames asked for.")
    if t0 > cfg.context:
        _note(f"The model looks at the last {cfg.context} of the {t0} context frames.")
    if temperature == 0 and args.top_k is not None:
        _note("--top-k has no effect on the most likely continuation (temperature 0).")
    size = loaded.vqvae.cfg.size  # .npy is uncompressed (exact); MP4 and GIF are smaller
    check_disk(len(paths) * (t0 + args.frames) * size * size // (1 if paths[0].suffix.lower() == ".npy" else 64),
               paths[0], f"Writing {len(paths)} clip(s)")
    seed = args.seed if args.seed is not None else new_seed()
    state, progress, _ = make_state(args.quiet)
    out = continue_clip(loaded, frames[:t0], args.frames, samples=args.samples, seed=seed, temperature=temperature,
                        top_k=args.top_k, use_cache=not args.no_cache, state=state)
    progress.done()
    for path, clip in zip(paths, out):
        write_clip(path, np.ascontiguousarray(clip), fps=args.fps)
        print(f"wrote {path}: {t0} given + {args.frames} generated frames of {clip.shape[2]}×{clip.shape[1]}")
    write_settings(settings_path, model=model_path, step=loaded.step, input=args.input, context=t0,
                   frames=args.frames, samples=args.samples, temperature=temperature, top_k=args.top_k, seed=seed,
                   files=[p.name for p in paths])
    how = "the most likely continuation (temperature 0: the seed is not used)" if temperature == 0 else f"seed {seed}"
    print(f"{how}; settings in {settings_path}")
    return 0


def write_settings(path, *, temperature: float, seed: int, **fields) -> Path:
    """The settings of a continuation (seed included) as JSON beside its clips (atomic)."""
    import datetime as dt
    import json

    from .. import __version__
    from ..io import atomic_path

    data = {"mode": "most likely (greedy)" if temperature == 0 else "sampled", "temperature": temperature,
            "seed": int(seed), "seed_used": temperature > 0, **{k: (str(v) if isinstance(v, Path) else v)
                                                                for k, v in fields.items()},
            "seqgen_version": __version__, "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return Path(path)


def cmd_train_digits(args) -> int:
    from ..cli import make_state
    from .digits import save_reader, train_reader

    state, progress, _ = make_state(args.quiet)
    model, summary = train_reader(steps=args.steps, batch=args.batch, lr=args.lr, seed=args.seed, state=state)
    progress.done()
    summary["command"] = "seqgen " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["video"] else None
    out = save_reader(model, args.out, summary)
    print(f"wrote {out}: exact reading of {summary['val_exact']:.1%} of 1000 validation frames (training digits, "
          f"separate stream), {summary['seconds']:.0f} s")
    return 0


def cmd_export(args) -> int:
    from ..shipped import resolve_model
    from ..train.export import export_verified
    from .config import LVT_KIND, VQ_KIND
    from ..train import load_checkpoint
    from .loader import load_lvt, load_vqvae, read_checkpoint

    src = resolve_model("video", args.checkpoint)
    kind = load_checkpoint(src)["kind"]
    if kind in (VQ_KIND, LVT_KIND):
        read_checkpoint(src, kind)  # an old format is refused before anything is written
    choices = {VQ_KIND: (["vqvae"], load_vqvae), LVT_KIND: (["lvt", "vqvae"], load_lvt)}
    out, kind, _ = export_verified(src, args.output, choices, half=args.half, command="video export")
    print(f"wrote {out} ({out.stat().st_size / 2**20:.2f} MiB, {kind}) from {src}")
    return 0


def main(argv=None) -> int:
    """Standalone entry (tests, torchrun) with the same error handling as ``seqgen``."""
    from ..cli import module_main

    return module_main("python -m core.video.cli", register, argv)


if __name__ == "__main__":
    sys.exit(main())
