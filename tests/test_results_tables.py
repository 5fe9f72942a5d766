"""The committed evaluation tables agree with their JSON and the current conventions, and the histograms stay readable."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from core.volumes.figures import draw_hists, hist_edges, new_figure

ROOT = Path(__file__).resolve().parents[1]


def test_committed_tables_match_the_current_kl_estimator():
    # Fails when core.compare changes without `python packaging/train/recompute_tables.py`, or when a
    # rock, texture, cleanup or video table in docs/results disagrees with the numbers in its JSON:
    # a table or a model card would then quote numbers the code no longer gives.
    r = subprocess.run([sys.executable, str(ROOT / "packaging" / "train" / "recompute_tables.py"), "--check"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 of" in r.stdout and "would change" in r.stdout


def _recompute_module():
    spec = importlib.util.spec_from_file_location("recompute_tables", ROOT / "packaging" / "train" / "recompute_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_recompute_sees_a_cleanup_or_video_table_that_disagrees_with_its_json():
    rt = _recompute_module()
    kinds = {j.relative_to(rt.RESULTS).as_posix(): (k, j, t) for k, j, t in rt.tables()}
    assert {"cleanup/heldout.json", "cleanup/valgen.json", "video/eval.json", "video/design.json"} <= set(kinds)
    # one image's IoU changed in the JSON: the mean row (and the valgen beat share) follow it
    kind, j, t = kinds["cleanup/valgen.json"]
    data = json.loads(j.read_text(encoding="utf-8"))
    ours = next(k for k in data["methods"] if k.startswith("ours"))
    data["methods"][ours]["per_image"][0]["iou"] = 1.5
    new_json, md = rt.recompute(kind, json.dumps(data, indent=1), t.read_text(encoding="utf-8"))
    assert md != t.read_text(encoding="utf-8") and json.loads(new_json)["beats_both"][ours] != data["beats_both"][ours]
    # one frame's PSNR changed: the per-frame table and the stored mean disagree with the committed ones
    kind, j, t = kinds["video/eval.json"]
    old = j.read_text(encoding="utf-8")
    data = json.loads(old)
    data["methods"]["ours"]["per_frame"]["psnr"][0] += 5.0
    new_json, md = rt.recompute(kind, json.dumps(data, indent=2) + "\n", t.read_text(encoding="utf-8"))
    assert md != t.read_text(encoding="utf-8") and new_json != old
    # a design table: the generated part follows the JSON, the hand-written notes below it stay
    kind, j, t = kinds["video/design.json"]
    text = t.read_text(encoding="utf-8")
    assert rt.recompute(kind, j.read_text(encoding="utf-8"), text)[1] == text
    assert rt.recompute(kind, j.read_text(encoding="utf-8"), text.replace("| 8x1x256 |", "| 8x1x999 |", 1))[1] == text


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
