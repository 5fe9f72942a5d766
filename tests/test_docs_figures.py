"""README figures for rock, texture, cleanup and video are the numbers in committed results files and cards.

Each figure is read out of the README's sentence and compared with the file it is quoted from
(docs/results/rock_*/results.json, benchmarks/results/texture.json, resources/models/*.md), so a rerun
or a new model that leaves the README behind fails here.
The video section quotes no figures (it points to the card and docs/results/video/); the video card's
notes are checked against docs/results/video/eval.json and benchmarks/results/video.json. Every percentage
of the cleanup card is a committed cleanup evaluation (docs/results/cleanup/, the previous model's in
previous/), a target, or in its History paragraph; every card is what packaging/train/cards.py writes.
"""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme() -> str:
    return " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())  # sentences across line breaks


def quoted(pattern: str, text: str | None = None) -> tuple[str, ...]:
    m = re.search(pattern, readme() if text is None else text)
    assert m, f"README sentence not found (update the README or this check): {pattern}"
    return m.groups()


def kls(rock: str, item: int = 0) -> dict[str, dict[str, float]]:
    """{property's first word: {column: KL}} of the committed held-out evaluation (item 1: its bootstrap std)."""
    data = json.loads((ROOT / f"docs/results/rock_{rock}/results.json").read_text(encoding="utf-8"))
    return {re.match(r"\w+", c["property"]).group(): {k: v[item] for k, v in c["kl"].items()} for c in data["comparisons"]}


def test_rock_figures_are_the_held_out_results():
    por, por_sd, perm, perm_sd = quoted(
        r"Berea's porosity and permeability\s+KLs \(([\d.]+) ± ([\d.]+), ([\d.]+) ± ([\d.]+)\)")
    berea = kls("berea")
    sd = {k: v["ours"] for k, v in kls("berea", 1).items()}
    assert (por, perm) == (f"{berea['Porosity']['ours']:.2f}", f"{berea['Permeability']['ours']:.2f}")
    assert (por_sd, perm_sd) == (f"{sd['Porosity']:.2f}", f"{sd['Permeability']:.2f}")
    # "comparable to the thesis's (0.27, 0.25)": each difference within two bootstrap std
    assert re.search(r"comparable to the thesis's \(0\.27, 0\.25\)", readme())
    assert abs(float(por) - 0.27) < 2 * float(por_sd) and abs(float(perm) - 0.25) < 2 * float(perm_sd)
    quoted(r"Ketton beats the DCGAN on all five properties")
    ketton = kls("ketton")
    assert len(ketton) == 5 and all(v["ours"] < v["baseline (DCGAN)"] for v in ketton.values()), ketton


def test_rock_training_times_are_the_cards():
    berea, ketton = quoted(r"each in four stages \(about (\d+ h \d+ min) and (\d+ h \d+ min) of one core\)")
    for rock, said in (("berea", berea), ("ketton", ketton)):
        card = (ROOT / f"resources/models/rock_{rock}.md").read_text(encoding="utf-8")
        assert quoted(r"all stages together: about (\d+ h \d+ min)", card) == (said,), rock


def test_texture_timings_are_the_benchmark_results():
    bench = json.loads((ROOT / "benchmarks/results/texture.json").read_text(encoding="utf-8"))
    date, threads, t256, t512, gb512, t1000, gb1000, step = quoted(
        r"from `benchmarks/results/texture\.md` \(`python -m benchmarks\.texture`, (\d{4}-\d\d-\d\d), 2 busy cores, "
        r"(\d+) threads\): 256³ in ([\d.]+) s, 512³ in ([\d.]+) s \(([\d.]+) GB peak\), 1000³ in ([\d.]+) s "
        r"\(([\d.]+) GB\)\. It was measured on an earlier export of `texture_rocks\.pt` \(step (\d+)\)")
    rows = {r["size"]: r for r in bench["write"] if r["threads"] == int(threads)}
    assert date == bench["date"][:10] and int(step) == bench["model_step"]
    for size, t in ((256, t256), (512, t512), (1000, t1000)):
        assert t == f"{rows[size]['wall_s']:.1f}", size
    for size, gb in ((512, gb512), (1000, gb1000)):
        assert gb == f"{rows[size]['peak_rss_mib'] * 2**20 / 1e9:.2f}", size
    assert max(bench["load_average_start"]) > 2  # "busy": the load was above the 2 cores
    # "with the shipped model's architecture": the benchmarked config is the shipped card's
    card = (ROOT / "resources/models/texture_rocks.md").read_text(encoding="utf-8")
    shipped = json.loads(quoted(r"Model config: `(\{.*?\})`", card)[0])
    arch = ("code_dim", "noise_channels", "g_channels", "g_fine")
    assert {k: bench["config"][k] for k in arch} == {k: shipped[k] for k in arch}
    g, fine, noise = quoted(r"architecture \(g_channels (\d+), g_fine (\d+), noise (\d+)\)")
    assert (int(g), int(fine), int(noise)) == (shipped["g_channels"], shipped["g_fine"], shipped["noise_channels"])


