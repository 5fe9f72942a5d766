"""SeqGen Studio engine: I/O, rock properties, jobs and models. Never imports Qt."""

__version__ = "0.1.0"
