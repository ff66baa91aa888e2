"""Checking the engine: against finite differences (`gradcheck`) and against PyTorch.

* `gradcheck(f, inputs)`: reverse mode against central differences, first and
  second order. Needs nothing but this package.
* `run_all_checks()`: every op, module, loss, optimizer and schedule against
  PyTorch in float64; ``python -m autodiff.check`` runs it from a shell.
* `check_engine(Value)`: a learner's own micrograd-style engine against this
  one, on many graphs; names the misconceptions it finds.
"""

from .crosscheck import Check, run_all_checks
from .engine_check import check_engine
from .engine_misconceptions import Misconception
from .engine_report import EngineCheckReport
from .gradcheck import GradcheckError, gradcheck, op_derivatives, torch_op_derivatives

__all__ = ["gradcheck", "GradcheckError", "run_all_checks", "Check",
           "op_derivatives", "torch_op_derivatives", "check_engine", "EngineCheckReport", "Misconception"]
