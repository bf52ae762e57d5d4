"""``python -m synthsense ...``: the same as the ``synthsense`` command."""

import sys

from synthsense.cli import main

sys.exit(main())
