"""The main window's Video tab (pytest-qt, under Xvfb): generate, player, seeds, export, cancel, errors."""

import time

import numpy as np
import pytest

from gui_helpers import JOB_MS, click_and_wait, require_gui_and_torch, show_tab

require_gui_and_torch()

import app.tabs.video_tab as video_tab  # noqa: E402
from core.video import clipio, gui_support  # noqa: E402
from core.video.cli import main as video_cli  # noqa: E402


@pytest.fixture(scope="module")
def tiny_lvt(tmp_path_factory):
    """A tiny VQ-VAE (40 steps, so that its decoder draws something) + transformer (2 steps) at 32×32,
    8×8 latents, context 2, windows of 3 frames."""
    d = tmp_path_factory.mktemp("video_models")
    run = ["--steps", "2", "--batch", "2", "--device", "cpu", "--seed", "0", "-q", "--checkpoint-every", "0"]
    assert video_cli(["video", "train-vqvae", "--out", str(d / "vq"), "--size", "32", "--channels", "8",
                      "--embed-dim", "8", "--parts", "2", "--codebook-size", "16", "--downsample", "4", *run,
                      "--steps", "40", "--batch", "8", "--lr", "3e-3"]) == 0
    assert video_cli(["video", "train-lvt", "--vqvae", str(d / "vq"), "--out", str(d / "lvt"), "--frames", "3",
                      "--context", "2", "--dim", "16", "--heads", "2", "--layers", "1", *run]) == 0
    return d / "lvt" / "last.pt"


@pytest.fixture
def no_shipped(monkeypatch):
    monkeypatch.setattr(video_tab, "shipped_models", lambda method: {})


@pytest.fixture
def tab(no_shipped, main_window, errors):
    return show_tab(main_window, "video")


@pytest.fixture
def ready(tab, tiny_lvt, errors):
    assert tab.add_checkpoint(tiny_lvt)
    assert tab.model_spec() == str(tiny_lvt.resolve())
    assert tab.model_info["size"] == 32 and tab.model_info["context"] == 2
    assert tab.load_test_sample(0)
    assert tab.frames.shape == (20, 32, 32)
    return tab


def generate(qtbot, tab, expect="finished"):
    click_and_wait(qtbot, tab, tab.generate_button, tab.generationEnded, expect)


def test_generate_player_seed_samples_export(qtbot, ready, errors, tmp_path):
    tab = ready
    tab.context_spin.setValue(4)
    tab.frames_spin.setValue(2)
    assert tab.temperature_spin.value() == 0  # the most likely continuation by default
    tab.samples_spin.setValue(2)
    assert tab.temperature_spin.value() == 1.0  # several samples are sampled ones
    tab.seed_spin.setValue(7)
    generate(qtbot, tab)
    assert not errors
    res = tab.result
    assert res.clips.shape == (2, 6, 32, 32) and res.seed == 7 and res.temperature == 1.0
    assert not np.array_equal(res.clips[0], res.clips[1]) and res.clips[:, 4:].std() > 0
    assert np.array_equal(res.clips[:, :4], np.broadcast_to(tab.frames[:4], (2, 4, 32, 32)))
    player = tab.player
    assert len(player.clip) == 6 and player.frame_count() == 20   # the real clip is longer
    assert player.generated_indices() == [4, 5]
    player.show_frame(4)
    assert tab.player.gen_view.kind == "generated" and "generated" in player.gen_view.tag.text()
    assert "generated" in player.frame_label.text()
    player.show_frame(3)
    assert player.gen_view.kind == "context" and "generated" not in player.frame_label.text()
    # metrics for the generated frames with real counterparts
    assert list(tab.metrics[0]["frame"]) == [4, 5] and np.all(tab.metrics[0]["mse"] >= 0)
    # seed shown and saved
    assert "seed 7" in tab.status_label.text() and "temperature 1" in tab.status_label.text()
    assert str(tab.context.settings.value(video_tab.KEY_SEED)) == "7"
    # sample selector
    assert tab.sample_row.isVisibleTo(tab) and tab.sample_combo.count() == 2
    tab.sample_combo.setCurrentIndex(1)
    assert np.array_equal(player.clip, res.clips[1])
    # step forward / back
    player.show_frame(2)
    before = player.index
    player.forward_button.click()
    assert player.index == before + 1
    player.back_button.click()
    player.back_button.click()
    assert player.index == before - 1
    # play advances on the timer, pause stops it
    player.play()
    qtbot.waitUntil(lambda: player.index != before - 1, timeout=3000)
    player.pause()
    assert not player.is_playing()
    # same seed, same frames
    first = res.clips.copy()
    generate(qtbot, tab)
    assert np.array_equal(tab.result.clips, first)
    tab.seed_spin.setValue(8)
    generate(qtbot, tab)
    assert not np.array_equal(tab.result.clips, first)
    # export GIF (and PNG frames, named by the seed) round-trips the frame count
    out = tab.export_to(tmp_path / "out.gif")
    assert out and clipio.read_clip(tmp_path / "out.gif")[0].shape == (6, 32, 32)
    pngs = tab.export_to(tmp_path / "pngs", pngs=True)
    assert len(pngs) == 6 and all(p.is_file() and p.name.startswith("seed8_") for p in pngs)
    assert not errors


