"""``python -m ikenei.cli``: the same as the ``ikenei`` command."""

import sys

from ikenei.cli import main

sys.exit(main())
