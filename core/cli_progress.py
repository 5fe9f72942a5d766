"""Progress for the command line: a bar on a terminal, sparse lines in a log."""

from __future__ import annotations

import sys
import time


def _eta(seconds: float) -> str:
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


class ConsoleProgress:
    """A ``ProgressFn`` that prints to stderr; rewrites one line on a TTY, else one line per 10 %.

    From 2 % done and 3 s on, each line ends with the time left at the pace so far, so that a job
    far larger than meant (a 5000² slice, say) shows how long it will take and can be stopped.
    """

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1
        self._last_time = 0.0
        self._start = time.monotonic()

    def _left(self, fraction: float) -> str:
        spent = time.monotonic() - self._start
        if fraction < 0.02 or fraction >= 1.0 or spent < 3.0:
            return ""
        return f" (~{_eta(spent * (1.0 - fraction) / fraction)} left)"

    def __call__(self, fraction: float, message: str = "") -> None:
        if self.quiet:
            return
        pct = int(round(100 * fraction))
        if self.tty:
            now = time.monotonic()
            if now - self._last_time < 0.1 and pct < 100:
                return
            self._last_time = now
            bar = "#" * (pct // 5) + "-" * (20 - pct // 5)
            self.stream.write(f"\r[{bar}] {pct:3d}% {(message[:60] + self._left(fraction)):<78}")
            if pct >= 100:
                self.stream.write("\n")
        else:
            decile = pct // 10
            if decile == self._last_decile:
                return
            self._last_decile = decile
            self.stream.write(f"{pct:3d}% {message}{self._left(fraction)}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
