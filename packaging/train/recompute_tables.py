"""Recompute every committed evaluation table (rock, texture, cleanup, video) from the values in its JSON.

Run from the repository root after a change to the KL conventions of core.compare or to a table's layout:

    python packaging/train/recompute_tables.py            # rewrite comparisons, table.md and figures
    python packaging/train/recompute_tables.py --check    # only report which tables would change

No model runs: every rock and texture evaluation stores each sample's properties, so the comparisons
(and the histograms) follow from the JSON alone; a cleanup evaluation stores each image's IoU, PSNR and
F-measure (means, standard deviations and the valgen beat shares follow); a video evaluation stores the
per-frame metrics (its table, and the means checked against them) and a video design run its
measurements (a hand-written part after the generated tables is kept). The date and version lines stay those of the evaluation,
since the samples are unchanged; then regenerate the model cards (packaging/train/cards.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import video_design  # noqa: E402
from core.cleanup import evaluate as cleanup_eval  # noqa: E402
from core.cleanup.valgen_eval import beat_shares, beat_summary  # noqa: E402
from core.rock import evaluate as rock_eval  # noqa: E402
from core.texture import evaluate as texture_eval  # noqa: E402
from core.video import evaluate as video_eval  # noqa: E402
from core.volumes.tables import jsonable  # noqa: E402

RESULTS = ROOT / "docs" / "results"


def _dump(data: dict) -> str:
    return json.dumps(jsonable(data), separators=(",", ":")) + "\n"


def _rock(old_json: str) -> tuple[dict, str]:
    data = json.loads(old_json)
    md, comps = rock_eval._build_markdown(data)
    data["comparisons"] = [c.to_dict() for c in comps]
    return data, md


def _texture(old_json: str, old_md: str) -> tuple[dict, str]:
    data = json.loads(old_json)
    data["comparisons"] = texture_eval.compare_all(data)
    data["class_check"] = texture_eval.class_check(data)  # from the property vectors: unchanged, recomputed anyway
    # the evaluation's date is only in its table (build_markdown takes it as an argument)
    m = re.search(r"seed \d+; (\S+); SeqGen Studio", old_md)
    return data, texture_eval.build_markdown(data, date=m.group(1) if m else None)


def _cleanup(old_json: str) -> tuple[str, str]:
    data = json.loads(old_json)
    data["conventions"] = cleanup_eval.CONVENTIONS
    scores = {k: cleanup_eval.MethodScores(k, r["per_image"]) for k, r in data["methods"].items()}
    for k, r in data["methods"].items():
        r["mean"] = scores[k].mean()
    if "beats_both" in data:  # a valgen evaluation
        data["beats_both"] = beat_shares(scores)
        data["summary"] = beat_summary(data["beats_both"], data["n"])
    return cleanup_eval.dump_json(data), cleanup_eval.markdown(data)


def _video(old_json: str) -> tuple[str, str]:
    data = json.loads(old_json)
    for r in data["methods"].values():
        for k, v in r["per_frame"].items():
            # every sequence has every frame: the mean over frames of the per-frame means is the mean
            if not np.isclose(r["mean"][k], np.mean(v), rtol=1e-9, atol=0):
                r["mean"][k] = float(np.mean(v))
    new_json = old_json if json.loads(old_json) == data else video_eval.dump_json(data)
    return new_json, video_eval.markdown(data, data.get("command"))


def _video_design(old_json: str, old_md: str) -> tuple[str, str]:
    md = video_design.markdown(json.loads(old_json))
    # notes written by hand below the generated part start at the first heading it does not have
    heads = {ln for ln in md.splitlines() if ln.startswith("## ")}
    lines = old_md.splitlines(keepends=True)
    at = next((i for i, ln in enumerate(lines) if ln.startswith("## ") and ln.rstrip("\n") not in heads), None)
    return old_json, md if at is None else md + "\n" + "".join(lines[at:])


def tables() -> list[tuple[str, Path, Path | None]]:
    """(kind, results json, table.md or None) of every committed evaluation."""
    out = []
    for j in sorted(RESULTS.glob("rock_*/**/*.json")):
        if "comparisons" in json.loads(j.read_text(encoding="utf-8")):
            t = j.with_name("table.md") if j.name == "results.json" else None
            out.append(("rock", j, t if t and t.exists() else None))
    tj = RESULTS / "texture" / "results.json"
    if tj.exists():
        out.append(("texture", tj, tj.with_name("table.md")))
    out += [("cleanup", j, j.with_suffix(".md")) for j in sorted(RESULTS.glob("cleanup/**/*.json"))]
    for j in sorted(RESULTS.glob("video/*.json")):
        out.append(("video" if j.name == "eval.json" else "video_design", j, j.with_suffix(".md")))
    out += [("video", j, j.with_suffix(".md")) for j in sorted(RESULTS.glob("video/*/eval.json"))]  # other models
    return out


def recompute(kind: str, old_json: str, old_md: str) -> tuple[str, str]:
    """(JSON text, table text) that the current code gives for a stored evaluation."""
    if kind in ("rock", "texture"):
        data, md = _rock(old_json) if kind == "rock" else _texture(old_json, old_md)
        return _dump(data), md
    if kind == "cleanup":
        return _cleanup(old_json)
    return _video(old_json) if kind == "video" else _video_design(old_json, old_md)


def _figures(kind: str, new_json: str, folder: Path) -> None:
    if kind in ("rock", "texture") and any(folder.glob("hist_*.png")):
        (rock_eval if kind == "rock" else texture_eval).write_figures(json.loads(new_json), folder)
    elif kind == "video" and (folder / "per_frame.png").exists():
        video_eval.plot_per_frame(json.loads(new_json), folder / "per_frame.png")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report what would change, write nothing")
    args = ap.parse_args(argv)
    changed, found = 0, tables()
    for kind, j, t in found:
        old_json, old_md = j.read_text(encoding="utf-8"), (t.read_text(encoding="utf-8") if t else "")
        new_json, md = recompute(kind, old_json, old_md)
        diff = (new_json != old_json) or (t is not None and md != old_md)
        changed += diff
        print(f"{'changed' if diff else 'same   '} {j.relative_to(ROOT)}" + (f" + {t.name}" if t else ""))
        if diff and not args.check:
            j.write_text(new_json, encoding="utf-8")
            if t is not None:
                t.write_text(md, encoding="utf-8")
                _figures(kind, new_json, t.parent)
    print(f"{changed} of {len(found)} evaluations {'would change' if args.check else 'rewritten'}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
