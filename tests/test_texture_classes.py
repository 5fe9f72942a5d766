"""Class conditioning of the texture GAN (issue 17): FiLM class embedding in G (tiles stay exact), the
projection critic, the class porosity term, old configs, a 2-class train/resume/generate/export."""

import dataclasses

import numpy as np
import pytest
import tifffile
import torch
from test_texture import TINY, blobs, same_up_to_rounding
from test_texture_cli import WIDTHS

from core.cli import main
from core.errors import InputError
from core.io import read_volume
from core.texture import TextureGANConfig, TextureModel, TiledGenerator, generate, load_class_table, load_model
from core.texture.config import CLASS_FIELDS
from core.texture.generate import make_condition, nearest_class
from core.texture.model import Generator, PatchCritic, recalibrate_batchnorm
from core.texture.task import class_porosity_loss
from core.texture.tiled import noise_planes
from core.train import LAST, load_checkpoint

torch.set_num_threads(1)
COND = dataclasses.replace(TINY, class_embed=2, class_names=("dense", "sparse"),
                           class_porosity=((0.45, 0.05), (0.10, 0.02)))


def conditioned_generator(norm: str, seed: int = 0) -> Generator:
    """A class-conditioned G whose class embedding is random (it starts at zero: every class the same),
    its output bias set so that both classes give pore and grain (as test_texture.mixed_model)."""
    torch.manual_seed(seed)
    g = Generator(dataclasses.replace(COND, g_norm=norm)).eval()
    cells = g.latent_cells(32)
    n = noise_planes(0, 0, 0, cells, 2, cells, cells)[None].expand(2, -1, -1, -1, -1)
    with torch.no_grad():
        g.film.weight.normal_(0, 0.3)
    recalibrate_batchnorm(g, [(torch.randn(4, 4), torch.randn(4, 2, 8, 8, 8), torch.tensor([0, 1, 0, 1]))])
    with torch.no_grad():
        g.out.bias -= g(torch.zeros(2, 4), n, torch.tensor([0, 1])).median()
    return g


@pytest.mark.parametrize("norm", ["pixel", "batch"])
def test_conditioned_generator_tiles_equal_the_whole_pass(norm):
    """The class scales and shifts every channel alike at every voxel: tiles give the whole pass."""
    g = conditioned_generator(norm)
    code = torch.tensor([0.5, -1.0, 0.2, 0.0])
    shape = (40, 32, 48)
    for label in (0, 1):
        whole = TiledGenerator(g, code, shape, seed=3, tile=100, label=label).run()
        assert 0.0 < whole.mean() < 1.0
        for tile in (1, 2, 3):
            tg = TiledGenerator(g, code, shape, seed=3, tile=tile, label=label)
            assert tg.n_tiles > 1 and same_up_to_rounding(tg.run(), whole)
    # the logits of a block of latent cells are those of the whole pass, class by class
    m, cells = g.margin, g.latent_cells(32)
    noise = noise_planes(5, 0, 0, cells, 2, cells, cells)[None]
    c = torch.tensor([1])
    with torch.inference_mode():
        full = g(code[None], noise, c)
        block = g(code[None], noise[:, :, 1:1 + 2 + 2 * m, 2:2 + 1 + 2 * m, 0:3 + 2 * m], c)
    torch.testing.assert_close(block, full[:, :, 8:24, 16:24, 0:24], rtol=1e-5, atol=1e-5)
    # inference (folded, phases, in place) computes what the training graph computes, FiLM included
    if norm == "pixel":
        w, n2 = torch.randn(2, 4), torch.randn(2, 2, g.latent_cells(16), g.latent_cells(16), g.latent_cells(16))
        with torch.no_grad():
            torch.testing.assert_close(g.eval()(w, n2, torch.tensor([0, 1])), g.train()(w, n2, torch.tensor([0, 1])),
                                       rtol=1e-3, atol=1e-3)
        g.eval()
    with pytest.raises(ValueError, match="class index"):
        g(code[None], noise)


