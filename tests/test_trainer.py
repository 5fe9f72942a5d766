"""The shared trainer (core.train) on a toy task: checkpoints, resume, cancel, kinds, log."""

import random

import numpy as np
import pytest
import torch
from torch import nn

from core.errors import Cancelled, InputError
from core.jobs import TaskState
from core.train import LAST, TrainConfig, fit, load_checkpoint, read_log, save_checkpoint

torch.set_num_threads(1)


class ToyTask:
    """Noisy regression that draws from every random stream the trainer must restore."""

    kind = "toy"
    format_version = 1

    def config_dict(self):
        return {"width": 8}

    def build(self, device, cfg):
        net = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 1)).to(device)
        return {"net": net}, {"net": torch.optim.Adam(net.parameters(), lr=cfg.lr)}

    def sample(self, batch_size, rng):
        x = torch.from_numpy(rng.standard_normal((batch_size, 4)).astype(np.float32))
        return x, x.sum(1, keepdim=True) + 0.01 * random.random() + 0.01 * np.random.rand()

    def train_step(self, batch, step, ctx):
        x, y = ctx.to_device(batch)
        ctx.opts["net"].zero_grad()
        with ctx.autocast():
            loss = ((ctx.nets["net"](x) + 0.01 * torch.randn_like(y) - y) ** 2).mean()
        ctx.backward(loss)
        ctx.step(ctx.opts["net"])
        return {"mse": loss.item()}

    def check(self, step, ctx):
        return {"w_norm": float(ctx.raw["net"][0].weight.norm())}


def cfg(out, **kw):
    base = dict(steps=4, batch_size=4, lr=1e-2, checkpoint_every=2, log_every=1, check_every=2, seed=3,
                device="cpu", out_dir=str(out))
    base.update(kw)
    return TrainConfig(**base)


def weights(path):
    return load_checkpoint(path, kind="toy")["models"]["net"]


def test_resume_continues_the_same_run(tmp_path):
    straight = fit(ToyTask(), cfg(tmp_path / "a"))
    assert straight.step == 4
    fit(ToyTask(), cfg(tmp_path / "b", steps=2))
    resumed = fit(ToyTask(), cfg(tmp_path / "b", steps=4, resume=True))
    assert resumed.resumed_from == 2
    a, b = weights(tmp_path / "a" / LAST), weights(tmp_path / "b" / LAST)
    for k in a:
        assert torch.equal(a[k], b[k]), k  # bit-identical: data, noise, dropout and Adam all restored
    ck = load_checkpoint(tmp_path / "b" / LAST, kind="toy")
    assert ck["step"] == 4 and ck["seed"] == 3 and ck["config"] == {"width": 8}
    assert ck["package_version"] and ck["format_version"] == 1 and len(ck["rng"]) == 1
    # The log was appended, not rewritten: one header, the same rows as the straight run.
    log_a = [(r["step"], r["name"], r["value"]) for r in read_log(tmp_path / "a" / "log.csv")]
    log_b = [(r["step"], r["name"], r["value"]) for r in read_log(tmp_path / "b" / "log.csv")]
    assert log_a == log_b and {s for s, _, _ in log_b} == {1, 2, 3, 4}
    assert (tmp_path / "b" / "log.csv").read_text().count("step,time_s") == 1
    assert any(n == "w_norm" for _, n, _ in log_b)


def test_keeps_last_and_recent_step_checkpoints(tmp_path):
    fit(ToyTask(), cfg(tmp_path, steps=8, checkpoint_every=2, keep_checkpoints=2))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [LAST, "log.csv", "step_0000006.pt", "step_0000008.pt"]


def test_refuses_to_overwrite_a_run(tmp_path):
    fit(ToyTask(), cfg(tmp_path, steps=2))
    with pytest.raises(InputError, match="--resume"):
        fit(ToyTask(), cfg(tmp_path, steps=4))


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    fit(ToyTask(), cfg(tmp_path, steps=2))
    before = weights(tmp_path / LAST)

    def broken_save(obj, f):  # a crash half-way through writing
        with open(f, "wb") as fh:
            fh.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr("core.train.checkpoint.torch.save", broken_save)
    with pytest.raises(OSError):
        fit(ToyTask(), cfg(tmp_path, steps=4, resume=True))
    after = load_checkpoint(tmp_path / LAST, kind="toy")
    assert after["step"] == 2 and all(torch.equal(before[k], after["models"]["net"][k]) for k in before)
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]  # no temp files left behind


