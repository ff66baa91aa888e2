"""autodiff: a small, exact, readable reverse-mode automatic differentiation engine.

>>> from autodiff import Var
>>> x = Var(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0

Modules, one job each:

* `autodiff.ops`: the op table, the one definition of every op
* `autodiff.var`: `Var`, the graph-recording scalar, and `no_grad`
* `autodiff.backprop`: reverse mode (`backward`, `grad`)
* `autodiff.forward`: forward mode with dual numbers (`jvp`)
* `autodiff.check`: `gradcheck` against finite differences
"""

from .backprop import grad, topological_order
from .forward import Dual, jvp
from .functions import cos, exp, log, relu, sigmoid, sin, sqrt, tan, tanh
from .var import Var, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "Var", "grad", "jvp", "Dual", "no_grad", "is_grad_enabled", "topological_order",
    "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
]
