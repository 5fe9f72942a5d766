"""Local-norm rock generators (g_norm "pixel") and their slab-by-slab generation (core.rock.slabs)."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from core.errors import InputError
from core.rock import RockGANConfig, RockModel, generate
from core.rock.model import Encoder, Generator, noise_shape
from core.rock.slabs import SlabGenerator, plan_boxes

torch.set_num_threads(1)


def blobs(shape, seed=0, sigma=1.5):
    rng = np.random.default_rng(seed)
    return (ndimage.gaussian_filter(rng.random(shape), sigma) > 0.5).astype(np.uint8)


def shaken(cfg, seed=0):
    """A generator with perturbed weights, so its output is far from trivial (porosity well inside 0…1)."""
    torch.manual_seed(seed)
    enc, gen = Encoder(cfg).eval(), Generator(cfg).eval()
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return enc, gen


def assert_same_volume(a, b, tol=1e-4):
    """Slabs and a whole pass are different computations (other tensor shapes, so oneDNN may pick other
    kernels and round differently on another CPU): a voxel within rounding of the 0.5 threshold may
    flip. At most ``tol`` of the voxels may differ (0 on the Intel Xeon where this was written)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    assert np.mean(a != b) <= tol, f"{int((a != b).sum())} of {a.size} voxels differ"


class Messages:
    def __init__(self):
        self.seen = []

    def report(self, frac, msg=""):
        self.seen.append(msg)


@pytest.mark.parametrize("padding", ["replicate", "zeros", "reflect"])
def test_slabs_reproduce_the_whole_pass_for_every_budget_and_padding(padding):
    cfg = RockGANConfig(channels=4, z_channels=4, d_channels=4, crop=32, g_norm="pixel", padding_mode=padding, decay=5)
    enc, gen = shaken(cfg)
    with torch.inference_mode():
        code = enc((torch.from_numpy(blobs((36, 44))).float())[None, None])
        z = torch.randn(1, 4, 10, 9, 11, generator=torch.Generator().manual_seed(1))
        ref = (gen(code, z)[0, 0, 1:38, :35, :41] >= 0.5).numpy()
        assert 0.1 < ref.mean() < 0.9
        for budget in (30_000, 300_000, 2**30):
            msgs = Messages()
            out = SlabGenerator(gen, code, 40, 36, 44, budget_bytes=budget).run(z, np.empty((37, 35, 41), np.uint8), 1,
                                                                                 msgs)
            assert_same_volume(out, ref)
            tiles = [m for m in msgs.seen if m.startswith("Tile")]
            assert (len(tiles) == 1) == (budget == 2**30)


def test_box_plan_covers_every_voxel_once_and_splits_y_x_only_when_whole_planes_do_not_fit():
    for budget, yx_split in ((10**9, False), (40 * 48 * 60 * 100, False), (30_000 * 100, True)):
        boxes = plan_boxes(2, 37, 40, 52, budget, 100)
        cover = np.zeros((37, 40, 52), int)
        for za, zb, ya, yb, xa, xb in boxes:
            assert za % 2 == 0 and ya % 2 == 0 and xa % 2 == 0
            cover[za:zb, ya:yb, xa:xb] += 1
        assert (cover[2:] == 1).all() and (cover[:2] == 0).all()
        assert any(b[3] - b[2] < 40 for b in boxes) == yx_split


def inner_planes_shift(norm):
    """Largest change of G's planes 16…48 of a 64-deep volume when the same noise is extended to 96 planes
    (16 more each side): G's receptive field (15 voxels) does not reach the new faces from those planes."""
    cfg = RockGANConfig(channels=4, z_channels=4, d_channels=4, crop=32, g_norm=norm, decay=2)
    enc, gen = shaken(cfg, seed=2)
    with torch.inference_mode():
        code = enc(torch.from_numpy(blobs((24, 24), seed=3)).float()[None, None])
        z = torch.randn(1, 4, 24, 6, 6, generator=torch.Generator().manual_seed(5))
        short = gen(code, z[:, :, 4:20])[0, 0]   # 64 planes, slice at plane 32
        deep = gen(code, z)[0, 0]                # 96 planes, slice at plane 48: short's plane p is deep's p + 16
    return float((short[16:48] - deep[32:64]).abs().max())


def test_pixel_norm_planes_do_not_depend_on_the_volume_depth():
    """Why g_norm "pixel" exists: with GroupNorm a deeper volume changes the statistics every plane is
    normalised with, so every plane changes (the far field most); with PixelNorm only planes within
    the receptive field of a face can."""
    assert inner_planes_shift("group") > 1e-3
    assert inner_planes_shift("pixel") < 1e-4


def test_generate_tiles_a_pixel_model_exactly_with_any_padding():
    for padding in ("replicate", "reflect"):
        cfg = RockGANConfig(channels=4, z_channels=4, d_channels=4, crop=16, g_norm="pixel", padding_mode=padding)
        m = RockModel.from_config(cfg, seed=0)
        s = blobs((40, 44))
        whole = generate(m, s, 72, 2, seed=7, tiled=False)
        tiled = generate(m, s, 72, 2, seed=7, tiled=True, tile_budget_bytes=200_000)
        assert not tiled.notices  # no "reflect is not supported" notice for a local-norm model
        for a, b in zip(whole, tiled):
            assert_same_volume(a, b)
        assert tiled.slice_match == whole.slice_match


def test_g_norm_setting_is_checked_and_old_checkpoints_keep_groupnorm():
    with pytest.raises(InputError, match="g_norm"):
        RockGANConfig(crop=16, g_norm="batch")
    old = RockGANConfig(crop=16).to_dict()
    del old["g_norm"]
    assert RockGANConfig.from_dict(old).g_norm == "group"


def test_a_groupnorm_generator_s_weights_load_into_a_pixel_norm_generator():
    """--init can switch an existing model to the local norm: the affine parameters keep their names."""
    group = Generator(RockGANConfig(channels=4, z_channels=4, crop=16, g_norm="group"))
    pixel = Generator(RockGANConfig(channels=4, z_channels=4, crop=16, g_norm="pixel"))
    pixel.load_state_dict(group.state_dict())
    with torch.inference_mode():
        z = torch.randn((1,) + noise_shape(pixel_cfg := RockGANConfig(crop=16, channels=4, z_channels=4), 16, 16, 16))
        code = Encoder(pixel_cfg)(torch.zeros(1, 1, 16, 16))
        assert pixel(code, z).shape == (1, 1, 16, 16, 16)
