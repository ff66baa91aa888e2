"""``python -m autodiff.check``: the PyTorch cross-check; exit status 1 if any check fails."""

import sys

from . import run_all_checks

if __name__ == "__main__":
    sys.exit(0 if run_all_checks() else 1)