def test_texture_model_steps_are_the_card():
    said = quoted(r"`resources/models/texture_rocks\.pt`, (\d+) CPU steps at crop (\d+)\)")
    card = (ROOT / "resources/models/texture_rocks.md").read_text(encoding="utf-8")
    config = json.loads(quoted(r"Model config: `(\{.*?\})`", card)[0])
    assert said == (quoted(r"- Steps: (\d+) ", card)[0], str(config["crop"]))


@pytest.mark.parametrize("stale", ["256³ in 3.1 s", "512³ in 15 s", "about 2 minutes"])
def test_stale_texture_timings_are_gone(stale):
    assert stale not in readme()


def test_cleanup_figures_are_the_committed_evaluations():
    """The cleanup paragraph's IoUs and share of pages are docs/results/cleanup/{valgen,heldout}.json."""
    def iou(data, method):
        return f"{100 * data['methods'][method]['mean']['iou']['mean']:.1f}"

    ours = "ours (U-Net, mean of 4 views)"
    val = json.loads((ROOT / "docs/results/cleanup/valgen.json").read_text(encoding="utf-8"))
    held = json.loads((ROOT / "docs/results/cleanup/heldout.json").read_text(encoding="utf-8"))
    assert "--views 4" in val["command"] and "--views 1 4 8" in held["command"]
    v, vo, vs, share, h, ho, hs = quoted(
        r"reaches ([\d.]+) % IoU on pages of the independent validation generator \(Otsu ([\d.]+) %, Sauvola "
        r"([\d.]+) %; above both on ([\d.]+) % of the pages\) and ([\d.]+) % on the held-out synthetic set "
        r"\(Otsu ([\d.]+) %, Sauvola ([\d.]+) %")
    sauvola = "Sauvola (window 25, k 0.2)"
    assert (v, vo, vs) == (iou(val, ours), iou(val, "Otsu"), iou(val, sauvola))
    assert share == f"{100 * val['beats_both'][ours]:.1f}"
    assert (h, ho, hs) == (iou(held, ours), iou(held, "Otsu"), iou(held, sauvola))
    card = (ROOT / "resources/models/cleanup_unet.md").read_text(encoding="utf-8")
    step = re.search(r"\(step (\d+),", val["model"]).group(1)
    assert f"- Steps: {step} " in card and f"(step {step}," in held["model"]  # both evaluate the shipped file


def test_video_card_figures_are_the_committed_evaluation():
    """The video card's notes quote docs/results/video/eval.json and benchmarks/results/video.json."""
    card = " ".join((ROOT / "resources/models/video_mnist.md").read_text(encoding="utf-8").split())
    ev = json.loads((ROOT / "docs/results/video/eval.json").read_text(encoding="utf-8"))
    ms = {m: ev["methods"][m]["mean"] for m in ("ours", "copy_last", "vqvae_recon")}
    mse, mse_copy, ssim, ssim_copy, recon, step = quoted(
        r"beats copying the last frame on MSE \((\d+) vs (\d+) per frame\) and PSNR, not on SSIM \(([\d.]+) vs "
        r"([\d.]+)\).*?reconstructs at ([\d.]+) dB, so the transformer \((\d+) steps\)", card)
    assert (mse, mse_copy) == (f"{ms['ours']['mse']:.0f}", f"{ms['copy_last']['mse']:.0f}")
    assert ms["ours"]["psnr"] > ms["copy_last"]["psnr"] and ms["ours"]["mse"] < ms["copy_last"]["mse"]
    assert (ssim, ssim_copy) == (f"{ms['ours']['ssim']:.3f}", f"{ms['copy_last']['ssim']:.3f}")
    assert ms["ours"]["ssim"] < ms["copy_last"]["ssim"]
    assert recon == f"{ms['vqvae_recon']['psnr']:.1f}" and int(step) == ev["model_step"]
    assert f"- Steps: {ev['model_step']} " in card and ev["model"].endswith("resources/models/video_mnist.pt")
    bench = json.loads((ROOT / "benchmarks/results/video.json").read_text(encoding="utf-8"))
    shipped = next(r for r in bench["rows"] if r["config"] == "shipped")
    (secs,) = quoted(r"benchmarks/results/video\.md: ([\d.]+) s on the busy 2-core CPU", card)
    assert secs == f"{shipped['cache']['seconds']:.1f}" and bench["frames"] == 10


