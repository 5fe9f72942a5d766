"""app.worker (generic job runner) and app.errors (error dialogs, exception hook)."""

import threading

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QObject, QThread, Slot  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from app.worker import TaskRunner, Worker, error_message  # noqa: E402
from core.errors import InputError  # noqa: E402


def counting(n, *, state):
    for i in range(n):
        state.report(i / n, f"step {i}")
    return {"n": n, "thread": threading.current_thread().name}


def slow(*, state, started):
    started.set()
    while True:
        state.check()
        threading.Event().wait(0.005)


def bad_input(*, state):
    raise InputError("The file is broken.")


def crash(*, state):
    raise ZeroDivisionError("division by zero")


class Sink(QObject):
    """Receives results in the GUI thread, like a tab does."""

    def __init__(self):
        super().__init__()
        self.results, self.errors, self.cancels, self.progress, self.threads = [], [], 0, [], []

    @Slot(object)
    def on_finished(self, r):
        self.threads.append(QThread.currentThread() is QApplication.instance().thread())
        self.results.append(r)

    @Slot(str)
    def on_failed(self, m):
        self.errors.append(m)

    @Slot()
    def on_cancelled(self):
        self.cancels += 1

    @Slot(float, str)
    def on_progress(self, f, m):
        self.progress.append((f, m))


def test_runner_runs_in_a_thread_and_reports(qtbot):
    runner, sink = TaskRunner(), Sink()
    runner.progress.connect(sink.on_progress)
    runner.submit(counting, 5, on_finished=sink.on_finished)
    assert runner.busy
    # the runner's own signal comes first (busy already cleared), then the job's callbacks
    qtbot.waitUntil(lambda: len(sink.results) == 1, timeout=5000)
    assert not runner.busy
    assert sink.results[0]["n"] == 5 and sink.results[0]["thread"] != threading.current_thread().name
    assert sink.threads == [True]  # the slot ran in the GUI thread
    assert sink.progress and sink.progress[0] == (0.0, "step 0")
    with pytest.raises(RuntimeError):
        runner.submit(counting, 1)
        runner.submit(counting, 1)
    qtbot.waitUntil(lambda: not runner.busy)
    assert runner.shutdown(2000)


def test_runner_errors_and_cancel(qtbot):
    runner, sink = TaskRunner(), Sink()
    runner.submit(bad_input, on_failed=sink.on_failed)
    qtbot.waitUntil(lambda: len(sink.errors) == 1, timeout=5000)
    assert sink.errors == ["The file is broken."]
    runner.submit(crash, on_failed=sink.on_failed)
    qtbot.waitUntil(lambda: len(sink.errors) == 2, timeout=5000)
    assert sink.errors[1].startswith("Unexpected error: ZeroDivisionError")
    started = threading.Event()
    runner.submit(slow, started=started, on_cancelled=sink.on_cancelled)
    assert started.wait(5)
    runner.cancel()
    qtbot.waitUntil(lambda: sink.cancels == 1, timeout=5000)
    assert not runner.busy
    # shutdown() stops a running job and waits for its thread
    started.clear()
    runner.submit(slow, started=started)
    assert started.wait(5)
    assert runner.shutdown(5000)


def test_worker_can_run_directly():
    w = Worker(counting, 3)
    got = []
    w.finished.connect(got.append)
    w.run()
    assert got[0]["n"] == 3
    assert error_message(MemoryError()).startswith("There is not enough memory")
    assert error_message(FileNotFoundError(2, "No such file or directory", "x.tif")) == \
        "No such file or directory (x.tif)."


def test_excepthook_shows_a_dialog(qtbot, monkeypatch):
    from app import errors

    shown = []

    def fake_exec(box):
        shown.append((box.text(), box.detailedText()))
        return QMessageBox.Ok

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    monkeypatch.setattr("sys.excepthook", errors.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    errors.install_excepthook()
    try:
        raise ValueError("boom")
    except ValueError as exc:
        errors.excepthook(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=3000)
    assert "ValueError: boom" in shown[0][0] and "Traceback" in shown[0][1]
    # from another thread: the dialog still appears in the GUI thread
    t = threading.Thread(target=lambda: 1 / 0)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=3000)
    assert "ZeroDivisionError" in shown[1][0]
