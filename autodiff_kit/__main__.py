"""``python -m autodiff_kit``: the same as the ``autodiff-kit`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
