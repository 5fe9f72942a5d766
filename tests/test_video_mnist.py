"""Moving MNIST: determinism, the binding digit split, uint8 range, bouncing inside the canvas."""

import numpy as np
import pytest

from core.video import mnist
from core.video.mnist import fixed_test_set, is_test_index, moving_mnist, trajectory


def test_deterministic_by_seed():
    a = moving_mnist(3, seed=7)
    b = moving_mnist(3, seed=7)
    c = moving_mnist(3, seed=8)
    assert a.shape == (3, 20, 64, 64) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_split_is_binding():
    _, tr = moving_mnist(40, seed=1, split="train", return_indices=True)
    _, te = moving_mnist(40, seed=1, split="test", return_indices=True)
    assert not is_test_index(tr).any()
    assert is_test_index(te).all()
    assert mnist.split_indices("train").size == 4000 and mnist.split_indices("test").size == 1000
    with pytest.raises(Exception):
        mnist.split_indices("val")


def test_fixed_test_set_is_prefix_stable():
    a = fixed_test_set(4, frames=6)
    b = fixed_test_set(2, frames=6)
    assert np.array_equal(a[:2], b)


def test_value_range_and_content():
    v = moving_mnist(4, seed=3)
    assert v.min() == 0 and v.max() > 200  # digits are bright on a black canvas
    assert (v.reshape(4, 20, -1).max(axis=2) > 0).all()  # every frame shows something


def test_bounces_stay_inside():
    rng = np.random.default_rng(0)
    bounced = False
    for _ in range(50):
        p = trajectory(rng, frames=60)
        assert p.min() >= 0 and p.max() <= 64 - 28
        d = np.diff(p, axis=0)
        bounced |= bool(((d[1:] * d[:-1]) < 0).any())  # velocity changed sign: a bounce
    assert bounced


def test_pixels_only_where_digits_are():
    v, idx = moving_mnist(1, seed=5, frames=30, return_indices=True)
    # total ink never exceeds the two digits' ink (max-combination, no wrap-around or clipping loss
    # beyond overlap)
    ink = v[0].astype(np.int64).reshape(30, -1).sum(1)
    imgs = mnist._load(str(mnist.DIGITS_PATH))
    assert (ink <= imgs[idx[0]].astype(np.int64).sum()).all()
    assert (ink >= imgs[idx[0]].astype(np.int64).sum(axis=(1, 2)).max()).all()
