"""`seqgen clean` batch CLI, multi-page TIFF, resume, refusals, eval tables, export, batch API."""

import json

import cv2
import numpy as np
import pytest
import tifffile
import torch

from core.cleanup import synth
from core.cleanup.batch import REPORT_NAME, plan_batch, run_batch
from core.cleanup.cli import main
from core.cleanup.config import UNetConfig
from core.cleanup.infer import load_model
from core.cleanup.scanio import read_pages
from core.errors import Cancelled, InputError
from core.jobs import TaskState

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """A tiny trained-for-two-steps cleanup checkpoint (the weights do not matter here)."""
    from core.cleanup.task import CleanupTask
    from core.train import TrainConfig, fit

    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(steps=2, batch_size=2, checkpoint_every=0, seed=0, device="cpu", out_dir=str(out))
    return fit(CleanupTask(UNetConfig(base_width=4, depth=2, crop=64)), cfg).checkpoint


def _scan(seed, h=72, w=88, rgb=False):
    return synth.make_pair(seed, h, w, rgb=rgb)[0]


@pytest.fixture
def scans(tmp_path):
    d = tmp_path / "scans"
    (d / "sub").mkdir(parents=True)
    cv2.imwrite(str(d / "a.png"), _scan(1))
    cv2.imwrite(str(d / "b.jpg"), _scan(2, rgb=True)[..., ::-1])
    cv2.imwrite(str(d / "sub" / "c.bmp"), _scan(3))
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    (d / "notes.txt").write_text("not a scan")  # ignored in folders
    return d


def test_batch_folder_cleans_skips_corrupt_and_resumes(scans, tmp_path, ckpt, capsys):
    out = tmp_path / "out"
    rc = main(["clean", str(scans), "-o", str(out), "--model", str(ckpt), "-q"])
    assert rc == 1  # one file failed
    for rel in ("a.png", "b.png", "sub/c.png"):
        img = cv2.imread(str(out / rel), cv2.IMREAD_UNCHANGED)
        assert img is not None and img.shape == (72, 88) and set(np.unique(img)) <= {0, 255}
    assert not (out / "broken.png").exists()
    report = (out / REPORT_NAME).read_text()
    assert "broken.png" in report and "1 failed" in report and "3 cleaned" in report
    err = capsys.readouterr().err
    assert "broken.png" in err

    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    (out / "b.png").unlink()  # as if the first run had stopped before b
    rc = main(["clean", str(scans), "-o", str(out), "--model", str(ckpt), "-q"])
    assert rc == 1
    report = (out / REPORT_NAME).read_text()
    assert "2 already done (kept)" in report and "1 cleaned" in report
    assert (out / "a.png").stat().st_mtime_ns == mtimes[out / "a.png"]  # finished outputs untouched
    assert (out / "b.png").is_file()


def test_refuses_to_overwrite_inputs(scans, tmp_path, ckpt, capsys):
    before = (scans / "a.png").read_bytes()
    assert main(["clean", str(scans / "a.png"), "-o", str(scans), "--model", str(ckpt), "-q"]) == 1
    assert "overwrite" in capsys.readouterr().err
    assert main(["clean", str(scans), "-o", str(scans / "cleaned"), "--model", str(ckpt), "-q"]) == 1
    assert "inside the input folder" in capsys.readouterr().err
    assert (scans / "a.png").read_bytes() == before and not (scans / "cleaned").exists()
    # Writing next to the input is fine when no input is overwritten (b.jpg -> b.png).
    assert main(["clean", str(scans / "b.jpg"), "-o", str(scans), "--model", str(ckpt), "-q"]) == 0
    assert (scans / "b.png").is_file()


def test_only_corrupt_and_missing_files_fail(tmp_path, ckpt):
    ok = tmp_path / "ok.png"
    cv2.imwrite(str(ok), _scan(4))
    plan = plan_batch([ok, tmp_path / "missing.png"], tmp_path / "o")
    assert [j.status for j in plan.jobs] == ["pending", "failed"]
    assert main(["clean", str(ok), "-o", str(tmp_path / "o2"), "--model", str(ckpt), "-q"]) == 0


def test_multipage_tiff_in_multipage_out(tmp_path, ckpt):
    src = tmp_path / "pages.tif"
    with tifffile.TiffWriter(src) as tw:
        tw.write(_scan(5, 64, 80))
        tw.write(_scan(6, 48, 56))                          # pages may differ in size
        tw.write((_scan(7, 64, 80).astype(np.uint16) * 257))  # and in bit depth
    out = tmp_path / "out"
    assert main(["clean", str(src), "-o", str(out), "--model", str(ckpt), "-q"]) == 0
    with tifffile.TiffFile(out / "pages.tif") as tif:
        shapes = [p.shape for p in tif.pages]
        vals = set(np.unique(np.concatenate([p.asarray().ravel() for p in tif.pages])))
    assert shapes == [(64, 80), (48, 56), (64, 80)] and vals <= {0, 255}
    assert [p.shape for p in read_pages(out / "pages.tif")] == shapes
    with tifffile.TiffFile(out / "pages.tif") as tif:
        meta = json.loads(tif.pages[0].description)
    assert meta["views"] == 4 and meta["threshold"] == 0.5  # the batch defaults, recorded with the output


