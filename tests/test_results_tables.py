"""The committed evaluation tables agree with the current KL conventions, and the histograms stay readable."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from core.volumes.figures import draw_hists, hist_edges, new_figure

ROOT = Path(__file__).resolve().parents[1]


def test_committed_tables_match_the_current_kl_estimator():
    # Fails when core.compare changes without `python packaging/train/recompute_tables.py`:
    # a table in docs/results or a model card would then quote numbers the code no longer gives.
    r = subprocess.run([sys.executable, str(ROOT / "packaging" / "train" / "recompute_tables.py"), "--check"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 of" in r.stdout and "would change" in r.stdout


def test_histogram_axis_follows_the_real_range_not_outliers():
    rng = np.random.default_rng(0)
    real = rng.normal(1500, 400, 200).clip(0)
    ours = np.concatenate([rng.normal(1400, 500, 195).clip(0), [3.0e5, 1.0e5, 5.0e4, 4.0e4, 3.0e4]])
    vals = {"real": real, "ours": ours}
    edges = hist_edges(vals)
    span = real.max() - real.min()
    assert edges[0] >= real.min() - span / 2 - 1e-9 and edges[-1] <= real.max() + span / 2 + 1e-9
    assert edges[0] <= real.min() and edges[-1] >= real.max()  # every real value is on the axis
    fig = new_figure(4, 3)
    ax = fig.add_subplot(111)
    assert draw_hists(ax, vals, edges)
    labels = [t.get_text() for t in ax.legend().get_texts()]
    assert any("5 beyond the axis" in t for t in labels), labels
