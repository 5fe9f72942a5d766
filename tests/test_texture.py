"""Multi-texture GAN (core.texture): exact tiling, sizes, seeds, class selection, examples, losses, data."""

import copy
import dataclasses

import numpy as np
import pytest
import tifffile
import torch
from scipy import ndimage

import core.texture.tiled as texture_tiled
from core.errors import Cancelled, InputError
from core.io import read_volume
from core.jobs import TaskState
from core.texture import (TextureGANConfig, TextureGANTask, TextureModel, TiledGenerator, check_shape, encode_example,
                          fit_classes, generate, generate_files, make_condition, noise_planes, parse_data_specs,
                          write_tiff_slabs)
from core.texture.data import load_class_volumes
from core.texture.model import Generator, recalibrate_batchnorm
from core.train import StepContext

torch.set_num_threads(1)
TINY = TextureGANConfig(code_dim=4, noise_channels=2, g_channels=8, g_fine=2, e_channels=4, d_channels=4,
                        dz_hidden=8, crop=16)


def blobs(shape, seed=0, sigma=1.5, porosity=0.3):
    """Binary Gaussian-filtered noise with about ``porosity`` pore fraction."""
    f = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), sigma)
    return (f > np.quantile(f, 1 - porosity)).astype(np.uint8)


def hand_classes(code_dim=4):
    """Two classes with hand-set code Gaussians far apart (an untrained model has no fitted ones)."""
    e = torch.zeros(code_dim)
    e[0] = 4.0
    cov = 0.01 * torch.eye(code_dim)
    prev = torch.zeros(8, 8, dtype=torch.uint8)
    return {"plus": {"mean": e.clone(), "cov": cov, "porosity": 0.3, "n_crops": 2, "preview": prev},
            "minus": {"mean": -e, "cov": cov, "porosity": 0.1, "n_crops": 2, "preview": prev}}


def same_up_to_rounding(a, b, tol=1e-4) -> bool:
    """Volumes made on two different tile grids: two computations, since oneDNN picks its kernels (hence
    the order of float sums) by tensor shape; a voxel whose logit is within rounding of 0 may flip.
    Bit-identical on the Intel Xeon this was written on, not guaranteed on every CPU: stated tolerance."""
    return a.shape == b.shape and (a != b).mean() <= tol


def mixed_model(seed=0):
    """An untrained model whose output bias is set so that code 0 gives about half pore (else an
    untrained G tends to paint one phase only and every volume looks the same)."""
    m = TextureModel.from_config(TINY, seed=seed)
    g, cells = m.generator, m.generator.latent_cells(32)
    with torch.no_grad():
        g.out.bias -= g(torch.zeros(1, 4), noise_planes(0, 0, 0, cells, 2, cells, cells)[None]).median()
    m.classes = hand_classes()
    return m


@pytest.fixture(scope="module")
def model():
    return mixed_model()


def test_generator_geometry_and_exact_tiles(model):
    g = model.generator
    # Translation-equivariant by construction: N/8 + 2·margin latent cells make exactly N voxels.
    for n in (16, 24, 40):
        cells = g.latent_cells(n)
        assert g(torch.zeros(1, 4), torch.randn(1, 2, cells, cells, cells)).shape == (1, 1, n, n, n)
    code = torch.tensor([0.5, -1.0, 0.2, 0.0])
    whole = TiledGenerator(g, code, (48, 40, 56), seed=3, tile=100).run()
    assert TiledGenerator(g, code, (48, 40, 56), seed=3, tile=100).n_tiles == 1
    tiled = {}
    for tile in (1, 2, 4):  # 8-, 16- and 32-voxel tiles (uneven splits too): no seams
        tg = TiledGenerator(g, code, (48, 40, 56), seed=3, tile=tile)
        assert tg.n_tiles > 1
        tiled[tile] = tg.run()
        assert same_up_to_rounding(tiled[tile], whole)
    assert 0.05 < whole.mean() < 0.95
    g.train()  # a G left in training mode is run on its running statistics all the same
    np.testing.assert_array_equal(TiledGenerator(g, code, (48, 40, 56), seed=3, tile=2).run(), tiled[2])
    assert g.training
    g.eval()
    # The logits themselves agree between one pass and blocks of latent cells (other shapes: up to rounding).
    m, cells = g.margin, g.latent_cells(32)
    noise = noise_planes(5, 0, 0, cells, 2, cells, cells)[None]
    with torch.inference_mode():
        full = g(code[None], noise)
        block = g(code[None], noise[:, :, 1:1 + 2 + 2 * m, 2:2 + 1 + 2 * m, 0:3 + 2 * m])
    torch.testing.assert_close(block, full[:, :, 8:24, 16:24, 0:24], rtol=1e-5, atol=1e-5)


