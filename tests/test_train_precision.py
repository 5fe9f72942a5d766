"""``--precision`` of the volume GAN trainings (rock train, rock train-baseline, texture train): bf16
autocast runs with finite losses and is recorded in the checkpoint; the fp32 default is unchanged."""

import math

import numpy as np
import pytest
import tifffile
import torch
from scipy import ndimage

from core.cli import main
from core.rock import RockGANConfig
from core.rock.model import Encoder, Generator, noise_shape
from core.train import LAST, load_checkpoint, read_log

torch.set_num_threads(1)

TEXTURE_WIDTHS = ["--code-dim", "4", "--noise-channels", "2", "--g-channels", "8", "--g-fine", "2",
                  "--e-channels", "4", "--d-channels", "4", "--dz-hidden", "8"]
COMMANDS = {
    "rock": (["rock", "train", "--crop", "16", "--channels", "8"], "rock-gan"),
    "baseline": (["rock", "train-baseline", "--crop", "16", "--channels", "8", "--d-channels", "4", "--nz", "8"],
                 "rock-dcgan"),
    "texture": (["texture", "train", "--crop", "16", *TEXTURE_WIDTHS], "texture-gan"),
}


def _has_cpu_bf16() -> bool:
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = torch.nn.functional.conv3d(torch.ones(1, 1, 3, 3, 3), torch.ones(1, 1, 3, 3, 3))
        return y.dtype == torch.bfloat16
    except RuntimeError:
        return False


needs_bf16 = pytest.mark.skipif(not _has_cpu_bf16(), reason="this torch build has no CPU bfloat16 autocast")


@pytest.fixture(scope="module")
def volume(tmp_path_factory):
    d = tmp_path_factory.mktemp("vol")
    f = ndimage.gaussian_filter(np.random.default_rng(0).random((32, 32, 32)), 1.5)
    path = d / "blobs.tif"
    tifffile.imwrite(path, (f > np.quantile(f, 0.7)).astype(np.uint8))
    return path


def _train(task, volume, out, *extra):
    args, _ = COMMANDS[task]
    rc = main([*args, "--data", str(volume), "--batch", "2", "--steps", "2", "--device", "cpu", "--out", str(out),
               "--seed", "5", "--checkpoint-every", "0", "--log-every", "1", "-q", *extra])
    assert rc == 0
    return load_checkpoint(out / LAST, kind=COMMANDS[task][1])


def _same_weights(a, b) -> bool:
    return all(torch.equal(v, b["models"][net][k]) for net, sd in a["models"].items() for k, v in sd.items())


@needs_bf16
@pytest.mark.parametrize("task", list(COMMANDS))
def test_bf16_runs_with_finite_losses_and_is_recorded(task, volume, tmp_path):
    ck = _train(task, volume, tmp_path / "bf16", "--precision", "bf16")
    assert ck["step"] == 2
    assert ck["train_config"]["precision"] == "bf16" and ck["precision"] == "bf16"
    losses = [r for r in read_log(tmp_path / "bf16" / "log.csv") if r["kind"] == "loss"]
    assert {r["step"] for r in losses} == {1, 2} and len(losses) >= 4
    assert all(math.isfinite(float(r["value"])) for r in losses), losses
    assert all(torch.isfinite(v).all() for sd in ck["models"].values() for v in sd.values() if v.is_floating_point())
    # The forward passes really ran in bfloat16: the same seed in float32 ends with other weights.
    fp32 = _train(task, volume, tmp_path / "fp32", "--precision", "fp32")
    assert not _same_weights(ck, fp32)


@pytest.mark.parametrize("task", list(COMMANDS))
def test_fp32_default_is_unchanged(task, volume, tmp_path):
    default = _train(task, volume, tmp_path / "default")
    explicit = _train(task, volume, tmp_path / "explicit", "--precision", "fp32")
    assert default["train_config"]["precision"] == "fp32" and default["precision"] == "fp32"
    assert _same_weights(default, explicit)


@pytest.mark.parametrize("task", list(COMMANDS))
def test_help_names_the_fp32_default_and_why(task, capsys):
    with pytest.raises(SystemExit):
        main([*COMMANDS[task][0][:2], "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--precision {auto,fp32,bf16}" in text and "default fp32; bf16 not yet A/B-tested on GAN quality" in text


@needs_bf16
def test_rock_generator_gives_float32_probabilities_under_bf16_autocast():
    """The slice, porosity and profile losses read G's output: float32 even when the convs run in bf16."""
    cfg = RockGANConfig(channels=8, z_channels=4, d_channels=8, crop=16)
    E, G = Encoder(cfg), Generator(cfg)
    s = torch.ones(1, 1, 16, 16)
    z = torch.randn((1,) + noise_shape(cfg, 16, 16, 16))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h = E(s)
        out = G(h, z)
    assert h[0].dtype == torch.bfloat16  # autocast is on
    assert out.dtype == torch.float32 and 0 <= out.min() and out.max() <= 1
