"""``seqgen texture eval`` (core.texture.evaluate): thesis Table 2 per class on held-out data, tiny and fast."""

import json

import numpy as np
import pytest
import tifffile
import torch
from scipy import ndimage

from core.cli import main
from core.errors import Cancelled, InputError
from core.jobs import TaskState
from core.volumes.baseline import BaselineModel, DCGANConfig
from core.texture import TextureGANConfig, TextureModel, noise_planes
from core.texture.evaluate import build_markdown, class_check, evaluate, rebuild_table
from core.train import save_checkpoint

torch.set_num_threads(1)
TINY = TextureGANConfig(code_dim=4, noise_channels=2, g_channels=8, g_fine=2, e_channels=4, d_channels=4,
                        dz_hidden=8, crop=16)
TINY_B = DCGANConfig(nz=8, ngf=4, ndf=4, crop=16)
PROPS = ("porosity", "surface_area_density", "euler_density", "s2_corr_length")  # --no-permeability


def blobs(shape, seed, sigma, porosity):
    f = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), sigma)
    return (f > np.quantile(f, 1 - porosity)).astype(np.uint8)


def tiny_model():
    """Untrained tiny G (output bias centred, as in test_texture) with two hand-set class Gaussians
    whose volumes differ in porosity (codes ±4 e_0: far enough apart for a clear difference with
    either norm, untrained)."""
    m = TextureModel.from_config(TINY, seed=0)
    g, cells = m.generator, m.generator.latent_cells(32)
    with torch.no_grad():
        g.out.bias -= g(torch.zeros(1, 4), noise_planes(0, 0, 0, cells, 2, cells, cells)[None]).median()
    e = torch.zeros(4)
    e[0] = 4.0
    cov, prev = 0.01 * torch.eye(4), torch.zeros(8, 8, dtype=torch.uint8)
    m.classes = {"plus": {"mean": e.clone(), "cov": cov, "porosity": 0.7, "n_crops": 2, "preview": prev},
                 "minus": {"mean": -e, "cov": cov, "porosity": 0.4, "n_crops": 2, "preview": prev}}
    return m


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("texeval")
    tifffile.imwrite(d / "plus_a.tif", blobs((40, 32, 32), 0, 2.0, 0.7))
    tifffile.imwrite(d / "minus_b.tif", blobs((40, 32, 32), 1, 1.0, 0.35))
    model, base = tiny_model(), BaselineModel.from_config(TINY_B, seed=0)
    ck = save_checkpoint(d / "tex.pt", {
        "kind": "texture-gan", "format_version": 1, "config": TINY.to_dict(), "step": 0, "classes": model.classes,
        "models": {"encoder": model.encoder.state_dict(), "generator": model.generator.state_dict()}})
    ck_b = save_checkpoint(d / "base.pt", {
        "kind": "rock-dcgan", "format_version": 1, "config": TINY_B.to_dict(), "step": 0,
        "models": {"generator": base.generator.state_dict()}})
    data = {"plus": d / "plus_a.tif", "minus": d / "minus_b.tif"}
    return d, model, base, ck, ck_b, data


def run(setup, out, **kw):
    d, model, base, _, _, data = setup
    args = dict(n=4, size=16, seed=0, permeability=False, baselines={"plus": base}, heldout_z=20, n_bootstrap=50,
                out_dir=d / out)
    args.update(kw)
    return evaluate(model, data, **args)


