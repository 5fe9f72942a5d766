"""Issue 23: every bad input to ``seqgen`` gets one plain line, exit 1 or 2, no traceback; inputs stay
byte-identical and no file (temporary ones included) is left behind.

The command line runs in-process (``core.cli.main``) with the shipped models and tiny sizes; only what
needs a signal or a mount namespace (a read-only folder, a full disk: a small tmpfs) runs in a
subprocess. Outputs are compared by hash (bytes), never as floats, so no tolerance is involved. The input
files, the refusal check and the writing subcommands are in tests/bad_inputs.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

# the fixtures (originals, work) are used by name: imported for pytest to find them
from bad_inputs import (ALLOWED_NEW, LONG, ROOT, WRITERS, assert_refused, convert_argv, error_lines,  # noqa: F401
                        originals, rock_argv, run, snapshot, texture_argv, video_argv, work)

torch.set_num_threads(1)


# --- bad outputs, numbers and files ---------------------------------------------------------------

BAD_OUTPUTS = {  # name: (output path from (out, suffix), what the message must say)
    "existing folder": (lambda o, s: o / f"adir{s or '.npy'}" if s else o / "afile.txt", r"folder|file"),
    "parent is a file": (lambda o, s: o / "afile.txt" / f"x{s}", r"not a folder|is a file"),
    "name of 300 characters": (lambda o, s: o / f"{LONG}{s}", r"longer than|too long"),
    "under /proc": (lambda o, s: Path("/proc") / f"seqgen_x{s}", r"cannot hold files|cannot write"),
}


@pytest.mark.parametrize("case", list(BAD_OUTPUTS))
@pytest.mark.parametrize("command", list(WRITERS))
def test_unwritable_output_is_refused(command, case, work, capsys):
    argv_for, suffix, _ = WRITERS[command]
    path_for, expect = BAD_OUTPUTS[case]
    inp, out = work
    if command == "clean" and case == "existing folder":
        expect = r"is a file"  # clean writes into a folder: a file in its place is the mistake
    assert_refused(capsys, work, argv_for(inp, path_for(out, suffix)), expect)


@pytest.mark.parametrize("command", list(WRITERS))
def test_output_over_its_own_input_is_refused(command, work, capsys):
    inp, out = work
    assert_refused(capsys, work, WRITERS[command][2](inp, out), r"input")


BAD_NUMBERS = [
    *[(cmd, opt, v) for cmd in ("rock", "texture", "video") for opt, v in
      [("--seed", "nan"), ("--seed", "inf"), ("--seed", "-1"), ("--seed", str(2**70))]],
    ("rock", "--depth", "0"), ("rock", "--depth", "-5"), ("rock", "--depth", str(10**9)),
    ("rock", "--count", "0"), ("texture", "--count", "0"), ("video", "--samples", "0"), ("video", "--frames", "0"),
    ("rock", "--voxel-size", "nan"), ("rock", "--voxel-size", "inf"), ("rock", "--voxel-size", "-1"),
    ("texture", "--voxel-size", "nan"), ("texture", "--voxel-size", "inf"),
    ("texture", "--size", "100000"), ("texture", "--size", "20"), ("texture", "--size", "0"),
    ("texture", "--spread", "inf"), ("texture", "--spread", "nan"),
    ("video", "--fps", "nan"), ("video", "--temperature", "nan"),
]


@pytest.mark.parametrize("command,option,value", BAD_NUMBERS)
def test_bad_number_is_refused(command, option, value, work, capsys):
    inp, out = work
    argv = {"rock": rock_argv, "texture": texture_argv, "video": video_argv}[command](inp, out / "x.npy"
                                                                          if command == "video" else out / "x.tif")
    line = assert_refused(capsys, work, argv + [option, value])
    assert option in line or "must" in line or "budget" in line or "disk" in line, line


@pytest.mark.parametrize("command", ["props", "convert"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_bad_voxel_size_for_props_and_convert(command, value, work, capsys):
    inp, out = work
    argv = ["props", inp / "vol.tif"] if command == "props" else convert_argv(inp, out / "x.npy")
    assert_refused(capsys, work, argv + ["--voxel-size", value], r"--voxel-size")


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "lots"])
@pytest.mark.parametrize("volume", ["vol.tif", "vol.npy", "vol.raw"])
def test_bad_memory_budget_is_named(value, volume, work, capsys, monkeypatch):
    """SEQGEN_MEMORY_BUDGET=inf was an OverflowError (NPY, RAW) or called a good TIFF corrupt."""
    inp, _ = work
    monkeypatch.setenv("SEQGEN_MEMORY_BUDGET", value)
    raw = ["--raw-shape", "16", "16", "16", "--raw-dtype", "uint8"] if volume.endswith(".raw") else []
    line = assert_refused(capsys, work, ["props", inp / volume, "--no-permeability", *raw], r"SEQGEN_MEMORY_BUDGET")
    assert "corrupt" not in line


def test_memory_budget_still_refuses_large_volumes(work, capsys, monkeypatch):
    inp, out = work
    monkeypatch.setenv("SEQGEN_MEMORY_BUDGET", "1K")
    assert_refused(capsys, work, ["props", inp / "vol.npy"], r"over the budget")
    monkeypatch.setenv("SEQGEN_MEMORY_BUDGET", "2K")  # generation needs more than the 1 KiB slice
    assert_refused(capsys, work, rock_argv(inp, out / "r.tif"), r"over the budget")


def test_huge_slice_is_refused_before_generating(work, capsys):
    """A 5000×5000 slice with the default depth (its width) would need terabytes: refused at once."""
    inp, out = work
    cv2.imwrite(str(inp / "big.png"), np.kron(np.eye(2, dtype=np.uint8), np.full((2500, 2500), 255, np.uint8)))
    argv = ["rock", "generate", "--slice", inp / "big.png", "--seed", "1", "--device", "cpu", "-q",
            "-o", out / "r.tif"]
    assert_refused(capsys, work, argv, r"over the budget|on disk")


BAD_VOLUMES = ["empty.tif", "trunc.tif", "corrupt.tif", "text.tif", "empty.npy", "trunc.npy", "complex.npy",
               "f16.npy", "flat.npy", "obj.npy", "missing.tif"]


@pytest.mark.parametrize("name", BAD_VOLUMES)
@pytest.mark.parametrize("command", ["props", "convert", "texture --example"])
def test_bad_volume_file(command, name, work, capsys):
    inp, out = work
    if command == "props":
        argv = ["props", inp / name]
    elif command == "convert":
        argv = ["convert", inp / name, out / "x.npy"]
    else:
        argv = ["texture", "generate", "--example", inp / name, "--size", "16", "--seed", "1", "--device", "cpu",
                "-q", "-o", out / "x.tif"]
    assert_refused(capsys, work, argv, re.escape(name.split(".")[0]))


@pytest.mark.parametrize("name", ["empty.png", "trunc.png", "text.tif", "vol.tif", "tiny.png", "missing.png"])
def test_bad_slice_file(name, work, capsys):
    inp, out = work
    argv = ["rock", "generate", "--slice", inp / name, "--seed", "1", "--device", "cpu", "-q", "-o", out / "r.tif"]
    assert_refused(capsys, work, argv)


@pytest.mark.parametrize("name", ["empty.npy", "trunc.npy", "complex.npy", "obj.npy", "vol.tif", "missing.npy"])
def test_bad_clip_file(name, work, capsys):
    inp, out = work
    argv = ["video", "continue", "--input", inp / name, "--frames", "1", "--seed", "1", "--device", "cpu", "-q",
            "-o", out / "v.npy"]
    assert_refused(capsys, work, argv)


@pytest.mark.parametrize("name", ["empty.png", "trunc.png", "corrupt.tif", "text.tif", "empty.tif"])
def test_bad_scan_fails_alone(name, work, capsys):
    """A bad scan fails (exit 1, its line in the summary), keeps its bytes and leaves only the report."""
    inp, out = work
    before = snapshot(*work)
    rc = run(["clean", inp / name, "-q", "-o", out / "c"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert [line for line in err.splitlines() if "failed:" in line and name in line]
    after = snapshot(*work)
    assert {Path(k).name for k in after.keys() - before.keys()} <= {"c", *ALLOWED_NEW}
    assert {k: v for k, v in after.items() if k in before} == before


@pytest.mark.parametrize("train", [["rock", "train", "--data", "{in}/vol.tif"], ["texture", "train", "--data",
                                   "{in}/vol.tif"], ["video", "train-vqvae"], ["clean", "train"]])
@pytest.mark.parametrize("case", ["a file", "under /proc", "name of 300 characters"])
def test_training_run_folder_is_checked_first(train, case, work, capsys):
    inp, out = work
    folder = {"a file": out / "afile.txt", "under /proc": Path("/proc/seqgen_run"),
              "name of 300 characters": out / LONG}[case]
    argv = [a.replace("{in}", str(inp)) for a in train] + ["--out", folder, "--steps", "1", "--device", "cpu",
                                                            "--seed", "0", "-q"]
    assert_refused(capsys, work, argv, r"run folder|cannot write")


@pytest.mark.parametrize("seed", ["-1", str(2**70), "nan"])
@pytest.mark.parametrize("train", [["rock", "train", "--data", "{in}/vol.tif"], ["clean", "train"]])
def test_bad_training_seed_is_refused(train, seed, work, capsys):
    inp, out = work
    argv = [a.replace("{in}", str(inp)) for a in train] + ["--out", out / "run", "--steps", "1", "--seed", seed]
    assert_refused(capsys, work, argv, r"--seed")


# --- stale temporary files and what a failed write leaves ------------------------------------------

def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(work):
    """A SIGKILL leaves the temporary file (nothing in the process can run): the next write of that
    output removes it, as its name carries a pid that is gone; a live process's file stays."""
    from core.io import atomic_path, stale_parts
    from core.io.atomic import _HOST

    _, out = work
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".v.{_HOST}{dead.pid}-abcd1234.part.tif"
    live = out / f".v.{_HOST}{os.getppid()}-abcd1234.part.tif"
    other = out / f".w.{_HOST}{dead.pid}-abcd1234.part.tif"  # another output's: not ours to remove
    for p in (stale, live, other):
        p.write_bytes(b"")
    assert stale_parts(out / "v.tif") == [stale]
    with atomic_path(out / "v.tif") as tmp:
        tmp.write_bytes(b"new")
    assert not stale.exists() and live.exists() and other.exists() and (out / "v.tif").read_bytes() == b"new"


