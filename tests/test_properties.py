"""Tests of core.properties: S2 against brute force, Minkowski functionals on analytic shapes,
permeability against the published DNS values of the Berea 200³ fixture."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from core.errors import Cancelled, InputError
from core.jobs import TaskState
from core import properties as P

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DNS = DATA / "rocks" / "berea_200_dns.tif"


def ball(shape, r, centre=None):
    centre = [(n - 1) / 2 for n in shape] if centre is None else centre
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    d2 = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2
    return (d2 <= r * r).astype(np.uint8)


# ------------------------------------------------------------------ validation

@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((2, 3, 4, 5), np.uint8),
                                 np.full((4, 4, 4), 2, np.uint8), np.full((4, 4, 4), 0.5),
                                 np.zeros((1, 5, 5), np.uint8), np.array(["a"] * 8).reshape(2, 2, 2)])
def test_bad_input_raises_input_error(bad):
    with pytest.raises(InputError):
        P.measure(bad, permeability=False)


def test_bad_voxel_size_and_lag():
    v = np.zeros((8, 8, 8), np.uint8)
    with pytest.raises(InputError):
        P.minkowski_functionals(v, voxel_size_um=-1)
    with pytest.raises(InputError):
        P.two_point_correlation(v, max_r=8)
    with pytest.raises(InputError):
        P.two_point_correlation(v, max_r=-1)


def test_bool_and_float01_accepted():
    rng = np.random.default_rng(1)
    v = rng.random((10, 11, 12)) < 0.3
    assert P.porosity(v) == pytest.approx(v.mean())
    assert P.porosity(v.astype(np.float64)) == pytest.approx(v.mean())


# ------------------------------------------------------------------ S2

@pytest.mark.parametrize("shape,phi", [((20, 24, 28), 0.3), ((33, 17, 25), 0.6), ((16, 16, 16), 0.05)])
def test_s2_fft_matches_bruteforce(shape, phi):
    rng = np.random.default_rng(sum(shape))
    v = (rng.random(shape) < phi).astype(np.uint8)
    max_r = min(shape) - 1
    s2 = P.two_point_correlation(v, max_r=max_r)
    for name, ax in P.AXES.items():
        ref = P.two_point_correlation_bruteforce(v, ax, max_r)
        assert s2[name].shape == (max_r + 1,)
        np.testing.assert_allclose(s2[name], ref, rtol=0, atol=1e-9)
        assert s2[name][0] == pytest.approx(v.mean(), abs=1e-12)


def test_s2_default_length_and_structure():
    # stripes of period 4 along x: S2_x is periodic, S2_z / S2_y are flat at the porosity
    v = np.zeros((12, 12, 16), np.uint8)
    v[:, :, ::4] = 1
    s2 = P.two_point_correlation(v)
    assert len(s2["x"]) == 12 // 2 + 1
    np.testing.assert_allclose(s2["z"], 0.25, atol=1e-12)
    np.testing.assert_allclose(s2["y"], 0.25, atol=1e-12)
    np.testing.assert_allclose(s2["x"][[0, 4]], 0.25, atol=1e-12)
    np.testing.assert_allclose(s2["x"][[1, 2, 3, 5]], 0.0, atol=1e-12)


# ------------------------------------------------------------------ Minkowski

def test_minkowski_slab():
    v = np.zeros((40, 50, 60), np.uint8)
    v[10:20] = 1  # slab through the whole sample, normal to z
    h = 2.0
    m = P.minkowski_functionals(v, voxel_size_um=h)
    total = v.size * h ** 3
    assert m["volume_fraction"] == pytest.approx(0.25)
    assert m["surface_area_um2"] == pytest.approx(2 * 50 * 60 * h ** 2, rel=1e-9)  # two faces
    assert m["surface_area_density"] == pytest.approx(2 * 50 * 60 * h ** 2 / total, rel=1e-9)
    assert abs(m["mean_curvature_um"]) < 1e-6  # flat
    assert m["euler_characteristic"] == 1
    assert m["euler_density"] == pytest.approx(1 / total)


@pytest.mark.parametrize("r", [8, 15])
def test_minkowski_sphere(r):
    n = 2 * r + 10
    h = 1.5
    v = ball((n, n, n), r)
    m = P.minkowski_functionals(v, voxel_size_um=h)
    R = r * h
    assert m["volume_fraction"] == pytest.approx(4 / 3 * math.pi * r ** 3 / n ** 3, rel=0.03)
    assert m["surface_area_um2"] == pytest.approx(4 * math.pi * R ** 2, rel=0.03)
    # ∫H dS with H = (k1 + k2)/2 = 1/R on a sphere: 4πR
    assert m["mean_curvature_um"] == pytest.approx(4 * math.pi * R, rel=0.03)
    assert m["euler_characteristic"] == 1
    assert m["mean_curvature_density"] == pytest.approx(m["mean_curvature_um"] / (n ** 3 * h ** 3))


def test_minkowski_grain_sphere_has_negative_curvature():
    v = 1 - ball((40, 40, 40), 10)  # spherical grain in pore space
    m = P.minkowski_functionals(v)
    assert m["mean_curvature_um"] == pytest.approx(-4 * math.pi * 10, rel=0.03)
    assert m["surface_area_um2"] == pytest.approx(4 * math.pi * 100, rel=0.03)
    assert m["euler_characteristic"] == 2  # box with a closed cavity: χ = 1 + 1


def test_minkowski_cube():
    a = 20
    v = np.zeros((40, 40, 40), np.uint8)
    v[10:30, 10:30, 10:30] = 1
    m = P.minkowski_functionals(v)
    assert m["volume_fraction"] == pytest.approx(a ** 3 / 40 ** 3)
    assert m["surface_area_um2"] == pytest.approx(6 * a * a, rel=0.08)  # edges get rounded
    assert m["mean_curvature_um"] == pytest.approx(3 * math.pi * a, rel=0.08)  # = 2π × mean width
    assert m["euler_characteristic"] == 1


def test_minkowski_torus_and_two_spheres_and_shell():
    n = 72
    z, y, x = np.ogrid[:32, :n, :n]
    R, r, c = 22, 8, (n - 1) / 2
    torus = ((np.sqrt((y - c) ** 2 + (x - c) ** 2) - R) ** 2 + (z - 15.5) ** 2 <= r * r).astype(np.uint8)
    mt = P.minkowski_functionals(torus)
    assert mt["euler_characteristic"] == 0
    assert mt["surface_area_um2"] == pytest.approx(4 * math.pi ** 2 * R * r, rel=0.04)
    assert mt["mean_curvature_um"] == pytest.approx(2 * math.pi ** 2 * R, rel=0.04)

    two = ball((30, 30, 60), 8, (14.5, 14.5, 14)) | ball((30, 30, 60), 8, (14.5, 14.5, 45))
    m2 = P.minkowski_functionals(two)
    assert m2["euler_characteristic"] == 2
    assert m2["surface_area_um2"] == pytest.approx(2 * 4 * math.pi * 64, rel=0.04)

    shell = ball((40, 40, 40), 15) - ball((40, 40, 40), 9)  # hollow sphere: χ = 1 + 1 cavity
    ms = P.minkowski_functionals(shell)
    assert ms["euler_characteristic"] == 2
    # outer sphere counts +4πR, the inner (concave) one -4πr
    assert ms["mean_curvature_um"] == pytest.approx(4 * math.pi * (15 - 9), rel=0.08)


def test_minkowski_empty_and_full():
    for v, chi in ((np.zeros((6, 6, 6), np.uint8), 0), (np.ones((6, 6, 6), np.uint8), 1)):
        m = P.minkowski_functionals(v)
        assert m["surface_area_density"] == 0.0
        assert m["mean_curvature_density"] == 0.0
        assert m["euler_characteristic"] == chi


# ------------------------------------------------------------------ permeability

def test_permeability_non_spanning_reports_zero_with_flag():
    v = np.zeros((30, 30, 30), np.uint8)
    v[:, 10:20, 10:20] = 1  # a square pillar along z only
    res = P.permeability(v, 2.0)
    assert res["spans"] == {"x": False, "y": False, "z": True}
    assert res["x"] == 0.0 and res["y"] == 0.0
    assert res["z"] > 0.0
    closed = np.zeros((20, 20, 20), np.uint8)
    closed[5:10, 5:10, 5:10] = 1  # an isolated pore: no axis spans, no extraction needed
    res = P.permeability(closed, 2.0)
    assert res["spans"] == {"x": False, "y": False, "z": False}
    assert (res["x"], res["y"], res["z"]) == (0.0, 0.0, 0.0)


def test_permeability_cancel():
    v = np.zeros((20, 20, 20), np.uint8)
    v[:, 5:15, 5:15] = 1
    calls = []
    state = TaskState(progress=lambda f, m: calls.append(f), cancelled=lambda: len(calls) >= 2)
    with pytest.raises(Cancelled):
        P.permeability(v, 1.0, state=state)


@pytest.mark.skipif(not DNS.exists(), reason=f"fixture {DNS} is missing (shared data folder not present)")
def test_permeability_berea_dns():
    import tifffile

    vol = tifffile.imread(DNS)
    assert vol.shape == (200, 200, 200)
    res = P.permeability(vol, 5.345)
    dns = {"x": 1360.0, "y": 1304.0, "z": 1193.0}  # axes: x = array axis 2, z = axis 0
    print("Berea 200³ network permeability (mD):", {k: round(res[k], 1) for k in "xyz"})
    for k, ref in dns.items():
        assert res["spans"][k]
        assert abs(res[k] - ref) / ref < 0.30, (k, res[k], ref)


# ------------------------------------------------------------------ report

def test_measure_report_json_and_rows():
    v = np.zeros((24, 24, 24), np.uint8)
    v[:, 8:16, 8:16] = 1
    v |= ball(v.shape, 6)
    seen = []
    rep = P.measure(v, 3.0, s2_max_r=5, state=TaskState(progress=lambda f, m: seen.append(f)))
    d = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert set(d) >= {"porosity", "s2", "minkowski", "permeability_mD", "permeability_spans",
                      "voxel_size_um", "shape"}
    assert d["shape"] == [24, 24, 24] and d["voxel_size_um"] == 3.0
    assert d["porosity"] == pytest.approx(v.mean())
    assert all(len(d["s2"][k]) == 6 for k in "zyx")
    assert d["s2"]["z"][0] == pytest.approx(v.mean())
    assert d["permeability_spans"] == {"x": False, "y": False, "z": True}
    assert d["permeability_mD"]["z"] > 0 and d["permeability_mD"]["x"] == 0
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    rows = rep.rows()
    names = [r[0] for r in rows]
    assert "Porosity" in names and "Permeability z" in names
    assert all(isinstance(r, tuple) and len(r) == 3 for r in rows)
    unit_x = dict((r[0], r[2]) for r in rows)["Permeability x"]
    assert "do not span" in unit_x


def test_measure_without_permeability():
    rng = np.random.default_rng(3)
    v = (rng.random((16, 16, 16)) < 0.4).astype(np.uint8)
    rep = P.measure(v, permeability=False)
    d = rep.to_dict()
    assert d["permeability_mD"] is None and d["permeability_spans"] is None
    assert not any(r[0].startswith("Permeability") for r in rep.rows())
