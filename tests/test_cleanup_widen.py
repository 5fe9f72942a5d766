"""Growing a trained U-Net into a wider one (--init from a narrower model): same function, copies part."""

import pytest
import torch

from core.cleanup.config import UNetConfig
from core.cleanup.model import UNet
from core.cleanup.widen import widen_state
from core.errors import InputError

torch.set_num_threads(1)
NARROW = UNetConfig(base_width=4, depth=3, max_width=16, crop=64)
WIDE = UNetConfig(base_width=8, depth=3, max_width=16, crop=64)  # widths 4,8,16,16 → 8,16,16,16


def _trained_like(cfg: UNetConfig, seed: int = 0) -> UNet:
    """A U-Net with non-trivial BatchNorm statistics and affine terms (fresh ones are all 0 / 1)."""
    torch.manual_seed(seed)
    net = UNet(cfg)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return net


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_widened_unet_computes_the_same_function(mode):
    narrow = _trained_like(NARROW)
    wide = UNet(WIDE)
    wide.load_state_dict(widen_state(narrow.state_dict(), NARROW, WIDE))
    getattr(narrow, mode)()
    getattr(wide, mode)()
    x = torch.rand(3, 1, 48, 56)
    with torch.no_grad():
        a, b = narrow(x), wide(x)
    assert a.abs().mean() > 0.05  # a real output, not zeros on both sides
    # float32 sums in another order: agreement to rounding (stated tolerance, any x86 CPU)
    assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_copied_channels_learn_apart():
    narrow = _trained_like(NARROW)
    wide = UNet(WIDE)
    wide.load_state_dict(widen_state(narrow.state_dict(), NARROW, WIDE))
    opt = torch.optim.Adam(wide.parameters(), lr=1e-2)
    x = torch.rand(4, 1, 32, 32)
    y = (torch.rand(4, 1, 32, 32) > 0.8).float()
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(wide(x), y).backward()
        opt.step()
    w = wide.down[0][0][0].weight.detach()  # level 0: 8 channels, channel c copies old channel c % 4
    for c in range(4):
        diff = (w[c] - w[c + 4]).abs().max().item()
        assert diff > 1e-4, f"copies {c} and {c + 4} still equal after training"


def test_widening_keeps_the_narrow_weights_where_nothing_is_copied():
    narrow = _trained_like(NARROW)
    st = widen_state(narrow.state_dict(), NARROW, WIDE)
    old = narrow.state_dict()
    # the bottleneck's second conv reads and writes 16 channels in both: copied as they are
    assert torch.equal(st["bottom.1.0.weight"], old["bottom.1.0.weight"])
    assert st["down.0.0.0.weight"].shape == (8, 1, 3, 3)
    assert torch.equal(st["down.0.0.0.weight"][5], old["down.0.0.0.weight"][1])


def test_narrowing_or_other_depth_is_refused():
    wide = _trained_like(WIDE)
    with pytest.raises(InputError, match="only be widened"):
        widen_state(wide.state_dict(), WIDE, NARROW)
    other = UNetConfig(base_width=8, depth=2, max_width=16, crop=64)
    with pytest.raises(InputError, match="Only the widths"):
        widen_state(_trained_like(NARROW).state_dict(), NARROW, other)


def test_training_from_a_narrower_model_starts_where_it_was(tmp_path):
    """`seqgen clean train --init narrow.pt --base-width 8`: the run starts from the narrow model's function."""
    from core.cleanup.task import CleanupTask
    from core.train import TrainConfig, fit
    from core.train.checkpoint import load_checkpoint

    run = lambda out, cfg, **kw: fit(CleanupTask(cfg), TrainConfig(
        steps=2, batch_size=2, lr=1e-3, log_every=1, checkpoint_every=0, check_every=0, seed=0, device="cpu",
        out_dir=str(tmp_path / out), **kw))
    small = run("narrow", NARROW)
    res = run("wide", WIDE, init_from=str(small.checkpoint))
    assert any("widened" in n for n in res.notices)
    ck = load_checkpoint(res.checkpoint, kind="cleanup-unet")
    assert ck["config"]["base_width"] == 8
    assert ck["models"]["unet"]["down.0.0.0.weight"].shape[0] == 8
    # refusing a narrower target keeps its clear message
    with pytest.raises(InputError, match="only be widened"):
        run("back", NARROW, init_from=str(res.checkpoint))
