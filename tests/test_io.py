"""Readers and writers: round trips, damaged files, RAW sizes, binarisation, memory budget."""

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile

from core.errors import InputError
from core.io import (atomic_path, binarize, natural_key, parse_size, read_image, read_volume,
                     write_volume)


@pytest.fixture
def vol():
    rng = np.random.default_rng(0)
    return (rng.random((12, 10, 8)) < 0.3).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".tif", ".tiff", ".npy"])
def test_round_trip(tmp_path, vol, suffix):
    p = write_volume(tmp_path / f"v{suffix}", vol, voxel_size_um=2.5, metadata={"seed": 7})
    back = read_volume(p)
    assert back.array.dtype == np.uint8
    np.testing.assert_array_equal(back.array, vol)
    if suffix != ".npy":
        assert back.voxel_size_um == 2.5
        assert back.metadata["seed"] == 7


def test_npz_takes_largest_array_or_named_key(tmp_path, vol):
    p = tmp_path / "v.npz"
    np.savez_compressed(p, spacing=np.array([1.0, 1.0, 1.0]), im=vol.astype(bool))
    np.testing.assert_array_equal(read_volume(p).array, vol)
    np.testing.assert_array_equal(read_volume(p, npz_key="im").array, vol)
    with pytest.raises(InputError, match="no array 'nope'"):
        read_volume(p, npz_key="nope")


def test_raw_round_trip_both_byte_orders(tmp_path, vol):
    for order, code in (("little", "<"), ("big", ">")):
        p = tmp_path / f"v_{order}.raw"
        (vol.astype(code + "u2") * 1000).tofile(p)
        back = read_volume(p, raw_shape=vol.shape, raw_dtype="uint16", raw_byteorder=order)
        np.testing.assert_array_equal(back.array, vol)


def test_raw_wrong_size_is_clear(tmp_path, vol):
    p = tmp_path / "v.raw"
    vol.tofile(p)
    with pytest.raises(InputError, match=r"has 960 bytes.*needs 1920 bytes"):
        read_volume(p, raw_shape=vol.shape, raw_dtype="uint16")
    with pytest.raises(InputError, match="give its shape"):
        read_volume(p)


def test_truncated_and_corrupt_tiff(tmp_path, vol):
    good = write_volume(tmp_path / "good.tif", (vol * 255).astype(np.uint8))
    data = good.read_bytes()
    trunc = tmp_path / "trunc.tif"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="corrupt or truncated"):
        read_volume(trunc)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"this is not a tiff at all" * 10)
    with pytest.raises(InputError, match="corrupt or truncated"):
        read_volume(junk)


def test_truncated_npy_and_npz(tmp_path, vol):
    p = tmp_path / "v.npy"
    np.save(p, vol)
    p.write_bytes(p.read_bytes()[:-50])
    with pytest.raises(InputError, match="truncated|not a valid"):
        read_volume(p)
    z = tmp_path / "v.npz"
    np.savez(z, a=vol)
    z.write_bytes(z.read_bytes()[:40])
    with pytest.raises(InputError, match="NPZ"):
        read_volume(z)


def test_unsupported_dtype_and_dimensions(tmp_path):
    p = tmp_path / "c.npy"
    np.save(p, np.zeros((4, 4, 4), np.complex64))
    with pytest.raises(InputError, match="complex64.*not supported"):
        read_volume(p)
    p2 = tmp_path / "flat.npy"
    np.save(p2, np.zeros((4, 4), np.uint8))
    with pytest.raises(InputError, match="3D volume was expected"):
        read_volume(p2)


def test_memory_budget_refuses_before_reading(tmp_path, vol):
    p = tmp_path / "v.npy"
    np.save(p, vol)
    with pytest.raises(InputError, match="over the budget"):
        read_volume(p, memory_budget_bytes=100)
    raw = tmp_path / "big.raw"
    vol.tofile(raw)
    with pytest.raises(InputError, match="over the budget"):
        read_volume(raw, raw_shape=vol.shape, raw_dtype="uint8", memory_budget_bytes=10)
    assert parse_size("2G") == 2 * 2**30 and parse_size("512M") == 512 * 2**20


