"""The seqgen command line: help, props (text and JSON), convert, clear errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.io import read_volume, write_volume

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "core", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0
    for cmd in ("props", "convert", "info"):
        assert cmd in out.stdout


def _slab_volume(tmp_path):
    a = np.zeros((20, 20, 20), np.uint8)
    a[:, 5:10, :] = 1  # a slab along z and x: porosity 0.25
    return write_volume(tmp_path / "slab.tif", a, voxel_size_um=2.0)


def test_props_json(tmp_path, capsys):
    p = _slab_volume(tmp_path)
    assert main(["props", str(p), "--json", "--no-permeability"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["porosity"] == pytest.approx(0.25)
    assert d["voxel_size_um"] == 2.0
    assert len(d["s2"]["x"]) > 2 and d["s2"]["x"][0] == pytest.approx(0.25)


def test_props_text_and_voxel_override(tmp_path, capsys):
    p = _slab_volume(tmp_path)
    assert main(["props", str(p), "--voxel-size", "3.5", "--no-permeability", "-q"]) == 0
    out = capsys.readouterr().out
    assert "voxel size 3.5 µm" in out
    assert "orosity" in out and "0.25" in out


def test_props_on_corrupt_file_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00" + b"\x00" * 20)
    assert main(["props", str(bad), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot read bad.tif") and "Traceback" not in err


def test_props_raw_needs_shape(tmp_path, capsys):
    raw = tmp_path / "v.raw"
    np.zeros(1000, np.uint8).tofile(raw)
    assert main(["props", str(raw), "-q"]) == 1
    assert "give its shape" in capsys.readouterr().err
    assert main(["props", str(raw), "-q", "--raw-shape", "10", "10", "11", "--raw-dtype", "uint8"]) == 1
    assert "needs 1100 bytes" in capsys.readouterr().err


def test_convert_round_trip(tmp_path, capsys):
    p = _slab_volume(tmp_path)
    out = tmp_path / "slab.npy"
    assert main(["convert", str(p), str(out), "-q"]) == 0
    np.testing.assert_array_equal(read_volume(out).array, read_volume(p).array)
    assert main(["convert", str(p), str(tmp_path / "slab.xyz"), "-q"]) == 1
    assert not (tmp_path / "slab.xyz").exists()