def test_classes_part_for_the_same_code_and_noise():
    """Two classes, one code and one noise field: other logits and other volumes. A fresh embedding is
    zero, so a new conditioned G starts as the unconditioned G with the same weights."""
    g = conditioned_generator("pixel")
    cells = g.latent_cells(24)
    w, n = torch.randn(1, 4), torch.randn(1, 2, cells, cells, cells)
    with torch.inference_mode():
        a, b = g(w, n, torch.tensor([0])), g(w, n, torch.tensor([1]))
    assert (a - b).abs().mean() > 1e-2 and ((a >= 0) != (b >= 0)).any()
    torch.manual_seed(1)
    fresh = Generator(COND).eval()
    plain = Generator(TINY).eval()
    plain.load_state_dict({k: v for k, v in fresh.state_dict().items() if not k.startswith("film.")})
    with torch.inference_mode():
        torch.testing.assert_close(fresh(w, n, torch.tensor([1])), plain(w, n))
        torch.testing.assert_close(fresh(w, n, torch.tensor([0])), fresh(w, n, torch.tensor([1])))


def test_old_configs_load_with_the_options_off():
    """A config dict saved before the class options existed loads with them off and is saved as the same
    dict (so runs started before them still resume); the options are checked against each other."""
    old = {k: v for k, v in TINY.to_dict().items()}
    assert not set(CLASS_FIELDS) & set(old)  # an unconditioned config's dict is the old dict
    cfg = TextureGANConfig.from_dict(old)
    assert (cfg.class_embed, cfg.class_names, cfg.class_porosity, cfg.class_porosity_weight,
            cfg.d_projection) == (0, (), (), 0.0, False)
    assert cfg.to_dict() == old and not hasattr(Generator(cfg), "film")
    assert PatchCritic(cfg).embed is None
    back = TextureGANConfig.from_dict(COND.to_dict())
    assert back == COND and back.to_dict() == COND.to_dict()
    for bad, msg in (({"d_projection": True}, "need the class embedding"),
                     ({"class_porosity_weight": 1.0}, "need the class embedding"),
                     ({"class_embed": 3, "class_names": ("a", "b")}, "2 entries for 3 classes"),
                     ({"class_embed": -1}, "0 = off")):
        with pytest.raises(InputError, match=msg):
            dataclasses.replace(TINY, **bad)


def test_projection_critic_shape_and_class():
    """ψ(h) + <embed_c, h̄>: the patch score map of the plain critic's shape, moved per volume by the
    class's projection (the same at every patch)."""
    torch.manual_seed(0)
    d = PatchCritic(COND, 1, classes=2).eval()
    plain = PatchCritic(COND, 1).eval()
    x = torch.from_numpy(np.stack([blobs((16,) * 3, s)[None] for s in range(3)]).astype(np.float32))
    with torch.no_grad():
        s0, s1 = d(x, torch.tensor([0, 0, 0])), d(x, torch.tensor([1, 1, 1]))
        assert s0.shape == plain(x).shape == (3, 1, 4, 4, 4)
        diff = (s0 - s1).flatten(1)
        assert diff.abs().max() > 1e-4
        torch.testing.assert_close(diff, diff[:, :1].expand_as(diff), rtol=1e-5, atol=1e-6)
        mixed = d(x, torch.tensor([0, 1, 0]))
    torch.testing.assert_close(mixed[1], s1[1])
    torch.testing.assert_close(mixed[0], s0[0])
    with pytest.raises(ValueError, match="class index"):
        d(x)