def test_folder_of_slices_natural_order(tmp_path, vol):
    folder = tmp_path / "stack"
    folder.mkdir()
    for i, s in enumerate(vol):  # slice_2 must come before slice_10
        cv2.imwrite(str(folder / f"slice_{i}.png"), s * 255)
    (folder / "notes.txt").write_text("ignored")
    np.testing.assert_array_equal(read_volume(folder).array, vol)
    assert sorted(["s10", "s2", "s1"], key=natural_key) == ["s1", "s2", "s10"]


def test_folder_with_mismatched_slice(tmp_path, vol):
    folder = tmp_path / "stack"
    folder.mkdir()
    cv2.imwrite(str(folder / "a0.png"), vol[0] * 255)
    cv2.imwrite(str(folder / "a1.png"), np.zeros((3, 3), np.uint8))
    with pytest.raises(InputError, match="all slices must have one size"):
        read_volume(folder)


def test_grey_volume_binarised_with_notice(tmp_path, vol):
    rng = np.random.default_rng(1)
    grey = np.where(vol == 1, 60, 190) + rng.normal(0, 10, vol.shape)
    p = tmp_path / "grey.tif"
    tifffile.imwrite(p, grey.clip(0, 255).astype(np.uint8))
    out = read_volume(p)
    np.testing.assert_array_equal(out.array, vol)  # dark phase = pore by default
    assert any("Otsu" in n and "threshold" in n for n in out.notices)
    inverted = read_volume(p, pore="bright")
    np.testing.assert_array_equal(inverted.array, 1 - vol)


