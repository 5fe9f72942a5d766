"""``seqgen texture``: train a tiny model, resume it, list classes, generate, export, and the error messages."""

import json

import numpy as np
import pytest
import tifffile
import torch
from scipy import ndimage

from core.cli import main
from core.io import read_volume
from core.texture import CLASSES_FILE, load_class_table, load_model
from core.train import LAST, load_checkpoint, read_log, save_checkpoint

torch.set_num_threads(1)
WIDTHS = ["--code-dim", "4", "--noise-channels", "2", "--g-channels", "8", "--g-fine", "2", "--e-channels", "4",
          "--d-channels", "4", "--dz-hidden", "8"]


def blobs(shape, seed, sigma, porosity):
    f = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), sigma)
    return (f > np.quantile(f, 1 - porosity)).astype(np.uint8)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny model trained 3 steps on two classes, then resumed to 5 steps (with the run's own seed)."""
    d = tmp_path_factory.mktemp("texture")
    tifffile.imwrite(d / "coarse_1.tif", blobs((32, 32, 32), 0, 2.5, 0.4))
    tifffile.imwrite(d / "fine.tif", blobs((24, 32, 32), 1, 1.0, 0.15))
    out = d / "run"
    args = ["texture", "train", "--data", str(d / "coarse_1.tif"), "--data", f"small={d / 'fine.tif'}", "--crop", "16",
            "--batch", "2", "--device", "cpu", "--out", str(out), "--seed", "3", "--checkpoint-every", "0",
            "--log-every", "1", "--check-every", "1", "-q", *WIDTHS]
    assert main(args + ["--steps", "3"]) == 0
    first = load_class_table(out / CLASSES_FILE)
    assert main(args + ["--steps", "5", "--resume", "--seed", "99"]) == 0
    return d, out, first


def test_train_resume_and_classes_file(run):
    d, out, first = run
    assert first["step"] == 3 and list(first["classes"]) == ["coarse", "small"]
    table = load_class_table(out / CLASSES_FILE)
    ck = load_checkpoint(out / LAST)
    assert ck["step"] == table["step"] == 5 and ck["seed"] == 3 and ck["kind"] == "texture-gan"
    assert ck["config"]["g_channels"] == 8 and set(ck["models"]) == {"encoder", "generator", "d_x", "d_xx", "d_z"}
    steps = sorted({r["step"] for r in read_log(out / "log.csv") if r["kind"] == "loss"})
    assert steps == [1, 2, 3, 4, 5]  # the resumed run continued from step 3
    names = {r["name"] for r in read_log(out / "log.csv")}
    assert {"loss_d_x", "loss_d_xx", "loss_d_z", "l_x", "l_xx", "l_z", "porosity_real", "class_separation"} <= names
    assert table["classes"]["coarse"]["porosity"] == pytest.approx(0.4, abs=0.01)
    assert table["classes"]["small"]["porosity"] == pytest.approx(0.15, abs=0.01)
    assert not torch.equal(table["classes"]["coarse"]["mean"], first["classes"]["coarse"]["mean"])  # refitted


def test_classes_command(run, capsys):
    _, out, _ = run
    assert main(["texture", "classes", "--model", str(out)]) == 0
    text = capsys.readouterr().out
    assert "coarse" in text and "small" in text and "0.4" in text
    assert main(["texture", "classes", "--model", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["class"] for c in data["classes"]] == ["coarse", "small"] and data["step"] == 5


def test_init_source_survives_resume(run, tmp_path):
    """`texture train --init RUN`, stopped, then `--resume` without --init: the run's checkpoints and its
    exported model still name where it started, and so does the model card written from them."""
    from core.train.card import model_card

    d, out, _ = run
    args = ["texture", "train", "--data", str(d / "coarse_1.tif"), "--data", f"small={d / 'fine.tif'}", "--crop", "16",
            "--batch", "2", "--device", "cpu", "--out", str(tmp_path / "ft"), "--seed", "3", "--checkpoint-every",
            "0", "--log-every", "1", "-q", *WIDTHS]
    assert main(args + ["--steps", "1", "--init", str(out)]) == 0
    assert main(args + ["--steps", "2", "--resume"]) == 0
    ck = load_checkpoint(tmp_path / "ft" / LAST)
    assert ck["step"] == 2 and ck["train_config"]["init_from"] == str(out)
    assert main(["texture", "export", str(tmp_path / "ft"), str(tmp_path / "ft.pt")]) == 0
    assert load_checkpoint(tmp_path / "ft.pt")["train_config"]["init_from"] == str(out)
    card = model_card(tmp_path / "ft.pt", title="t", commands=[], data="d")
    assert f"Started from the weights of `{out}`" in card


def test_generate_by_class_and_example(run, capsys):
    d, out, _ = run
    base = ["texture", "generate", "--model", str(out), "--size", "24", "-q", "--device", "cpu"]
    assert main(base + ["--class", "small", "--seed", "4", "-o", str(d / "a.tif")]) == 0
    assert main(base + ["--class", "small", "--seed", "4", "-o", str(d / "b.tif")]) == 0
    assert main(base + ["--class", "small", "--seed", "5", "--count", "2", "-o", str(d / "c.tif")]) == 0
    a, b = read_volume(d / "a.tif"), read_volume(d / "b.tif")
    np.testing.assert_array_equal(a.array, b.array)
    assert a.array.shape == (24, 24, 24)
    assert a.metadata["seed"] == 4 and a.metadata["class"] == "small" and a.metadata["model_step"] == 5
    assert a.metadata["model"].endswith("last.pt")
    assert read_volume(d / "c_002.tif").metadata["realisation"] == 1
    assert main(base + ["--example", str(d / "fine.tif"), "--seed", "1", "-o", str(d / "e.tif")]) == 0
    assert read_volume(d / "e.tif").metadata["example"].endswith("fine.tif")
    assert "seed 1" in capsys.readouterr().out


def test_export_keeps_the_classes(run, tmp_path):
    d, out, _ = run
    assert main(["texture", "export", str(out), str(tmp_path / "m.pt"), "--half"]) == 0
    model = load_model(tmp_path / "m.pt")
    assert model.class_names() == ["coarse", "small"] and model.step == 5
    ck = load_checkpoint(tmp_path / "m.pt")
    assert set(ck["models"]) == {"encoder", "generator"} and "optimizers" not in ck and ck["seed"] == 3
    assert next(iter(ck["models"]["generator"].values())).dtype == torch.float16
    # An older step checkpoint has no matching classes.pt: export fits them anew with --data.
    old = tmp_path / "step_old.pt"
    save_checkpoint(old, {**load_checkpoint(out / LAST), "step": 2})
    assert main(["texture", "export", str(old), str(tmp_path / "o.pt")]) == 1
    assert main(["texture", "export", str(old), str(tmp_path / "o.pt"), "--data", f"only={d / 'fine.tif'}"]) == 0
    assert load_model(tmp_path / "o.pt").class_names() == ["only"]


def test_errors_are_one_clear_line(run, tmp_path, capsys):
    d, out, _ = run
    base = ["texture", "generate", "--model", str(out), "-q", "-o", str(tmp_path / "x.tif")]
    assert main(base + ["--class", "granite", "--size", "16", "--seed", "0"]) == 1
    assert "Unknown class 'granite'; this model knows: coarse, small." in capsys.readouterr().err
    assert main(base + ["--class", "small", "--size", "20"]) == 1
    assert "multiple of 8" in capsys.readouterr().err
    tifffile.imwrite(tmp_path / "tiny.tif", np.zeros((8, 40, 40), np.uint8))
    assert main(base + ["--example", str(tmp_path / "tiny.tif"), "--size", "16"]) == 1
    assert "at least 16" in capsys.readouterr().err
    save_checkpoint(tmp_path / "rock.pt", {"kind": "rock-gan", "format_version": 1})
    assert main(["texture", "classes", "--model", str(tmp_path / "rock.pt")]) == 1
    assert "'rock-gan' model, but a 'texture-gan' model is needed" in capsys.readouterr().err
    assert main(["texture", "export", str(tmp_path / "rock.pt"), str(tmp_path / "y.pt")]) == 1
    assert "texture export takes 'texture-gan'" in capsys.readouterr().err
    assert main(["texture", "classes", "--model", "no_such_model"]) == 1
    assert "No texture model 'no_such_model'" in capsys.readouterr().err
    assert main(["texture", "train", "--data", str(d / "fine.tif"), "--crop", "20", "--out", str(tmp_path / "r"),
                 "--steps", "1", "--device", "cpu", "-q", *WIDTHS]) == 1
    assert "multiple of 8" in capsys.readouterr().err
    assert not list(tmp_path.glob("x*.tif"))


def test_time_limit_stops_with_checkpoint_and_classes(run, tmp_path):
    d, _, _ = run
    out = tmp_path / "timed"
    assert main(["texture", "train", "--data", str(d / "fine.tif"), "--crop", "16", "--batch", "1", "--steps", "1000",
                 "--max-minutes", "0.0001", "--device", "cpu", "--out", str(out), "--seed", "0", "-q", *WIDTHS]) == 0
    step = load_checkpoint(out / LAST)["step"]
    assert 1 <= step < 1000 and load_class_table(out / CLASSES_FILE)["step"] == step


def test_train_options_reach_the_run(run, tmp_path):
    """--keep-checkpoints (0 keeps every step checkpoint, N the newest N), --norm, --porosity-on, --g-ema and
    --logit-margin reach the run; the defaults are the first models' settings."""
    d = run[0]
    base = ["texture", "train", "--data", str(d / "fine.tif"), "--crop", "16", "--batch", "1", "--steps", "4",
            "--checkpoint-every", "1", "--device", "cpu", "--seed", "0", "-q", *WIDTHS]
    assert main(base + ["--out", str(tmp_path / "all"), "--keep-checkpoints", "0"]) == 0
    assert sorted(p.name for p in (tmp_path / "all").glob("step_*.pt")) == [f"step_{i:07d}.pt" for i in range(1, 5)]
    ck = load_checkpoint(tmp_path / "all" / LAST)
    cfg = ck["config"]
    assert (cfg["g_norm"], cfg["porosity_hard"], cfg["g_ema"], cfg["logit_margin"]) == ("batch", False, 0.0, 0.0)
    assert "generator_ema" not in ck["models"]
    assert main(base + ["--out", str(tmp_path / "two"), "--keep-checkpoints", "2", "--norm", "pixel",
                        "--porosity-on", "binary", "--g-ema", "0.999", "--logit-margin", "0.5"]) == 0
    assert sorted(p.name for p in (tmp_path / "two").glob("step_*.pt")) == ["step_0000003.pt", "step_0000004.pt"]
    ck = load_checkpoint(tmp_path / "two" / LAST)
    assert (ck["config"]["g_norm"], ck["config"]["porosity_hard"], ck["config"]["g_ema"],
            ck["config"]["logit_margin"]) == ("pixel", True, 0.999, 0.5)
    # the checkpoint generates with the moving average of G, and so does the model exported from it
    ema, last = ck["models"]["generator_ema"], ck["models"]["generator"]
    assert int(ema["ema_updates"]) == 4 and not torch.equal(ema["out.bias"], last["out.bias"])
    model = load_model(tmp_path / "two" / LAST)
    assert torch.equal(model.generator.out.bias, ema["out.bias"])
    assert main(["texture", "export", str(tmp_path / "two"), str(tmp_path / "m.pt")]) == 0
    shipped = load_checkpoint(tmp_path / "m.pt")["models"]
    assert set(shipped) == {"encoder", "generator"} and torch.equal(shipped["generator"]["out.bias"], ema["out.bias"])
    assert "ema_updates" not in shipped["generator"]
    # resumed, the average goes on from where it was
    assert main(base[:9] + ["6"] + base[10:] + ["--out", str(tmp_path / "two"), "--keep-checkpoints", "2",
                                              "--resume"]) == 0
    assert int(load_checkpoint(tmp_path / "two" / LAST)["models"]["generator_ema"]["ema_updates"]) == 6
    assert main(base + ["--out", str(tmp_path / "bad"), "--g-ema", "1.0"]) == 1
