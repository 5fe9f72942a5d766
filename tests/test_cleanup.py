"""Drawing cleanup engine: synthetic data, U-Net, tiled inference, training, metrics (tiny and fast)."""

import numpy as np
import pytest
import torch

from core.cleanup import synth
from core.cleanup.config import UNetConfig
from core.cleanup.evaluate import PSNR_CAP, f_measure, gt_mask, iou, otsu, psnr, sauvola
from core.cleanup.infer import CleanupModel, clean_image, predict, tile_starts
from core.cleanup.model import UNet, fuse_for_inference
from core.errors import InputError

torch.set_num_threads(1)
TINY = UNetConfig(base_width=4, depth=2, crop=64)


# ----------------------------------------------------------------------------- synthetic data

def test_generator_is_deterministic_by_seed():
    a = synth.make_pair(7, 96, 80)
    b = synth.make_pair(7, 96, 80)
    c = synth.make_pair(8, 96, 80)
    assert a[0].shape == a[1].shape == (96, 80) and a[0].dtype == np.uint8
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert set(np.unique(a[1])) <= {0, 1}


def test_degradations_change_input_not_target():
    seed = 3
    cov = synth.render(seed, 96, 96)
    clean = synth.clean_target(seed, 96)
    assert clean.any()
    d = synth.Degradations(max_rotation_deg=0.0, p_gaps=1.0, p_texture=1.0, p_blur=1.0, p_jpeg=1.0, max_noise=0.05)
    s1, t1 = synth.degrade(cov, np.random.default_rng(1), d)
    s2, t2 = synth.degrade(cov, np.random.default_rng(2), d)
    assert np.array_equal(t1, clean) and np.array_equal(t2, clean)  # the target is untouched
    paper = np.where(clean > 0, 0, 255).astype(np.uint8)
    assert np.abs(s1.astype(int) - paper).mean() > 5  # the input is not the clean drawing
    assert not np.array_equal(s1, s2)                  # and depends on the degradation draw
    # A rotation moves input and target together: the target stays a drawing of about the same ink.
    _, tr = synth.degrade(cov, np.random.default_rng(1), synth.Degradations(max_rotation_deg=2.0))
    assert abs(int(tr.sum()) - int(clean.sum())) < 0.25 * clean.sum()


def test_gaps_are_cut_in_the_input_only():
    cov = np.zeros((64, 64), np.uint8)
    cov[30:34, :] = 255  # one thick line
    gapped = synth._cut_gaps(cov, np.random.default_rng(0))
    assert (gapped < cov).any()
    d = synth.Degradations(max_rotation_deg=0.0)
    _, target = synth.degrade(cov, np.random.default_rng(0), d)
    assert target[30:34].all() and target.sum() == 4 * 64


def test_heldout_seeds_are_never_training_seeds():
    rng = np.random.default_rng(0)
    train = {synth.train_seed(rng) for _ in range(5000)}
    held = set(synth.heldout_seeds(1000))
    val = set(synth.val_seeds(100))
    assert all(synth.is_training_seed(s) for s in train)
    assert not any(synth.is_training_seed(s) for s in held | val)
    assert not (held & val) and not (held & train) and not (val & train)


# ----------------------------------------------------------------------------- model and inference

@pytest.mark.parametrize("h,w", [(37, 53), (64, 64), (5, 3), (66, 130)])
def test_unet_output_shape_any_size(h, w):
    net = UNet(TINY).eval()
    with torch.no_grad():
        assert net(torch.rand(2, 1, h, w)).shape == (2, 1, h, w)


def test_fused_model_matches_unfused():
    torch.manual_seed(0)
    net = UNet(TINY)
    net.train()
    net(torch.rand(4, 1, 64, 64))  # give BatchNorm some running statistics
    net.eval()
    x = torch.rand(1, 1, 48, 40)
    with torch.no_grad():
        ref = net(x)
        assert torch.allclose(ref, fuse_for_inference(net)(x), atol=1e-4)
        # The CPU inference net (channels-last, conv+ReLU fused into one oneDNN call) computes the same.
        assert torch.allclose(ref, CleanupModel.from_unet(net, precision="fp32").logits(x), atol=1e-4)
        assert torch.allclose(ref, CleanupModel.from_unet(net, precision="bf16").logits(x), atol=0.1)


