"""Checking the engine: against finite differences (`gradcheck`) and against PyTorch.

* `gradcheck(f, inputs)`: reverse mode against central differences, first and
  second order. Needs nothing but this package.
* `run_all_checks()`: every op, module, loss, optimizer and schedule against
  PyTorch in float64; ``python -m autodiff.check`` runs it from a shell.
"""

from .crosscheck import Check, run_all_checks
from .gradcheck import GradcheckError, gradcheck, op_derivatives, torch_op_derivatives

__all__ = ["gradcheck", "GradcheckError", "run_all_checks", "Check",
           "op_derivatives", "torch_op_derivatives"]