def test_failed_write_removes_the_folders_it_made(work):
    from core.errors import OutputError
    from core.io import atomic_path

    _, out = work
    with pytest.raises(OutputError, match="disk is full"):
        with atomic_path(out / "new" / "deeper" / "x.npy"):
            raise OSError(28, "No space left on device")
    assert not (out / "new").exists()


def test_rgba_png_scans_are_composited_over_white():
    """Issue 22: 8-bit RGBA with alpha 255 came out black. Opaque pixels keep their grey; transparent
    ones are paper (white). ±1 grey level: luminance weights are float32."""
    from core.cleanup.scanio import to_grey_u8

    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:4, :, :3] = 255  # white top, black bottom
    rgba[2:6, 6:, 3] = 0  # a transparent black/white patch: paper either way
    grey = to_grey_u8(rgba, bgr=True).astype(int)
    want = np.zeros((8, 8), int)
    want[:4] = 255
    want[2:6, 6:] = 255
    np.testing.assert_allclose(grey, want, atol=1)
    half = rgba.copy()
    half[..., 3] = 128  # half transparent black over white: mid grey
    assert abs(int(to_grey_u8(half)[7, 0]) - 127) <= 1
    ga = np.stack([np.zeros((4, 4), np.uint16), np.full((4, 4), 65535, np.uint16)], -1)  # grey + alpha, 16 bit
    np.testing.assert_allclose(to_grey_u8(ga).astype(int), 0, atol=1)


