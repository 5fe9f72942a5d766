"""`seqgen video eval`: metric conventions on known arrays, copy-last baseline, tiny end-to-end eval."""

import json
import math

import numpy as np
import pytest
import torch

from core.train.checkpoint import save_checkpoint
from core.video import metrics as M
from core.video.cli import main
from core.video.evaluate import METHODS, code_nll, evaluate, write_report
from core.video.config import LVT_FORMAT, LVT_KIND, LVTConfig, VQVAEConfig
from core.video.loader import LoadedLVT
from core.video.model import LatentVideoTransformer
from core.video.vqvae import VQVAE

torch.set_num_threads(1)


def tiny_loaded(seed=0) -> LoadedLVT:
    torch.manual_seed(seed)
    vc = VQVAEConfig(size=32, channels=8, embed_dim=8, n_parts=2, codebook_size=16, n_res=1, downsample=4)
    cfg = LVTConfig(frames=3, context=2, height=8, width=8, n_parts=2, codebook_size=16,
                    dim=16, heads=2, layers=1, vqvae=vc.to_dict())
    return LoadedLVT(LatentVideoTransformer(cfg).eval(), VQVAE(vc).eval(), "tiny", 0)


def test_mse_is_a_sum_over_pixels_psnr_and_ssim():
    true = np.zeros((2, 4, 4))
    pred = np.full((2, 4, 4), 0.5)
    assert np.allclose(M.frame_mse(pred, true), 16 * 0.25)  # sum, not mean
    assert np.allclose(M.frame_psnr(pred, true), 10 * math.log10(1 / 0.25))
    u8 = np.full((1, 4, 4), 255, np.uint8)
    assert np.allclose(M.frame_mse(u8, np.zeros((1, 4, 4))), 16.0)  # uint8 read as /255
    assert np.allclose(M.frame_psnr(true, true), M.PSNR_MAX)   # identical: capped, finite
    rng = np.random.default_rng(0)
    a = rng.random((3, 32, 32))
    assert np.allclose(M.frame_ssim(a, a), 1.0)
    s = M.frame_ssim(a, rng.random((3, 32, 32)))
    assert s.shape == (3,) and (s < 0.5).all()


def test_pixel_kl_smoothing():
    a = np.zeros((2, 8, 8), np.uint8)
    assert M.pixel_histogram_kl(a, a) == 0.0
    b = np.full((2, 8, 8), 255, np.uint8)
    kl = M.pixel_histogram_kl(a, b)
    # P: 128.5 at 0, 0.5 elsewhere; Q mirrored; finite thanks to the pseudo-count
    p = np.full(256, 0.5)
    p[0] += 128
    q = p[::-1].copy()
    p, q = p / p.sum(), q / q.sum()
    assert np.isfinite(kl) and kl == pytest.approx(float(np.sum(p * np.log(p / q))))


def test_copy_last_baseline_on_a_hand_made_clip():
    clip = np.zeros((4, 8, 8), np.uint8)
    for t in range(4):
        clip[t, 2, t] = 255            # one bright pixel moving right by one pixel per frame
    ctx, fut = clip[:2], clip[2:]
    base = M.copy_last_baseline(ctx, 2)
    assert base.shape == (2, 8, 8) and np.array_equal(base[0], clip[1]) and np.array_equal(base[1], clip[1])
    # each predicted frame misses the true pixel and has the old one: 2 pixels of error 1
    assert np.allclose(M.frame_mse(base, fut), [2.0, 2.0])
    assert np.allclose(M.frame_psnr(base, fut), 10 * math.log10(64 / 2))
    assert M.copy_last_baseline(np.stack([ctx, ctx]), 3).shape == (2, 3, 8, 8)


def test_bits_per_code_positive_finite_and_counts():
    loaded = tiny_loaded()
    codes = torch.randint(0, 16, (2, 5, 2, 8, 8))
    nats, count = code_nll(loaded.model, codes, 3, 2)
    assert count == 2 * 2 * 128           # 2 clips × 2 predicted frames × 8·8·2 codes
    bits = nats / math.log(2) / count
    assert np.isfinite(bits) and 0 < bits < 3 * math.log2(16)  # near log2(16) = 4 for an untrained model


def test_eval_tiny_model_writes_table_json_png(tmp_path):
    loaded = tiny_loaded()
    calls = []
    from core.jobs import TaskState

    res = evaluate(loaded, n=4, context=3, frames=2, batch=3, seed=1,
                   state=TaskState(lambda f, m: calls.append(f)))
    assert res["n_sequences"] == 4 and res["frames"] == 2 and res["temperature"] == 0.0  # greedy by default
    for m in METHODS:
        d = res["methods"][m]
        assert len(d["per_frame"]["mse"]) == 2 and len(d["per_frame"]["ssim"]) == 2
        assert np.isfinite(d["mean"]["mse"]) and -1 <= d["mean"]["ssim"] <= 1 and d["pixel_kl"] >= 0
    assert res["bits_per_code"] > 0 and np.isfinite(res["bits_per_code"])
    assert res["n_codes_scored"] == 4 * 2 * 128
    assert calls and max(calls) == pytest.approx(1.0)
    # same seed, same numbers
    again = evaluate(loaded, n=4, context=3, frames=2, batch=3, seed=1)
    assert again["methods"]["ours"]["mean"] == res["methods"]["ours"]["mean"]
    paths = write_report(res, tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert data["n_sequences"] == 4 and [p["method"] for p in data["published"]] == ["SimVP", "PhyDNet", "PredRNN"]
    md = paths["md"].read_text()
    assert "published (OpenSTL), not ours" in md and "32.15" in md and "copy last frame" in md
    assert md.count("\n| 4 |") == 1 and md.count("\n| 5 |") == 1  # one row per predicted frame (4th, 5th)
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_cancel():
    from core.errors import Cancelled
    from core.jobs import TaskState

    with pytest.raises(Cancelled):
        evaluate(tiny_loaded(), n=2, context=2, frames=1, state=TaskState(None, lambda: True))


def test_cli_eval(tmp_path, capsys):
    loaded = tiny_loaded()
    ck = {"kind": LVT_KIND, "format_version": LVT_FORMAT, "config": loaded.model.cfg.to_dict(), "step": 0,
          "models": {"lvt": loaded.model.state_dict(), "vqvae": loaded.vqvae.state_dict()}}
    save_checkpoint(tmp_path / "m.pt", ck)
    out = tmp_path / "res"
    assert main(["video", "eval", "--model", str(tmp_path / "m.pt"), "--n", "2", "--context", "2", "--frames", "2",
                 "--samples", "2", "--device", "cpu", "--out", str(out), "-q"]) == 0
    text = capsys.readouterr()
    assert "bits per code" in text.out and "at least 256" in text.err
    data = json.loads((out / "eval.json").read_text())
    assert data["samples"] == 2 and data["temperature"] == 1.0 and len(data["methods"]["copy_last"]["per_frame"]["psnr"]) == 2
    assert (out / "per_frame.png").is_file() and (out / "eval.md").is_file()
    assert main(["video", "eval", "--model", str(tmp_path / "m.pt"), "--context", "1", "--out", str(out), "-q"]) == 1
    assert "at least 2 context frames" in capsys.readouterr().err
