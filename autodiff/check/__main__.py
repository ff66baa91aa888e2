"""``python -m autodiff.check``: the PyTorch cross-check; exit status 1 if any check fails.

A row per check (as `run_all_checks` prints them), then one summary line,
e.g. ``126 checks: 126 passed, 0 failed`` (`autodiff.check.report.summary`).
``make check`` and ``autodiff-kit check`` run this too.
"""

import sys

from . import crosscheck, run_all_checks
from .report import HEADER, summary


def main() -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        return 0 if run_all_checks() else 1      # which says what to install
    checks = []
    print(HEADER, flush=True)
    for check in crosscheck.all_checks():
        checks.append(check)
        print(check.row(), flush=True)
    print(summary(checks))
    return 0 if checks and all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
