"""Size independence of the rock GAN: padding mode and random crop depths, with old checkpoints intact."""

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage

from core.errors import InputError
from core.rock import RockGANConfig, RockModel, generate, load_model
from core.rock.model import Discriminator, Encoder, Generator
from core.rock.task import FORMAT_VERSION, KIND
from core.rock.tiled import TiledGenerator
from core.volumes.crops import CropSampler
from core.train import save_checkpoint

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]
OLD_DICT = {"channels": 4, "z_channels": 2, "d_channels": 4, "decay": 4.0, "rec_weight": 10.0, "crop": 16}
OLD = RockGANConfig(channels=4, z_channels=2, d_channels=4, crop=16, padding_mode="zeros", depth_min=16, depth_max=16,
                    porosity_weight=0, profile_weight=0, g_norm="group")
# the padding defaults with GroupNorm: the path core.rock.tiled reproduces (pixel norms: test_rock_slabs)
NEW = RockGANConfig(channels=4, z_channels=2, d_channels=4, crop=16, g_norm="group")


def blobs(shape, seed=0, sigma=1.5):
    rng = np.random.default_rng(seed)
    return (ndimage.gaussian_filter(rng.random(shape), sigma) > 0.5).astype(np.uint8)


def conv_modes(module):
    return {m.padding_mode for m in module.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Conv3d))}


def test_config_dict_without_new_fields_means_the_old_behaviour():
    cfg = RockGANConfig.from_dict(OLD_DICT)
    assert cfg == OLD and cfg.padding_mode == "zeros" and cfg.depth_range() == (16, 16)
    assert RockGANConfig.from_dict(NEW.to_dict()) == NEW  # new checkpoints round-trip
    assert NEW.padding_mode == "replicate" and NEW.depth_range() == (16, 24)
    assert RockGANConfig(crop=32).depth_range() == (24, 48)
    with pytest.raises(InputError, match="padding_mode"):
        RockGANConfig(padding_mode="circular")
    with pytest.raises(InputError, match="multiples of 4"):
        RockGANConfig(crop=16, depth_min=18, depth_max=24)


def test_old_checkpoint_loads_and_generates_exactly_as_before(tmp_path):
    torch.manual_seed(0)
    enc, gen = Encoder(OLD), Generator(OLD)
    path = tmp_path / "old.pt"  # a checkpoint written before the new fields existed
    save_checkpoint(path, {"kind": KIND, "format_version": FORMAT_VERSION, "config": dict(OLD_DICT), "step": 7,
                           "models": {"encoder": enc.state_dict(), "generator": gen.state_dict()}})
    m = load_model(path)
    assert m.config == OLD and conv_modes(m.encoder) == {"zeros"} and conv_modes(m.generator) == {"zeros"}
    ref = RockModel(OLD, enc.eval(), gen.eval())
    s = blobs((20, 24))
    for depth, tiled in ((20, False), (20, True)):
        a = generate(m, s, depth, 2, seed=3, paste=False, tiled=tiled)
        b = generate(ref, s, depth, 2, seed=3, paste=False, tiled=tiled)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
        assert not a.notices


def test_shipped_checkpoints_load_with_the_padding_they_were_trained_with():
    from core.train import load_checkpoint

    for p in sorted((ROOT / "resources" / "models").glob("rock_*.pt")):
        saved = load_checkpoint(p)["config"]
        m = load_model(p)
        if "padding_mode" in saved:  # trained with the new fields: loaded as saved
            assert m.config.padding_mode == saved["padding_mode"], p.name
        else:  # saved before they existed: legacy zero padding and fixed crop depth
            assert m.config.padding_mode == "zeros" and m.config.depth_range() == (m.config.crop,) * 2, p.name
        assert conv_modes(m.generator) == {m.config.padding_mode}, p.name


def test_new_config_uses_the_new_padding():
    assert conv_modes(Encoder(NEW)) == {"replicate"} and conv_modes(Generator(NEW)) == {"replicate"}
    assert conv_modes(Discriminator(NEW)) == {"zeros"}  # D only judges; it does not generate
    refl = RockGANConfig(channels=4, z_channels=2, d_channels=4, crop=16, padding_mode="reflect")
    assert conv_modes(Generator(refl)) == {"reflect"}


def test_new_config_generation_shape_seed_and_tiled_path_agree():
    m = RockModel.from_config(NEW, seed=1)
    s = blobs((20, 28))
    a = generate(m, s, 21, 2, seed=5, tiled=False)
    b = generate(m, s, 21, 1, seed=5, tiled=False)
    assert a[0].shape == (21, 20, 28) and a[0].dtype == np.uint8
    np.testing.assert_array_equal(a[0], b[0])
    assert (a[0] != a[1]).mean() > 0.01
    # The tiled path reproduces replicate padding at the true volume faces (tiles smaller than the domain).
    t = generate(m, s, 21, 2, seed=5, tiled=True, tile_budget_bytes=60_000)
    for x, y in zip(a, t):
        assert (x == y).mean() > 0.999
    assert not t.notices and not a.notices


def test_tiled_generator_matches_whole_pass_with_replicate_padding():
    m = RockModel.from_config(NEW, seed=2)
    s = blobs((28, 36), seed=3)
    with torch.no_grad():
        code = m.encoder(torch.from_numpy(s).float()[None, None])
        z = torch.randn(1, 2, 10, 7, 9, generator=torch.Generator().manual_seed(1))
        ref = (m.generator(code, z)[0, 0] >= 0.5).numpy()
        tg = TiledGenerator(m.generator, code, 40, 28, 36, budget_bytes=60_000, fine_sample=1, cache_dtype=torch.float32)
        out = tg.run(z, np.empty((33, 27, 35), np.uint8), 3)
    assert (out == ref[3:36, :27, :35]).mean() > 0.9999


def test_reflect_padding_runs_whole_even_when_tiled_is_asked():
    cfg = RockGANConfig(channels=4, z_channels=2, d_channels=4, crop=16, padding_mode="reflect", g_norm="group")
    m = RockModel.from_config(cfg, seed=1)
    s = blobs((20, 28))
    a = generate(m, s, 21, 1, seed=5, tiled=False)
    t = generate(m, s, 21, 1, seed=5, tiled=True)
    np.testing.assert_array_equal(a[0], t[0])
    assert any("one pass" in n for n in t.notices)
    with pytest.raises(ValueError, match="reflect"):
        TiledGenerator(m.generator, m.encoder(torch.zeros(1, 1, 16, 16)), 16, 16, 16)


def test_crop_sampler_random_depths_and_old_draws_unchanged():
    vol = blobs((40, 30, 30))
    rng = np.random.default_rng(0)
    sampler = CropSampler([vol], 16, NEW.depth_range())
    depths = set()
    for _ in range(30):
        v, s = sampler.sample(2, rng)
        d = v.shape[2]
        depths.add(d)
        assert v.shape[3:] == (16, 16) and d % 4 == 0 and 16 <= d <= 24
        torch.testing.assert_close(s, v[:, :, d // 2])
    assert len(depths) > 1
    # A fixed depth draws exactly the crops it drew before the depth range existed.
    a = CropSampler([vol], 16, OLD.depth_range()).sample(3, np.random.default_rng(4))
    b = CropSampler([vol], 16).sample(3, np.random.default_rng(4))
    torch.testing.assert_close(a[0], b[0])
    with pytest.raises(InputError, match="does not fit"):
        CropSampler([blobs((20, 30, 30))], 16, (16, 24))
