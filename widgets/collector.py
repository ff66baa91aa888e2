"""A lesson's kernel and Python's garbage collector: what the kernel loaded at start is frozen, once.

A lesson's kernel holds about 120,000 objects that live as long as it does:
IPython, ipykernel, numpy, matplotlib, ipywidgets, the kit itself. Python's
cyclic garbage collector walks every one of them in each *full* collection,
and a training loop starts one every step or two: collections are triggered
by allocations, and a step of micrograd's demo makes 65,800 graph nodes. In
lesson 12's kernel such a walk takes about 40 ms, as long as half the step's
own computation, and it never finds anything: those objects are not garbage.

`gc.freeze()` moves every object the collector tracks into a permanent
generation that collections skip. So the first ``import widgets`` in a
Jupyter kernel (every lesson's first cell has one) collects once and then
freezes what is there. Everything made afterwards, the learner's objects and
every graph, is collected exactly as before; only the walk over the kernel's
start-up objects is saved. Measured on micrograd's demo step in lesson 12's
kernel (benchmarks/README.md, one run): our step took 162 ms (median)
without the freeze, 123 ms with it; micrograd's 1,222 ms and 1,266 ms.

Nothing is frozen outside a kernel (a script, the tests), or when the kit is
told not to: ``AUTODIFF_KIT_FREEZE=0`` in the kernel's environment.
``gc.unfreeze()`` undoes it; ``gc.get_freeze_count()`` says how many objects
are frozen.
"""

from __future__ import annotations

import gc
import os
import sys

__all__ = ["in_kernel", "freeze_startup_objects"]

_done = False


def in_kernel() -> bool:
    """Whether this process is a running Jupyter kernel (ipykernel's app has started)."""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    return kernelapp is not None and kernelapp.IPKernelApp.initialized()


def freeze_startup_objects() -> int:
    """In a kernel, the first time: collect, then freeze every tracked object. Returns how many were frozen.

    Returns 0, and changes nothing, outside a kernel, on any later call, or
    with ``AUTODIFF_KIT_FREEZE=0``.
    """
    global _done
    if _done or not in_kernel() or os.environ.get("AUTODIFF_KIT_FREEZE", "1") == "0":
        return 0
    _done = True
    gc.collect()  # garbage now would stay forever once frozen: free it first
    gc.freeze()
    return gc.get_freeze_count()