def test_inference_folds_batchnorm_exactly():
    """G.eval() (BatchNorm folded into the convs, sub-pixel phases, channels-last, oneDNN) computes
    what the plain training graph computes with the running statistics."""
    torch.manual_seed(0)
    g = Generator(dataclasses.replace(TINY, g_norm="batch"))
    for bn in (m for m in g.modules() if isinstance(m, torch.nn.BatchNorm3d)):
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2), bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    ref = copy.deepcopy(g)  # training graph (nearest upsampling, plain convs), norms on running statistics
    for m in ref.modules():
        if isinstance(m, torch.nn.BatchNorm3d):
            m.eval()
    w, cells = torch.randn(2, 4), g.latent_cells(24)
    n = torch.randn(2, 2, cells, cells, cells)
    with torch.no_grad():
        torch.testing.assert_close(g.eval()(w, n), ref(w, n), rtol=1e-4, atol=1e-5)
    # Recalibration replaces the running statistics by the batch statistics of the given batches.
    stats = recalibrate_batchnorm(g, [(w, n)])
    assert not g.training and stats["s8.0.bn.running_mean"].shape == (8,)
    with torch.no_grad():
        x = g.s8[0].conv(n) + g.code_in(w)[:, :, None, None, None]
    torch.testing.assert_close(stats["s8.0.bn.running_mean"], x.mean((0, 2, 3, 4)), rtol=1e-4, atol=1e-5)


