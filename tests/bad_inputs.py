"""The bad-input tests' input files, refusal check (one line, nothing changed or left) and writing subcommands."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile

from core.cli import main

ROOT = Path(__file__).resolve().parents[1]
LONG = "n" * 300  # longer than any file system's name limit (255 bytes)
ALLOWED_NEW = {"cleanup_report.txt"}  # what `seqgen clean` writes on purpose when a scan fails


# --- inputs ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> Path:
    """Good and broken input files, made once."""
    d = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    vol = (rng.random((16, 16, 16)) > 0.6).astype(np.uint8)
    tifffile.imwrite(d / "vol.tif", vol)
    np.save(d / "vol.npy", vol)
    vol.tofile(d / "vol.raw")
    tifffile.imwrite(d / "grey.tif", (rng.random((16, 16, 16)) * 255).astype(np.uint8))
    s = (rng.random((32, 32)) > 0.6).astype(np.uint8)
    tifffile.imwrite(d / "slice.tif", s)
    cv2.imwrite(str(d / "slice.png"), s * 255)
    cv2.imwrite(str(d / "tiny.png"), s[:4, :4] * 255)
    cv2.imwrite(str(d / "scan.png"), np.where(rng.random((48, 48)) > 0.95, 0, 255).astype(np.uint8))
    np.save(d / "clip.npy", (rng.random((4, 64, 64)) * 255).astype(np.uint8))
    for name in ("empty.tif", "empty.npy", "empty.png"):
        (d / name).write_bytes(b"")
    for good, bad in (("vol.tif", "trunc.tif"), ("vol.npy", "trunc.npy"), ("scan.png", "trunc.png")):
        data = (d / good).read_bytes()
        (d / bad).write_bytes(data[: len(data) // 2])
    (d / "corrupt.tif").write_bytes(b"II*\x00" + b"garbage" * 20)
    (d / "text.tif").write_text("this is not an image\n")
    np.save(d / "complex.npy", np.zeros((4, 4, 4), np.complex64))
    np.save(d / "f16.npy", np.zeros((4, 4, 4), np.float16))
    np.save(d / "flat.npy", np.zeros((16, 16), np.uint8))  # 2D where a volume is expected
    np.save(d / "obj.npy", np.array([None] * 8, dtype=object).reshape(2, 2, 2), allow_pickle=True)
    return d


@pytest.fixture
def work(tmp_path, originals):
    """(inputs, outputs) of one test: a fresh copy of the inputs, and an output folder holding a
    folder named like an output (adir.tif, adir.npy) and a file (afile.txt)."""
    inp = tmp_path / "in"
    shutil.copytree(originals, inp)
    out = tmp_path / "out"
    out.mkdir()
    (out / "adir.tif").mkdir()
    (out / "adir.npy").mkdir()
    (out / "afile.txt").write_text("x")
    return inp, out


def snapshot(*folders: Path) -> dict:
    """Every entry under ``folders`` (hidden ones too) → the hash of its bytes, or 'dir'."""
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            out[str(p)] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run(argv) -> int:
    try:
        return int(main([str(a) for a in argv]))
    except SystemExit as e:  # argparse refusals
        return int(e.code)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "error:" in line]


def assert_refused(capsys, work, argv, expect: str | None = None, allowed_new=()) -> str:
    """``argv`` fails with one clear line, exit 1 or 2, no traceback, inputs unchanged, nothing left."""
    before = snapshot(*work)
    rc = run(argv)
    err = capsys.readouterr().err
    assert rc in (1, 2), f"exit {rc}: {err}"
    assert "Traceback" not in err, err
    lines = error_lines(err)
    assert len(lines) == 1, err
    if expect:
        assert re.search(expect, lines[0], re.I), lines[0]
    after = snapshot(*work)
    new = {Path(k).name for k in after.keys() - before.keys()}
    assert new <= set(allowed_new), f"left behind: {new}"
    assert {k: v for k, v in after.items() if k in before} == before, "an input or existing file changed"
    return lines[0]


# --- the subcommands and their output path -----------------------------------------------------

def convert_argv(i, o):
    return ["convert", i / "vol.tif", o]


def rock_argv(i, o, *extra):
    return ["rock", "generate", "--slice", i / "slice.tif", "--depth", "4", "--seed", "1", "--device", "cpu",
            "-q", "-o", o, *extra]


def texture_argv(i, o, *extra):
    return ["texture", "generate", "--class", "berea", "--size", "16", "--seed", "1", "--device", "cpu", "-q",
            "-o", o, *extra]


def video_argv(i, o, *extra):
    return ["video", "continue", "--input", i / "clip.npy", "--frames", "1", "--seed", "1", "--device", "cpu",
            "-q", "-o", o, *extra]


def clean_argv(i, o):
    return ["clean", i / "scan.png", "-q", "-o", o]


# name: (argv for an output, output suffix, argv that writes over its own input)
WRITERS = {
    "convert": (convert_argv, ".npy", lambda i, o: ["convert", i / "vol.tif", i / "vol.tif"]),
    "convert-grey": (convert_argv, ".tif", lambda i, o: ["convert", i / "grey.tif", i / "grey.tif"]),
    "rock": (rock_argv, ".tif", lambda i, o: rock_argv(i, i / "slice.tif")),
    "texture": (texture_argv, ".tif", lambda i, o: ["texture", "generate", "--example", i / "vol.tif", "--size", "16",
                                                "--seed", "1", "--device", "cpu", "-q", "-o", i / "vol.tif"]),
    "video": (video_argv, ".npy", lambda i, o: video_argv(i, i / "clip.npy")),
    "clean": (clean_argv, "", lambda i, o: clean_argv(i, i)),
}
