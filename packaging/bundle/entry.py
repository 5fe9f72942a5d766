"""The one executable of the desktop bundle: ``seqgen-studio`` (the window) or ``seqgen`` (the CLI).

build-app.sh makes ``seqgen`` a link to ``seqgen-studio``; the name it is started by picks which.
``seqgen-studio --cli ARGS`` is the command line too (for systems where the link is lost).
"""

import multiprocessing
import os
import sys


def main() -> int:
    multiprocessing.freeze_support()  # spawned workers (cleanup batches, evaluation) re-enter here
    name = os.path.basename(sys.argv[0]).lower()
    if name.split(".")[0] == "seqgen" or sys.argv[1:2] == ["--cli"]:
        if sys.argv[1:2] == ["--cli"]:
            del sys.argv[1]
        sys.argv[0] = "seqgen"
        from core.cli import entry

        return entry()
    from app.main import main as studio

    return studio()


if __name__ == "__main__":
    sys.exit(main())
