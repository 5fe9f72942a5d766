"""The digit reader of `seqgen video eval`: readings, save/load, the digit check and the examples picture."""

import numpy as np
import pytest
import torch

from core.errors import InputError
from core.video import digits as D
from core.video.evaluate import evaluate, markdown, write_report
from core.video.mnist import fixed_test_set

from test_video_eval import tiny_loaded

torch.set_num_threads(1)


class _Fixed(torch.nn.Module):
    """A stand-in reader that returns given probabilities (to test the reading rule only)."""

    def __init__(self, probs):
        super().__init__()
        self.cfg = D.DigitReaderConfig(size=8, width=4)
        self.logits = torch.logit(torch.tensor(probs, dtype=torch.float32))

    def forward(self, x):
        return self.logits[: len(x)]


def test_reading_is_top_class_plus_second_when_likely():
    p = np.full((3, 10), 0.01)
    p[0, 3], p[0, 7] = 0.9, 0.8        # two digits
    p[1, 5], p[1, 2] = 0.95, 0.3       # one digit (the same digit twice, or one hidden)
    p[2, 1], p[2, 4] = 0.4, 0.2        # unsure: still the most likely one
    read = D.read_digits(_Fixed(p), np.zeros((3, 8, 8), np.uint8))
    assert read == [frozenset({3, 7}), frozenset({5}), frozenset({1})]
    assert D.agreement(read, [frozenset({7, 3}), frozenset({5, 2}), frozenset({1})]) == pytest.approx(2 / 3)
    with pytest.raises(InputError, match="reads 8×8 frames"):
        D.read_digits(_Fixed(p), np.zeros((3, 16, 16), np.uint8))


def test_fixed_test_set_indices_are_test_digits_and_frames_unchanged():
    seqs, used = fixed_test_set(5, frames=3, return_indices=True)
    assert np.array_equal(seqs, fixed_test_set(5, frames=3)) and used.shape == (5, 2)
    assert np.all(used % 500 >= 400)   # the binding split: test digits only
    sets = D.true_digit_sets(used)
    assert all(1 <= len(s) <= 2 and s <= set(range(10)) for s in sets)


def test_short_training_learns_and_save_load_round_trip(tmp_path):
    cfg = D.DigitReaderConfig(size=64, width=8)
    model, summary = D.train_reader(steps=250, batch=32, lr=3e-3, seed=1, cfg=cfg)
    # 250 steps is far from trained but clearly above chance (the top class is one of the digits: ~19 %)
    assert summary["val_top1_in_set"] > 0.4 and summary["config"] == {"size": 64, "width": 8}
    path = D.save_reader(model, tmp_path / "r.pt", summary)
    back = D.load_reader(path)
    x = torch.rand(4, 1, 64, 64)
    assert torch.equal(back(x), model(x)) and D.reader_summary(path)["steps"] == 250
    (tmp_path / "bad.pt").write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a readable digit-reader"):
        D.load_reader(tmp_path / "bad.pt")
    payload = torch.load(path, weights_only=True)
    payload["config"]["width"] = 16                       # weights of another layout
    torch.save(payload, tmp_path / "old.pt")
    with pytest.raises(InputError, match="does not fit"):
        D.load_reader(tmp_path / "old.pt")
    torch.save({"kind": "video-lvt", "format_version": 2}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a digit reader"):
        D.load_reader(tmp_path / "other.pt")


def test_eval_with_reader_reports_digits_and_writes_examples(tmp_path):
    loaded = tiny_loaded()
    torch.manual_seed(0)
    reader = D.DigitReader(D.DigitReaderConfig(size=32, width=4)).eval()
    examples = {}
    res = evaluate(loaded, n=5, context=3, frames=2, batch=2, seed=1, reader=reader, examples=examples, n_examples=3)
    d = res["digits"]
    assert d["n"] == 5 and d["true"]["agree_last"] == 1.0            # the true frames agree with themselves
    assert len(d["ours"]["agree_per_frame"]) == 2 and 0 <= d["ours"]["labels_last"] <= 1
    assert examples["given"].shape == (3, 3, 32, 32) and examples["true"].shape == (3, 2, 32, 32)
    assert examples["ours"].shape == (3, 2, 32, 32) and examples["ours"].dtype == np.uint8
    paths = write_report(res, tmp_path / "out", examples=examples)
    assert paths["examples"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = markdown(res)
    assert "## Same digits at frame 5" in md and md.count("same reading as the true frame") == 1
    # without a reader the report has no digit section (older eval.json files too)
    plain = evaluate(loaded, n=2, context=3, frames=1, batch=2, seed=1)
    assert plain["digits"] is None and "Same digits" not in markdown(plain)
