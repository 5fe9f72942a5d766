"""Rock GAN (core.rock): shapes, seeds, slice matching, data split, training, CLI and DDP."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from scipy import ndimage

from core.errors import InputError
from core.io import read_volume
from core.rock import RockGANConfig, RockGANTask, RockModel, generate, load_model
from core.rock.cli import main as rock_main
from core.train import LAST, TrainConfig, fit, load_checkpoint, read_log, save_checkpoint
from core.volumes.crops import CropSampler
from core.volumes.split import load_training_volumes, training_part

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "rocks"
# The porosity terms (on by default) slow a 30-step tiny run's slice learning; their own tests set them.
TINY = RockGANConfig(channels=8, z_channels=4, d_channels=8, crop=16, porosity_weight=0, profile_weight=0)


def blobs(shape, seed=0, sigma=1.5):
    rng = np.random.default_rng(seed)
    return (ndimage.gaussian_filter(rng.random(shape), sigma) > 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny GAN trained 30 steps on a trivial target: the same 2D pattern at every z."""
    out = tmp_path_factory.mktemp("run")
    vol = np.repeat(blobs((48, 48), sigma=2)[None], 32, 0)
    fit(RockGANTask(TINY, [vol]), TrainConfig(steps=30, batch_size=4, lr=1e-3, checkpoint_every=0, log_every=5,
                                              check_every=1, seed=0, device="cpu", out_dir=str(out)))
    return out


@pytest.fixture(scope="module")
def untrained():
    return RockModel.from_config(TINY, seed=0)


@pytest.mark.parametrize("h, w, depth", [(16, 16, 16), (20, 28, 9), (32, 24, 33)])
def test_fully_convolutional_shapes(untrained, h, w, depth):
    vols = generate(untrained, blobs((h, w)), depth, 1, seed=0)
    assert vols[0].shape == (depth, h, w) and vols[0].dtype == np.uint8
    assert set(np.unique(vols[0])) <= {0, 1} and vols.centre == depth // 2


def test_seeds(untrained):
    s = blobs((16, 16))
    a, b = generate(untrained, s, 12, 2, seed=5), generate(untrained, s, 12, 3, seed=5)
    np.testing.assert_array_equal(a[0], b[0])  # same seed → same volume, whatever the count
    np.testing.assert_array_equal(a[1], b[1])
    assert (a[0] != a[1]).mean() > 0.05  # different z → different volumes
    assert (a[0] != generate(untrained, s, 12, 1, seed=6)[0]).any()


def test_slice_match_and_paste(trained, untrained):
    model = load_model(trained / LAST)
    assert model.step == 30
    s = blobs((48, 48), sigma=2)[:20, :20]
    kept = generate(model, s, 16, 2, seed=1, paste=False)
    for vol, match in zip(kept, kept.slice_match):
        assert match == pytest.approx((vol[8] == s).mean())  # reported before any pasting
        assert match > 0.9  # trained on this pattern: G reproduces the slice itself
    assert (kept[0] != kept[1]).any()
    pasted = generate(model, s, 16, 2, seed=1)
    assert pasted.pasted and pasted.slice_match == kept.slice_match
    np.testing.assert_array_equal(pasted[0][8], s)
    assert untrained and generate(untrained, s, 16, 1, seed=1).slice_match[0] < 0.8


def test_training_reduces_the_slice_loss(trained):
    rec = [r["value"] for r in read_log(trained / "log.csv") if r["kind"] == "check" and r["name"] == "rec"]
    assert len(rec) == 30 and np.mean(rec[-5:]) < 0.5 * rec[0]
    losses = {r["name"] for r in read_log(trained / "log.csv") if r["kind"] == "loss"}
    assert losses == {"loss_d", "loss_g_adv", "rec", "porosity_mse"}
    checks = {r["name"]: r["value"] for r in read_log(trained / "log.csv") if r["kind"] == "check"}
    assert {"porosity_far", "porosity_near", "porosity_fake", "porosity_real"} <= set(checks)
    assert all(0 <= checks[k] <= 1 for k in ("porosity_far", "porosity_near"))


