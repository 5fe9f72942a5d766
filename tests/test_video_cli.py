"""`seqgen video` CLI (standalone entry): tiny train-vqvae → train-lvt → continue; clip I/O and refusals."""

import json

import numpy as np
import pytest
import torch

from core.errors import InputError
from core.video import clipio
from core.video.cli import main

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("video")
    run = ["--steps", "2", "--batch", "2", "--device", "cpu", "--seed", "0", "-q", "--checkpoint-every", "0"]
    # enough VQ-VAE steps that its decoder draws something (2 steps decode every code to black)
    assert main(["video", "train-vqvae", "--out", str(d / "vq"), "--size", "32", "--channels", "8",
                 "--embed-dim", "8", "--parts", "2", "--codebook-size", "16", "--downsample", "8", *run,
                 "--steps", "40", "--batch", "8", "--lr", "3e-3"]) == 0
    assert main(["video", "train-lvt", "--vqvae", str(d / "vq"), "--out", str(d / "lvt"), "--frames", "2",
                 "--context", "1", "--dim", "16", "--heads", "2", "--layers", "1", *run]) == 0
    return d / "vq" / "last.pt", d / "lvt" / "last.pt"


def test_continue_is_greedy_by_default_and_saves_the_settings(models, tmp_path, capsys):
    from core.train import load_checkpoint

    _, lvt = models
    assert load_checkpoint(lvt)["config"]["height"] == 4  # --downsample 8 of 32×32 frames: a 4×4 grid
    args = ["video", "continue", "--model", str(lvt), "--input", "mnist-test:0", "--context", "1", "--frames", "2",
            "-q"]
    assert main(args + ["--seed", "3", "-o", str(tmp_path / "a.npy")]) == 0
    assert "most likely continuation" in capsys.readouterr().out
    assert main(args + ["--seed", "4", "-o", str(tmp_path / "b.npy")]) == 0
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (3, 32, 32) and a.dtype == np.uint8 and a[1:].std() > 0
    assert np.array_equal(a, b)  # the seed is not used
    meta = json.loads((tmp_path / "a.json").read_text())
    assert meta["mode"] == "most likely (greedy)" and meta["temperature"] == 0 and meta["seed"] == 3
    assert meta["files"] == ["a.npy"] and meta["context"] == 1 and meta["frames"] == 2 and meta["step"] == 2


