"""Persistent settings (QSettings) and the few keys the app uses."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "SeqGenStudio"
APPLICATION = "SeqGen Studio"
MAX_RECENT = 10

KEY_RECENT = "files/recent"
KEY_OPEN_DIR = "folders/open"
KEY_EXPORT_DIR = "folders/export"
KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"
KEY_DEVICE = "compute/device"
KEY_RENDER_MODE = "view/render_mode"


def app_settings() -> QSettings:
    """The app's settings store (an INI file in the user's config folder).

    Tests redirect it with ``QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tmp)``.
    """
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)


def default_run_dir(method: str) -> str:
    """Where a tab's training runs go unless chosen: the user's runs folder, one subfolder per method."""
    return str(Path.home() / "seqgen-runs" / method)


def get_str(settings: QSettings, key: str, default: str = "") -> str:
    v = settings.value(key, default)
    return default if v is None else str(v)


def get_list(settings: QSettings, key: str) -> list[str]:
    """A list of strings (QSettings gives a str for one entry, None or [] for none)."""
    v = settings.value(key, [])
    if v is None or v == "":
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


def recent_files(settings: QSettings) -> list[str]:
    return get_list(settings, KEY_RECENT)


def add_recent_file(settings: QSettings, path) -> list[str]:
    p = str(Path(path).resolve())
    items = [p] + [x for x in recent_files(settings) if x != p]
    items = items[:MAX_RECENT]
    settings.setValue(KEY_RECENT, items)
    return items


def remove_recent_file(settings: QSettings, path) -> None:
    p = str(path)
    settings.setValue(KEY_RECENT, [x for x in recent_files(settings) if x != p])


def last_dir(settings: QSettings, key: str) -> str:
    d = get_str(settings, key, "")
    return d if d and os.path.isdir(d) else str(Path.home())


def set_last_dir(settings: QSettings, key: str, path) -> None:
    p = Path(path)
    # os.path.isdir, not Path.is_dir: that raises on a name too long, before the export can say so.
    settings.setValue(key, str(p if os.path.isdir(p) else p.parent))


def device_preference(settings: QSettings) -> str:
    """'auto', 'cpu', 'cuda' or 'mps' (as chosen in Settings ▸ Compute device)."""
    return get_str(settings, KEY_DEVICE, "auto") or "auto"


def set_device_preference(settings: QSettings, device: str) -> None:
    settings.setValue(KEY_DEVICE, device)
    # core.jobs.select_device(None) reads $SEQGEN_DEVICE, so every later job follows the choice.
    if device == "auto":
        os.environ.pop("SEQGEN_DEVICE", None)
    else:
        os.environ["SEQGEN_DEVICE"] = device