def test_pixel_norm_generator_is_one_function_in_training_and_inference():
    """With PixelNorm G.eval() (sub-pixel phases, the 8-phase norm at the end, in-place ops) computes
    what the training graph computes, a sample does not depend on its batch, tiles are exact, and
    there are no statistics to calibrate; configs saved before the norm was a setting load as BatchNorm."""
    torch.manual_seed(0)
    g = Generator(dataclasses.replace(TINY, g_norm="pixel"))
    assert not any(isinstance(m, torch.nn.BatchNorm3d) for m in g.modules())
    for m in g.modules():
        if type(m).__name__ == "PixelNorm":
            m.weight.data.uniform_(0.5, 1.5), m.bias.data.uniform_(-0.5, 0.5)
    w, cells = torch.randn(3, 4), g.latent_cells(24)
    n = torch.randn(3, 2, cells, cells, cells)
    with torch.no_grad():
        trained = g.train()(w, n)
        alone = g(w[1:2], n[1:2])  # BatchNorm would give another volume without its batch companions
        inferred = g.eval()(w, n)
    # A norm over the 2 fine channels amplifies rounding where both are near 0 (conv algorithms differ
    # with the batch size and in inference), hence the tolerance; the binary volumes agree but for
    # voxels whose logit is within it of 0.
    torch.testing.assert_close(alone, trained[1:2], rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(inferred, trained, rtol=1e-3, atol=1e-3)
    assert ((inferred >= 0) != (trained >= 0)).float().mean() < 1e-3
    assert recalibrate_batchnorm(g, [(w, n)]) == {} and not g.training
    code = torch.tensor([0.5, -1.0, 0.2, 0.0])
    whole = TiledGenerator(g, code, (40, 32, 48), seed=3, tile=100).run()
    for tile in (1, 3):
        assert same_up_to_rounding(TiledGenerator(g, code, (40, 32, 48), seed=3, tile=tile).run(), whole)
    legacy = TextureGANConfig.from_dict({k: v for k, v in TINY.to_dict().items() if k != "g_norm"})
    assert legacy.g_norm == "batch" and any(isinstance(m, torch.nn.BatchNorm3d) for m in Generator(legacy).modules())
    with pytest.raises(InputError, match="g_norm"):
        dataclasses.replace(TINY, g_norm="layer")


def test_sizes_and_bad_sizes(model):
    vols = generate(model, (16, 24, 40), seed=0, cls="plus")
    assert vols[0].shape == (16, 24, 40) and vols[0].dtype == np.uint8 and set(np.unique(vols[0])) <= {0, 1}
    assert generate(model, 64, seed=0, cls="plus")[0].shape == (64, 64, 64)  # 4× the training crop
    for bad, msg in ((20, "multiple of 8"), (8, "at least 16"), ((16, 16), "three edges")):
        with pytest.raises(InputError, match=msg):
            check_shape(bad)
    with pytest.raises(InputError, match="multiple of 8"):
        generate(model, 36, seed=0, cls="plus")


def test_seeds(model):
    a = generate(model, 24, seed=7, cls="plus", count=2)
    b = generate(model, 24, seed=7, cls="plus", count=3)
    np.testing.assert_array_equal(a[0], b[0])  # same seed → same volume, whatever the count
    np.testing.assert_array_equal(a[1], b[1])
    assert torch.equal(a.codes[1], b.codes[1])
    assert (a[0] != a[1]).any()
    assert (a[0] != generate(model, 24, seed=8, cls="plus")[0]).any()


def test_class_selection_draws_from_the_class_gaussian(model):
    plus, minus = make_condition(model, "plus"), make_condition(model, "minus")
    codes = torch.stack([plus.code(1, i) for i in range(400)])
    assert torch.allclose(codes.mean(0), model.classes["plus"]["mean"], atol=0.03)
    assert torch.allclose(codes.std(0), torch.full((4,), 0.1), atol=0.02)
    assert torch.equal(make_condition(model, "plus", spread=0).code(1, 5), model.classes["plus"]["mean"])
    # The volume is G painted with the drawn code: the same as running G on that code directly.
    vols = generate(model, 24, seed=2, cls="minus", spread=0)
    direct = TiledGenerator(model.generator, model.classes["minus"]["mean"], (24, 24, 24), seed=2).run()
    np.testing.assert_array_equal(vols[0], direct)
    # Changing the class moves the output the way G moves between the two class means.
    g_plus = TiledGenerator(model.generator, model.classes["plus"]["mean"], (32,) * 3, seed=0).run().mean()
    g_minus = TiledGenerator(model.generator, model.classes["minus"]["mean"], (32,) * 3, seed=0).run().mean()
    assert abs(g_plus - g_minus) > 0.01
    phi = {c: np.mean([v.mean() for v in generate(model, 32, seed=4, cls=c, count=3)]) for c in ("plus", "minus")}
    assert np.sign(phi["plus"] - phi["minus"]) == np.sign(g_plus - g_minus)
    assert minus.code(1, 0)[0] < -3 < 3 < plus.code(1, 0)[0]


def test_unknown_class_and_no_classes(model):
    with pytest.raises(InputError, match="Unknown class 'granite'.*plus, minus"):
        generate(model, 16, seed=0, cls="granite")
    with pytest.raises(InputError, match="one of them"):
        generate(model, 16, seed=0)
    bare = TextureModel.from_config(TINY)
    with pytest.raises(InputError, match="no fitted classes"):
        generate(bare, 16, seed=0, cls="plus")


def test_fit_classes_and_examples(model, tmp_path):
    dense, sparse = blobs((40, 40, 40), 1, porosity=0.6), blobs((40, 40, 40), 2, porosity=0.08)
    table = fit_classes(model.encoder, {"dense": [dense], "sparse": [sparse]}, 16, n_crops=12, seed=0)
    assert list(table) == ["dense", "sparse"]
    for name, vol in (("dense", dense), ("sparse", sparse)):
        e = table[name]
        assert e["mean"].shape == (4,) and e["cov"].shape == (4, 4)
        torch.linalg.cholesky(e["cov"].double())  # positive definite
        assert e["porosity"] == pytest.approx(vol.mean()) and e["n_crops"] == 12
        assert e["preview"].dtype == torch.uint8 and e["preview"].shape == (40, 40)
    # An example is encoded to the mean code of its crops: nearest to its own class.
    code, notices = encode_example(model, blobs((32, 48, 48), 9, porosity=0.08))
    assert not notices
    d = {n: (code - e["mean"]).norm().item() for n, e in table.items()}
    assert d["sparse"] < d["dense"]
    # From a file, grey data is binarised with a notice; generation follows the example's code.
    grey = (ndimage.gaussian_filter(np.random.default_rng(3).random((24, 24, 24)), 1.5) * 200).astype(np.uint8)
    tifffile.imwrite(tmp_path / "grey.tif", grey)
    vols = generate(model, 16, seed=1, example=tmp_path / "grey.tif")
    assert any("Otsu" in n for n in vols.notices) and vols.condition.label == "example"
    assert torch.equal(vols.codes[0], encode_example(model, tmp_path / "grey.tif")[0])
    with pytest.raises(InputError, match="at least 16"):
        encode_example(model, np.zeros((8, 32, 32), np.uint8))
    with pytest.raises(InputError, match="3D"):
        encode_example(model, np.zeros((32, 32), np.uint8))


def test_tile_budget_never_changes_the_volume(model, tmp_path, monkeypatch):
    """The tile grid is fixed by the model and the size (core.texture.tiled), never by ``tile_bytes``: a
    volume of many fixed tiles is the same computation whatever the budget, bit for bit, on any CPU."""
    monkeypatch.setattr(texture_tiled, "DEFAULT_TILE_BYTES", 100_000)  # a grid of 16-voxel tiles for TINY
    shape, tile = (48, 40, 56), texture_tiled.tile_cells(model.config)
    ref = generate(model, shape, seed=3, cls="plus")
    grid = TiledGenerator(model.generator, ref.codes[0], shape, seed=3, tile=tile)
    assert tile == 2 and grid.n_tiles == 36
    np.testing.assert_array_equal(grid.run(), ref[0])
    for budget in (1, 10**6, 2**40):
        msgs = []
        vols = generate(model, shape, seed=3, cls="plus", tile_bytes=budget,
                        state=TaskState(lambda f, m: msgs.append(m), lambda: False))
        assert "Generating tile 36 of 36" in msgs  # the same grid: the budget does not reach it
        np.testing.assert_array_equal(vols[0], ref[0])
    out = generate_files(model, tmp_path / "v.tif", shape, seed=3, cls="plus", tile_bytes=1)
    np.testing.assert_array_equal(read_volume(out[0].path).array, ref[0])


def test_tiff_written_slab_by_slab(model, tmp_path, monkeypatch):
    out = generate_files(model, tmp_path / "v.tif", 24, seed=5, cls="plus", count=2, voxel_size_um=2.5)
    assert [w.path.name for w in out] == ["v_001.tif", "v_002.tif"]
    vol = read_volume(out[1].path)
    np.testing.assert_array_equal(vol.array, generate(model, 24, seed=5, cls="plus", count=2)[1])
    meta = vol.metadata
    assert meta["seed"] == 5 and meta["class"] == "plus" and meta["realisation"] == 1
    assert meta["generator"] == "texture-gan"
    assert len(meta["code"]) == 4 and vol.voxel_size_um == 2.5 and out[1].porosity == pytest.approx(vol.array.mean())
    with pytest.raises(InputError, match=r"\.tif"):
        generate_files(model, tmp_path / "v.npy", 16, seed=0, cls="plus")
    # A cancel part-way leaves no file behind (written to a temporary name, then renamed).
    calls = []
    state = TaskState(lambda f, m: calls.append(f), lambda: len(calls) > 3)
    with monkeypatch.context() as mp, pytest.raises(Cancelled):
        mp.setattr(texture_tiled, "DEFAULT_TILE_BYTES", 1)  # a fixed grid of 8-voxel tiles: cancelled after 3 of them
        generate_files(model, tmp_path / "c.tif", 32, seed=0, cls="plus", state=state)
    assert not list(tmp_path.glob("*c*.tif"))
    # The writer takes any slab iterator: the volume is never held whole.
    # Each slab its own pattern (pore row y = slab number, one pore voxel on its second page): slab order,
    # page order and content all show in what is read back.
    def slab(z):
        s = np.zeros((4, 8, 8), np.uint8)
        s[:, z // 4, :] = 1
        s[1, 7, 7 - z // 4] = 1
        return s

    slabs = ((z, slab(z)) for z in range(0, 12, 4))
    write_tiff_slabs(tmp_path / "s.tif", (12, 8, 8), slabs, metadata={"k": 1})
    back = read_volume(tmp_path / "s.tif")
    assert back.array.shape == (12, 8, 8)
    assert back.array[:, :3, 0].tolist() == [[1, 0, 0]] * 4 + [[0, 1, 0]] * 4 + [[0, 0, 1]] * 4
    np.testing.assert_array_equal(back.array, np.concatenate([slab(z) for z in range(0, 12, 4)]))
    assert back.metadata["k"] == 1


@pytest.mark.parametrize("hard", [True, False])
def test_losses_reach_each_network_exactly(hard):
    """G gets α1·L_x + α2·L_xx (+ γ·L_φ + λ·L_margin), E gets β1·L_z + β2·L_xx (+ γ·L_φ), nothing else
    (one forward, two backwards); L_φ on the binary reconstruction (straight-through) or on its soft
    probabilities."""
    cfg = TextureGANConfig(**{**TINY.to_dict(), "alpha1": 0.7, "alpha2": 1.9, "beta1": 0.4, "beta2": 2.5,
                              "porosity_weight": 3.0, "porosity_hard": hard, "logit_margin": 0.6})
    vols = {"a": [blobs((20, 20, 20), 0)], "b": [blobs((20, 20, 20), 1, porosity=0.5)]}
    task = TextureGANTask(cfg, vols)
    torch.manual_seed(0)
    nets, _ = task.build(torch.device("cpu"), type("T", (), {"lr": 1e-3})())
    for k in ("d_x", "d_xx", "d_z"):
        nets[k].eval()  # spectral norm's power iteration would otherwise change D between the calls
    opts = {k: torch.optim.SGD(m.parameters(), lr=0.0) for k, m in
            (("generator", nets["generator"]), ("encoder", nets["encoder"]))}
    opts["critics"] = torch.optim.SGD([p for k in ("d_x", "d_xx", "d_z") for p in nets[k].parameters()], lr=0.0)
    ctx = StepContext(nets, nets, opts, torch.device("cpu"), torch.amp.GradScaler("cpu", enabled=False))
    batch = task.sample(2, np.random.default_rng(0))
    torch.manual_seed(1)
    logged = task.train_step(batch, 0, ctx)
    got_g = [p.grad.clone() for p in nets["generator"].parameters()]
    got_e = [p.grad.clone() for p in nets["encoder"].parameters()]
    # Reference: the same draws, each loss differentiated on its own.
    x, x2, _ = batch
    torch.manual_seed(1)
    n = task._noise(nets["generator"], 4, "cpu")
    w = torch.randn(2, cfg.code_dim)
    code = nets["encoder"](x)
    logits = nets["generator"](torch.cat([w, code]), n)
    prob = torch.sigmoid(logits)
    fake = prob + ((prob >= 0.5).float() - prob).detach()  # binary to the critics, sigmoid gradient
    l_x = -nets["d_x"](fake).mean()
    l_xx = -nets["d_xx"](torch.cat([x, fake[2:]], 1)).mean()
    l_z = -nets["d_z"](code).mean()
    l_phi = ((fake if hard else prob)[2:].mean((1, 2, 3, 4)) - x.mean((1, 2, 3, 4))).pow(2).mean()
    # the hard term's value is the binary volumes' porosity error, the soft one's is not
    binary = ((prob[2:] >= 0.5).float().mean((1, 2, 3, 4)) - x.mean((1, 2, 3, 4))).pow(2).mean().item()
    assert (logged["l_porosity"] == pytest.approx(binary, rel=1e-5)) == hard
    assert logged["l_porosity"] == pytest.approx(l_phi.item(), rel=1e-5)
    l_margin = torch.relu(1 - logits.abs()).mean()
    assert logged["l_margin"] == pytest.approx(l_margin.item(), rel=1e-5) and l_margin.item() > 0
    ref_g = torch.autograd.grad(cfg.alpha1 * l_x + cfg.alpha2 * l_xx + 3.0 * l_phi + 0.6 * l_margin,
                                list(nets["generator"].parameters()), retain_graph=True)
    ref_e = torch.autograd.grad(cfg.beta1 * l_z + cfg.beta2 * l_xx + 3.0 * l_phi, list(nets["encoder"].parameters()))
    for a, b in zip(got_g + got_e, list(ref_g) + list(ref_e)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_data_specs_and_split(tmp_path):
    tifffile.imwrite(tmp_path / "ketton_256.tif", blobs((200, 16, 16)))
    tifffile.imwrite(tmp_path / "berea_400.tif", blobs((20, 16, 16)))
    folder = tmp_path / "sand_mix"
    folder.mkdir()
    for i in range(2):
        np.save(folder / f"v{i}.npy", blobs((20, 18, 18), i))
    slices = tmp_path / "slices_x"
    slices.mkdir()
    for i in range(17):
        tifffile.imwrite(slices / f"s{i}.tif", blobs((16, 16), i))
    specs = parse_data_specs([str(tmp_path / "ketton_256.tif"), f"mine={tmp_path / 'berea_400.tif'}", str(folder),
                              str(slices), f"mine={tmp_path / 'ketton_256.tif'}"])
    assert [s.name for s in specs] == ["ketton", "mine", "sand", "slices"]
    assert len(specs[1].paths) == 2 and len(specs[2].paths) == 2 and specs[3].paths == [slices]
    classes, notices = load_class_volumes(specs)
    assert classes["ketton"][0].shape == (192, 16, 16) and any("z < 192" in n for n in notices)
    assert [v.shape for v in classes["sand"]] == [(20, 18, 18)] * 2 and classes["slices"][0].shape == (17, 16, 16)
    with pytest.raises(InputError, match="does not exist"):
        parse_data_specs([f"x={tmp_path / 'nope.tif'}"])
    with pytest.raises(InputError, match="smaller --crop"):
        TextureGANTask(TextureGANConfig(crop=24), {"a": classes["ketton"]})
    x, x2, labels = TextureGANTask(TINY, classes).sample(6, np.random.default_rng(0))
    assert x.shape == x2.shape == (6, 1, 16, 16, 16) and labels.shape == (6,) and (x != x2).any()