def test_rgba_png_is_cleaned_not_blank(work, capsys):
    inp, out = work
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[..., :3] = 255
    rgba[20:24, 8:56, :3] = 0  # a black bar on white
    cv2.imwrite(str(inp / "rgba.png"), rgba)
    # fp32: "auto" picks bfloat16 on CPUs that have it, and the page must not depend on the processor
    assert run(["clean", inp / "rgba.png", "-q", "--precision", "fp32", "-o", out / "c"]) == 0
    page = cv2.imread(str(out / "c" / "rgba.png"), cv2.IMREAD_GRAYSCALE)
    assert page.mean() > 200  # mostly paper, not an all-black page
    assert (page[20:24, 8:56] == 0).mean() > 0.5  # and the bar is ink


# --- a read-only folder and a full disk (mount namespaces), signals (subprocesses) ----------------

def _namespaces_work() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


needs_namespaces = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _namespaces_work(),
    reason="the kernel refuses unprivileged user and mount namespaces (unshare -rm), which the tests of a "
           "read-only folder and a full disk need: root ignores file modes, so nothing else makes one")

_RUNNER = textwrap.dedent("""
    import contextlib, io, json, os, sys
    from core.cli import main
    results = []
    for argv in json.loads(sys.argv[1]):
        if argv[0] == "!rm":  # steps between commands, inside the namespace
            os.remove(argv[1])
            continue
        if argv[0] == "!ls":
            results.append([0, json.dumps({p: os.path.getsize(os.path.join(argv[1], p)) for p in os.listdir(argv[1])})])
            continue
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                rc = main(argv)
            except SystemExit as e:
                rc = e.code
        results.append([rc, err.getvalue()])
    print(json.dumps(results))
""")


def in_tmpfs(folder: Path, options: str, argvs: list, prefill_kib: int = 0) -> list:
    """Run each argv in one process whose ``folder`` is a fresh tmpfs mounted with ``options``."""
    folder.mkdir(parents=True, exist_ok=True)
    fill = f" && dd if=/dev/zero of={folder}/fill bs=1k count={prefill_kib} 2>/dev/null" if prefill_kib else ""
    script = (f"mount -t tmpfs -o {options} tmpfs {shlex.quote(str(folder))}{fill} && "
              f"{shlex.quote(sys.executable)} -c {shlex.quote(_RUNNER)} "
              f"{shlex.quote(json.dumps([[str(a) for a in argv] for argv in argvs]))}")
    p = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def _assert_one_line(rc, err, expect):
    assert rc in (1, 2) and "Traceback" not in err, err
    lines = error_lines(err)
    assert len(lines) == 1 and re.search(expect, lines[0], re.I), err


