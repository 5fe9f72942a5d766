"""The main window: one tab per method (see ``app.tabs.TAB_FACTORIES``), menus, log dock."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget

from . import __doc__ as app_doc
from .log_panel import LogPanel, install_logging_bridge
from .settings import (KEY_GEOMETRY, KEY_STATE, app_settings, device_preference, recent_files,
                       remove_recent_file, set_device_preference)
from .tabs import TAB_FACTORIES
from .tabs.base import AppContext, BaseTab

DEVICES = [("auto", "Automatic (best available)"), ("cuda", "NVIDIA GPU (CUDA)"),
           ("mps", "Apple GPU (MPS)"), ("cpu", "CPU")]


class MainWindow(QMainWindow):
    def __init__(self, settings=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("SeqGen Studio")
        self.setObjectName("mainWindow")
        self.settings = settings if settings is not None else app_settings()
        install_logging_bridge()
        self.log_panel = LogPanel(self)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.log_panel)
        self.context = AppContext(window=self, settings=self.settings)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tab_by_key: dict[str, BaseTab] = {}
        for spec in TAB_FACTORIES:
            tab = spec.factory(self.context)
            tab.setObjectName(f"tab_{spec.key}")
            self.tabs.addTab(tab, spec.title)
            self.tab_by_key[spec.key] = tab
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self.statusBar().showMessage("Ready", 3000)
        self.setAcceptDrops(True)
        set_device_preference(self.settings, device_preference(self.settings))  # sets $SEQGEN_DEVICE
        self.resize(1400, 900)
        self._closed = False
        self._shown_once = False
        self._restore()

    # -- tabs -------------------------------------------------------------------------------
    @property
    def inspect_tab(self):
        return self.tab_by_key["inspect"]

    def file_tab(self) -> BaseTab | None:
        """The tab that takes opened files: the current one if it accepts files, else the first."""
        cur = self.tabs.currentWidget()
        if isinstance(cur, BaseTab) and cur.accepts_files:
            return cur
        for tab in self.tab_by_key.values():
            if tab.accepts_files:
                return tab
        return None

    def open_path(self, path, **options) -> bool:
        tab = self.file_tab()
        if tab is None:
            return False
        self.tabs.setCurrentWidget(tab)
        return bool(tab.open_path(Path(path), **options))

    # -- menus ------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        mb = self.menuBar()
        fm = mb.addMenu("&File")
        a = QAction("&Open volume…", self, shortcut=QKeySequence.Open)
        a.triggered.connect(self.open_dialog)
        fm.addAction(a)
        a = QAction("Open &folder of slices…", self)
        a.triggered.connect(self.open_folder_dialog)
        fm.addAction(a)
        self.recent_menu = fm.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        fm.addSeparator()
        a = QAction("&Quit", self, shortcut=QKeySequence.Quit)
        a.triggered.connect(self.close)
        fm.addAction(a)

        for tab in self.tab_by_key.values():
            m = tab.menu()
            if m is not None:
                mb.addMenu(m)

        sm = mb.addMenu("&Settings")
        self.device_menu = sm.addMenu("Compute &device")
        self.device_group = QActionGroup(self)
        cur = device_preference(self.settings)
        for key, text in DEVICES:
            a = QAction(text, self, checkable=True)
            a.setData(key)
            a.setChecked(key == cur)
            self.device_group.addAction(a)
            self.device_menu.addAction(a)
        self.device_group.triggered.connect(self._on_device)
        self.device_menu.aboutToShow.connect(self._check_devices)

        vm = mb.addMenu("&View")
        vm.addAction(self.log_panel.toggleViewAction())

        hm = mb.addMenu("&Help")
        a = QAction("&About SeqGen Studio", self)
        a.triggered.connect(self.about)
        hm.addAction(a)

    @Slot()
    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = recent_files(self.settings)
        for p in items:
            a = self.recent_menu.addAction(p)
            a.setData(p)
            a.triggered.connect(self._open_recent)
        if not items:
            a = self.recent_menu.addAction("(none)")
            a.setEnabled(False)

    @Slot()
    def _open_recent(self) -> None:
        a = self.sender()
        path = a.data() if a is not None else None
        if not path:
            return
        if not Path(path).exists():
            remove_recent_file(self.settings, path)
            self.context.error("Open recent", f"{path} no longer exists; it was removed from the list.")
            return
        self.open_path(path)

    @Slot()
    def open_dialog(self) -> None:
        tab = self.file_tab()
        if tab is not None:
            self.tabs.setCurrentWidget(tab)
            tab.open_dialog()

    @Slot()
    def open_folder_dialog(self) -> None:
        tab = self.file_tab()
        if tab is not None and hasattr(tab, "open_folder_dialog"):
            self.tabs.setCurrentWidget(tab)
            tab.open_folder_dialog()

    @Slot()
    def _check_devices(self) -> None:
        from core.jobs import available_devices

        avail = set(available_devices())
        for a in self.device_group.actions():
            key = a.data()
            a.setEnabled(key == "auto" or key in avail)

    @Slot(QAction)
    def _on_device(self, action: QAction) -> None:
        set_device_preference(self.settings, action.data())
        self.context.log(f"Compute device: {action.text()}")

    @Slot()
    def about(self) -> None:
        QMessageBox.about(self, "About SeqGen Studio",
                          "<b>SeqGen Studio</b><br>" + (app_doc or "").strip() +
                          "<br><br>Volumes: 1 = pore, 0 = grain; axes z, y, x.")

    # -- drag and drop ----------------------------------------------------------------------
    def dragEnterEvent(self, event):
        md = event.mimeData()
        if md.hasUrls() and any(u.isLocalFile() for u in md.urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])
            if len(paths) > 1:
                self.context.log(f"Opened {paths[0]}; {len(paths) - 1} more dropped file(s) ignored.")

    # -- persistence ------------------------------------------------------------------------
    def _restore(self) -> None:
        g = self.settings.value(KEY_GEOMETRY)
        if g is not None:
            self.restoreGeometry(g)
        s = self.settings.value(KEY_STATE)
        if s is not None:
            self.restoreState(s)

    def showEvent(self, event):
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            if self.settings.value(KEY_STATE) is None:  # first start: a slim log panel
                self.resizeDocks([self.log_panel], [110], Qt.Vertical)

    def closeEvent(self, event):
        if not self._closed:
            self.settings.setValue(KEY_GEOMETRY, self.saveGeometry())
            self.settings.setValue(KEY_STATE, self.saveState())
            self.settings.sync()
            for tab in self.tab_by_key.values():
                try:
                    tab.shutdown()
                except Exception:
                    pass
            self._closed = True
        super().closeEvent(event)