def test_tile_starts_cover_and_overlap():
    for length in (64, 96, 500 // 4 * 4, 2496, 3520):
        starts, t = tile_starts(length, 256, 64, 4)
        assert starts[0] == 0 and starts[-1] + t == length
        assert all(s % 4 == 0 for s in starts) and t % 4 == 0
        assert all(starts[i] + t - starts[i + 1] >= 64 for i in range(len(starts) - 1))
        assert t <= max(length, 256 + 4)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_tiled_equals_whole_away_from_borders(precision):
    model = CleanupModel.from_config(TINY, seed=0, precision=precision)
    scan, _ = synth.make_pair(11, 150, 190)
    whole = predict(model, scan, tile=4096)
    tiled = predict(model, scan, tile=64, overlap=32)  # 150×190 is no multiple of the tile
    assert tiled.shape == whole.shape == (150, 190) and tiled.dtype == np.float32
    assert 0.0 <= tiled.min() and tiled.max() <= 1.0
    inner = (slice(8, -8), slice(8, -8))
    assert np.abs(tiled[inner] - whole[inner]).max() < 0.02
    assert np.abs(tiled - whole).mean() < 0.002
    ink = clean_image(model, scan, threshold=0.5, tile=64, overlap=32)
    assert ink.shape == scan.shape and ink.dtype == np.uint8 and set(np.unique(ink)) <= {0, 1}


def test_views_average_the_flipped_and_transposed_predictions():
    import dataclasses

    plain = CleanupModel.from_config(TINY, seed=0, precision="fp32")
    scan, _ = synth.make_pair(12, 64, 80)
    one = predict(plain, scan)
    views = [one, predict(plain, scan[::-1])[::-1], predict(plain, scan[:, ::-1])[:, ::-1],
             predict(plain, scan[::-1, ::-1])[::-1, ::-1]]
    four = predict(dataclasses.replace(plain, views=4), scan)
    assert np.allclose(four, np.mean(views, 0), atol=1e-5)
    views += [v.T for v in (predict(plain, np.ascontiguousarray(scan.T)), predict(plain, scan.T[::-1])[::-1],
                            predict(plain, scan.T[:, ::-1])[:, ::-1], predict(plain, scan.T[::-1, ::-1])[::-1, ::-1])]
    eight = predict(dataclasses.replace(plain, views=8), scan, tile=4096)
    err = np.abs(eight - np.mean(views, 0)).max()
    # An untrained net is nearly constant but no symmetric function: the views differ far beyond rounding.
    assert err < 1e-6 and np.abs(eight - one).max() > 20 * max(err, 1e-7)
    tiled = predict(dataclasses.replace(plain, views=8), scan, tile=32, overlap=16)
    assert np.abs(tiled - eight).mean() < 0.002
    with pytest.raises(InputError, match="Views"):
        CleanupModel.from_config(TINY, views=3)


def test_precision_choice():
    from core.cleanup.infer import resolve_precision

    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == "fp32" and resolve_precision("auto", cpu) in ("fp32", "bf16")
    with pytest.raises(InputError):
        resolve_precision("fp8", cpu)


def test_predict_accepts_colour_and_16_bit():
    model = CleanupModel.from_config(TINY, seed=0)
    rgb, _ = synth.make_pair(2, 40, 50, rgb=True)
    assert predict(model, rgb).shape == (40, 50)
    assert predict(model, (rgb[..., 0].astype(np.uint16) * 257)).shape == (40, 50)
    with pytest.raises(InputError):
        clean_image(model, rgb, threshold=1.5)


def test_short_training_reduces_the_loss(tmp_path):
    from core.cleanup.task import CleanupTask
    from core.train import TrainConfig, fit, read_log

    cfg = TrainConfig(steps=60, batch_size=4, lr=3e-3, log_every=10, checkpoint_every=0, seed=0, device="cpu",
                      out_dir=str(tmp_path / "run"))
    res = fit(CleanupTask(UNetConfig(base_width=4, depth=2, crop=64)), cfg)
    assert res.step == 60 and res.checkpoint.is_file()
    bce = [r["value"] for r in read_log(tmp_path / "run" / "log.csv") if r["name"] == "bce"]
    assert bce[-1] < 0.85 * bce[0] and bce[-1] < bce[1]


# ----------------------------------------------------------------------------- metrics and baselines

def test_metrics_on_hand_made_arrays():
    pred = np.array([[1, 1, 0, 0]], np.uint8)
    gt = np.array([[1, 0, 1, 0]], np.uint8)
    assert iou(pred, gt) == pytest.approx(1 / 3)
    assert f_measure(pred, gt) == pytest.approx(0.5)
    assert psnr(pred, gt) == pytest.approx(10 * np.log10(2))  # half the pixels wrong
    assert iou(gt, gt) == 1.0 and f_measure(gt, gt) == 1.0 and psnr(gt, gt) == PSNR_CAP
    z = np.zeros((3, 3), np.uint8)
    assert iou(z, z) == 1.0 and f_measure(z, z) == 1.0
    assert f_measure(z, np.eye(3, dtype=np.uint8)) == 0.0 and iou(z, np.eye(3)) == 0.0
    big_p, big_g = np.zeros((10, 10)), np.zeros((10, 10))
    big_p[0, :] = 1
    big_g[0, :5] = 1
    assert iou(big_p, big_g) == pytest.approx(0.5)
    assert f_measure(big_p, big_g) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert psnr(big_p, big_g) == pytest.approx(10 * np.log10(100 / 5))
    with pytest.raises(InputError):
        iou(np.zeros((2, 2)), np.zeros((2, 3)))


def test_baselines_and_gt_polarity():
    grey = np.full((40, 40), 230, np.uint8)
    grey[10:14, 5:35] = 20
    truth = (grey < 128).astype(np.uint8)
    assert iou(otsu(grey), truth) == 1.0
    assert iou(sauvola(grey), truth) > 0.9
    assert np.array_equal(gt_mask(np.where(truth > 0, 0, 255)), truth)   # black on white
    assert np.array_equal(gt_mask(np.where(truth > 0, 255, 0)), truth)   # white on black


def test_sampling_workers_give_the_same_batch():
    from core.cleanup.task import CleanupTask

    cfg = UNetConfig(base_width=4, depth=2, crop=32)
    here, pooled = CleanupTask(cfg), CleanupTask(cfg, workers=2)
    try:
        a = here.sample(3, np.random.default_rng(5))
        b = pooled.sample(3, np.random.default_rng(5))
    finally:
        pooled.close()
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert pooled._pool is None
