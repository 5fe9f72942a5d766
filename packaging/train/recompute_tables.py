"""Recompute every committed rock and texture KL table from the per-sample values in its results.json.

Run from the repository root after a change to the KL conventions of core.compare:

    python packaging/train/recompute_tables.py            # rewrite comparisons, table.md and figures
    python packaging/train/recompute_tables.py --check    # only report which tables would change

No model runs: every evaluation stores each sample's properties, so the comparisons (and the
histograms) follow from the JSON alone. The date and version lines stay those of the evaluation,
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

from core.rock import evaluate as rock_eval  # noqa: E402
from core.texture import evaluate as texture_eval  # noqa: E402
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
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report what would change, write nothing")
    args = ap.parse_args(argv)
    changed, found = 0, tables()
    for kind, j, t in found:
        old_json, old_md = j.read_text(encoding="utf-8"), (t.read_text(encoding="utf-8") if t else "")
        data, md = _rock(old_json) if kind == "rock" else _texture(old_json, old_md)
        new_json = _dump(data)
        diff = (new_json != old_json) or (t is not None and md != old_md)
        changed += diff
        print(f"{'changed' if diff else 'same   '} {j.relative_to(ROOT)}" + (f" + {t.name}" if t else ""))
        if diff and not args.check:
            j.write_text(new_json, encoding="utf-8")
            if t is not None:
                t.write_text(md, encoding="utf-8")
                if any(t.parent.glob("hist_*.png")):
                    (rock_eval if kind == "rock" else texture_eval).write_figures(data, t.parent)
    print(f"{changed} of {len(found)} evaluations {'would change' if args.check else 'rewritten'}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
