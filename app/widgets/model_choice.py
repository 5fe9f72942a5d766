"""What a method tab's model combo does: shipped models, remembered checkpoints and "Checkpoint file…".

The tab keeps what is its own (what a chosen model means, caching it, showing its info) in the
``on_filled`` slot it hands over and in its own ``currentIndexChanged`` slot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from core.shipped import run_checkpoint as core_run_checkpoint
from core.shipped import shipped_models

from ..settings import KEY_OPEN_DIR, get_list, last_dir, set_last_dir
from ..worker import error_message
from .model_combo import CHOOSE, fill_model_combo

MAX_CHECKPOINTS = 8  # remembered checkpoint paths per tab
CHECKPOINT_FILTER = "Checkpoints (*.pt);;All files (*)"


def combo_spec(combo: QComboBox) -> Optional[str]:
    """The combo's chosen model path, or None while nothing (or "Checkpoint file…") is chosen."""
    d = combo.currentData()
    return None if d in (None, CHOOSE) else str(d)


def run_checkpoint(path) -> Path:
    """A checkpoint file, or a training run folder's last.pt, as an absolute path."""
    return core_run_checkpoint(path).resolve()


def parent_label(path: str) -> str:
    """A remembered checkpoint's combo label: its folder and file name."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}"


class ModelChoice(QObject):
    """A tab's model combo: shipped models, remembered checkpoints, adding one (checked), the file dialog."""

    def __init__(self, parent: QWidget, context, combo: QComboBox, *, method: str, key: str, choose_tip: str,
                 dialog_title: str, on_filled: Callable[[int], None], previous: Callable[[], Optional[str]],
                 load: Optional[Callable[[Path], object]] = None, resolve: Callable[[object], Path] = run_checkpoint,
                 label: Callable[[str], str] = parent_label, shipped_label: Callable[[str], str] = str,
                 shipped: Optional[Callable[[], dict]] = None,
                 default: Optional[str] = None, remember_dir: bool = False):
        """``parent``: the tab (owns it, parents the dialog); ``previous()``: the model to go back to."""
        super().__init__(parent)
        self.context, self.combo, self.method, self.key = context, combo, method, key
        self.choose_tip, self.dialog_title = choose_tip, dialog_title
        self.on_filled, self.previous = on_filled, previous
        self.load, self.resolve, self.label, self.shipped_label = load, resolve, label, shipped_label
        self.shipped = shipped or (lambda: shipped_models(method))  # name → path of the shipped models
        self.default = default  # shipped model name chosen when nothing else is
        self.remember_dir = remember_dir  # a chosen file's folder becomes the next Open dialogs' start
        combo.activated.connect(self._on_activated)

    def spec(self) -> Optional[str]:
        """The chosen model path, or None."""
        return combo_spec(self.combo)

    def checkpoints(self) -> list[str]:
        """The remembered checkpoint paths whose files still exist."""
        return [p for p in get_list(self.context.settings, self.key) if Path(p).is_file()]

    def fill(self, select: Optional[str] = None) -> int:
        """Refill the combo, keeping ``select`` (or the current model, or the default) chosen; runs ``on_filled``."""
        shipped = self.shipped()
        items = [(f"{self.shipped_label(name)} (shipped)", str(path)) for name, path in shipped.items()]
        items += [(self.label(p), p) for p in self.checkpoints()]
        keep = select or self.spec()
        if keep is None and self.default in shipped:
            keep = str(shipped[self.default])
        index = fill_model_combo(self.combo, items, self.choose_tip, keep)
        # fill_model_combo blocks the combo's signals, so the tab hears of the new choice here
        self.on_filled(index)
        return index

    def remember(self, path: str) -> None:
        """Put ``path`` first in the remembered checkpoints (at most MAX_CHECKPOINTS)."""
        items = [path] + [x for x in get_list(self.context.settings, self.key) if x != path]
        self.context.settings.setValue(self.key, items[:MAX_CHECKPOINTS])

    def forget(self, path: str) -> None:
        """Drop ``path`` from the remembered checkpoints."""
        self.context.settings.setValue(self.key, [x for x in get_list(self.context.settings, self.key) if x != path])

    def add(self, path, select: bool = True) -> bool:
        """Offer a checkpoint (file or run folder) in the combo after checking it loads; errors go to a dialog."""
        title = f"{self.method.capitalize()} model"
        try:
            p = Path(self.resolve(path))
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.context.error(title, error_message(exc))
            return False
        if self.load is not None:
            try:
                self.load(p)
            except Exception as exc:  # noqa: BLE001 - shown to the user
                self.context.error(title, f"Cannot use {p.name} as a {self.method} model:\n{error_message(exc)}")
                return False
        self.remember(str(p))
        self.fill(select=str(p) if select else None)
        return True

    def select(self, spec: Optional[str]) -> bool:
        """Choose the combo entry of ``spec`` if it is there."""
        idx = self.combo.findData(spec) if spec else -1
        if idx >= 0:
            self.combo.setCurrentIndex(idx)
        return idx >= 0

    def choose(self) -> bool:
        """Ask for a checkpoint file and add it; when none is added, go back to the model chosen before."""
        start = last_dir(self.context.settings, KEY_OPEN_DIR)
        f, _ = QFileDialog.getOpenFileName(self.parent(), self.dialog_title, start, CHECKPOINT_FILTER)
        if f and self.remember_dir:
            set_last_dir(self.context.settings, KEY_OPEN_DIR, f)
        if f and self.add(f):
            return True
        self.select(self.previous())
        return False

    @Slot(int)
    def _on_activated(self, index: int) -> None:
        """The user picked an entry (even the current one): "Checkpoint file…" opens the dialog."""
        if self.combo.itemData(index) == CHOOSE:
            self.choose()


class ModelChoiceMethods:
    """Mixin for a tab with a ``model_choice``: the model methods other code and tests call on the tab."""

    model_choice: ModelChoice

    def model_spec(self) -> Optional[str]:
        """The chosen model path, or None."""
        return self.model_choice.spec()

    def _checkpoints(self) -> list[str]:
        """The remembered checkpoint paths whose files still exist."""
        return self.model_choice.checkpoints()

    def _fill_models(self, select: Optional[str] = None) -> None:
        """Refill the model combo (the tab hears of the choice in its ``on_filled`` slot)."""
        self.model_choice.fill(select)

    def add_checkpoint(self, path, select: bool = True) -> bool:
        """Offer a checkpoint (file or training run folder) in the model list, after checking it loads."""
        return self.model_choice.add(path, select)

    def choose_checkpoint_dialog(self) -> None:
        """Ask for a checkpoint file; none added → back to the model chosen before."""
        self.model_choice.choose()