def test_name_collisions_get_distinct_outputs(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("x.png", "x.jpg", "y.tif"):
        (d / name).write_bytes(b"")
    dsts = sorted(j.dst.name for j in plan_batch([d], tmp_path / "out").jobs)
    assert dsts == ["x_jpg.png", "x_png.png", "y.tif"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="No scans found"):
        plan_batch([empty], tmp_path / "out2")


def test_batch_api_callbacks_progress_and_cancel(scans, tmp_path, ckpt):
    model = load_model(ckpt)
    plan = plan_batch([scans / "a.png", scans / "b.jpg", scans / "sub" / "c.bmp"], tmp_path / "out")
    seen, progress = [], []

    def cancelled():  # stop once the first file is finished
        return any(s == ("a.png", "done") for s in seen)

    state = TaskState(lambda f, m: progress.append(f), cancelled)
    with pytest.raises(Cancelled):
        run_batch(plan, model, on_file=lambda j: seen.append((j.src.name, j.status)), state=state)
    assert ("a.png", "running") in seen and ("a.png", "done") in seen
    assert (tmp_path / "out" / "a.png").is_file() and not (tmp_path / "out" / "c.png").exists()
    assert (tmp_path / "out" / REPORT_NAME).is_file()
    assert progress == sorted(progress)
    # Run again: the finished file is kept, the rest is done.
    report = run_batch(plan_batch([j.src for j in plan.jobs], tmp_path / "out"), model)
    assert report.ok and report.counts == {"kept": 1, "done": 2}


def test_missing_model_says_how_to_train(tmp_path, monkeypatch):
    import core.cleanup.infer as infer
    import core.shipped as shipped

    monkeypatch.setattr(shipped, "MODELS_DIR", tmp_path)
    monkeypatch.setattr(infer, "MODELS_DIR", tmp_path)
    with pytest.raises(InputError, match="seqgen clean train"):
        load_model(None)


def test_eval_writes_tables_with_baselines(tmp_path, ckpt):
    sd, gd = tmp_path / "scan", tmp_path / "gt"
    sd.mkdir()
    gd.mkdir()
    for i in range(2):
        scan, target = synth.make_pair(100 + i, 64, 64)
        cv2.imwrite(str(sd / f"p{i}.png"), scan)
        cv2.imwrite(str(gd / f"p{i}.png"), np.where(target > 0, 0, 255).astype(np.uint8))
    cv2.imwrite(str(sd / "lonely.png"), _scan(9))
    out = tmp_path / "res"
    rc = main(["clean", "eval", "--model", str(ckpt), "--n", "2", "--size", "64", "--pairs", str(sd), str(gd),
               "--out", str(out), "--views", "1", "4", "-q"])
    assert rc == 0
    md = (out / "heldout.md").read_text()
    assert "Otsu" in md and "Sauvola" in md and "ours (U-Net)" in md and "IoU" in md and "PSNR" in md
    assert "ours (U-Net, mean of 4 views)" in md
    pm = (out / "pairs.md").read_text()
    assert "F-measure" in pm and "Otsu" in pm and "lonely.png" in pm
    js = json.loads((out / "pairs.json").read_text())
    assert js["n"] == 2 and set(js["methods"]) >= {"Otsu"} and "f_measure" in js["methods"]["Otsu"]["mean"]
    held = json.loads((out / "heldout.json").read_text())
    assert all(r["seed"] >= synth.HELDOUT_SEED_BASE for m in held["methods"].values() for r in m["per_image"])


def test_export_and_train_cli(tmp_path, ckpt):
    dst = tmp_path / "cleanup_unet.pt"
    assert main(["clean", "export", str(ckpt), str(dst), "--half"]) == 0
    m = load_model(dst)
    assert m.config.base_width == 4 and m.step == 2
    run = tmp_path / "run"
    args = ["clean", "train", "--steps", "2", "--crop", "32", "--batch", "2", "--base-width", "4", "--depth", "2",
            "--device", "cpu", "--seed", "1", "--out", str(run), "-q"]
    assert main(args) == 0 and (run / "last.pt").is_file()
    assert main(args) == 1  # refuses to overwrite a run without --resume
    args[args.index("2")] = "3"
    assert main(args + ["--resume"]) == 0
    assert load_model(run).step == 3


def test_registers_into_seqgen(monkeypatch, tmp_path, capsys):
    import core.cli as root

    monkeypatch.setattr(root, "COMMAND_MODULES", [m for m in root.COMMAND_MODULES if m != "core.cleanup.cli"]
                        + ["core.cleanup.cli"])
    parser = root.build_parser()
    args = parser.parse_args(["clean", "-o", str(tmp_path / "o"), "--threshold", "0.4", "a.png"])
    assert args.argv == ["-o", str(tmp_path / "o"), "--threshold", "0.4", "a.png"]
    assert root.main(["clean", "--help"]) == 0 and "seqgen clean train" in capsys.readouterr().out
    assert root.main(["clean", "eval", "--n", "0"]) == 1  # nothing to evaluate: a plain error
    assert "Nothing to evaluate" in capsys.readouterr().err