def test_sampled_continuations_follow_the_seed(models, tmp_path, capsys):
    _, lvt = models
    args = ["video", "continue", "--model", str(lvt), "--input", "mnist-test:0", "--context", "1", "--frames", "2",
            "--samples", "3", "-q"]
    assert main(args + ["--seed", "5", "-o", str(tmp_path / "a.npy")]) == 0
    assert "seed 5" in capsys.readouterr().out
    assert main(args + ["--seed", "5", "-o", str(tmp_path / "b.npy")]) == 0
    assert main(args + ["--seed", "6", "--temperature", "2", "--top-k", "4", "-o", str(tmp_path / "c.npy")]) == 0
    a = [np.load(tmp_path / f"a_{i:03d}.npy") for i in (1, 2, 3)]
    assert a[0][1:].std() > 0 and not np.array_equal(a[0], a[1])  # the samples differ from each other
    b = [np.load(tmp_path / f"b_{i:03d}.npy") for i in (1, 2, 3)]
    c = [np.load(tmp_path / f"c_{i:03d}.npy") for i in (1, 2, 3)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    meta = json.loads((tmp_path / "c.json").read_text())
    assert meta["mode"] == "sampled" and meta["seed"] == 6 and meta["temperature"] == 2 and meta["top_k"] == 4
    assert meta["files"] == ["c_001.npy", "c_002.npy", "c_003.npy"] and meta["seed_used"]
    # several samples of the most likely continuation make no sense: refused up front
    assert main(args + ["--temperature", "0", "-o", str(tmp_path / "d.npy")]) == 1
    assert "temperature above 0" in capsys.readouterr().err
    assert not list(tmp_path.glob("d*"))


def test_continue_gif_mp4_samples_and_resize(models, tmp_path, capsys):
    _, lvt = models
    clip = (np.random.default_rng(0).random((4, 48, 60)) * 255).astype(np.uint8)
    np.save(tmp_path / "clip.npy", clip)
    assert main(["video", "continue", "--model", str(lvt), "--input", str(tmp_path / "clip.npy"), "--context", "2",
                 "--frames", "1", "--samples", "2", "--seed", "1", "-o", str(tmp_path / "out.gif"), "-q"]) == 0
    err = capsys.readouterr().err
    assert "cropped" in err and "resized" in err
    for i in (1, 2):
        frames, _ = clipio.read_clip(tmp_path / f"out_{i:03d}.gif")
        assert frames.shape == (3, 32, 32)
    assert main(["video", "continue", "--model", str(lvt), "--input", str(tmp_path / "clip.npy"), "--context", "1",
                 "--frames", "1", "--seed", "1", "-o", str(tmp_path / "out.mp4"), "-q"]) == 0
    frames, _ = clipio.read_clip(tmp_path / "out.mp4")
    assert frames.shape == (2, 32, 32)


def test_refusals(models, tmp_path, capsys):
    _, lvt = models
    (tmp_path / "bad.mp4").write_bytes(b"not a video" * 20)
    np.save(tmp_path / "short.npy", np.zeros((1, 32, 32), np.uint8))
    base = ["video", "continue", "--model", str(lvt), "--frames", "1", "--seed", "0", "-q"]
    assert main(base + ["--input", str(tmp_path / "bad.mp4"), "-o", str(tmp_path / "x.npy")]) == 1
    assert "could not be opened" in capsys.readouterr().err
    assert main(base + ["--input", str(tmp_path / "short.npy"), "--context", "2", "-o", str(tmp_path / "x.npy")]) == 1
    assert "fewer than the 2 context frames" in capsys.readouterr().err
    assert main(base + ["--input", "mnist-test:0", "-o", str(tmp_path / "x.png")]) == 1
    assert main(base + ["--input", str(tmp_path / "nothing.gif"), "-o", str(tmp_path / "x.npy")]) == 1
    assert main(base + ["--model", str(models[0]), "--input", "mnist-test:0", "-o", str(tmp_path / "x.npy")]) == 1
    assert "'video-vqvae' model" in capsys.readouterr().err


def test_clip_io_round_trip_and_folders(tmp_path):
    import cv2

    clip = np.stack([np.full((20, 30), 40 * i, np.uint8) for i in range(5)])
    clipio.write_clip(tmp_path / "c.gif", clip)
    back, _ = clipio.read_clip(tmp_path / "c.gif")
    assert back.shape == clip.shape and np.abs(back.astype(int) - clip).max() <= 2
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(clip):
        cv2.imwrite(str(folder / f"f{i:02d}.png"), cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    got, notes = clipio.read_clip(folder, size=16)
    assert got.shape == (5, 16, 16) and any("resized" in n for n in notes)
    clips_dir = tmp_path / "clips"
    clips_dir.mkdir()
    np.save(clips_dir / "a.npy", np.zeros((6, 16, 16), np.uint8))
    np.save(clips_dir / "b.npy", np.zeros((4, 16, 16), np.uint8))
    np.save(clips_dir / "c.npy", np.zeros((2, 16, 16), np.uint8))
    arr, notes = clipio.read_clip_folder(clips_dir, 16, 3)
    assert arr.shape == (2, 4, 16, 16) and any("Skipped 1" in n for n in notes)
    with pytest.raises(InputError):
        clipio.read_clip(tmp_path / "c.txt")
    with pytest.raises(InputError):
        clipio.write_clip(tmp_path / "x.avi", clip)


def test_export_both_kinds(models, tmp_path, capsys):
    from core.train import load_checkpoint
    from core.video.loader import load_lvt
    from core.video.mnist import fixed_test_set
    from core.video.sampling import continue_clip

    vq, lvt = models
    assert main(["video", "export", str(vq), str(tmp_path / "vq.pt")]) == 0
    assert main(["video", "export", str(lvt.parent), str(tmp_path / "lvt.pt"), "--half"]) == 0
    ck = load_checkpoint(tmp_path / "lvt.pt")
    assert set(ck["models"]) == {"lvt", "vqvae"} and "optimizers" not in ck
    clip = fixed_test_set(1, frames=2, size=32)[0]
    a = continue_clip(load_lvt(tmp_path / "lvt.pt"), clip[:1], 1, seed=0)
    assert a.shape == (1, 2, 32, 32)
    assert main(["video", "export", str(lvt), str(tmp_path / "full.pt")]) == 0
    full = continue_clip(load_lvt(tmp_path / "full.pt"), clip[:1], 1)
    assert np.array_equal(full, continue_clip(load_lvt(lvt), clip[:1], 1))  # same weights, same greedy frames
    (tmp_path / "junk.pt").write_bytes(b"junk")
    assert main(["video", "export", str(tmp_path / "junk.pt"), str(tmp_path / "o.pt")]) == 1


def test_train_lvt_on_clip_folder_and_resume(models, tmp_path, capsys):
    from core.train import load_checkpoint
    from core.video.mnist import moving_mnist

    vq, _ = models
    data = tmp_path / "clips"
    data.mkdir()
    for i, c in enumerate(moving_mnist(3, seed=0, frames=4, size=32)):
        np.save(data / f"c{i}.npy", c)
    common = ["video", "train-lvt", "--vqvae", str(vq), "--out", str(tmp_path / "run"), "--data", str(data),
              "--frames", "2", "--context", "1", "--dim", "16", "--heads", "2", "--precision", "bf16",
              "--layers", "1", "--batch", "2", "--device", "cpu", "--seed", "0", "-q", "--checkpoint-every", "0"]
    assert main(common + ["--steps", "1"]) == 0
    assert "3 training clip(s) of 4 frames" in capsys.readouterr().err
    assert main(common + ["--steps", "2"]) == 1  # refuses to overwrite a run
    assert main(common + ["--steps", "2", "--resume"]) == 0
    assert "Resuming from step 1" in capsys.readouterr().err
    ck = load_checkpoint(tmp_path / "run" / "last.pt")
    assert ck["step"] == 2 and ck["train_config"]["precision"] == "bf16" and ck["format_version"] == 2


def test_old_transformer_run_cannot_be_resumed_or_exported(models, tmp_path, capsys):
    import shutil
    from pathlib import Path

    old = Path(__file__).parent / "data" / "video_lvt_format1.pt"
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(old, run / "last.pt")
    vq, _ = models
    assert main(["video", "train-lvt", "--vqvae", str(vq), "--out", str(run), "--resume", "--steps", "3",
                 "--device", "cpu", "--seed", "0", "-q"]) == 1
    err = capsys.readouterr().err
    assert "older version of SeqGen Studio (format 1)" in err and len(err.strip().splitlines()) == 1
    assert main(["video", "export", str(old), str(tmp_path / "o.pt")]) == 1
    assert "format 1" in capsys.readouterr().err and not (tmp_path / "o.pt").exists()


def test_huge_frames_refused(tmp_path):
    np.save(tmp_path / "huge.npy", np.zeros((1, 4097, 4097), np.uint8))
    with pytest.raises(InputError, match="Scale the clip down"):
        clipio.read_clip(tmp_path / "huge.npy")
