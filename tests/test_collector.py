"""In a Jupyter kernel, `import widgets` freezes the kernel's start-up objects once; elsewhere nothing.

The kernel tests start a real ipykernel with jupyter_client, as JupyterLab does.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.learner_kernel import run_code


def _kernel_prints(code: str, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh kernel; it prints one JSON line, returned here."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", **({"env": env} if env else {}))
    try:
        output = run_code(client, code, "the test")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return json.loads(output.strip().splitlines()[-1])


FREEZE_CODE = """
import gc, json, weakref
before = gc.get_freeze_count()
import widgets
from widgets.collector import freeze_startup_objects
frozen = gc.get_freeze_count()
again = freeze_startup_objects()

class Node:                        # a reference cycle made after the import
    pass
a, b = Node(), Node()
a.other, b.other = b, a
alive = weakref.ref(a)
del a, b
gc.collect()
print(json.dumps(dict(before=before, frozen=frozen, again=again, after=gc.get_freeze_count(),
                      cycle_freed=alive() is None, enabled=gc.isenabled())))
"""


def test_in_a_kernel_the_first_import_freezes_the_start_up_objects_and_later_cycles_are_still_freed():
    result = _kernel_prints(FREEZE_CODE)
    assert result["before"] == 0
    assert result["frozen"] > 50_000          # IPython, ipykernel, numpy, matplotlib, the kit
    assert result["again"] == 0 and result["after"] == result["frozen"]  # once only
    assert result["cycle_freed"] and result["enabled"]


def test_the_kernel_can_be_told_not_to_freeze():
    import os
    result = _kernel_prints(FREEZE_CODE, env={**os.environ, "AUTODIFF_KIT_FREEZE": "0"})
    assert result["frozen"] == 0 and result["cycle_freed"]


def test_outside_a_kernel_nothing_is_frozen():
    code = "import gc, widgets; print(gc.get_freeze_count(), widgets.collector.in_kernel())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False"]


def test_freezing_is_a_no_op_in_this_test_process():
    import gc

    from widgets.collector import freeze_startup_objects
    assert freeze_startup_objects() == 0 and gc.get_freeze_count() == 0
