"""Latent video transformer: order, block-local causal mask, cache = no cache, seeds, trainer task."""

import numpy as np
import pytest
import torch

from core.errors import InputError
from core.video.transformer import (LatentVideoTransformer, LVTConfig, LVTTask, continue_clip, continue_codes,
                                    filter_logits, from_sequence, load_lvt, make_layout, sample_window,
                                    to_sequence)
from core.video.vqvae import VQVAE, VQVAEConfig

torch.set_num_threads(1)
TINY = dict(frames=3, context=1, height=4, width=4, n_parts=2, codebook_size=8, block=(1, 2, 2), window=8,
            dim=32, heads=4, layers=2)


def tiny_model(seed=0, **kw):
    torch.manual_seed(seed)
    return LatentVideoTransformer(LVTConfig(**{**TINY, **kw})).eval()


def rand_codes(b, t, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 8, (b, t, 2, 4, 4), generator=g)


def test_generation_order_block_position_part():
    lay = make_layout(LVTConfig(**TINY))
    L = 3 * 4 * 4 * 2
    assert sorted(lay.flat.tolist()) == list(range(L))  # a permutation of the latent video
    # first block = frame 0, rows 0-1, cols 0-1; inside: position raster, then part
    assert list(zip(lay.t[:8].tolist(), lay.y[:8].tolist(), lay.x[:8].tolist(), lay.c[:8].tolist())) == [
        (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0), (0, 0, 1, 1), (0, 1, 0, 0), (0, 1, 0, 1), (0, 1, 1, 0), (0, 1, 1, 1)]
    assert (lay.t[8], lay.y[8], lay.x[8]) == (0, 0, 2)  # the next block starts
    assert (lay.block.diff() >= 0).all() and (lay.t.diff() >= 0).all()
    codes = rand_codes(2, 3)
    assert torch.equal(from_sequence(to_sequence(codes, lay), lay, codes.shape[1:]), codes)


def test_mask_is_causal_and_block_local():
    cfg = LVTConfig(**TINY)
    lay = make_layout(cfg)
    m = lay.mask
    assert not torch.triu(m, 1).any()  # never a later position
    assert m.diagonal().all()
    i, j = 40, 20  # 20 tokens back, another block, outside the window of 8
    assert lay.block[i] != lay.block[j] and not m[i, j]
    assert m[i, i - 7] and not m[i, i - 8] or lay.block[i] == lay.block[i - 8]
    same = lay.block[:, None] == lay.block[None, :]
    assert (m[same & torch.tril(torch.ones_like(m))]).all()  # everything earlier in the block
    full = make_layout(LVTConfig(**{**TINY, "window": 10_000})).mask
    assert torch.equal(full, torch.tril(torch.ones_like(full)))
    assert make_layout(LVTConfig(**{**TINY, "window": -1})).mask[40, 40 - 31]  # default: one frame


@pytest.mark.parametrize("window", [0, 3, 8, 13, -1, 10_000])
def test_mask_rows_are_ranges(window):
    for block in [(1, 2, 2), (1, 4, 4), (3, 1, 2)]:
        lay = make_layout(LVTConfig(**{**TINY, "window": window, "block": block, "context": 0}))
        j = torch.arange(len(lay.lo))
        ranges = (j[None, :] >= lay.lo[:, None]) & (j[None, :] <= j[:, None])
        assert torch.equal(ranges, lay.mask)


def test_changing_a_later_token_leaves_earlier_logits():
    model = tiny_model(window=10_000)  # full causal attention: the strongest case
    lay = model.layout
    tok = to_sequence(rand_codes(1, 3), lay)
    base = model(tok)
    k = 50
    tok2 = tok.clone()
    tok2[0, k:] = (tok2[0, k:] + 3) % 8
    other = model(tok2)
    # logits at position i depend on tokens < i only: positions ≤ k are unchanged
    assert torch.allclose(base[:, :k + 1], other[:, :k + 1], atol=1e-5)
    assert not torch.allclose(base[:, k + 1:], other[:, k + 1:], atol=1e-5)


