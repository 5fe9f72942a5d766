"""Subnormal flushing stays inside torch work (core.denormals): left on, it crashed scipy's KDTree."""

import threading

import numpy as np

from core.denormals import flushed_denormals
from core.rock.config import RockGANConfig
from core.rock.generate import generate
from core.rock.load import RockModel


def subnormals_survive() -> bool:
    tiny = np.array([5e-324, 1e-310])  # float64 subnormals
    return bool(np.all(tiny * 1.0 != 0))


def test_flushing_is_scoped_and_nests():
    assert subnormals_survive()
    with flushed_denormals():
        assert not subnormals_survive()
        with flushed_denormals():
            assert not subnormals_survive()
        assert not subnormals_survive()          # the inner block does not end the outer one
    assert subnormals_survive()


def test_flushing_is_per_thread():
    """A thread already running is not touched (threads started inside the block inherit the flag)."""
    go, seen = threading.Event(), []

    def other():
        go.wait(10)
        seen.append(subnormals_survive())

    t = threading.Thread(target=other)
    t.start()
    with flushed_denormals():
        go.set()
        t.join()
    assert seen == [True]


def test_generation_leaves_subnormals_alone():
    cfg = RockGANConfig(channels=4, z_channels=4, d_channels=4, crop=16, g_norm="pixel")
    model = RockModel.from_config(cfg)
    s = (np.random.default_rng(0).random((16, 16)) < 0.3).astype(np.uint8)
    generate(model, s, depth=16, count=1, seed=0, tiled=True)
    assert subnormals_survive()
