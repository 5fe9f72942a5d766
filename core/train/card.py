"""Model cards: the facts a shipped model must carry, read from its checkpoint, plus what the caller knows."""

from __future__ import annotations

import json
from pathlib import Path

from ..machine import machine_summary
from .checkpoint import load_checkpoint


def model_card(model_path, *, title: str, commands: list[str], data: str, hardware: str | None = None,
               notes: str = "", evaluation: str = "") -> str:
    """Markdown card for ``model_path``: command, data and split, steps, wall time, hardware, evaluation."""
    ck = load_checkpoint(model_path)
    tc = ck.get("train_config", {})
    size = Path(model_path).stat().st_size / 2**20
    lines = [f"# {title}", "",
             f"Model card of `{Path(model_path).name}` ({size:.1f} MiB), kind `{ck['kind']}`, "
             f"format {ck['format_version']}, "
             f"written by SeqGen Studio {ck.get('package_version', '?')}.", "",
             "## How it was made", "", "```bash", *commands, "```", "",
             f"- Data and split: {data}",
             f"- Steps: {ck['step']} (batch {tc.get('batch_size', '?')} per process, {ck.get('world_size', 1)} process(es)), "
             f"learning rate {tc.get('lr', '?')}, seed {ck.get('seed', '?')}",
             f"- Wall time: {ck.get('elapsed_s', 0) / 60:.1f} min of training"
             + (" (this run only; not the run it started from)" if tc.get("init_from") else ""),
             *([f"- Started from the weights of `{tc['init_from']}` (`--init`: fine-tuning; steps, schedule and "
                "optimiser started afresh)"] if tc.get("init_from") else []),
             f"- Hardware: {hardware or machine_summary()}",
             f"- Model config: `{json.dumps(ck.get('config', {}), sort_keys=True)}`", ""]
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    if evaluation:
        lines += ["## Evaluation", "", evaluation.strip(), ""]
    return "\n".join(lines)
