"""core.render: off-screen 3D renders of a binary volume (no Qt)."""

import numpy as np
import pytest
from PIL import Image

from core.errors import InputError
from core.render import MAX_DIM_SURFACE, block_mean, build_scene, downsample, prepare_scene, render_png


def porous(n=40, seed=0, phi=0.3):
    """A smooth random porous medium (about ``phi`` pore)."""
    from scipy.ndimage import gaussian_filter

    r = gaussian_filter(np.random.default_rng(seed).standard_normal((n, n, n)), 2.0)
    return (r > np.quantile(r, 1 - phi)).astype(np.uint8)


def n_colours(img: np.ndarray) -> int:
    return len(np.unique(img.reshape(-1, img.shape[-1]), axis=0))


@pytest.mark.parametrize("mode", ["surface", "volume"])
def test_render_png_off_screen_is_not_blank(tmp_path, mode):
    out = render_png(porous(), tmp_path / f"r_{mode}.png", mode=mode, window_size=(400, 300))
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (300, 400, 3)
    assert n_colours(img) > 50
    # the rock covers a good part of the picture, not just the background gradient
    centre = img[100:200, 130:270].reshape(-1, 3).astype(int)
    assert np.abs(centre - centre.mean(0)).sum(1).mean() > 5


def test_large_volumes_are_downsampled_for_display():
    a = np.zeros((450, 20, 30), np.uint8)
    small, step = downsample(a, 200)
    assert step == 3 and small.shape == (150, 7, 10)
    assert downsample(a[:100], 200)[1] == 1
    a[:, :10] = 1
    frac, step = block_mean(a, 200)
    assert step == 3 and frac.shape == (150, 7, 10) and frac.dtype == np.float32
    assert frac[0, 0, 0] == 1.0 and frac[0, 3, 0] == pytest.approx(1 / 3) and frac[0, 4, 0] == 0.0
    vol = np.zeros((MAX_DIM_SURFACE * 2 + 4, 20, 20), np.uint8)
    vol[:, 5:15, 5:15] = 1
    data = prepare_scene(vol, "surface")
    assert data.step == 3 and data.dataset.n_cells > 0 and data.notices
    # bounds stay about those of the pore body in the full volume (in voxels)
    b = data.dataset.bounds
    assert b[0] == pytest.approx(4.5, abs=1.6) and b[1] == pytest.approx(14.5, abs=1.6)
    assert b[5] == pytest.approx(vol.shape[0] - 0.5, abs=2.5)


def test_bad_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        prepare_scene(np.ones((10, 10, 10), np.uint8), "surface")  # no pore surface
    with pytest.raises(InputError):
        prepare_scene(porous(12), "hologram")
    with pytest.raises(InputError):
        prepare_scene(np.zeros((10, 10)), "surface")
    with pytest.raises(InputError):
        render_png(porous(12), tmp_path / "x.jpg")


def test_build_scene_on_any_plotter():
    import pyvista as pv

    pl = pv.Plotter(off_screen=True, window_size=[200, 200])
    try:
        data = build_scene(pl, porous(24), "volume")
        assert data.mode == "volume" and "pores" in pl.actors and "outline" in pl.actors
        build_scene(pl, porous(24), "surface")  # replaces the scene, keeps the lights
        assert "pores" in pl.actors and len(pl.renderer.lights) > 0
        assert n_colours(pl.screenshot()) > 50
    finally:
        pl.close()
