"""Turn a training checkpoint into a small file to ship: weights, config and provenance only."""

from __future__ import annotations

from pathlib import Path

from .checkpoint import load_checkpoint, save_checkpoint

# What generation needs and what a model card cites; optimiser, scaler and RNG states are dropped.
KEEP = ("kind", "format_version", "package_version", "config", "train_config", "step", "seed",
        "world_size", "elapsed_s")


def export_model(src, dst, *, kind: str | None = None, keep_models=None, half: bool = False,
                 extra: dict | None = None) -> Path:
    """Write ``dst`` from checkpoint ``src`` with only the models in ``keep_models`` (default all).

    ``half`` stores float tensors as float16 to halve the size (loaders cast back to float32).
    """
    ck = load_checkpoint(src, kind=kind)
    out = {k: ck[k] for k in KEEP if k in ck}
    # models of keep_models that the checkpoint lacks (optional ones, e.g. an averaged G) are skipped
    models = ck["models"] if keep_models is None else {k: ck["models"][k] for k in keep_models if k in ck["models"]}
    if half:
        models = {name: {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}
                  for name, sd in models.items()}
    out["models"] = models
    out["exported_from"] = str(Path(src).name)
    out["provenance"] = dict(extra or {})
    return save_checkpoint(dst, out)


def export_verified(src, dst, choices: dict, *, half: bool = False, command: str = "export"):
    """Export ``src`` by its kind and prove the file loads: ``choices`` maps kind → (models to keep, loader).

    Returns (path, kind, loaded model). A checkpoint of any other kind is an InputError and writes nothing.
    """
    from ..errors import InputError

    kind = load_checkpoint(src)["kind"]
    if kind not in choices:
        kinds = " or ".join(f"'{k}'" for k in choices)
        raise InputError(f"{Path(src).name} is a '{kind}' checkpoint; {command} takes {kinds}.")
    keep, loader = choices[kind]
    out = export_model(src, dst, kind=kind, keep_models=keep, half=half)
    return out, kind, loader(out)
