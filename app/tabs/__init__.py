"""The main window's tabs, one per method.

To add a tab, write a ``BaseTab`` subclass in its own module and append a ``TabSpec`` to
``TAB_FACTORIES``; the main window builds them in order. A factory gets the shared ``AppContext``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class TabSpec:
    key: str                       # stable id (used in settings and tests)
    title: str                     # tab text
    factory: Callable              # factory(context: AppContext) -> BaseTab


def _inspect(context):
    from .inspect_tab import InspectTab

    return InspectTab(context)


def _rock(context):
    from .rock_tab import RockTab

    return RockTab(context)


def _texture(context):
    from .texture_tab import TextureTab

    return TextureTab(context)


def _cleanup(context):
    from .cleanup_tab import CleanupTab

    return CleanupTab(context)


TAB_FACTORIES: list[TabSpec] = [
    TabSpec("inspect", "Inspect", _inspect),
    TabSpec("rock", "Rock", _rock),
    TabSpec("texture", "Texture", _texture),
    TabSpec("cleanup", "Cleanup", _cleanup),
    TabSpec("video", "Video", lambda context: __import__("app.tabs.video_tab", fromlist=["VideoTab"]).VideoTab(context)),
]