def test_report_files_kl_and_class_check(setup):
    seen = []
    res = run(setup, "a", state=TaskState(progress=lambda f, m: seen.append(f)))
    out = res.out_dir
    assert res.table_path == out / "table.md" and res.json_path == out / "results.json"
    assert {p.name for p in res.figures} == {f"hist_{k}.png" for k in PROPS}
    for p in [res.table_path, res.json_path] + res.figures:
        assert p.is_file()
    for p in res.figures:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert seen and seen[-1] == pytest.approx(1.0) and all(b >= a - 1e-9 for a, b in zip(seen, seen[1:]))

    data = json.loads(res.json_path.read_text())
    assert data["class_order"] == ["plus", "minus"] and data["n"] == 4 and data["size"] == 16
    for c in ("plus", "minus"):
        e = data["classes"][c]
        sets = {"real": 4, "real_control": 4, "ours": 4} | ({"baseline": 4} if c == "plus" else {})
        assert {k: len(v) for k, v in e["samples"].items()} == sets
        assert e["heldout_z_start"] == 20
        assert all(20 <= p[0] <= 40 - 16 for p in e["positions"]["real"] + e["positions"]["real_control"])
        assert len(set(e["ours_seeds"])) == 4
        for key in PROPS:
            comp = data["comparisons"][key][c]
            assert comp["n_real"] == 4 and set(comp["kl"]) == set(sets) - {"real"}
            for kl, sd, cnt in comp["kl"].values():
                assert np.isfinite(kl) and kl >= 0 and np.isfinite(sd) and sd >= 0 and cnt == 4
            assert np.isfinite(comp["floor"][0]) and comp["floor"][0] >= 0 and comp["floor"][2] == 2
    assert "permeability_mD" not in data["comparisons"]
    # the two classes really differ (ours follows the class code)
    por = {c: np.mean([s["porosity"] for s in data["classes"][c]["samples"]["ours"]]) for c in ("plus", "minus")}
    assert por["plus"] > por["minus"] + 0.1

    cc = data["class_check"]
    assert cc["features"] == ["porosity", "surface_area_density", "euler_density"]
    for s, rows in (("ours", ["plus", "minus"]), ("real_control", ["plus", "minus"]), ("baseline", ["plus"])):
        e = cc["sets"][s]
        conf = np.array(e["confusion"])
        assert e["rows"] == rows and conf.shape == (len(rows), 2)
        assert conf.sum(axis=1).tolist() == [4] * len(rows)
        assert set(e["accuracy"]) == set(rows) and all(0 <= a <= 1 for a in e["accuracy"].values())

    md = res.table_path.read_text(encoding="utf-8")
    assert md == res.markdown
    for label in ("Porosity (-)", "Surface area density (µm⁻¹)", "Euler characteristic density (µm⁻³)"):
        assert f"### {label}" in md
    assert "| plus | 4 |" in md and "| minus | 4 |" in md
    assert "KL(real, ours) ± std (n)" in md and "KL(real, baseline (DCGAN)) ± std (n)" in md
    assert "KL(real, real, 2nd draw) ± std (n)" in md and "std over 50 bootstrap" in md
    assert "Ketton 5.06 ± 0.35" in md and "Berea 0.49 ± 0.07" in md and "Bentheimer 0.47 ± 0.08" in md
    assert "Confusion matrix, ours" in md and "not computed (--no-permeability)" in md
    assert rebuild_table(res.json_path) == build_markdown(res.data)  # the JSON alone rebuilds the table


def test_same_seed_same_json_other_seed_differs(setup):
    a, b = run(setup, "s1", real_control=False), run(setup, "s2", real_control=False)
    assert a.json_path.read_bytes() == b.json_path.read_bytes()
    c = run(setup, "s3", real_control=False, seed=1, baselines=None)
    ja, jc = json.loads(a.json_path.read_text()), json.loads(c.json_path.read_text())
    assert ja["classes"]["plus"]["samples"]["ours"] != jc["classes"]["plus"]["samples"]["ours"]
    assert "real_control" not in jc["class_check"]["sets"] and "baseline" not in jc["class_check"]["sets"]
    # a class's crops and seeds do not depend on which other classes are evaluated
    d, model, _, _, _, data = setup
    one = evaluate(model, {"minus": data["minus"]}, n=4, size=16, seed=0, permeability=False, heldout_z=20,
                   n_bootstrap=20, real_control=False, out_dir=d / "s4")
    jo = json.loads(one.json_path.read_text())
    assert jo["classes"]["minus"]["samples"] == ja["classes"]["minus"]["samples"]
    assert jo["class_check"]["sets"]["ours"]["confusion"] == [[4]]