def test_cleanup_card_figures_of_the_shipped_model_are_the_committed_evaluations():
    """The cleanup card's figures of today's model are docs/results/cleanup/{valgen,heldout}.json."""
    card = " ".join((ROOT / "resources/models/cleanup_unet.md").read_text(encoding="utf-8").split())
    val = json.loads((ROOT / "docs/results/cleanup/valgen.json").read_text(encoding="utf-8"))
    held = json.loads((ROOT / "docs/results/cleanup/heldout.json").read_text(encoding="utf-8"))
    ours = {v: f"ours (U-Net, mean of {v} views)" for v in (4, 8)} | {1: "ours (U-Net)"}

    def iou(data, method, digits):
        return f"{100 * data['methods'][method]['mean']['iou']['mean']:.{digits}f}"

    share = f"{100 * val['beats_both'][ours[4]]:.1f}"
    v, s, h, ho, hs = quoted(r"Today's model, with the two evaluation commands above: valgen IoU ([\d.]+) % \(200 pages "
                             r"of 512², 4 views\), above Otsu and Sauvola on ([\d.]+) % of the pages; on today's "
                             r"held-out set \(the wider world with dropout[^()]*?; 100 images\) ([\d.]+) % with 4 views "
                             r"\(Otsu ([\d.]+) %, Sauvola ([\d.]+) %\)", card)
    assert (v, s, h) == (iou(val, ours[4], 2), share, iou(held, ours[4], 2)) and val["n"] == 200 == 2 * held["n"]
    assert (ho, hs) == (iou(held, "Otsu", 1), iou(held, "Sauvola (window 25, k 0.2)", 1))
    views = quoted(r"held-out ([\d.]+) / ([\d.]+) / ([\d.]+) % for 1 / 4 / 8 views", card)
    assert views == tuple(iou(held, ours[k], 2) for k in (1, 4, 8))
    assert quoted(r"\(([\d.]+) %, ([\d.]+) %\), held-out ≥ 95 % \(([\d.]+) %\)", card) == (
        iou(val, ours[4], 1), share, iou(held, ours[4], 1))


CLEANUP_RESULTS = ("valgen", "heldout", "previous/heldout",  # docs/results/cleanup/<name>.json
                   "w16_step800/valgen", "w16_step800/heldout")  # a measured candidate, not shipped


def _cleanup_results() -> dict:
    return {n: json.loads((ROOT / f"docs/results/cleanup/{n}.json").read_text(encoding="utf-8"))
            for n in CLEANUP_RESULTS}


def test_cleanup_card_figure_of_the_previous_model_is_its_committed_evaluation():
    """92.4 % is the 4-view held-out IoU of the stage-2 model (2400 steps), kept in docs/results/cleanup/previous/."""
    card = " ".join((ROOT / "resources/models/cleanup_unet.md").read_text(encoding="utf-8").split())
    prev = _cleanup_results()["previous/heldout"]
    (said,) = quoted(r"scored ([\d.]+) % IoU on the held-out set of its day \(4 views; "
                     r"docs/results/cleanup/previous/heldout\.json, measured in commit [0-9a-f]{7}\)", card)
    assert said == f"{100 * prev['methods']['ours (U-Net, mean of 4 views)']['mean']['iou']['mean']:.1f}"
    assert "(step 2400," in prev["model"] and "2400 more steps" in card


def test_every_cleanup_card_percentage_is_a_committed_result_a_target_or_history():
    """The embedded reports are the committed ones; every other percentage of the card is a mean IoU,
    F-measure or beat share of a committed cleanup evaluation (1 or 2 decimals), a target (≥ N %), or
    stands in the History paragraph, which names the commit where its figures were measured."""
    card = (ROOT / "resources/models/cleanup_unet.md").read_text(encoding="utf-8")
    head, _, evaluation = card.partition("\n## Evaluation\n")
    for name in ("heldout", "valgen"):
        assert (ROOT / f"docs/results/cleanup/{name}.md").read_text(encoding="utf-8") in evaluation, name
    traced = set()
    for data in _cleanup_results().values():
        for method in data["methods"].values():
            traced |= {f"{100 * method['mean'][k]['mean']:.{d}f}" for k in ("iou", "f_measure") for d in (1, 2)}
        traced |= {f"{100 * v:.1f}" for v in data.get("beats_both", {}).values()}
    history = [p for p in head.split("\n\n") if p.startswith("History (")]
    assert len(history) == 1 and re.search(r"commit [0-9a-f]{7}", history[0]), history
    rest = head.replace(history[0], "")
    untraced = [m.group(0) for m in re.finditer(r"(≥ )?([\d.]+) %", rest) if not m.group(1) and m.group(2) not in traced]
    assert not untraced, f"card percentages no committed results file holds (outside History): {untraced}"
    assert re.findall(r"([\d.]+) %", history[0]), "History quotes no figure: drop the paragraph and this exemption"


def test_cards_are_what_cards_py_writes():
    """The figures quoted above are checked in the cards; the cards must be cards.py's (no hand edit, no stale card)."""
    sys.path.insert(0, str(ROOT / "packaging" / "train"))
    import cards

    stale = [stem for stem in cards.CARDS if (text := cards.card_text(stem)) is not None
             and (ROOT / f"resources/models/{stem}.md").read_text(encoding="utf-8") != text]
    assert not stale, f"run python packaging/train/cards.py {' '.join(stale)}"
