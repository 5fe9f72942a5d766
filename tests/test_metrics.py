"""core.metrics.psnr: the one PSNR the methods share (known values, floor, axes, tensors)."""

import math

import numpy as np
import pytest
import torch

from core.metrics import psnr
from core.video import metrics as M


def test_psnr_known_values():
    a = np.zeros((4, 4))
    assert psnr(a, a + 0.1) == pytest.approx(20.0)
    assert psnr(a, a) == math.inf
    assert psnr(np.zeros(3), np.full(3, 25.5), data_range=255) == pytest.approx(20.0)
    assert psnr(torch.zeros(2), torch.full((2,), 0.01)) == pytest.approx(40.0)
    assert isinstance(psnr(a, a + 0.1), float)


def test_psnr_per_axis_and_floor():
    a = np.zeros((2, 3, 4, 4))
    b = a.copy()
    b[0, 1] = 0.5          # one frame off by 0.5 everywhere: MSE 0.25
    out = psnr(b, a, axis=(-2, -1), mse_floor=1e-10)
    assert out.shape == (2, 3)
    assert out[0, 1] == pytest.approx(10 * math.log10(4))
    assert np.all(np.delete(out.ravel(), 1) == pytest.approx(100.0))  # identical frames: floored, 100 dB
    assert psnr(a, a, mse_floor=1e-10) == pytest.approx(100.0)


def test_video_frame_psnr_is_the_shared_one():
    rng = np.random.default_rng(0)
    pred, true = rng.integers(0, 256, (3, 5, 8, 8), dtype=np.uint8), rng.integers(0, 256, (3, 5, 8, 8), dtype=np.uint8)
    true[1, 2] = pred[1, 2]
    got = M.frame_psnr(pred, true)
    d = pred / 255.0 - true / 255.0
    want = 10 * np.log10(1 / np.maximum((d * d).mean(axis=(-2, -1)), M.MSE_FLOOR))
    np.testing.assert_array_equal(got, want)  # the formula it had before, bit for bit
    assert got[1, 2] == M.PSNR_MAX