def test_most_likely_continuation_ignores_the_seed(qtbot, ready, errors, tmp_path):
    tab = ready
    tab.context_spin.setValue(2)
    tab.frames_spin.setValue(3)
    tab.samples_spin.setValue(3)
    tab.temperature_spin.setValue(0.0)
    assert tab.samples_spin.value() == 1  # the most likely continuation is one clip
    tab.seed_spin.setValue(1)
    generate(qtbot, tab)
    first = tab.result.clips.copy()
    assert first.shape == (1, 5, 32, 32) and first[0, 2:].std() > 0
    assert "most likely" in tab.status_label.text()
    tab.seed_spin.setValue(2)
    generate(qtbot, tab)
    assert np.array_equal(tab.result.clips, first) and not errors
    pngs = tab.export_to(tmp_path / "pngs", pngs=True)
    assert pngs[0].name.startswith("greedy_")


def test_cancel_slow_generation(qtbot, ready, monkeypatch, errors):
    tab = ready

    def slow(*args, state, **kwargs):
        for i in range(600):
            state.report(i / 600, "slow")
            time.sleep(0.01)
        raise AssertionError("not cancelled")

    monkeypatch.setattr(gui_support, "generate", slow)
    tab.context_spin.setValue(4)
    tab.generate_button.click()
    qtbot.waitUntil(lambda: tab.jobs.busy and tab.progress.value() > 0, timeout=JOB_MS)
    assert tab.cancel_button.isEnabled() and not tab.generate_button.isEnabled()
    with qtbot.waitSignal(tab.generationEnded, timeout=JOB_MS) as sig:
        tab.cancel_button.click()
    assert sig.args == ["cancelled"]
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=JOB_MS)
    assert "Cancelled" in tab.status_label.text()
    assert tab.generate_button.isEnabled() and not errors   # responsive, ready again
    tab.player.forward_button.click()


def test_bad_clips_show_errors(qtbot, ready, errors, tmp_path):
    tab = ready
    (tmp_path / "bad.mp4").write_bytes(b"not a video" * 20)
    assert not tab.open_path(tmp_path / "bad.mp4")
    assert errors and "bad.mp4" in errors[-1][1]
    np.save(tmp_path / "huge.npy", np.zeros((1, 4100, 4100), np.uint8))
    assert not tab.open_path(tmp_path / "huge.npy")
    assert "Scale the clip down" in errors[-1][1]
    np.save(tmp_path / "short.npy", np.zeros((3, 40, 50), np.uint8))
    assert tab.open_path(tmp_path / "short.npy")
    tab.context_spin.setValue(4)
    assert not tab.generate()
    assert "fewer than the 4 context frames" in errors[-1][1]
    assert not tab.jobs.busy


def test_no_model_disables_generate(tab):
    assert tab.model_spec() is None
    assert tab.load_test_sample(1)
    assert not tab.generate_button.isEnabled()
    tip = tab.generate_button.toolTip()
    assert "train" in tip.lower() and "checkpoint" in tip.lower()


def test_train_panel_makes_a_usable_model(qtbot, tab, errors, tmp_path):
    tab.vq_steps_spin.setValue(1)
    tab.lvt_steps_spin.setValue(1)
    tab.train_out_edit.setText(str(tmp_path / "run"))
    tab.context.settings.setValue("compute/device", "cpu")
    with qtbot.waitSignal(tab.trainingEnded, timeout=JOB_MS) as sig:
        assert tab.train()
    assert sig.args == ["finished"], errors
    qtbot.waitUntil(lambda: not tab.jobs.busy, timeout=JOB_MS)
    assert tab.model_spec() == str((tmp_path / "run" / "lvt" / "last.pt").resolve())
    assert tab.model_info["size"] == 32 and tab.model_info["context"] == 4
    assert tab.load_test_sample(0) and tab.generate_button.isEnabled()
    assert not tab.train()   # the run folder is taken unless Resume is ticked
    assert "already holds" in errors[-1][1]
