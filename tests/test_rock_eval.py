"""DCGAN baseline (core.volumes.baseline), held-out evaluation (core.rock.evaluate, core.volumes) and its CLI."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from scipy import ndimage

from core.compare import compare_sets
from core.errors import Cancelled, InputError
from core.jobs import TaskState
from core.rock import RockGANConfig, RockModel, load_model
from core.volumes.baseline import (KIND, BaselineModel, DCGANConfig, DCGANDiscriminator, DCGANTask,
                                   generate_baseline, latent_size, load_baseline)
from core.rock.eval_cli import main as eval_main
from core.rock.evaluate import evaluate, rebuild_table
from core.train import LAST, TrainConfig, fit, load_checkpoint, read_log, save_checkpoint
from core.volumes.crops import sample_heldout_crops
from core.volumes.measure import PROPERTIES, correlation_length

torch.set_num_threads(1)
TINY_B = DCGANConfig(nz=8, ngf=4, ndf=4, crop=16)
TINY_OURS = RockGANConfig(channels=8, z_channels=4, d_channels=8, crop=16)


def blobs(shape, seed=0, sigma=1.5, level=0.55):
    rng = np.random.default_rng(seed)
    return (ndimage.gaussian_filter(rng.random(shape), sigma) > level).astype(np.uint8)


# ------------------------------------------------------------------ baseline

def test_baseline_shapes_range_and_seeds():
    m = BaselineModel.from_config(TINY_B, seed=0)
    with torch.no_grad():
        x = m.generator(torch.randn(2, 8, 1, 1, 1))
    assert x.shape == (2, 1, 16, 16, 16) and x.min() >= -1 and x.max() <= 1
    assert DCGANDiscriminator(TINY_B)(torch.zeros(3, 1, 16, 16, 16)).shape == (3,)
    for size in (16, 23, 40):
        v = generate_baseline(m, size, 2, seed=3)
        assert len(v) == 2 and v[0].shape == (size,) * 3 and v[0].dtype == np.uint8
        assert set(np.unique(v[0])) <= {0, 1}
    assert latent_size(TINY_B, 16) == 1 and latent_size(TINY_B, 40) == 7
    a, b = generate_baseline(m, 16, 3, seed=5), generate_baseline(m, 16, 1, seed=5)
    np.testing.assert_array_equal(a[0], b[0])  # same seed → same volume, whatever the count
    assert (a[0] != a[1]).any() and (a[0] != generate_baseline(m, 16, 1, seed=6)[0]).any()
    with pytest.raises(InputError):
        DCGANConfig(crop=48)  # not a power of two


def test_baseline_trains_through_shared_trainer_and_reloads(tmp_path):
    vol = blobs((24, 24, 24))
    cfg = TrainConfig(steps=4, batch_size=2, lr=1e-3, checkpoint_every=0, log_every=2, check_every=2, seed=0,
                      device="cpu", out_dir=str(tmp_path / "run"))
    res = fit(DCGANTask(TINY_B, [vol]), cfg)
    assert res.step == 4 and set(res.losses) == {"loss_d", "loss_g"}
    assert all(np.isfinite(v) for v in res.losses.values())
    assert "porosity_fake" in res.checks
    ck = load_checkpoint(res.checkpoint)
    assert ck["kind"] == KIND == "rock-dcgan" and ck["config"] == TINY_B.to_dict()
    m = load_baseline(res.checkpoint)
    assert m.step == 4 and not m.generator.training
    for k, t in m.generator.state_dict().items():
        torch.testing.assert_close(t, ck["models"]["generator"][k])
    np.testing.assert_array_equal(generate_baseline(m, 16, 1, 7)[0], generate_baseline(res.checkpoint, 16, 1, 7)[0])
    with pytest.raises(InputError, match="rock-dcgan"):
        load_model(res.checkpoint)  # our loader refuses the baseline kind
    # resume continues to 6 steps
    cfg2 = TrainConfig(**{**cfg.to_dict(), "steps": 6, "resume": True})
    assert fit(DCGANTask(TINY_B, [vol]), cfg2).step == 6
    assert max(r["step"] for r in read_log(tmp_path / "run" / "log.csv")) == 6


def test_train_baseline_cli(tmp_path):
    path = tmp_path / "rock.tif"
    tifffile.imwrite(path, blobs((20, 20, 20)))
    out = tmp_path / "run"
    rc = eval_main(["rock", "train-baseline", "--data", str(path), "--crop", "16", "--steps", "2", "--batch", "2",
                    "--channels", "4", "--d-channels", "4", "--nz", "8", "--device", "cpu", "--out", str(out),
                    "--seed", "1", "-q"])
    assert rc == 0 and (out / LAST).is_file()
    assert load_baseline(out / LAST).config == TINY_B
    assert eval_main(["rock", "train-baseline", "--data", str(path), "--crop", "24", "--steps", "1",
                      "--out", str(tmp_path / "x"), "-q"]) == 1  # bad crop → plain error


# ------------------------------------------------------------------ held-out crops

def test_heldout_crops_never_touch_training_part():
    zcode = np.broadcast_to(np.arange(400, dtype=np.int32)[:, None, None], (400, 24, 24))
    crops, pos = sample_heldout_crops(zcode, "berea_400.tif", 50, 16, np.random.default_rng(0))
    assert len(crops) == 50
    for c, (z, y, x) in zip(crops, pos):
        assert c.shape == (16, 16, 16) and c.min() >= 300 and 300 <= z <= 400 - 16
        assert c[0, 0, 0] == z
    assert len({p[0] for p in pos}) > 10  # random positions
    k = np.broadcast_to(np.arange(256, dtype=np.int32)[:, None, None], (256, 70, 70))
    crops, pos = sample_heldout_crops(k, "ketton_256.tif", 5, 64, np.random.default_rng(1))
    assert all(p[0] == 192 and c.min() == 192 for c, p in zip(crops, pos))  # only one z fits
    b = np.broadcast_to(np.arange(500, dtype=np.int32)[:, None, None], (500, 20, 20))
    crops, _ = sample_heldout_crops(b, "/x/bentheimer_500.tif", 20, 20, np.random.default_rng(2))
    assert min(c.min() for c in crops) >= 375


def test_heldout_crops_reject_bad_volumes():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="too small"):
        sample_heldout_crops(np.zeros((256, 64, 64), np.uint8), "ketton_256.tif", 1, 65, rng)
    with pytest.raises(InputError, match="too small"):
        sample_heldout_crops(np.zeros((250, 64, 64), np.uint8), "ketton_256.tif", 1, 64, rng)
    with pytest.raises(InputError, match="too small"):
        sample_heldout_crops(np.zeros((320, 400, 400), np.uint8), "berea_400.tif", 1, 64, rng)
    with pytest.raises(InputError, match="held-out"):
        sample_heldout_crops(np.zeros((200, 200, 200), np.uint8), "berea_200_dns.tif", 1, 64, rng)
    with pytest.raises(InputError, match="heldout_z"):
        sample_heldout_crops(np.zeros((64, 16, 16), np.uint8), "mine.tif", 1, 16, rng)
    with pytest.raises(InputError, match="training data"):
        sample_heldout_crops(np.zeros((400, 16, 16), np.uint8), "berea_400.tif", 1, 16, rng, heldout_z=100)
    crops, pos = sample_heldout_crops(np.zeros((64, 16, 16), np.uint8), "mine.tif", 3, 16, rng, heldout_z=40)
    assert all(40 <= p[0] <= 48 for p in pos)


def test_correlation_length():
    phi, r = 0.2, np.arange(33)
    s2 = phi ** 2 + (phi - phi ** 2) * np.exp(-r / 5.0)
    assert correlation_length(s2, phi) == pytest.approx(5.0, abs=0.05)
    assert np.isnan(correlation_length(np.zeros(5), 0.0))


def test_real_vs_real_is_near_the_floor():
    vol = blobs((120, 64, 64), seed=3, sigma=2.0)
    a, _ = sample_heldout_crops(vol, "mine.tif", 60, 16, np.random.default_rng(0), heldout_z=40)
    b, _ = sample_heldout_crops(vol, "mine.tif", 60, 16, np.random.default_rng(1), heldout_z=40)
    pa, pb = [c.mean() for c in a], [c.mean() for c in b]
    shifted = [p + 0.1 for p in pb]
    c = compare_sets("porosity", pa, {"real2": pb, "off": shifted}, n_bootstrap=100)
    floor, floor_std, half = c.floor
    assert half == 30 and c.kl["real2"][2] == 60
    assert c.kl["real2"][0] <= floor + 3 * floor_std
    assert c.kl["off"][0] > c.kl["real2"][0] + 3 * c.kl["real2"][1]


# ------------------------------------------------------------------ evaluate

@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("eval")
    vol = d / "mine.tif"
    tifffile.imwrite(vol, blobs((60, 32, 32), seed=1))
    ours = RockModel.from_config(TINY_OURS, seed=0)
    base = BaselineModel.from_config(TINY_B, seed=0)
    ck_ours = save_checkpoint(d / "ours.pt", {
        "kind": "rock-gan", "format_version": 1, "config": TINY_OURS.to_dict(), "step": 0,
        "models": {"encoder": ours.encoder.state_dict(), "generator": ours.generator.state_dict()}})
    ck_base = save_checkpoint(d / "base.pt", {
        "kind": "rock-dcgan", "format_version": 1, "config": TINY_B.to_dict(), "step": 0,
        "models": {"generator": base.generator.state_dict()}})
    return d, vol, ours, base, ck_ours, ck_base


def test_evaluate_writes_table_json_and_figures(tiny_setup):
    d, vol, ours, base, _, _ = tiny_setup
    seen = []
    res = evaluate(ours, base, vol, n=6, size=16, seed=0, permeability=False, out_dir=d / "out", heldout_z=30,
                   n_bootstrap=50, state=TaskState(progress=lambda f, m: seen.append(f)))
    assert res.table_path.is_file() and res.json_path.is_file()
    md = res.table_path.read_text(encoding="utf-8")
    for key, (label, unit) in PROPERTIES.items():
        if key == "permeability_mD":
            assert label not in md.split("## Means")[0]  # not computed → not compared
            continue
        assert f"| {label} ({unit}) | 6 |" in md
    assert "KL(real, ours) ± std (n)" in md and "KL(real, baseline (DCGAN)) ± std (n)" in md
    assert "KL(real, real, 2nd draw)" in md and "(3)" in md  # floor: halves of 3
    assert "may overlap" in md and "not computed" in md
    data = json.loads(res.json_path.read_text())
    assert {k: len(v) for k, v in data["samples"].items()} == {"real": 6, "real_control": 6, "ours": 6, "baseline": 6}
    assert all(30 <= p[0] <= 60 - 16 for p in data["positions"]["real"] + data["positions"]["real_control"])
    assert data["heldout_z_start"] == 30 and data["n"] == 6 and data["slice_axis"] == 0
    assert len(data["samples"]["ours"][0]["s2"]["z"]) == 9
    assert len(data["samples"]["ours"][0]["porosity_profile_z"]) == 16
    assert "## Porosity along z" in md and "| real (held-out) (n=6) |" in md and "| ours (n=6) |" in md
    names = {p.name for p in res.figures}
    assert names == {"s2_curves.png", "hist_porosity.png", "hist_s2_corr_length.png",
                     "hist_surface_area_density.png", "hist_euler_density.png", "porosity_profile.png"}
    for p in res.figures:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rebuild_table(res.json_path) == md  # the table can be rebuilt from the JSON
    # a set with no finite values of a property keeps its column as nan with its count
    data["permeability"] = True
    for k, smp in data["samples"].items():
        for i, x in enumerate(smp):
            x["permeability_mD"] = None if k == "baseline" else 100.0 + i
    (d / "edited.json").write_text(json.dumps(data))
    md2 = rebuild_table(d / "edited.json")
    assert "| Permeability, mean of x, y, z (mD) | 6 |" in md2 and "nan ± nan (0)" in md2
    assert "baseline (DCGAN) has 0 finite value(s)" in md2
    assert seen and seen[-1] == pytest.approx(1.0) and all(b >= a - 1e-9 for a, b in zip(seen, seen[1:]))
    # same seed → same numbers
    res2 = evaluate(ours, base, vol, n=6, size=16, seed=0, permeability=False, out_dir=d / "out2", heldout_z=30,
                    n_bootstrap=50, real_control=False)
    for key in ("porosity", "surface_area_density", "euler_density", "s2"):
        assert [x[key] for x in res2.data["samples"]["ours"]] == [x[key] for x in res.data["samples"]["ours"]]


NO_QT_SCRIPT = r"""
import json, sys
from pathlib import Path
from core.rock.evaluate import write_figures
data = json.loads(Path(sys.argv[1]).read_text())
write_figures(data, Path(sys.argv[2]))
qt = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy")]
print(",".join(qt) or "none", "pyplot" if "matplotlib.pyplot" in sys.modules else "no-pyplot")
"""


def test_figures_load_no_qt_and_no_pyplot(tiny_setup):
    import subprocess

    d, vol, ours, base, _, _ = tiny_setup
    res = evaluate(ours, None, vol, n=4, size=16, permeability=False, out_dir=d / "noqt", heldout_z=30,
                   n_bootstrap=20, real_control=False)
    assert "baseline: none" in res.markdown and "KL(real, ours)" in res.markdown
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", NO_QT_SCRIPT, str(res.json_path), str(d / "noqt")], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["none", "no-pyplot"]


def test_evaluate_cancel_and_cli(tiny_setup, capsys):
    d, vol, ours, base, ck_ours, ck_base = tiny_setup
    with pytest.raises(Cancelled):
        evaluate(ours, base, vol, n=4, size=16, permeability=False, out_dir=d / "c", heldout_z=30,
                 state=TaskState(cancelled=lambda: True))
    out = d / "cli"
    rc = eval_main(["rock", "eval", "--model", str(ck_ours), "--baseline", str(ck_base), "--data", str(vol),
                    "--heldout-z", "30", "--n", "4", "--size", "16", "--no-permeability", "--no-control",
                    "--out", str(out), "--device", "cpu", "-q"])
    assert rc == 0 and (out / "table.md").is_file() and (out / "results.json").is_file()
    assert json.loads((out / "results.json").read_text())["models"]["ours"]["path"] == str(ck_ours)
    rc = eval_main(["rock", "eval", "--model", "nosuchrock", "--data", str(vol), "--out", str(out), "-q"])
    assert rc == 1 and "shipped" in capsys.readouterr().err


def test_porosity_profile_shows_pores_fading_away_from_the_slice():
    """The fault Table 1 missed: porous near the central plane, empty at the faces."""
    from core.rock.evaluate import profile_section, profile_stats
    from core.volumes.measure import sample_properties

    z = np.abs(np.arange(32) - 16)[:, None, None]
    rng = np.random.default_rng(0)
    fading = [(rng.random((32, 24, 24)) < 0.3 * np.exp(-z / 6)).astype(np.uint8) for _ in range(3)]
    flat = [(rng.random((32, 24, 24)) < 0.15).astype(np.uint8) for _ in range(3)]
    samples = {"real": [sample_properties(v, 1.0, permeability=False) for v in flat],
               "ours": [sample_properties(v, 1.0, permeability=False) for v in fading]}
    real, ours = profile_stats(samples["real"]), profile_stats(samples["ours"])
    assert abs(real["faces"] - real["centre"]) < 0.03
    assert ours["centre"] > 0.25 and ours["faces"] < 0.03 and ours["min"] < 0.02
    md = "\n".join(profile_section(samples, ["real", "ours"]))
    assert f"| ours (n=3) | {ours['faces']:.4f} | " in md
    assert profile_section({"real": [{"porosity": 0.1}]}, ["real"]) == []  # results saved before profiles


def test_measure_set_in_worker_processes_gives_the_same_values():
    """--workers: the samples measured in processes are the single-process values, in order (NaN-free
    keys compared exactly), a cancel stops between volumes, and a bad count is refused."""
    from core.volumes.measure import LazyVolumes, measure_set

    vols = [blobs((24, 24, 24), seed=s, level=lv) for s, lv in ((0, 0.5), (1, 0.55), (2, 0.6))]
    one = measure_set(vols, 2.0, True, TaskState(), "t", workers=1)
    seen = []
    two = measure_set(vols, 2.0, True, TaskState(progress=lambda f, m: seen.append(f)), "t", workers=2)
    assert json.dumps(two, sort_keys=True) == json.dumps(one, sort_keys=True)
    made = []  # volumes made on demand are made once each, in order, and measured the same
    lazy = LazyVolumes(3, lambda i: made.append(i) or vols[i])
    assert json.dumps(measure_set(lazy, 2.0, True, TaskState(), "t", workers=2), sort_keys=True) == json.dumps(
        one, sort_keys=True) and made == [0, 1, 2]
    assert one[0]["porosity"] != one[2]["porosity"] and seen[-1] == pytest.approx(1.0)
    calls = []
    with pytest.raises(Cancelled):
        measure_set(vols, 2.0, False, TaskState(cancelled=lambda: calls.append(1) or len(calls) > 1), "t", workers=2)
    with pytest.raises(InputError, match="at least 1 worker"):
        measure_set(vols, 2.0, False, TaskState(), "t", workers=0)
