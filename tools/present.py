"""Classroom mode, as `make present LESSON=12` used to run it: now `autodiff-kit present`.

    python tools/present.py 12
    python tools/present.py 7 --port 8870

A thin wrapper kept for old habits and the browser tests: the code is
autodiff_kit/present.py (`autodiff-kit present --help`), and the messages
name make's spelling, `make present LESSON=12`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a clone without the kit installed

from autodiff_kit.present import *  # noqa: E402,F401,F403  (resolve, lessons, ... for the tests)
from autodiff_kit.present import main  # noqa: E402

MAKE_EXAMPLE = "make present LESSON=12"
MAKE_EXAMPLE_PORT = "make present LESSON={lesson} PORT={port}"

if __name__ == "__main__":
    sys.exit(main(example=MAKE_EXAMPLE, example_port=MAKE_EXAMPLE_PORT))
