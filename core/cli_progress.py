"""Progress for the command line: a bar on a terminal, sparse lines in a log."""

from __future__ import annotations

import sys
import time


class ConsoleProgress:
    """A ``ProgressFn`` that prints to stderr; rewrites one line on a TTY, else one line per 10 %."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1
        self._last_time = 0.0

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
            self.stream.write(f"\r[{bar}] {pct:3d}% {message[:60]:<60}")
            if pct >= 100:
                self.stream.write("\n")
        else:
            decile = pct // 10
            if decile == self._last_decile:
                return
            self._last_decile = decile
            self.stream.write(f"{pct:3d}% {message}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
