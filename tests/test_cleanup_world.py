"""The training generator's wider world (synth.py + drawing_extras.py + scan_effects.py) and clean pages.

Issue 22: clean pages must stay clean, paper effects (grids, folds, scanner borders) are never ink,
and every new drawing element draws ink. What the shipped model does with clean pages:
tests/test_cleanup_clean_pages.py.
"""

from dataclasses import fields, replace

import numpy as np
import pytest
import torch

from core.cleanup import drawing_extras, scan_effects
from core.cleanup.evaluate import iou
from core.cleanup.synth import (_ELEMENTS, Degradations, _Canvas, clean_target, degrade, heldout_seeds, make_pair,
                                render)

torch.set_num_threads(1)
OFF = Degradations(**{f.name: 0.0 for f in fields(Degradations)})  # no degradation at all


def test_pairs_are_deterministic_and_differ_between_seeds():
    a, b = make_pair(11, 96, 128), make_pair(11, 96, 128)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = make_pair(12, 96, 128)
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == a[1].shape == (96, 128) and a[0].dtype == np.uint8 and set(np.unique(a[1])) <= {0, 1}


def test_every_extra_element_draws_ink():
    extras = [fn for fn, _ in _ELEMENTS if fn.__module__ == drawing_extras.__name__]
    assert len(extras) >= 6  # curves, ellipses, handwriting, text blocks, tables, frames, bold outlines
    for i, fn in enumerate(extras):
        c = _Canvas(256, 256, np.random.default_rng(i), 1.0)
        fn(c)
        assert (c.img >= 128).mean() > 0.001, fn.__name__


def test_clean_pages_are_binary_and_equal_their_target():
    d = replace(Degradations(), p_clean=1.0)
    for s in range(6):
        scan, target = make_pair(s, 128, 128, d)
        np.testing.assert_array_equal(target, clean_target(s, 128, 128))  # no rotation, no border
        assert ((scan < 128) == (target > 0)).mean() > 0.995


@pytest.mark.parametrize("effect", ["p_grid", "p_fold", "p_bleed", "p_stains", "p_border", "p_dropout",
                                    "p_low_contrast"])
def test_paper_effects_change_the_scan_not_the_ink(effect):
    d = replace(OFF, **{effect: 1.0})
    changed = 0
    for s in range(4):
        cov = render(s, 160, 160)
        scan, target = degrade(cov, np.random.default_rng([s, 1]), d)
        plain, plain_target = degrade(cov, np.random.default_rng([s, 1]), OFF)
        changed += int(not np.array_equal(scan, plain))
        if effect == "p_border":  # outside the sheet there is no ink, inside the ink is unchanged
            assert set(np.unique(target)) <= {0, 1} and not (target & ~plain_target.astype(bool)).any()
        else:
            np.testing.assert_array_equal(target, plain_target)
    assert changed >= 3  # the effect really was applied


def test_toner_dropout_leaves_holes_only_in_the_ink():
    ink = np.zeros((64, 64), np.float32)
    ink[20:40, 10:54] = 1.0
    out = scan_effects.toner_dropout(ink, np.random.default_rng(3))
    assert out.shape == ink.shape and (out <= ink + 1e-6).all() and (out[ink == 0] == 0).all()
    assert 0.1 < (out[ink == 1] < 0.5).mean() < 0.9  # holes, but a stroke is left


def test_scan_effects_keep_shape_and_range():
    rng = np.random.default_rng(0)
    img = np.random.default_rng(1).random((64, 80, 3)).astype(np.float32)
    for fn in (scan_effects.fold, scan_effects.low_resolution, scan_effects.motion_blur, scan_effects.salt_pepper):
        out = fn(img.copy(), rng)
        # a bright fold ridge or cubic upsampling may overshoot a little: degrade() clips at the end
        assert out.shape == img.shape and np.isfinite(out).all() and -0.25 <= out.min() and out.max() <= 1.6
        assert not np.allclose(out, img), fn.__name__


def test_low_contrast_scans_squeeze_the_range_but_keep_the_strokes():
    d = replace(OFF, p_low_contrast=1.0)
    for s in range(6):
        cov = render(s, 160, 160)
        scan, target = degrade(cov, np.random.default_rng([s, 1]), d)
        paper, ink = np.median(scan[target == 0]), np.median(scan[target == 1])
        assert 255 * 0.6 <= paper <= 255 * 0.93            # grey paper, never white
        assert 0.2 * 255 <= paper - ink <= 0.72 * 255       # flat, but the strokes still stand out