def test_cancel_leaves_a_loadable_checkpoint(tmp_path):
    seen = []
    state = TaskState(progress=lambda f, m: seen.append(m), cancelled=lambda: len(seen) >= 3)
    with pytest.raises(Cancelled, match="step 3"):
        fit(ToyTask(), cfg(tmp_path, steps=10, checkpoint_every=0), state=state)
    assert load_checkpoint(tmp_path / LAST, kind="toy")["step"] == 3
    assert "ETA" in seen[-1] and "mse" in seen[-1]
    assert fit(ToyTask(), cfg(tmp_path, steps=5, resume=True)).step == 5


def test_time_limit_stops_with_a_checkpoint_and_resumes(tmp_path, monkeypatch):
    clock = iter(range(0, 10_000, 25))  # every reading of the trainer's clock is 25 s later
    monkeypatch.setattr("core.train.loop.time.monotonic", lambda: float(next(clock)))
    res = fit(ToyTask(), cfg(tmp_path, steps=1000, checkpoint_every=0, max_minutes=1.0))
    assert res.time_limited and 1 <= res.step < 10
    assert load_checkpoint(tmp_path / LAST, kind="toy")["step"] == res.step
    assert any("Time limit" in n for n in res.notices)
    monkeypatch.undo()
    again = fit(ToyTask(), cfg(tmp_path, steps=res.step + 2, resume=True))
    assert again.step == res.step + 2 and not again.time_limited


def test_init_starts_a_new_run_from_exported_half_weights(tmp_path):
    from core.train.export import export_model

    fit(ToyTask(), cfg(tmp_path / "a", steps=6))
    export_model(tmp_path / "a" / LAST, tmp_path / "m.pt", kind="toy", half=True)
    half = weights(tmp_path / "m.pt")
    # Zero steps of training would be no run at all: take one step at a negligible step size.
    res = fit(ToyTask(), cfg(tmp_path / "b", steps=1, lr=1e-12, init_from=str(tmp_path / "m.pt")))
    assert res.step == 1 and res.resumed_from is None
    assert any("Started from the weights of m.pt (trained 6 steps)" in n for n in res.notices)
    tuned = weights(tmp_path / "b" / LAST)
    for k, v in half.items():
        assert tuned[k].dtype == torch.float32
        assert torch.allclose(tuned[k], v.float(), atol=1e-6)
    plain = weights(fit(ToyTask(), cfg(tmp_path / "c", steps=1, lr=1e-12)).checkpoint)
    assert not torch.allclose(plain["0.weight"], tuned["0.weight"])
    # A resumed run keeps its own weights; another configuration is refused with the difference named.
    assert fit(ToyTask(), cfg(tmp_path / "b", steps=2, resume=True, init_from=str(tmp_path / "m.pt"))).step == 2

    class Wider(ToyTask):
        def config_dict(self):
            return {"width": 16}

        def build(self, device, cfg):
            net = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.2), nn.Linear(16, 1)).to(device)
            return {"net": net}, {"net": torch.optim.Adam(net.parameters(), lr=cfg.lr)}

    class Retuned(ToyTask):  # same architecture, another (loss) setting: fine-tuning proper
        def config_dict(self):
            return {"width": 8, "weight": 2.0}

    with pytest.raises(InputError, match="another architecture"):
        fit(Wider(), cfg(tmp_path / "d", steps=1, init_from=str(tmp_path / "m.pt")))
    res = fit(Retuned(), cfg(tmp_path / "r", steps=1, init_from=str(tmp_path / "m.pt")))
    assert any("weight (unset) → 2.0" in n for n in res.notices)
    with pytest.raises(InputError, match="does not exist"):
        fit(ToyTask(), cfg(tmp_path / "e", steps=1, init_from=str(tmp_path / "nothing.pt")))


