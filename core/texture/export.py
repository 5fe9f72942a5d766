"""Ship a texture model: encoder + generator weights, config, provenance and the class table in one file."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..io import atomic_path
from ..jobs import TaskState, ensure_state
from ..train import load_checkpoint, save_checkpoint
from ..train.export import export_model
from .classes import class_table_beside, fit_inference
from .data import load_class_volumes, parse_data_specs
from .load import load_model
from .model import generator_weights
from .task import FORMAT_VERSION, KIND


def export(src, dst, *, half: bool = False, data=None, pore: str = "auto", state: TaskState | None = None):
    """Write ``dst`` from checkpoint ``src`` and prove it loads; returns (path, TextureModel).

    The class table comes from ``src`` itself (an exported model), else from ``classes.pt`` beside
    it (when fitted for the same step); with ``data`` ([NAME=]PATH specs) it is fitted anew with
    this checkpoint's encoder. Critics, optimiser and RNG states are dropped.
    """
    state = ensure_state(state)
    ck = load_checkpoint(src)
    if ck["kind"] != KIND:
        raise InputError(f"{Path(src).name} is a '{ck['kind']}' checkpoint; texture export takes '{KIND}'.")
    load_checkpoint(src, kind=KIND, max_version=FORMAT_VERSION)  # refuses newer formats
    bn_stats: dict = {}
    if data:
        classes, _ = load_class_volumes(parse_data_specs(data), pore=pore, state=state.sub(0.0, 0.3))
        model = load_model(src)
        table, bn_stats = fit_inference(model.encoder, model.generator, classes, model.config.crop,
                                        state=state.sub(0.3, 0.9), config=model.config)
    elif "classes" in ck:  # an exported model: its generator is calibrated already
        table = ck["classes"]
    else:
        found, note = class_table_beside(src, int(ck["step"]))
        if found is None:
            raise InputError((note or f"{Path(src).name} has no fitted classes (no classes.pt beside it).")
                             + " Give the training data (--data [NAME=]PATH ...) to fit them.")
        table, bn_stats = found["classes"], found.get("bn_stats") or {}
    dst = Path(dst)
    with atomic_path(dst) as tmp:
        export_model(src, tmp, kind=KIND, keep_models=["encoder", "generator", "generator_ema"], half=half)
        out = load_checkpoint(tmp)
        # the shipped G is the one the checkpoint generates with: the moving average when there is one
        out["models"]["generator"] = generator_weights(out["models"])
        out["models"].pop("generator_ema", None)
        # G's BatchNorm statistics measured for these weights replace the ones training left behind.
        out["models"]["generator"].update({k: v.detach().cpu() for k, v in bn_stats.items()})
        out["classes"] = table
        save_checkpoint(tmp, out)
    state.report(1.0, "Exported")
    return dst, load_model(dst)
