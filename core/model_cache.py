"""One cache for loaded models, shared by every method's GUI helpers.

A model is kept while its file (and any side files, e.g. texture's classes.pt) is unchanged: the key is
(kind, resolved path, modification times, device). Loading the same model twice from two tabs or two
jobs gives the same object; a changed file on disk is loaded afresh. A few entries are kept (the least
recently used goes first) so switching tabs does not reload each tab's model every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterable

from .errors import InputError

MAX_MODELS = 4  # one per method tab; models are a few MB each

_lock = threading.Lock()
_models: "OrderedDict[tuple, object]" = OrderedDict()


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns if path.is_file() else 0


def cache_key(kind: str, path, device: str, side_files: Iterable = ()) -> tuple:
    """The key under which ``path`` loaded for ``device`` is kept (changes when a file changes)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"The model file {p} does not exist.")
    sides = tuple(_mtime(Path(s)) for s in side_files)
    return (kind, str(p.resolve()), _mtime(p), sides, str(device))


def cached_model(kind: str, path, device: str, load: Callable[[], object], *, side_files: Iterable = ()):
    """The model ``load()`` returns for ``path`` on ``device``, loaded once while the files are unchanged.

    ``load`` runs outside the lock (loading can take seconds); if two threads load the same key at
    once, the first stored wins and both return it.
    """
    key = cache_key(kind, path, device, side_files)
    with _lock:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
    model = load()
    with _lock:
        if key in _models:               # another thread finished first: share its object
            _models.move_to_end(key)
            return _models[key]
        # an older version of the same file on the same device is stale: drop it
        for old in [k for k in _models if k[0] == kind and k[1] == key[1] and k[4] == key[4]]:
            del _models[old]
        _models[key] = model
        while len(_models) > MAX_MODELS:
            _models.popitem(last=False)
    return model


def clear() -> None:
    """Forget every cached model (tests; freeing memory)."""
    with _lock:
        _models.clear()


def cached_count() -> int:
    with _lock:
        return len(_models)
