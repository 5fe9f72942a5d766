"""The ``seqgen`` command line. Every command calls the same core functions as the GUI."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import signal
import sys
import threading
from pathlib import Path

from . import __version__
from .cli_progress import ConsoleProgress
from .errors import Cancelled, SeqGenError, Terminated
from .jobs import CancelToken, TaskState

# Modules that add their own sub-commands through ``register(subparsers)``; one per method.
COMMAND_MODULES: list[str] = ["core.rock.cli", "core.cleanup.cli", "core.video.cli", "core.texture.cli"]


# --- argument types: a bad number is an argparse error (one line, exit 2) before anything runs ---------------

MAX_SEED = 2**63 - 1  # torch.manual_seed takes a signed 64-bit integer


def seed_int(text: str) -> int:
    """``--seed``: a whole number in 0 … 2**63 − 1 (not nan, inf, -1 or 2**70)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number (a seed is 0 … {MAX_SEED})") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text} is outside 0 … {MAX_SEED} (2**63 − 1)")
    return value


def positive_int(text: str) -> int:
    """A whole number ≥ 1 (``--depth``, ``--count``, ``--size``, ...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (``--voxel-size``, ``--fps``): nan and inf are refused here, not deep in a writer."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} must be a finite number above 0")
    return value


def add_volume_options(p: argparse.ArgumentParser) -> None:
    """Options every command that reads a volume understands (RAW layout, pore phase)."""
    g = p.add_argument_group("reading the volume")
    g.add_argument("--raw-shape", type=int, nargs=3, metavar=("Z", "Y", "X"), help="shape of a .raw file")
    g.add_argument("--raw-dtype", default=None, help="data type of a .raw file (uint8, uint16, float32, ...)")
    g.add_argument("--byte-order", default="little", choices=["little", "big"], help="byte order of a .raw file")
    g.add_argument("--pore", default="auto", choices=["auto", "bright", "dark"],
                   help="which phase is pore in grey-level or two-valued data (default: auto)")


def load_volume_from_args(args, state: TaskState):
    """Read ``args.volume`` with the volume options and print the notices."""
    from .io import read_volume

    vol = read_volume(args.volume, raw_shape=args.raw_shape, raw_dtype=args.raw_dtype,
                      raw_byteorder=args.byte_order, pore=args.pore, state=state)
    for n in vol.notices:
        print(f"note: {n}", file=sys.stderr)
    return vol


def make_state(quiet: bool = False) -> tuple[TaskState, ConsoleProgress, CancelToken]:
    """A TaskState that prints progress and is cancelled by Ctrl+C (the job stops cleanly)."""
    token = CancelToken()
    progress = ConsoleProgress(quiet=quiet)
    if threading.current_thread() is threading.main_thread():
        def _on_sigint(signum, frame):
            if token.is_set():  # a second Ctrl+C stops at once
                raise KeyboardInterrupt
            print("\nStopping after the current step (Ctrl+C again to abort)...", file=sys.stderr)
            token.cancel()
        signal.signal(signal.SIGINT, _on_sigint)
    return TaskState(progress, token.is_set), progress, token


def cmd_props(args) -> int:
    from .properties import measure

    state, progress, _ = make_state(args.quiet or args.json)
    vol = load_volume_from_args(args, state.sub(0.0, 0.1))
    voxel = args.voxel_size or vol.voxel_size_um
    if voxel is None:
        voxel = 1.0
        print("note: the file does not give a voxel size; using 1 µm (set --voxel-size).", file=sys.stderr)
    report = measure(vol.array, voxel_size_um=voxel, permeability=not args.no_permeability,
                     state=state.sub(0.1, 1.0))
    progress.done()
    if args.json:
        d = report.to_dict()
        d["file"] = str(vol.path)
        d["notices"] = vol.notices
        print(json.dumps(d, indent=2))
    else:
        print(f"{vol.path.name}: {' × '.join(map(str, vol.array.shape[::-1]))} voxels (x × y × z), "
              f"voxel size {voxel:g} µm")
        width = max(len(r[0]) for r in report.rows())
        for name, value, unit in report.rows():
            v = f"{value:.6g}" if isinstance(value, float) else str(value)
            print(f"  {name:<{width}}  {v} {unit}".rstrip())
    return 0


def cmd_convert(args) -> int:
    from .io import check_output, write_volume

    check_output(args.output, inputs=[args.volume])  # before reading: never over the input
    state, progress, _ = make_state(args.quiet)
    vol = load_volume_from_args(args, state.sub(0.0, 0.5))
    voxel = args.voxel_size or vol.voxel_size_um or 1.0
    meta = {k: v for k, v in vol.metadata.items() if k not in ("shape", "voxel_size_um")}
    if Path(args.output).suffix.lower() == ".npy":  # uncompressed: the size is known (+ a header ≤ 4 KiB)
        check_output(args.output, inputs=[args.volume], nbytes=vol.array.nbytes + 4096)
    out = write_volume(args.output, vol.array, voxel_size_um=voxel, metadata=meta, state=state.sub(0.5, 1.0))
    progress.done()
    print(f"wrote {out}")
    return 0


def cmd_info(args) -> int:
    from .jobs import available_devices

    import numpy
    import torch

    print(f"SeqGen Studio {__version__}")
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, torch {torch.__version__}")
    print(f"devices: {', '.join(available_devices())}")
    from .resources import resources_dir

    print(f"resources: {resources_dir()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqgen", description="SeqGen Studio command line: measure, convert, train and generate.")
    parser.add_argument("--version", action="version", version=f"seqgen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("props", help="measure every property of a binary volume (1 = pore)",
                       description="Porosity, two-point correlation, Minkowski functionals and "
                                   "permeability (x, y, z, mD) of a volume.")
    p.add_argument("volume", help="TIFF stack, folder of slices, .raw, .npy or .npz")
    p.add_argument("--voxel-size", type=positive_float, metavar="MICRONS",
                   help="voxel size in µm (default: from the file, else 1)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-permeability", action="store_true", help="skip the (slower) permeability")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add_volume_options(p)
    p.set_defaults(func=cmd_props)

    p = sub.add_parser("convert", help="convert a volume between formats (.tif, .npy, .vti, .stl)")
    p.add_argument("volume", help="input volume")
    p.add_argument("output", help="output file; the suffix picks the format")
    p.add_argument("--voxel-size", type=positive_float, metavar="MICRONS")
    p.add_argument("-q", "--quiet", action="store_true")
    add_volume_options(p)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("info", help="versions and the compute devices found")
    p.set_defaults(func=cmd_info)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _on_sigterm(signum, frame):
    raise Terminated()


def run_command(args) -> int:
    """Run a parsed command: a user-facing error is one line and exit 1; a stop exits 130 (143 on SIGTERM).

    Ctrl+C (a second one: the first asks the job to stop after its step) and SIGTERM end the command
    through ``finally`` blocks, so no temporary file stays behind; errors of the machine (a write
    the disk refuses, memory running out) are one line too, not a traceback.
    """
    from .io import os_error_reason

    main_thread = threading.current_thread() is threading.main_thread()
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    try:
        if main_thread:
            signal.signal(signal.SIGTERM, _on_sigterm)
        return int(args.func(args) or 0)
    except Cancelled as e:
        print(f"\n{e}", file=sys.stderr)
        return 130
    except SeqGenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Terminated:
        print("\nStopped (terminated); nothing half-written was left behind.", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("\nAborted; nothing half-written was left behind.", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: there is not enough memory for this job; try a smaller size.", file=sys.stderr)
        return 1
    except OSError as e:
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"error: {os_error_reason(e)}{where}.", file=sys.stderr)
        return 1
    finally:
        for sig, handler in saved.items():  # in-process callers (tests, the GUI) get their handlers back
            signal.signal(sig, handler)


def module_main(prog: str, register, argv=None) -> int:
    """Parse ``argv`` with one method module's ``register`` and run it as ``run_command`` does."""
    parser = argparse.ArgumentParser(prog=prog)
    register(parser.add_subparsers(dest="command", required=True))
    return run_command(parser.parse_args(argv))


def main(argv=None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:  # Ctrl+C while the modules load
        print("\nAborted.", file=sys.stderr)
        return 130
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_command(args)


def entry() -> None:
    """The process entry (``seqgen``, ``python -m core.cli``): exit with main's status, even on a late Ctrl+C.

    ``run_command`` gives the caller's SIGINT handler back when it ends; a second Ctrl+C that lands
    between that and the process's exit would otherwise kill it by the signal (status -2, not 130).
    """
    try:
        code = main()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the job is over: only the exit is left
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    entry()