def test_block_locality_in_the_model():
    model = tiny_model()  # window 8
    tok = to_sequence(rand_codes(1, 3), model.layout)
    tok2 = tok.clone()
    tok2[0, 10] = (tok2[0, 10] + 1) % 8  # input of position 11 only (blocks of 8 tokens)
    d = (model(tok) - model(tok2)).abs().amax(-1)[0]
    assert d[:11].max() < 1e-6 and d[11] > 1e-4


@pytest.mark.parametrize("window", [0, 8, -1])
def test_cache_matches_no_cache_and_seeds(window):
    model = tiny_model(window=window)
    ctx = rand_codes(2, 1, seed=3)
    g = lambda s: torch.Generator().manual_seed(s)
    a = sample_window(model, ctx, generator=g(5), use_cache=True)
    b = sample_window(model, ctx, generator=g(5), use_cache=False)
    c = sample_window(model, ctx, generator=g(5), use_cache=True, temperature=0.7, top_k=3)
    d = sample_window(model, ctx, generator=g(6), use_cache=True)
    assert torch.equal(a, b)
    assert torch.equal(a[:, :1], ctx)  # the context is kept
    assert not torch.equal(a, d)
    assert a.shape == (2, 3, 2, 4, 4) and a.min() >= 0 and a.max() < 8
    assert not torch.equal(a, c)


def test_continue_codes_slides_and_is_deterministic():
    model = tiny_model()
    ctx = rand_codes(1, 2, seed=1)
    a = continue_codes(model, ctx, 5, seed=9)
    b = continue_codes(model, ctx, 5, seed=9)
    assert a.shape == (1, 7, 2, 4, 4) and torch.equal(a, b)
    assert torch.equal(a[:, :2], ctx)
    with pytest.raises(InputError):
        continue_codes(model, ctx[:, :0], 2)


def test_filter_logits():
    p = filter_logits(torch.tensor([[0.0, 1.0, 2.0, 3.0]]), temperature=1.0, top_k=2)
    assert p[0, :2].sum() == 0 and torch.isclose(p.sum(), torch.tensor(1.0))
    cold = filter_logits(torch.tensor([[0.0, 1.0]]), temperature=0.01)
    assert cold[0, 1] > 0.999
    with pytest.raises(InputError):
        filter_logits(torch.zeros(1, 2), temperature=0)


def test_config_checks():
    with pytest.raises(InputError):
        LVTConfig(**{**TINY, "block": (2, 2, 2)})  # 3 frames not tiled by 2
    with pytest.raises(InputError):
        LVTConfig(**{**TINY, "context": 3})


def test_task_trains_and_continues_clips(tmp_path):
    from core.train import TrainConfig, fit, read_log
    from core.video.mnist import moving_mnist

    torch.manual_seed(0)
    vq = VQVAE(VQVAEConfig(size=16, channels=8, embed_dim=8, n_parts=2, codebook_size=8, n_res=1)).eval()
    cfg = LVTConfig(**{**TINY, "vqvae": vq.cfg.to_dict()})
    clips = moving_mnist(6, seed=0, frames=5, size=16 + 28)[:, :, 14:30, 14:30]  # small frames for speed
    clips = np.ascontiguousarray(clips)
    tc = TrainConfig(steps=12, batch_size=4, lr=3e-3, checkpoint_every=0, log_every=3, check_every=12,
                     seed=0, device="cpu", out_dir=str(tmp_path / "run"))
    res = fit(LVTTask(cfg, vq, clips), tc)
    ce = [r["value"] for r in read_log(res.out_dir / "log.csv") if r["name"] == "ce"]
    assert ce[-1] < ce[0]
    assert "val_bits_per_token" in res.checks
    loaded = load_lvt(res.checkpoint)
    assert loaded.step == 12
    assert torch.equal(loaded.vqvae.quantizer.embed, vq.quantizer.embed)  # the VQ-VAE stayed frozen
    out = continue_clip(loaded, clips[0, :2], 3, samples=2, seed=4)
    again = continue_clip(loaded, clips[0, :2], 3, samples=2, seed=4)
    assert out.shape == (2, 5, 16, 16) and out.dtype == np.uint8
    assert np.array_equal(out, again) and np.array_equal(out[:, :2], np.stack([clips[0, :2]] * 2))
    with pytest.raises(InputError):
        LVTTask(LVTConfig(**{**TINY, "n_parts": 4}), vq)
