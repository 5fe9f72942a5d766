"""Property comparison panel: histograms of realisations vs a reference, and a KL table.

Filled from a ``Comparison`` (``core.volumes.reference``, via the rock / texture ``compare_job``) whose
``rows()`` are (label, unit, (mean, sd, n) of realisations, (mean, sd, n) of reference, KL or None, note).
"""

from __future__ import annotations

import html
from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from .form_helpers import fmt, spin
from .property_histograms import PropertyHistograms


def kl_summary(comp) -> str:
    """'KL vs <reference>: porosity 0.01, …' for the log."""
    return ("KL vs " + comp.reference_label + ": " +
            ", ".join(f"{label} {fmt(kl) if kl is not None else 'n/a'}"
                      for (label, _, _, _, kl, _) in comp.rows()))


class PropertyComparePanel(QWidget):
    """A row (reference, number of reference crops, permeability, Compare) above histograms and the KL table.
    Widgets only: the tab connects ``ref_combo`` and ``compare_button`` to its own slots."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ref_combo = QComboBox()
        self.ref_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.ref_combo.setMinimumContentsLength(16)
        self.ncrops_spin = spin(2, 1000, 20, "Number of random reference crops (same size as the realisations)")
        self.perm_check = QCheckBox("Permeability (slow)")
        self.perm_check.setToolTip("Also compare pore-network permeability (seconds per volume)")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Histograms of porosity, surface area density and Euler density "
                                       "of the realisations against the reference, with KL per property")
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Reference"))
        controls.addWidget(self.ref_combo, 1)
        controls.addWidget(QLabel("Crops"))
        controls.addWidget(self.ncrops_spin)
        controls.addWidget(self.perm_check)
        controls.addWidget(self.compare_button)
        self.histograms = PropertyHistograms()
        self.kl_table = QTableWidget(0, 4)
        self.kl_table.setHorizontalHeaderLabels(["Property", "Realisations (mean ± sd)",
                                                 "Reference (mean ± sd)", "KL (ref ‖ real.)"])
        self.kl_table.verticalHeader().setVisible(False)
        self.kl_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.kl_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        for c in (1, 2, 3):
            self.kl_table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeToContents)
        self.kl_note = QLabel("")
        self.kl_note.setWordWrap(True)
        prop_split = QSplitter(Qt.Vertical)
        prop_split.addWidget(self.histograms)
        tbox = QWidget()
        tl = QVBoxLayout(tbox)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.kl_table, 1)
        tl.addWidget(self.kl_note)
        prop_split.addWidget(tbox)
        prop_split.setSizes([520, 220])
        pl = QVBoxLayout(self)
        pl.setContentsMargins(2, 2, 2, 2)
        pl.addLayout(controls)
        pl.addWidget(prop_split, 1)

    def show_comparison(self, comp, extra_note: str = "") -> None:
        """Histograms, table rows and the note; ``extra_note`` goes after the voxel size (plain text)."""
        self.histograms.show_comparison(comp)
        rows = comp.rows()
        self.kl_table.setRowCount(len(rows))
        for i, (label, unit, g, r, kl, note) in enumerate(rows):
            u = "" if unit == "–" else f" ({unit})"
            cells = [f"{label}{u}", f"{fmt(g[0])} ± {fmt(g[1])} (n={g[2]})", f"{fmt(r[0])} ± {fmt(r[1])} (n={r[2]})",
                     fmt(kl) if kl is not None else "n/a"]
            for j, text in enumerate(cells):
                it = QTableWidgetItem(text)
                if j == 3:
                    it.setData(Qt.UserRole, kl)
                    it.setToolTip(note or "KL(reference ‖ realisations), nats; 50 bins over the reference range + 2 overflow bins, pseudo-count 0.5")
                    it.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.kl_table.setItem(i, j, it)
        notes = [f"{label}: {note}" for (label, _, _, _, _, note) in rows if note]
        self.kl_note.setText(f"Reference: {html.escape(comp.reference_label)}; voxel size "
                             f"{comp.voxel_size_um:g} µm.{extra_note} KL(reference ‖ realisations) in nats "
                             "(core.compare: 50 bins over the reference range plus overflow bins, pseudo-count 0.5); few samples give noisy KL."
                             + ("<br>" + "<br>".join(html.escape(n) for n in notes) if notes else ""))

    def clear(self) -> None:
        self.histograms.clear()
        self.kl_table.setRowCount(0)
        self.kl_note.setText("")

    def kl_values(self) -> dict[str, Optional[float]]:
        """{property label: KL} as shown in the table."""
        return {self.kl_table.item(i, 0).text(): self.kl_table.item(i, 3).data(Qt.UserRole)
                for i in range(self.kl_table.rowCount())}
