"""Training presets of the Train panels and the time a run will take, estimated before Start.

The estimate is stated, not measured here: each method's reference is the seconds per step of its
shipped CPU model's own training (the wall time and steps in resources/models/<model>.md), scaled to
the chosen settings by the cost of a step, taken to grow with crop³ × batch × width^1.5 (crop³ and
batch: voxels per step; width^1.5 fitted to the step times of width 8 → 32 (rock) and 32 → 64
(texture) measured on the 2-core CPU of the cards, 2026-11-29). It is for a CPU like that one: a
GPU is much faster, a busier CPU slower; the trainer's own ETA (from the measured steps) takes over
once the run has started.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH_EXPONENT = 1.5
MINUTES = {"quick": 10, "usable": 60, "overnight": 8 * 60}
PRESET_LABELS = {"quick": "Quick look (~10 min)", "usable": "Usable (~1 h)", "overnight": "Best (overnight, ~8 h)"}
DEFAULT_PRESET = "usable"
CUSTOM = "custom"


@dataclass(frozen=True)
class StepCost:
    """Seconds per step of a reference run, and the settings it ran with."""

    seconds: float
    crop: int
    batch: int
    width: int
    source: str               # where the number comes from, said in the estimate's tooltip

    def step_seconds(self, crop: int, batch: int, width: int) -> float:
        return (self.seconds * (crop / self.crop) ** 3 * (batch / self.batch)
                * (width / self.width) ** WIDTH_EXPONENT)


# rock_berea.md: 1683 steps in 92.1 min (stage 4: crop 48, batch 8, width 8; 2 cores, 1 torch thread).
ROCK_COST = StepCost(92.1 * 60 / 1683, 48, 8, 8, "rock_berea.pt's training: 1683 steps in 92.1 min "
                     "at crop 48, batch 8, width 8 on a 2-core CPU")
# texture_rocks.md: 4924 steps in 112.5 min (crop 32, batch 4, G width 32; 2 cores, 1 torch thread).
TEXTURE_COST = StepCost(112.5 * 60 / 4924, 32, 4, 32, "texture_rocks.pt's training: 4924 steps in 112.5 min "
                        "at crop 32, batch 4, width 32 on a 2-core CPU")


@dataclass(frozen=True)
class Recipe:
    """The form's values for one preset: crop, batch, width, steps and the method's own settings."""

    crop: int
    batch: int
    width: int
    steps: int
    settings: dict = field(default_factory=dict)   # TrainForm.add_setting label → value


def steps_for(minutes: float, cost: StepCost, crop: int, batch: int, width: int) -> int:
    """Steps that fit ``minutes`` by the estimate, rounded down to 50 (at least 50)."""
    n = minutes * 60 / cost.step_seconds(crop, batch, width)
    return max(50, int(n // 50) * 50)


def _presets(cost: StepCost, quick: tuple, usable: tuple, settings: dict) -> dict[str, Recipe]:
    """quick: (crop, batch, width) of a short look; usable and overnight: the shipped model's recipe."""
    out = {}
    for key, (crop, batch, width) in (("quick", quick), ("usable", usable), ("overnight", usable)):
        out[key] = Recipe(crop, batch, width, steps_for(MINUTES[key], cost, crop, batch, width), dict(settings))
    return out


# The shipped rock models' CPU recipe (rock_berea.md / rock_ketton.md, stage 4): crop 48, width 8,
# batch 8, per-voxel norm, decay 6, porosity and profile weights 100. The quick look uses crop 32.
ROCK_PRESETS = _presets(ROCK_COST, (32, 8, 8), (48, 8, 8),
                        {"Generator norm": "pixel", "Slice decay": 6.0, "Porosity weight": 100.0,
                         "Profile weight": 100.0})
# The shipped texture model's CPU recipe (texture_rocks.md): crop 32, batch 4, G width 32, BatchNorm,
# porosity weight 10. The quick look halves the width.
TEXTURE_PRESETS = _presets(TEXTURE_COST, (32, 4, 16), (32, 4, 32),
                           {"Generator norm": "batch", "Porosity weight": 10.0})


def fmt_minutes(seconds: float) -> str:
    """'45 s', '12 min', '1 h 05 min', '26 h 40 min'."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    m = int(round(s / 60))
    return f"{m} min" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def estimate_text(cost: StepCost, crop: int, batch: int, width: int, steps: int, device: str) -> tuple[str, str]:
    """(the line shown before Start, its tooltip: how it is estimated)."""
    per = cost.step_seconds(crop, batch, width)
    text = f"Estimated time: ≈ {fmt_minutes(per * steps)} on a 2-core CPU ({per:.1f} s per step; Stop waits for one step)"
    if device not in ("auto", "cpu"):
        text = f"On {device} much faster than the CPU estimate of ≈ {fmt_minutes(per * steps)} ({per:.1f} s per step)"
    tip = (f"Not measured here: scaled from {cost.source}, by crop³ × batch × width^{WIDTH_EXPONENT:g}. "
           "A busier CPU is slower, a GPU much faster; once the run starts, the progress bar's ETA "
           "comes from its own measured steps.")
    return text, tip
