"""KL divergence, bootstrap spread and the real-vs-real floor."""

import numpy as np
import pytest

from core.compare import (bootstrap_std, compare_sets, kl_divergence, markdown_table,
                          property_over_samples, real_vs_real_floor)
from core.errors import InputError
from core.jobs import TaskState


def test_kl_zero_for_identical_sets_and_positive_otherwise():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 2000)
    assert kl_divergence(a, a) == pytest.approx(0.0, abs=1e-12)
    assert kl_divergence(a, a + 3) > 1.0
    assert kl_divergence(a, rng.normal(0, 1, 2000)) < 0.1


def test_kl_matches_hand_computation():
    # 2 bins over the real range [0, 0.9] plus an overflow bin each side; pseudo-count 0.5 in all 4
    a = [0.0, 0.1, 0.2, 0.9]
    b = [0.8, 0.9, 1.0, -0.5, 0.1]
    p = np.array([0 + 0.5, 3 + 0.5, 1 + 0.5, 0 + 0.5]) / 6.0
    q = np.array([1 + 0.5, 1 + 0.5, 2 + 0.5, 1 + 0.5]) / 7.0
    expected = float(np.sum(p * np.log(p / q)))
    assert kl_divergence(a, b, bins=2) == pytest.approx(expected, rel=1e-12)


def test_outliers_of_the_other_set_cannot_hide_a_bad_fit():
    # The artefact of the first convention (bins over both sets' range): a few huge generated values
    # squeezed every real value into one bin, and a model far off the real shape scored near zero.
    rng = np.random.default_rng(5)
    real = rng.lognormal(6.0, 0.5, 200)                      # ~400 mD, up to a few thousand
    wrong = rng.lognormal(4.0, 1.5, 200)                     # mostly far lower, wider
    with_outliers = np.concatenate([wrong, [3.0e5, 1.5e5]])  # plus two 100,000 mD outliers
    floor = real_vs_real_floor(real, n=200)[0]
    assert kl_divergence(real, wrong) > 3 * floor
    # outliers beyond the real range only move mass into the overflow bin: the KL cannot drop
    assert kl_divergence(real, with_outliers) >= kl_divergence(real, wrong) - 1e-9
    # and the bins depend on the real set alone
    assert kl_divergence(real, with_outliers, bins=10) == pytest.approx(
        kl_divergence(real, np.concatenate([wrong, [1e9, 1e9]]), bins=10), rel=1e-12)


def test_mass_beyond_the_real_range_is_punished():
    rng = np.random.default_rng(6)
    real = rng.uniform(0, 1, 1000)
    half_out = np.concatenate([rng.uniform(0, 1, 500), rng.uniform(5, 6, 500)])
    # half of the other set lies outside: every in-range q_i halves, KL ≈ ln 2
    assert kl_divergence(real, half_out) == pytest.approx(np.log(2), abs=0.05)


def test_kl_grows_with_shift_and_handles_constant_sets():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 500)
    kls = [kl_divergence(a, a + s) for s in (0.2, 1.0, 3.0)]
    assert kls[0] < kls[1] < kls[2]
    assert kl_divergence(np.full(10, 0.2), np.full(10, 0.2)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InputError, match="at least two"):
        kl_divergence([1.0], [1.0, 2.0])


def test_bootstrap_std_shrinks_with_more_samples():
    rng = np.random.default_rng(2)
    small = bootstrap_std(rng.normal(0, 1, 50), rng.normal(0.5, 1, 50), n=200)
    large = bootstrap_std(rng.normal(0, 1, 2000), rng.normal(0.5, 1, 2000), n=200)
    assert small > large > 0


def test_floor_is_small_for_large_sets_and_reports_half_size():
    rng = np.random.default_rng(3)
    real = rng.normal(0, 1, 400)
    mean, std, half = real_vs_real_floor(real, n=200)
    assert half == 200
    assert 0 < mean < kl_divergence(real, real + 1.0)
    assert std > 0


def test_compare_sets_and_table():
    rng = np.random.default_rng(4)
    real = rng.normal(0.2, 0.02, 100)
    row = compare_sets("porosity", real, {"ours": rng.normal(0.2, 0.02, 100),
                                          "baseline": rng.normal(0.25, 0.03, 100)}, n_bootstrap=100)
    assert row.kl["ours"][0] < row.kl["baseline"][0]
    assert row.kl["ours"][2] == 100 and row.n_real == 100
    md = markdown_table([row])
    assert "| porosity | 100 |" in md and "KL(real, baseline)" in md and "pseudo-count" in md


def test_property_over_samples_reports_progress():
    seen = []
    vols = [np.full((2, 2, 2), v) for v in (0.0, 0.5, 1.0)]
    vals = property_over_samples(vols, np.mean, count=3, state=TaskState(lambda f, m: seen.append(f)))
    np.testing.assert_allclose(vals, [0.0, 0.5, 1.0])
    assert seen[-1] == pytest.approx(1.0)