def test_porosity_term_pulls_each_volume_to_its_crops_porosity(tmp_path):
    from core.rock.task import porosity_loss

    fake = torch.full((2, 1, 4, 4, 4), 0.25)
    real = torch.zeros((2, 1, 4, 4, 4))
    real[1] = 1.0
    assert porosity_loss(fake, real).item() == pytest.approx((0.25 ** 2 + 0.75 ** 2) / 2)
    with pytest.raises(InputError, match="porosity_weight"):
        RockGANConfig(porosity_weight=-1)
    # Two rocks of very different porosity: with the term, G's porosity follows the slice's rock
    # (a long decay, so that the slice reaches the whole crop; 60 steps, fixed seeds: 0.016 vs 0.031).
    dense = (blobs((40, 40, 40), seed=1, sigma=1.5) * (np.random.default_rng(2).random((40, 40, 40)) < 0.3)).astype(np.uint8)
    porous = blobs((40, 40, 40), seed=3, sigma=1.5) | (np.random.default_rng(4).random((40, 40, 40)) < 0.3).astype(np.uint8)
    last = {}
    for mu in (0.0, 1000.0):
        # GroupNorm, as calibrated. With the pixel norm this 60-step run from scratch fits porosity
        # without the term (mse 0.012) and the term slows it (0.065 at μ 100 or 1000); in the full
        # runs (pixel, μ 100, from trained weights) porosity_mse stays near 0.001.
        cfg = RockGANConfig(channels=8, z_channels=4, d_channels=8, crop=16, porosity_weight=mu, profile_weight=0,
                            decay=1000.0, g_norm="group")
        out = tmp_path / f"mu{mu:g}"
        res = fit(RockGANTask(cfg, [dense, porous]), TrainConfig(steps=60, batch_size=4, lr=2e-3, checkpoint_every=0,
                                                                 log_every=10, seed=0, device="cpu", out_dir=str(out)))
        mse = [r["value"] for r in read_log(out / "log.csv") if r["name"] == "porosity_mse"]
        assert len(mse) == 6 and load_checkpoint(res.checkpoint)["config"]["porosity_weight"] == mu
        last[mu] = np.mean(mse[-2:])
    assert last[1000.0] < 0.75 * last[0.0], last


def test_profile_term_pulls_every_band_of_planes_to_the_crops_porosity(tmp_path):
    from core.rock.task import profile_loss

    fake = torch.zeros((1, 1, 10, 4, 4))
    fake[:, :, :4] = 1.0  # bands of 4 planes: 1 and 0 (the last 2 planes make no full band)
    real = torch.full((1, 1, 10, 4, 4), 0.5)
    assert profile_loss(fake, real).item() == pytest.approx(0.25)
    flat = torch.full((1, 1, 8, 4, 4), 0.5)
    assert profile_loss(flat, real).item() == 0  # same mean porosity, flat along z: no cost
    with pytest.raises(InputError, match="profile_weight"):
        RockGANConfig(profile_weight=-1)
    cfg = RockGANConfig(channels=8, z_channels=4, d_channels=8, crop=16, porosity_weight=1.0, profile_weight=50.0)
    res = fit(RockGANTask(cfg, [blobs((40, 40, 40), seed=1)]),
              TrainConfig(steps=4, batch_size=2, checkpoint_every=0, log_every=2, seed=0, device="cpu",
                          out_dir=str(tmp_path / "run")))
    logged = [r["value"] for r in read_log(tmp_path / "run" / "log.csv") if r["name"] == "profile_mse"]
    assert len(logged) == 2 and all(v >= 0 for v in logged)
    assert load_checkpoint(res.checkpoint)["config"]["profile_weight"] == 50.0


def test_bad_inputs(untrained, tmp_path):
    with pytest.raises(InputError, match="at least 16"):
        generate(untrained, blobs((12, 40)), 8, 1, seed=0)
    with pytest.raises(InputError, match="2D"):
        generate(untrained, blobs((3, 16, 16)), 8, 1, seed=0)
    with pytest.raises(InputError, match="at least 1"):
        generate(untrained, blobs((16, 16)), 0, 1, seed=0)
    grey = ndimage.gaussian_filter(np.random.default_rng(0).random((16, 16)), 1) * 200
    vols = generate(untrained, grey, 8, 1, seed=0)
    assert vols.notices and "Otsu" in vols.notices[0] and vols[0].max() <= 1
    save_checkpoint(tmp_path / "other.pt", {"kind": "texture-gan", "format_version": 1})
    with pytest.raises(InputError, match="'texture-gan' model"):
        load_model(tmp_path / "other.pt")
    save_checkpoint(tmp_path / "newer.pt", {"kind": "rock-gan", "format_version": 7})
    with pytest.raises(InputError, match="newer"):
        load_model(tmp_path / "newer.pt")
    with pytest.raises(InputError, match="multiple of 4"):
        RockGANConfig(crop=18)


def test_split_is_enforced_by_name(tmp_path):
    vol = blobs((200, 20, 20))
    assert training_part(vol, "ketton_256.tif")[0].shape[0] == 192
    assert training_part(vol, "berea_400.tif")[0].shape[0] == 200  # shorter than the limit: all of it
    assert training_part(vol, "my_rock.tif") == (vol, None)
    tifffile.imwrite(tmp_path / "ketton_256.tif", vol)
    tifffile.imwrite(tmp_path / "mine.tif", vol)
    arrays, notices = load_training_volumes([tmp_path / "ketton_256.tif", tmp_path / "mine.tif"])
    assert [a.shape[0] for a in arrays] == [192, 200] and "z < 192" in notices[0]


