"""Shipped-model names and exporting a training checkpoint to a small file to ship."""

from pathlib import Path

import numpy as np
import pytest
import torch

from core import shipped
from core.errors import InputError
from core.rock import RockGANConfig, RockGANTask, generate, load_model
from core.rock.cli import main as rock_main
from core.train import TrainConfig, fit, load_checkpoint

torch.set_num_threads(1)
TINY = RockGANConfig(channels=4, z_channels=2, d_channels=4, crop=16)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(0)
    vol = (rng.random((24, 24, 24)) < 0.3).astype(np.uint8)
    fit(RockGANTask(TINY, [vol]), TrainConfig(steps=2, batch_size=2, checkpoint_every=0, log_every=1,
                                              seed=3, device="cpu", out_dir=str(out)))
    return out


def test_names_resolve_to_files_and_unknown_names_are_clear(tmp_path, monkeypatch, run):
    monkeypatch.setattr(shipped, "MODELS_DIR", tmp_path)
    (tmp_path / "rock_berea.pt").write_bytes(b"x")
    (tmp_path / "texture_all.pt").write_bytes(b"x")
    assert list(shipped.shipped_models("rock")) == ["berea"]
    assert shipped.resolve_model("rock", "berea") == tmp_path / "rock_berea.pt"
    assert shipped.resolve_model("rock", run) == run / "last.pt"  # a run folder means its last.pt
    with pytest.raises(InputError, match=r"No rock model 'ketton'.*\(berea\)"):
        shipped.resolve_model("rock", "ketton")


def test_export_keeps_what_generation_needs_and_drops_the_rest(tmp_path, run):
    out = tmp_path / "rock_test.pt"
    assert rock_main(["rock", "export", str(run), str(out)]) == 0
    full, small = load_checkpoint(run / "last.pt"), load_checkpoint(out, kind="rock-gan")
    assert set(small["models"]) == {"encoder", "generator"}
    assert "optimizers" not in small and "rng" not in small
    assert small["step"] == full["step"] == 2 and small["seed"] == 3 and small["config"] == full["config"]
    assert out.stat().st_size < (run / "last.pt").stat().st_size / 2
    s = np.zeros((16, 16), np.uint8)
    s[4:10, 3:12] = 1
    a = generate(load_model(run / "last.pt"), s, 16, 2, seed=5)
    b = generate(load_model(out), s, 16, 2, seed=5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_half_precision_export_loads(tmp_path, run):
    out = tmp_path / "half.pt"
    assert rock_main(["rock", "export", str(run / "last.pt"), str(out), "--half"]) == 0
    m = load_model(out)
    assert next(m.generator.parameters()).dtype == torch.float32
    assert rock_main(["rock", "export", str(tmp_path / "missing.pt"), str(tmp_path / "x.pt")]) == 1
    assert not (tmp_path / "x.pt").exists()


def test_export_of_the_dcgan_baseline_keeps_only_its_generator(tmp_path):
    from core.volumes.baseline import DCGANConfig, DCGANTask, generate_baseline, load_baseline

    rng = np.random.default_rng(1)
    vol = (rng.random((24, 24, 24)) < 0.3).astype(np.uint8)
    run = tmp_path / "dcgan"
    fit(DCGANTask(DCGANConfig(nz=8, ngf=4, ndf=4, crop=16), [vol]),
        TrainConfig(steps=1, batch_size=2, checkpoint_every=0, seed=1, device="cpu", out_dir=str(run)))
    out = tmp_path / "dcgan_test.pt"
    assert rock_main(["rock", "export", str(run), str(out)]) == 0
    assert set(load_checkpoint(out)["models"]) == {"generator"}
    a = generate_baseline(load_baseline(run / "last.pt"), 16, 2, seed=4)
    b = generate_baseline(load_baseline(out), 16, 2, seed=4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # a checkpoint of another method is refused with a clear message, and nothing is written
    other = tmp_path / "other.pt"
    torch.save({"kind": "cleanup-unet", "format_version": 1, "models": {}}, other)
    assert rock_main(["rock", "export", str(other), str(tmp_path / "no.pt")]) == 1
    assert not (tmp_path / "no.pt").exists()


def test_model_card_carries_the_checkpoint_facts(tmp_path, run):
    from core.train.card import model_card

    out = tmp_path / "rock_test.pt"
    assert rock_main(["rock", "export", str(run), str(out)]) == 0
    card = model_card(out, title="Test model", commands=["seqgen rock train --steps 2"], data="synthetic",
                      evaluation="| a | b |")
    assert card.startswith("# Test model")
    assert "- Steps: 2 (batch 2 per process" in card and "seed 3" in card
    assert "seqgen rock train --steps 2" in card and "kind `rock-gan`" in card
    assert '"channels": 4' in card and "## Evaluation" in card
    assert "Started from" not in card
    ck = load_checkpoint(out)
    ck["train_config"]["init_from"] = "resources/models/rock_berea.pt"
    torch.save(ck, tmp_path / "tuned.pt")
    card = model_card(tmp_path / "tuned.pt", title="Tuned", commands=["x"], data="synthetic")
    assert "Started from the weights of `resources/models/rock_berea.pt`" in card and "this run only" in card
