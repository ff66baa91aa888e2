"""The notebooks that draw graphs pass nbval on a machine without system Graphviz too.

`make test` runs every notebook with whatever renderer this machine has (the
system `dot` when installed). This test runs the ones that draw again, in a
subprocess whose PATH holds only this Python's own bin folder, so `dot`
cannot be found and the pip-installed graphviz-pure must draw. The saved
outputs must match either way (tests/nbval_sanitize.cfg says what may differ).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRAWING = ("draw_graph", "GraphStepper", "doctor(")


def drawing_notebooks() -> list[str]:
    return [str(nb.relative_to(ROOT)) for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))
            if any(word in nb.read_text(encoding="utf-8") for word in DRAWING)]


def test_some_notebooks_draw_graphs():
    assert "notebooks/04_backprop_by_hand.ipynb" in drawing_notebooks()


def test_drawing_notebooks_pass_nbval_without_system_dot():
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    which = subprocess.run([sys.executable, "-c", "import shutil; print(shutil.which('dot'))"],
                           env=env, capture_output=True, text=True, check=True)
    assert which.stdout.strip() == "None", "dot is still on PATH"
    renderer = subprocess.run(
        [sys.executable, "-c", "from widgets import graphviz_renderer; print(graphviz_renderer().name)"],
        env=env, capture_output=True, text=True, cwd=ROOT, check=True)
    assert renderer.stdout.strip() == "graphviz-pure"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *drawing_notebooks()],
                         env=env, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
