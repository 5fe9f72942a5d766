"""Typed errors that carry a plain message meant for the user."""


class SeqGenError(Exception):
    """Base class of every error SeqGen Studio reports to a user."""


class InputError(SeqGenError):
    """Input that cannot be used: corrupt, truncated, wrong size or type, too large."""


class Cancelled(SeqGenError):
    """A job stopped because the user asked it to."""