@needs_namespaces
def test_read_only_folder_every_writer(work):
    inp, out = work
    ro = out / "ro"
    argvs = [WRITERS[c][0](inp, ro / f"x{WRITERS[c][1]}" if WRITERS[c][1] else ro / "c")
             for c in ("convert", "rock", "texture", "video", "clean")]
    argvs.append(["rock", "train", "--data", str(inp / "vol.tif"), "--out", str(ro / "run"), "--steps", "1"])
    before = snapshot(inp)
    for rc, err in in_tmpfs(ro, "ro,size=64k", argvs):
        _assert_one_line(rc, err, r"read-only")
    assert snapshot(inp) == before


@needs_namespaces
def test_full_disk_every_writer(work):
    """A 256 KiB tmpfs: uncompressed outputs too large are refused up front, compressed ones fail at the
    write; either way one line, exit 1, and nothing (no 0-byte file, no temporary file) stays."""
    inp, out = work
    full = out / "full"
    rng = np.random.default_rng(1)
    np.save(inp / "big.npy", (rng.random((64, 64, 64)) > 0.5).astype(np.uint8))
    np.save(inp / "noise.npy", (rng.random((128, 128, 128)) > 0.5).astype(np.uint8))
    argvs = [["convert", inp / "big.npy", full / "x.npy"],  # 256 KiB of data: refused before writing
             ["convert", inp / "noise.npy", full / "x.tif"],  # random voxels: zlib needs ~300 KiB, fails mid-write
             ["texture", "generate", "--class", "berea", "--size", "160", "--seed", "1", "--device", "cpu", "-q",
              "-o", full / "t.tif"]]  # ~400 KiB compressed: fails mid-write (clean: the test below)
    before = snapshot(inp)
    results = in_tmpfs(full, "size=256k", argvs)
    for (rc, err), argv in zip(results, argvs):
        _assert_one_line(rc, err, r"disk is full|on disk")
    assert snapshot(inp) == before


@needs_namespaces
def test_full_disk_clean_keeps_no_empty_page_and_resumes(work):
    """The batch stops at the first page that does not fit (no 0-byte PNG counted as cleaned); run
    again with space, it keeps what was finished and cleans the rest."""
    inp, out = work
    for i in range(3):
        shutil.copy(inp / "scan.png", inp / f"s{i}.png")
    cv2.imwrite(str(inp / "noise.png"), (np.random.default_rng(2).random((400, 400)) > 0.5).astype(np.uint8) * 255)
    full = out / "full"
    argv = ["clean", inp / "s0.png", inp / "noise.png", inp / "s1.png", "-q", "-o", full]
    (rc, err), (_, first), (rc2, err2), (_, second) = in_tmpfs(
        full, "size=40k", [argv, ["!ls", full], ["!rm", full / "fill"], argv, ["!ls", full]], prefill_kib=36)
    _assert_one_line(rc, err, r"noise\.png: the disk is full")
    assert json.loads(first) == {"fill": 36 * 1024, "s0.png": json.loads(second)["s0.png"]}  # no 0-byte page
    assert rc2 == 0, err2
    files = json.loads(second)
    assert set(files) == {"s0.png", "noise.png", "s1.png", "cleanup_report.txt"} and min(files.values()) > 0


def _wait_for_part(folder: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while not any(".part" in p.name for p in folder.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, "no temporary file appeared"
        time.sleep(0.05)


def _texture_writer(out: Path) -> subprocess.Popen:
    """A texture generation large enough (640³, 27 tiles) to be caught writing its temporary file."""
    return subprocess.Popen([sys.executable, "-m", "core.cli", "texture", "generate", "--class", "berea",
                             "--size", "640", "--seed", "1", "--device", "cpu", "-o", str(out / "t.tif")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("stop", ["SIGTERM", "double Ctrl+C"])
def test_stopped_writer_leaves_nothing(stop, tmp_path):
    proc = _texture_writer(tmp_path)
    try:
        _wait_for_part(tmp_path, proc)
        if stop == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGINT)
            time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == (143 if stop == "SIGTERM" else 130), err
    assert "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_killed_writer_is_cleaned_by_the_next_run(tmp_path, capsys):
    proc = _texture_writer(tmp_path)
    try:
        _wait_for_part(tmp_path, proc)
    finally:
        proc.kill()
        proc.communicate()
    assert [p for p in tmp_path.iterdir() if ".part" in p.name]  # SIGKILL: the process could not clean up
    assert run(texture_argv(tmp_path, tmp_path / "t.tif")) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["t.tif"]