def test_class_porosity_loss_zero_at_matching_stats_and_straight_through():
    torch.manual_seed(0)
    logits = torch.randn(4, 1, 8, 8, 8, requires_grad=True)
    prob = torch.sigmoid(logits)
    binary = prob + ((prob >= 0.5).float() - prob).detach()  # the value is binary, the gradient the sigmoid's
    phi = binary.mean((1, 2, 3, 4))
    labels = torch.tensor([1, 1, 0, 0])
    hard = (logits >= 0).float().mean((1, 2, 3, 4)).detach()
    assert torch.equal(phi.detach(), hard)
    match = torch.tensor([[hard[2:].mean(), hard[2:].std()], [hard[:2].mean(), hard[:2].std()]])
    assert class_porosity_loss(phi, labels, match).item() == pytest.approx(0.0, abs=1e-10)
    off = match + torch.tensor([[0.1, 0.02], [-0.05, 0.0]])
    loss = class_porosity_loss(phi, labels, off)
    expected = ((0.1 ** 2 + 0.02 ** 2) + 0.05 ** 2) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-3)
    (grad,) = torch.autograd.grad(loss, logits)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    # all volumes of one porosity (e.g. all solid): the spread term's gradient stays finite
    same = torch.zeros(3, requires_grad=True)
    class_porosity_loss(same, torch.zeros(3, dtype=torch.long), torch.tensor([[0.2, 0.05]])).backward()
    assert torch.isfinite(same.grad).all()