@pytest.mark.skipif(not (SHARED / "ketton_256.tif").is_file(), reason="shared data not present")
def test_split_on_the_shared_file():
    arrays, _ = load_training_volumes([SHARED / "ketton_256.tif"])
    assert arrays[0].shape == (192, 256, 256)


def test_crops_are_binary_and_condition_is_the_central_slice():
    sampler = CropSampler([blobs((20, 30, 30))], 16)
    vols, s = sampler.sample(3, np.random.default_rng(0))
    assert vols.shape == (3, 1, 16, 16, 16) and s.shape == (3, 1, 16, 16)
    assert set(vols.unique().tolist()) <= {0.0, 1.0} and torch.equal(s, vols[:, :, 8])
    with pytest.raises(InputError, match="smaller --crop"):
        CropSampler([blobs((10, 30, 30))], 16)


def test_cli_generate_writes_tiffs_with_metadata(trained, tmp_path, capsys):
    tifffile.imwrite(tmp_path / "s.tif", blobs((48, 48), sigma=2)[:24, :20] * 255)
    rc = rock_main(["rock", "generate", "--model", str(trained / LAST), "--slice", str(tmp_path / "s.tif"),
                    "--depth", "12", "--count", "2", "--seed", "9", "-o", str(tmp_path / "g.tif"), "-q",
                    "--device", "cpu"])
    assert rc == 0 and "seed 9" in capsys.readouterr().out
    outs = sorted(tmp_path.glob("g_*.tif"))
    assert [p.name for p in outs] == ["g_001.tif", "g_002.tif"]
    v = read_volume(outs[1])
    assert v.array.shape == (12, 24, 20)
    assert v.metadata["seed"] == 9 and v.metadata["realisation"] == 1 and v.metadata["slice_pasted"] is True
    assert v.metadata["model"].endswith(LAST) and 0 <= v.metadata["slice_match_before_paste"] <= 1
    rc = rock_main(["rock", "generate", "--model", str(tmp_path / "s.tif"), "--slice", str(tmp_path / "s.tif"),
                    "-o", str(tmp_path / "x.tif")])
    assert rc == 1 and "not a SeqGen" in capsys.readouterr().err


def _torchrun(tmp_path, out, *extra):
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "core.rock.cli", "rock", "train",
           "--data", str(tmp_path / "v.tif"), "--crop", "16", "--batch", "2", "--channels", "8",
           "--device", "cpu", "--out", str(out), "--checkpoint-every", "2", "--seed", "1", "--log-every", "1", *extra]
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[:4000] + "\n...\n" + p.stderr[-2000:]
    return p


def test_ddp_two_processes_on_cpu(tmp_path):
    """torchrun, 2 processes, gloo: the run completes, rank 0 alone writes, the replicas stay equal,
    and a 2-process run resumed half-way ends with the very weights of the uninterrupted one."""
    tifffile.imwrite(tmp_path / "v.tif", blobs((32, 32, 32)))
    out = tmp_path / "run"
    p = _torchrun(tmp_path, out, "--steps", "4")
    assert p.stdout.count("trained to step 4") == 1  # only rank 0 talks
    ck = load_checkpoint(out / LAST, kind="rock-gan")
    assert ck["world_size"] == 2 and ck["step"] == 4 and len(ck["rng"]) == 2
    assert not torch.equal(ck["rng"][0]["torch"], ck["rng"][1]["torch"])  # each rank its own noise
    # Different data and noise per rank, yet equal weights: DDP averaged the gradients.
    assert ck["rank_param_sums"][0] == ck["rank_param_sums"][1]
    assert sorted(q.name for q in out.iterdir()) == [LAST, "log.csv", "step_0000002.pt", "step_0000004.pt"]
    assert {r["step"] for r in read_log(out / "log.csv")} == {1, 2, 3, 4}

    _torchrun(tmp_path, tmp_path / "half", "--steps", "2")
    _torchrun(tmp_path, tmp_path / "half", "--steps", "4", "--resume")
    resumed = load_checkpoint(tmp_path / "half" / LAST, kind="rock-gan")["models"]
    for net, sd in ck["models"].items():
        for k, v in sd.items():
            assert torch.equal(v, resumed[net][k]), (net, k)


def test_a_slice_reach_longer_than_the_training_crops_is_warned_about():
    """decay 16 at crop 32 produced volumes without pores far from the slice: the trainer says so first."""
    from core.rock.config import RockGANConfig

    assert RockGANConfig(crop=64, decay=4).reach_warning() is None  # the defaults
    assert RockGANConfig(crop=32, decay=4).reach_warning() is None
    assert RockGANConfig(crop=128, decay=16).reach_warning() is None
    msg = RockGANConfig(crop=32, decay=16).reach_warning()
    assert msg and "decay 16" in msg and "at most 4" in msg and "at least 128" in msg
    assert "at most 8" in RockGANConfig(crop=64, decay=16).reach_warning()
