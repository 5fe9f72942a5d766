"""The model chooser every method tab shares: shipped models, remembered checkpoints, "Checkpoint file…"."""

from __future__ import annotations

from typing import Iterable, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

CHOOSE = "__choose__"  # data of the "Checkpoint file…" item


def fill_model_combo(combo: QComboBox, items: Iterable[tuple[str, str]], choose_tip: str,
                     keep: Optional[str] = None) -> int:
    """Refill ``combo`` with (label, path) items plus "Checkpoint file…", reselect ``keep``; return the index.

    Signals are blocked while filling, so the caller runs its own "model changed" slot once afterwards.
    """
    combo.blockSignals(True)
    combo.clear()
    for label, path in items:
        combo.addItem(label, path)
        combo.setItemData(combo.count() - 1, path, Qt.ToolTipRole)
    combo.addItem("Checkpoint file…", CHOOSE)
    combo.setItemData(combo.count() - 1, choose_tip, Qt.ToolTipRole)
    idx = combo.findData(keep) if keep else -1
    combo.setCurrentIndex(idx if idx >= 0 else 0)
    combo.blockSignals(False)
    return combo.currentIndex()
