"""autodiff: a small, exact, readable reverse-mode automatic differentiation engine.

>>> from autodiff import Var
>>> x = Var(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0

The engine, one job per module:

* `autodiff.ops`: the op table, the one definition of every op
* `autodiff.var`: `Var`, the graph-recording scalar; `autodiff.grad_mode`: `no_grad`
* `autodiff.backprop`: reverse mode (`backward`, `grad`)
* `autodiff.forward`: forward mode with dual numbers (`jvp`)
* `autodiff.tensor`: `Tensor`, the same engine on numpy arrays
* `autodiff.check`: `gradcheck`, and the cross-check against PyTorch

On top of it, named as in PyTorch:

* `autodiff.nn`: `Module`, `Linear`, activations, `Sequential`, `MLP`
* `autodiff.losses`: MSE, binary cross-entropy, hinge, cross-entropy, L2
* `autodiff.optim` and `autodiff.lr_scheduler`: SGD, Adam, RMSprop and schedules
* `autodiff.data`: seeded toy datasets and batching
* `autodiff.train`: `fit`, a training loop with history and callbacks
* `save` / `load`: parameters as JSON
"""

from . import data, losses, lr_scheduler, nn, optim, train
from . import tensor
from .backprop import topological_order
from .forward import Dual
from .functions import cos, exp, grad, jvp, log, log1p, relu, sigmoid, sin, sqrt, tan, tanh
from .tensor import Tensor
from .seed import manual_seed
from .serialization import load, save
from .var import Var, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "Var", "Tensor", "grad", "jvp", "Dual", "no_grad", "is_grad_enabled", "topological_order",
    "exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
    "manual_seed", "save", "load",
    "nn", "losses", "optim", "lr_scheduler", "data", "train", "tensor",
]