def test_resumed_run_keeps_its_init_source_in_checkpoints_and_card(tmp_path):
    from core.train.card import model_card

    fit(ToyTask(), cfg(tmp_path / "a", steps=2))
    src = str(tmp_path / "a")
    fit(ToyTask(), cfg(tmp_path / "b", steps=2, init_from=src))
    assert load_checkpoint(tmp_path / "b" / LAST)["train_config"]["init_from"] == src
    # --resume without --init (what a user types): every later checkpoint still names the source
    res = fit(ToyTask(), cfg(tmp_path / "b", steps=4, resume=True))
    assert res.step == 4 and not any("not used" in n for n in res.notices)
    for p in [tmp_path / "b" / LAST, *sorted((tmp_path / "b").glob("step_*.pt"))]:
        assert load_checkpoint(p)["train_config"]["init_from"] == src, p.name
    card = model_card(tmp_path / "b" / LAST, title="t", commands=["x"], data="d")
    assert f"Started from the weights of `{src}`" in card and "not the run it started from" in card
    # another --init on resume cannot change where the run started (its weights are its own): said, not recorded
    res = fit(ToyTask(), cfg(tmp_path / "b", steps=5, resume=True, init_from=str(tmp_path / "other.pt")))
    assert any("other.pt is not used" in n and src in n for n in res.notices)
    assert load_checkpoint(tmp_path / "b" / LAST)["train_config"]["init_from"] == src
    # a run started from random weights stays one when resumed with --init
    fit(ToyTask(), cfg(tmp_path / "c", steps=2))
    res = fit(ToyTask(), cfg(tmp_path / "c", steps=3, resume=True, init_from=src))
    assert any("is not used" in n for n in res.notices)
    assert load_checkpoint(tmp_path / "c" / LAST)["train_config"]["init_from"] == ""
    assert "Started from the weights" not in model_card(tmp_path / "c" / LAST, title="t", commands=[], data="d")


def test_wrong_kind_newer_format_and_junk_are_refused(tmp_path):
    fit(ToyTask(), cfg(tmp_path, steps=1))
    with pytest.raises(InputError, match="'toy' model"):
        load_checkpoint(tmp_path / LAST, kind="rock-gan")
    ck = load_checkpoint(tmp_path / LAST)
    ck["format_version"] = 99
    save_checkpoint(tmp_path / "new.pt", ck)
    with pytest.raises(InputError, match="newer"):
        load_checkpoint(tmp_path / "new.pt", kind="toy", max_version=1)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="not a SeqGen"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(InputError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_resume_with_other_model_config_is_refused(tmp_path):
    fit(ToyTask(), cfg(tmp_path, steps=1))

    class Wider(ToyTask):
        def config_dict(self):
            return {"width": 16}

    with pytest.raises(InputError, match="another model configuration"):
        fit(Wider(), cfg(tmp_path, steps=2, resume=True))


def test_bad_settings_are_input_errors():
    with pytest.raises(InputError):
        TrainConfig(steps=0)
    with pytest.raises(InputError):
        TrainConfig(lr=-1)


def test_resume_notice_names_settings_absent_from_either_side(tmp_path, monkeypatch):
    """A resumed run keeps its own settings; the notice names each one that differs, also an option that
    one side leaves out (texture configs omit class options that are off)."""
    from types import SimpleNamespace

    from core.texture.config import TextureGANConfig
    from core.train import checkpoint as C

    (tmp_path / C.LAST).write_bytes(b"x")
    saved = TextureGANConfig(crop=32)
    monkeypatch.setattr(C, "load_checkpoint", lambda *a, **k: {"config": saved.to_dict()})
    asked = TextureGANConfig(crop=32, class_embed=3, g_channels=16)
    cfg, notes = C.config_for_resume(asked, SimpleNamespace(out_dir=str(tmp_path), resume=True),
                                     kind="texture-gan", max_version=9)
    assert cfg == saved and len(notes) == 1
    assert "g_channels 64 (not 16)" in notes[0] and "class_embed off (not 3)" in notes[0]
