"""The ``seqgen`` command line. Every command calls the same core functions as the GUI."""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import threading
from pathlib import Path

from . import __version__
from .cli_progress import ConsoleProgress
from .errors import Cancelled, SeqGenError
from .jobs import CancelToken, TaskState

# Modules that add their own sub-commands through ``register(subparsers)``; one per method.
COMMAND_MODULES: list[str] = ["core.rock.cli", "core.cleanup.cli", "core.video.cli", "core.texture.cli"]


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
    from .io import write_volume

    state, progress, _ = make_state(args.quiet)
    vol = load_volume_from_args(args, state.sub(0.0, 0.5))
    voxel = args.voxel_size or vol.voxel_size_um or 1.0
    meta = {k: v for k, v in vol.metadata.items() if k not in ("shape", "voxel_size_um")}
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
    p.add_argument("--voxel-size", type=float, metavar="MICRONS", help="voxel size in µm (default: from the file, else 1)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-permeability", action="store_true", help="skip the (slower) permeability")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add_volume_options(p)
    p.set_defaults(func=cmd_props)

    p = sub.add_parser("convert", help="convert a volume between formats (.tif, .npy, .vti, .stl)")
    p.add_argument("volume", help="input volume")
    p.add_argument("output", help="output file; the suffix picks the format")
    p.add_argument("--voxel-size", type=float, metavar="MICRONS")
    p.add_argument("-q", "--quiet", action="store_true")
    add_volume_options(p)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("info", help="versions and the compute devices found")
    p.set_defaults(func=cmd_info)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def run_command(args) -> int:
    """Run a parsed command: a user-facing error is one line and exit 1; a cancel exits 130."""
    try:
        return int(args.func(args) or 0)
    except Cancelled as e:
        print(f"\n{e}", file=sys.stderr)
        return 130
    except SeqGenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def module_main(prog: str, register, argv=None) -> int:
    """Parse ``argv`` with one method module's ``register`` and run it as ``run_command`` does."""
    parser = argparse.ArgumentParser(prog=prog)
    register(parser.add_subparsers(dest="command", required=True))
    return run_command(parser.parse_args(argv))


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
