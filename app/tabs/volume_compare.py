"""The volume tabs' comparison with a reference: the reference combo's entries, the choice, the job and its result.

A mixin of ``VolumeTab`` (it uses the tab's ``ref_combo``, ``properties``, ``views``, ``result``, ``_start``
and the subclass's ``_add_references``, ``_on_compared``), kept apart to keep the frame short.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel

from core.volumes.subcrops import compare_subcrops_job, subcrop_shape, subcrops

from ..widgets.property_compare import kl_summary


class ReferenceCompareMethods:
    """Comparison methods shared by the Rock and Texture tabs (through ``VolumeTab``)."""

    def _fill_references(self) -> None:
        """The reference combo anew: ``_add_references``, then the Inspect volume; the choice kept if still there."""
        keep = self.ref_combo.currentData()
        self.ref_combo.blockSignals(True)
        self.ref_combo.clear()
        self._add_references()
        has = self.inspect_volume() is not None
        self._add_ref("The volume open in Inspect", self.INSPECT_REF if has else None,
                      f"Random crops of {self.inspect_name()}" if has else "Open a volume in the Inspect tab first")
        idx = self.ref_combo.findData(keep) if keep is not None else -1
        if idx < 0:  # first usable entry
            idx = next((i for i in range(self.ref_combo.count()) if self.ref_combo.itemData(i) is not None), 0)
        self.ref_combo.setCurrentIndex(idx)
        self.ref_combo.blockSignals(False)

    def _add_ref(self, text: str, data: Optional[str], tip: str) -> None:
        """A reference entry; without ``data`` (not available here) it is shown disabled."""
        self.ref_combo.addItem(text, data)
        i = self.ref_combo.count() - 1
        self.ref_combo.setItemData(i, tip, Qt.ToolTipRole)
        model = self.ref_combo.model()
        item = model.item(i) if isinstance(model, QStandardItemModel) else None
        if item is not None and data is None:
            item.setEnabled(False)

    def select_reference(self, kind: str) -> bool:
        """Choose the reference entry whose data is ``kind``; whether there is one."""
        idx = self.ref_combo.findData(kind)
        if idx >= 0:
            self.ref_combo.setCurrentIndex(idx)
        return idx >= 0

    def _chosen_reference(self) -> Optional[str]:
        """The reference combo's data; None when there is nothing to compare (said where it helps)."""
        if self.result is None:
            return None
        ref = self.ref_combo.currentData()
        if ref is None:
            self.context.error("Compare", "This reference is not available here.")
        return ref

    def _inspect_reference(self) -> Optional[dict]:
        """The Inspect volume as compare arguments; None (said) when none is open."""
        vol = self.inspect_volume()
        if vol is None:
            self.context.error("Compare", "No volume is open in the Inspect tab.")
            return None
        return {"array": vol.array, "array_label": self.inspect_name()}

    def _reference_shape(self, kind: str, kwargs: dict) -> Optional[tuple]:
        """The largest crop (z, y, x) the chosen reference holds: the array's shape, or (subclasses) the
        held-out part of a shared rock; None when unknown."""
        a = kwargs.get("array")
        return tuple(a.shape) if a is not None else None

    def _start_comparing(self, compare_fn, kind: str, **kwargs) -> bool:
        """Compare the realisations with a reference of ``kind`` in the job worker; realisations larger than
        the reference are compared on sub-crops that fit it (said in the note)."""
        vols = self.volumes()
        sub = subcrop_shape(vols[0].shape, self._reference_shape(kind, kwargs)) if vols else None
        self._subcrop_note = ""
        if sub is not None:
            n = len(subcrops(vols[:1], sub))
            self._subcrop_note = (f" The realisations ({'×'.join(map(str, vols[0].shape))}, z×y×x) are larger than "
                                  f"the reference, so up to {n} sub-crops of {'×'.join(map(str, sub))} of each "
                                  "are compared.")
        return self._start("Comparing", compare_subcrops_job, compare_fn, vols, kind, sub_shape=sub,
                           n_ref=int(self.ncrops_spin.value()), permeability=self.perm_check.isChecked(),
                           on_finished=self._on_compared, **kwargs)

    def _show_compared(self, comp, extra_note: str = "") -> None:
        """A finished comparison: panel, log, Properties page."""
        self.comparison = comp
        extra_note = (extra_note + getattr(self, "_subcrop_note", "")).strip()
        self.properties.show_comparison(comp, extra_note)
        self.context.log(f"{self.LOG_NAME}: " + kl_summary(comp))
        self._job_ended("Compared", done=True)
        self.views.setCurrentIndex(1)
        self._update_enabled()
        self.compared.emit()

    def kl_values(self) -> dict[str, Optional[float]]:
        """{property label: KL} as shown in the table."""
        return self.properties.kl_values()
