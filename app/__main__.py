"""``python -m app`` starts SeqGen Studio (same as the ``seqgen-studio`` command)."""

import sys

from .main import main

sys.exit(main())
