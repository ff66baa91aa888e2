"""Student copies of single notebooks: `autodiff-kit student` does whole folders.

    python tools/make_student.py                      # the lessons -> student/
    python tools/make_student.py notebooks/02_x.ipynb --out /tmp/student

A thin wrapper: the code is autodiff_kit/student.py (its doc says what a
student copy is); `make student` runs `autodiff-kit student student --force`.
A folder's ``exercises/`` goes with its notebooks, every solution withheld
(`autodiff_kit.student.student_exercise_module`); a single notebook's
exercises are not copied.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a clone without the kit installed

from autodiff_kit.student import *  # noqa: E402,F401,F403  (the tests use strip_solutions, BEGIN, ...)
from autodiff_kit.student import (BEGIN, CODE_STUB, END, MARKDOWN_STUB, MarkerError, main,  # noqa: E402,F401
                                  student_exercise_module)

if __name__ == "__main__":
    sys.exit(main())