def test_bad_inputs_and_cancel(setup):
    d, model, base, _, _, data = setup
    with pytest.raises(InputError, match=r"Unknown class 'ketton'; this model knows: plus, minus"):
        evaluate(model, {"ketton": data["plus"]}, n=4, size=16, heldout_z=20, out_dir=d / "x")
    with pytest.raises(InputError, match="no --data"):
        evaluate(model, data, n=4, size=16, heldout_z=20, baselines={"berea": base}, out_dir=d / "x")
    with pytest.raises(InputError, match="heldout_z"):
        evaluate(model, data, n=4, size=16, out_dir=d / "x")  # not a shared volume: say where held-out starts
    with pytest.raises(InputError, match="at least 4"):
        evaluate(model, data, n=3, size=16, heldout_z=20, out_dir=d / "x")
    with pytest.raises(InputError, match="multiple of 8"):
        evaluate(model, data, n=4, size=20, heldout_z=20, out_dir=d / "x")
    with pytest.raises(InputError, match="too small"):
        evaluate(model, data, n=4, size=24, heldout_z=20, out_dir=d / "x")  # 20 held-out slices < 24
    with pytest.raises(Cancelled):
        run(setup, "c", state=TaskState(cancelled=lambda: True))
    assert not (d / "x").exists()


def test_class_check_on_separated_classes():
    rng = np.random.default_rng(0)

    def smp(phi, k):
        return [{"porosity": phi + 0.01 * rng.standard_normal(), "surface_area_density": 10 * phi,
                 "euler_density": -phi, "permeability_mD": k * (1 + 0.1 * rng.random())} for _ in range(6)]

    data = {"class_order": ["a", "b", "c"], "permeability": True, "classes": {
        "a": {"samples": {"real": smp(0.1, 10), "ours": smp(0.1, 10), "real_control": smp(0.1, 10)}},
        "b": {"samples": {"real": smp(0.2, 100), "ours": smp(0.3, 1000), "real_control": smp(0.2, 100)}},
        "c": {"samples": {"real": smp(0.3, 1000), "ours": smp(0.3, 1000) + [{"porosity": None}],
                          "real_control": smp(0.3, 1000)}}}}
    cc = class_check(data)
    assert cc["features"][-1] == "permeability_mD" and cc["transform"] == {"permeability_mD": "log10(1 + k / mD)"}
    ours = cc["sets"]["ours"]
    assert ours["confusion"] == [[6, 0, 0], [0, 0, 6], [0, 0, 6]]  # class b generated like c
    assert ours["accuracy"] == {"a": 1.0, "b": 0.0, "c": 1.0} and ours["unclassified"]["c"] == 1
    assert ours["overall_accuracy"] == pytest.approx(12 / 18)
    assert cc["sets"]["real_control"]["accuracy"] == {"a": 1.0, "b": 1.0, "c": 1.0}


def test_cli(setup, capsys):
    d, _, _, ck, ck_b, data = setup
    out = d / "cli"
    args = ["texture", "eval", "--model", str(ck), "--data", f"plus={data['plus']}", "--data", str(data["minus"]),
            "--baseline", f"plus={ck_b}", "--n", "4", "--size", "16", "--no-permeability", "--no-control",
            "--heldout-z", "20", "--bootstrap", "20", "--device", "cpu", "--out", str(out), "-q"]
    assert main(args) == 0
    assert (out / "table.md").is_file() and (out / "hist_porosity.png").is_file()
    res = json.loads((out / "results.json").read_text())
    assert res["class_order"] == ["plus", "minus"] and res["model"]["path"] == str(ck)
    assert res["classes"]["plus"]["baseline"]["path"] == str(ck_b) and res["classes"]["minus"]["baseline"] is None
    assert "wrote" in capsys.readouterr().out
    bad = ["texture", "eval", "--model", str(ck), "--data", f"ketton={data['plus']}", "--heldout-z", "20",
           "--n", "4", "--size", "16", "--out", str(d / "bad"), "-q"]
    assert main(bad) == 1
    err = capsys.readouterr().err
    assert "ketton" in err and "plus, minus" in err
    assert main(args[:-3] + ["--voxel-size", "nope=2", "--out", str(d / "bad"), "-q"]) == 1
    assert "nope" in capsys.readouterr().err
    assert not (d / "bad").exists()
