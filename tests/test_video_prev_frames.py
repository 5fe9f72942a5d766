"""The LVT's previous-frame inputs (cfg.prev_frames): causal, cached = uncached, and a run can grow them."""

import pytest
import torch

from core.errors import InputError
from core.train.loop import _load_init
from core.video.config import LVTConfig
from core.video.layout import make_layout, previous_frame_sources
from core.video.model import LatentVideoTransformer

torch.set_num_threads(1)
BASE = dict(frames=4, context=2, height=4, width=4, n_parts=2, codebook_size=8, dim=16, heads=2, layers=1)


def _pair(seed=0):
    torch.manual_seed(seed)
    a = LatentVideoTransformer(LVTConfig(**BASE)).eval()
    b = LatentVideoTransformer(LVTConfig(**BASE, prev_frames=2, prev_radius=1)).eval()
    return a, b


def test_sources_are_the_neighbourhood_in_earlier_frames():
    src = previous_frame_sources(3, 4, 4, 2, back=2, radius=1)
    lay = make_layout(3, 4, 4, 2)
    assert src.shape == (3 * 4 * 4 * 2, 2 * 9 * 2)
    assert torch.all(src[lay.t == 0] == -1)                       # nothing before the window
    ok = src >= 0
    i = torch.arange(len(src))[:, None].expand_as(src)
    assert torch.all(src[ok] < i[ok])                             # causal: every source comes earlier
    # token (t=2, y=0, x=3, c=1): tap (f=1, dy=0, dx=0, c'=1) is (1, 0, 3, 1); off-grid taps are −1
    tok = ((2 * 4 + 0) * 4 + 3) * 2 + 1
    tap = ((0 * 3 + 1) * 3 + 1) * 2 + 1                           # f=1, dy=0, dx=0, c'=1
    assert src[tok, tap] == ((1 * 4 + 0) * 4 + 3) * 2 + 1
    assert src[tok, ((0 * 3 + 0) * 3 + 1) * 2] == -1              # dy=−1 from row 0: off the grid


def test_zero_projection_is_the_model_without_them_and_init_can_grow_them():
    a, b = _pair()
    notices = []
    _load_init({"lvt": b}, {"models": {"lvt": a.state_dict()}, "step": 7}, "old.pt", notices)
    assert any("start fresh" in n and "prev_proj" in n for n in notices)
    tok = torch.randint(0, 8, (2, b.cfg.length))
    assert torch.allclose(a(tok), b(tok), atol=1e-6)
    # other missing weights are still refused
    sd = a.state_dict()
    sd.pop("pos_t.weight")
    with pytest.raises(InputError, match="another architecture"):
        _load_init({"lvt": b}, {"models": {"lvt": sd}, "step": 7}, "old.pt", [])


def test_causal_uses_the_previous_frames_and_cache_matches():
    _, b = _pair(1)
    torch.nn.init.normal_(b.prev_proj.weight, std=0.2)
    tok = torch.randint(0, 8, (3, b.cfg.length))
    out = b(tok)
    i = 40
    t2 = tok.clone()
    t2[:, i:] = torch.randint(0, 8, t2[:, i:].shape)
    after = b(t2)
    assert torch.allclose(after[:, :i], out[:, :i], atol=1e-6)     # no peeking at later tokens
    cache = b.new_cache(3)
    got = [b.forward_cached(tok, 0, 20, cache)] + [b.forward_cached(tok, j, 1, cache) for j in range(20, b.cfg.length)]
    assert torch.allclose(torch.cat(got, 1), out, atol=1e-5)
    # the inputs matter: the same tokens with the previous-frame projection at zero give other logits
    torch.nn.init.zeros_(b.prev_proj.weight)
    assert not torch.allclose(b(tok)[:, 40:], out[:, 40:], atol=1e-4)


def test_bad_settings_are_refused():
    for bad in (dict(prev_frames=4), dict(prev_frames=-1), dict(prev_radius=5), dict(prev_dim=0)):
        with pytest.raises(InputError):
            LVTConfig(**BASE, **bad)