def test_generation_by_class_and_nearest_class_without_a_table():
    """A conditioned G knows its classes: by class with codes from N(0, I) when no Gaussian is fitted;
    an example is generated as its most likely class (here by its crops' porosity)."""
    m = TextureModel.from_config(COND)
    m.generator = conditioned_generator("batch")
    assert m.class_names() == ["dense", "sparse"] and m.class_row("sparse") == 1
    vols = generate(m, 24, seed=2, cls="sparse", spread=0)
    np.testing.assert_array_equal(vols[0], TiledGenerator(m.generator, torch.zeros(4), (24,) * 3, 2, label=1).run())
    assert not np.array_equal(vols[0], generate(m, 24, seed=2, cls="dense", spread=0)[0])
    with pytest.raises(InputError, match="Unknown class 'granite'.*dense, sparse"):
        generate(m, 16, seed=0, cls="granite")
    dense = make_condition(m, example=blobs((32, 32, 32), 1, porosity=0.45))
    sparse = make_condition(m, example=blobs((32, 32, 32), 2, porosity=0.1))
    assert (dense.embed_class, dense.row, sparse.embed_class, sparse.row) == ("dense", 0, "sparse", 1)
    assert "generated as class sparse" in sparse.notices[-1] and "porosity" in sparse.notices[-1]
    # with code Gaussians fitted for every class, the codes count too
    m.classes = {n: {"mean": torch.full((4,), s), "cov": 0.01 * torch.eye(4), "porosity": 0.3, "n_crops": 2,
                     "preview": torch.zeros(4, 4, dtype=torch.uint8)} for n, s in (("dense", 5.0), ("sparse", -5.0))}
    name, how = nearest_class(m, np.full((3, 4), 5.0), np.array([0.1, 0.1, 0.1]))
    assert name == "dense" and "code Gaussians" in how and "porosity" in how


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 2-class conditioned model (all three options), 3 steps, resumed to 5."""
    d = tmp_path_factory.mktemp("texture_classes")
    data = []
    for i, (name, sigma, porosity) in enumerate((("dense", 2.0, 0.45), ("sparse", 1.0, 0.10))):
        tifffile.imwrite(d / f"{name}.tif", blobs((32, 32, 32), i, sigma, porosity))
        data += ["--data", str(d / f"{name}.tif")]
    out = d / "run"
    opts = {"--crop": 16, "--batch": 2, "--device": "cpu", "--out": out, "--seed": 3, "--checkpoint-every": 0,
            "--log-every": 1, "--check-every": 1, "--class-porosity-weight": 100, "--logit-margin": 1}
    args = ["texture", "train", *data, *[str(a) for kv in opts.items() for a in kv], *WIDTHS, "-q",
            "--class-embed", "--d-projection"]
    assert main(args + ["--steps", "3"]) == 0
    assert main(args + ["--steps", "5", "--resume"]) == 0
    return d, out, args


def test_conditioned_run_trains_resumes_and_saves_its_classes(run):
    from core.train import read_log

    d, out, args = run
    ck = load_checkpoint(out / LAST)
    cfg = ck["config"]
    assert ck["step"] == 5 and cfg["class_embed"] == 2 and cfg["class_names"] == ("dense", "sparse")
    assert cfg["d_projection"] and cfg["class_porosity_weight"] == 100.0
    (m0, s0), (m1, s1) = cfg["class_porosity"]
    assert m0 == pytest.approx(0.45, abs=0.05) and m1 == pytest.approx(0.10, abs=0.03) and s0 > 0 and s1 > 0
    assert "film.weight" in ck["models"]["generator"] and any("embed" in k for k in ck["models"]["d_x"])
    rows = read_log(out / "log.csv")
    assert sorted({r["step"] for r in rows if r["kind"] == "loss"}) == [1, 2, 3, 4, 5]
    losses = [r for r in rows if r["name"] in ("l_class_porosity", "l_x", "loss_d_x")]
    assert len(losses) >= 15 and all(np.isfinite(float(r["value"])) for r in losses)
    assert {"porosity_sample_c0", "porosity_sample_c1"} <= {r["name"] for r in rows}
    assert load_class_table(out / "classes.pt")["step"] == 5
    # a resume must give the classes in the run's order (they are the embedding's rows)
    swapped = [a for a in args]
    i, j = swapped.index(str(d / "dense.tif")), swapped.index(str(d / "sparse.tif"))
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert main(swapped + ["--steps", "6", "--resume"]) == 1


def test_conditioned_run_generates_by_class_and_from_example(run, tmp_path, capsys):
    d, out, _ = run
    base = ["texture", "generate", "--model", str(out), "--size", "24", "--device", "cpu", "--seed", "4"]
    assert main(base + ["--class", "sparse", "-o", str(tmp_path / "s.tif"), "-q"]) == 0
    assert main(base + ["--class", "dense", "-o", str(tmp_path / "d.tif"), "-q"]) == 0
    s, dn = read_volume(tmp_path / "s.tif"), read_volume(tmp_path / "d.tif")
    assert s.metadata["class"] == "sparse" and s.metadata["class_embedding"] == "sparse"
    model = load_model(out / LAST)
    row = make_condition(model, "sparse")
    ref = TiledGenerator(model.generator, row.code(4, 0), (24,) * 3, 4, 0, label=1).run()
    np.testing.assert_array_equal(s.array, ref)
    assert main(base + ["--example", str(d / "sparse.tif"), "-o", str(tmp_path / "e.tif")]) == 0
    assert "generated as class" in capsys.readouterr().err
    assert read_volume(tmp_path / "e.tif").metadata["class_embedding"] in ("dense", "sparse")
    # exported, the classes and their rows come along; refitting on a subset keeps each class's row
    assert main(["texture", "export", str(out), str(tmp_path / "m.pt")]) == 0
    shipped = load_model(tmp_path / "m.pt")
    assert shipped.class_names() == ["dense", "sparse"] and shipped.config.class_embed == 2
    np.testing.assert_array_equal(generate(shipped, 24, 4, cls="sparse")[0], s.array)
    assert main(["texture", "export", str(out), str(tmp_path / "o.pt"), "--data", f"sparse={d / 'sparse.tif'}"]) == 0
    only = load_model(tmp_path / "o.pt")
    assert only.class_names() == ["sparse"] and only.class_row("sparse") == 1
    assert main(["texture", "export", str(out), str(tmp_path / "x.pt"), "--data", f"granite={d / 'sparse.tif'}"]) == 1
    assert "not among them" in capsys.readouterr().err