def test_binarize_rules():
    two = np.array([[0, 255], [255, 0]], np.uint8)
    b, note = binarize(two)
    np.testing.assert_array_equal(b, two // 255)
    assert "255 taken as pore" in note
    b, _ = binarize(two, pore="dark")
    np.testing.assert_array_equal(b, 1 - two // 255)
    ones = np.array([0, 1, 1], np.uint8)
    b, note = binarize(ones)
    assert note is None and b.tolist() == [0, 1, 1]
    with pytest.raises(InputError, match="NaN"):
        binarize(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(InputError, match="Unknown pore phase"):
        binarize(ones, pore="white")


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif"])
def test_read_image_8_and_16_bit_grey_and_colour(tmp_path, ext):
    rng = np.random.default_rng(2)
    mask = (rng.random((20, 30)) < 0.4).astype(np.uint8)
    cv2.imwrite(str(tmp_path / f"g8{ext}"), mask * 255)
    np.testing.assert_array_equal(read_image(tmp_path / f"g8{ext}").array, mask)
    if ext != ".bmp":
        cv2.imwrite(str(tmp_path / f"g16{ext}"), mask.astype(np.uint16) * 60000)
        np.testing.assert_array_equal(read_image(tmp_path / f"g16{ext}").array, mask)
    colour = np.stack([mask * 200, mask * 50, mask * 255], -1).astype(np.uint8)
    cv2.imwrite(str(tmp_path / f"c{ext}"), colour)
    np.testing.assert_array_equal(read_image(tmp_path / f"c{ext}").array, mask)


def test_read_image_jpeg_is_thresholded(tmp_path):
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 5:20] = 1
    cv2.imwrite(str(tmp_path / "s.jpg"), mask * 255, [cv2.IMWRITE_JPEG_QUALITY, 70])
    out = read_image(tmp_path / "s.jpg", pore="bright")
    assert (out.array == mask).mean() > 0.98


def test_read_image_errors(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputError, match="corrupt or truncated"):
        read_image(bad)
    with pytest.raises(InputError, match="unsupported image type"):
        read_image(tmp_path / "x.gif")
    with pytest.raises(InputError, match="does not exist"):
        read_image(tmp_path / "missing.png")
    stack = tmp_path / "stack.tif"
    tifffile.imwrite(stack, np.zeros((3, 5, 5), np.uint8))
    with pytest.raises(InputError, match="3 pages"):
        read_image(stack)


def test_write_vti_readable_by_pyvista(tmp_path, vol):
    import pyvista as pv

    p = write_volume(tmp_path / "v.vti", vol, voxel_size_um=3.0, metadata={"seed": 5})
    grid = pv.read(p)
    assert grid.dimensions == (8, 10, 12)
    assert grid.spacing == (3.0, 3.0, 3.0)
    back = np.asarray(grid.point_data["pore"]).reshape(vol.shape)
    np.testing.assert_array_equal(back, vol)


def stl_edge_uses(path) -> np.ndarray:
    """How many triangles of a binary STL use each of its edges (vertices merged by exact position)."""
    raw = Path(path).read_bytes()
    n = int(np.frombuffer(raw, "<u4", 1, 80)[0])
    assert len(raw) == 84 + 50 * n  # a whole binary STL
    rec = np.frombuffer(raw, np.dtype([("normal", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")]), n, 84)
    _, index = np.unique(rec["v"].reshape(-1, 3), axis=0, return_inverse=True)
    tri = index.reshape(-1, 3)
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    return np.unique(edges, axis=0, return_counts=True)[1]


def test_stl_edge_check_sees_an_open_surface(tmp_path):
    import pyvista as pv

    box = pv.Cube().triangulate()
    box.save(tmp_path / "closed.stl", binary=True)
    assert set(stl_edge_uses(tmp_path / "closed.stl").tolist()) == {2}
    lid = box.cell_centers().points[:, 2] > 0.49  # the two triangles of the top face
    assert lid.sum() == 2
    box.remove_cells(np.flatnonzero(lid)).save(tmp_path / "open.stl", binary=True)
    uses = stl_edge_uses(tmp_path / "open.stl")
    assert (uses == 1).sum() == 4 and not set(uses.tolist()) == {2}  # the rim of the missing lid
    assert pv.read(tmp_path / "open.stl").n_open_edges == 4


def test_write_stl_closed_surface_of_cube(tmp_path):
    import pyvista as pv

    a = np.zeros((10, 10, 10), np.uint8)
    a[2:8, 2:8, 2:8] = 1
    p = write_volume(tmp_path / "cube.stl", a, voxel_size_um=2.0)
    mesh = pv.read(p)
    assert mesh.n_cells > 0
    # closed: every edge is shared by exactly two triangles (no hole, no fold)
    assert set(stl_edge_uses(p).tolist()) == {2}
    assert mesh.n_open_edges == 0 and mesh.is_manifold
    # pores cut by the sample's faces are closed there too (the volume is padded with grain)
    b = np.zeros((10, 10, 10), np.uint8)
    b[0:6, 2:10, 2:8] = 1
    cut = write_volume(tmp_path / "cut.stl", b, voxel_size_um=2.0)
    assert set(stl_edge_uses(cut).tolist()) == {2} and pv.read(cut).n_open_edges == 0
    # the iso-surface at 0.5 sits half a voxel outside the 6-voxel cube: 6 µm... bounds in µm
    xmin, xmax = mesh.bounds[0], mesh.bounds[1]
    assert xmax - xmin == pytest.approx(2.0 * 6, abs=0.01)
    with pytest.raises(InputError, match="no pore surface"):
        write_volume(tmp_path / "empty.stl", np.zeros((4, 4, 4), np.uint8))
    assert not (tmp_path / "empty.stl").exists()


def test_writes_are_atomic(tmp_path, vol):
    target = write_volume(tmp_path / "keep.tif", vol)
    before = target.read_bytes()
    with pytest.raises(TypeError):  # metadata that is not JSON-able fails before any byte lands
        write_volume(target, 1 - vol, metadata={"bad": object()})
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.tif"]
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "x.npy") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")
    assert not (tmp_path / "x.npy").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["keep.tif"]
    assert oct(os.stat(target).st_mode & 0o777) != oct(0o600)


def test_write_rejects_unknown_suffix_and_2d(tmp_path, vol):
    with pytest.raises(InputError, match="Cannot write '.xyz'"):
        write_volume(tmp_path / "v.xyz", vol)
    with pytest.raises(InputError, match="Only 3D"):
        write_volume(tmp_path / "v.tif", vol[0])


def test_bundled_sample_is_readable():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    v = read_volume(root / "resources" / "sample" / "berea_crop_100.tif")
    assert v.array.shape == (100, 100, 100) and v.voxel_size_um == 5.345
    assert 0.15 < v.array.mean() < 0.25
    s = read_image(root / "resources" / "sample" / "berea_slice_100.png")
    np.testing.assert_array_equal(s.array, v.array[50])
    json.dumps(v.metadata)
