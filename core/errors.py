"""Typed errors that carry a plain message meant for the user."""


class SeqGenError(Exception):
    """Base class of every error SeqGen Studio reports to a user."""


class InputError(SeqGenError):
    """Input that cannot be used: corrupt, truncated, wrong size or type, too large."""


class Cancelled(SeqGenError):
    """A job stopped because the user asked it to."""


class OutputError(SeqGenError, OSError):
    """An output that cannot be written: missing or read-only folder, a folder in its place, a name
    too long, the disk full, or the output would replace one of the inputs. ``disk_full``: no more
    files will fit either (a batch stops rather than fail every next file). Also an OSError, so that
    code that handled the write's own OSError before still does."""

    def __init__(self, message: str, *, disk_full: bool = False):
        super().__init__(message)
        self.disk_full = disk_full


class Terminated(KeyboardInterrupt):
    """SIGTERM in the command line, raised in the main thread like Ctrl+C so that every ``finally``
    (and core.io.atomic_path's removal of its temporary file) runs before the process ends."""
