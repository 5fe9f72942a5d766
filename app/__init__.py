"""SeqGen Studio desktop application (PySide6). All computing is done by ``core``."""
