"""Neural-network building blocks on scalar `Var`s, named and called as in PyTorch.

A *sample* is a list of numbers (or Vars); a *batch* is a list of samples.
A module maps a sample to a list of outputs, and a batch to a list of such
lists, so ``MLP(2, [16, 16, 1])([[0.5, -1.0], [1.0, 2.0]])`` gives two lists of
one Var each, as ``torch.nn`` would give a tensor of shape (2, 1).

Parameters are plain Vars kept in a module's attributes: a Var, or a (nested)
list of Vars such as a weight matrix. `Module` finds them by walking its
attributes in the order they were set, so ``parameters()`` is always in the
same order. The same `Module` serves the tensor engine, whose parameters are
Tensors (`autodiff.tensor.nn`): a state dict holds the same nested lists of
numbers either way, so a scalar model's weights load into its tensor twin.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from . import ops
from .arguments import one_of, positive_int, real, to_float, type_and_value
from .seed import Seed, as_generator
from .tensor import Tensor
from .var import Var

__all__ = [
    "Module", "Linear", "ReLU", "Tanh", "Sigmoid", "Identity", "Sequential", "MLP",
    "ACTIVATIONS", "initial_weights", "MAX_LINEAR_WEIGHTS",
    "calculate_gain", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]

MAX_LINEAR_WEIGHTS = 10_000_000  # the most weights and biases one Linear layer may have (either engine)


def _is_var_tree(value: Any) -> bool:
    """A Var, or a non-empty list/tuple whose items are all Var trees (a weight matrix)."""
    if isinstance(value, Var):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(map(_is_var_tree, value))


def _is_parameter(value: Any) -> bool:
    """A parameter *tensor*: a Tensor, or a tree of Vars."""
    return isinstance(value, Tensor) or _is_var_tree(value)


def _tree_map(fn: Any, tree: Any) -> Any:
    return [_tree_map(fn, item) for item in tree] if isinstance(tree, (list, tuple)) else fn(tree)


def _tree_items(name: str, tree: Any) -> Iterator[tuple[str, Any]]:
    """(``weight[0][1]``, Var) for every Var in a tree; (``weight``, tensor) for a Tensor."""
    if isinstance(tree, (Var, Tensor)):
        yield name, tree
    else:
        for i, item in enumerate(tree):
            yield from _tree_items(f"{name}[{i}]", item)


def _shape(tree: Any) -> Any:
    """The nesting of a tree, for comparing a loaded value with a parameter: 3 or [2, 2]."""
    if isinstance(tree, Tensor):
        return _shape(tree.data.tolist())
    if isinstance(tree, (list, tuple)):
        inner = [_shape(item) for item in tree]
        return len(tree) if all(s == () for s in inner) else inner
    return ()


def _depth(tree: Any) -> int:
    """How many levels of lists a parameter has: 0 for a Var, 2 for a weight matrix, ndim for a Tensor."""
    if isinstance(tree, Tensor):
        return tree.data.ndim
    depth = 0
    while isinstance(tree, (list, tuple)) and tree:
        depth, tree = depth + 1, tree[0]
    return depth


def _nests_deeper(value: Any, depth: int) -> bool:
    """True if ``value`` has lists more than ``depth`` levels deep (walked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, tuple)):
            if level == depth:
                return True
            stack.extend((inner, level + 1) for inner in item)
    return False


def _values(tree: Any) -> Any:
    """A parameter's numbers: a float, or nested lists of floats."""
    return tree.data.tolist() if isinstance(tree, Tensor) else _tree_map(lambda v: v.data, tree)


class Module:
    """Base class: finds parameters and submodules, switches train/eval, saves state.

    Subclasses set parameters and submodules as attributes in ``__init__`` and
    define ``forward``. Calling the module calls ``forward``.
    """

    def __init__(self) -> None:
        self.training = True

    def forward(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    # ------------------------------------------------------------------
    # Finding parameters and submodules
    # ------------------------------------------------------------------
    def named_children(self) -> list[tuple[str, "Module"]]:
        """Direct submodules: attributes that are modules, or lists of modules (``name.0``)."""
        children = []
        for name, value in vars(self).items():
            if isinstance(value, Module):
                children.append((name, value))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(m, Module) for m in value):
                children.extend((f"{name}.{i}", m) for i, m in enumerate(value))
        return children

    def named_tensors(self, prefix: str = "") -> list[tuple[str, Any]]:
        """Every parameter *tensor* (a Tensor, a Var or nested lists of Vars), named as in ``state_dict``."""
        found = [(prefix + name, value) for name, value in vars(self).items() if _is_parameter(value)]
        for name, child in self.named_children():
            found.extend(child.named_tensors(f"{prefix}{name}."))
        return found

    def named_parameters(self) -> list[tuple[str, Any]]:
        """Every parameter with its name: a Var (``layers.0.weight[3][1]``) or a Tensor (``layers.0.weight``)."""
        return [item for name, tree in self.named_tensors() for item in _tree_items(name, tree)]

    def parameters(self) -> list[Any]:
        """Every parameter (Vars, or Tensors), in a fixed order (hand this to an optimizer)."""
        return [var for _, var in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> "Module":
        """Switch to training mode (or evaluation mode with ``mode=False``), recursively."""
        self.training = bool(mode)
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Switch to evaluation mode, recursively."""
        return self.train(False)

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Every parameter tensor's values as floats or nested lists of floats, by name."""
        return {name: _values(tree) for name, tree in self.named_tensors()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter from ``state`` (as made by ``state_dict``).

        Everything is checked before anything is set: a missing or extra
        key, a wrong shape or a value that is not a number raises an error
        naming it, and leaves the module unchanged.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        tensors = dict(self.named_tensors())
        missing = [k for k in tensors if k not in state]
        extra = [k for k in state if k not in tensors]
        if missing or extra:
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {extra}")
        updates = []
        for name, tree in tensors.items():
            value = state[name]
            depth = _depth(tree)
            # (before _shape, whose recursion goes as deep as the value: one level more still
            # gets the shape error, the usual slip; far deeper is not a state of this model)
            if _nests_deeper(value, depth + 1):
                raise ValueError(f"load_state_dict: {name!r} nests deeper than the model's {name} "
                                 f"({depth} level{'' if depth == 1 else 's'})")
            if _shape(value) != _shape(tree):
                raise ValueError(
                    f"load_state_dict: {name!r} has shape {_shape(value)}, the model expects {_shape(tree)}"
                )
            if isinstance(tree, Tensor):
                numbers = [to_float(number, f"load_state_dict: {item}") for item, number in _number_items(name, value)]
                updates.append((tree, np.array(numbers, dtype=tree.dtype).reshape(tree.shape)))
                continue
            for (item_name, var), (_, number) in zip(_tree_items(name, tree), _number_items(name, value)):
                updates.append((var, to_float(number, f"load_state_dict: {item_name}")))
        for parameter, number in updates:
            parameter.data = number

    # ------------------------------------------------------------------
    # Display
    # ------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        lines.append(")")
        return "\n".join(lines)


def _number_items(name: str, tree: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(tree, (list, tuple)):
        for i, item in enumerate(tree):
            yield from _number_items(f"{name}[{i}]", item)
    else:
        yield name, tree


# ----------------------------------------------------------------------
# Inputs: one sample or a batch of them
# ----------------------------------------------------------------------

def _as_list(x: Any) -> Any:
    return x.tolist() if hasattr(x, "tolist") and not isinstance(x, Var) else x


def _is_batch(x: Any, module: Module) -> bool:
    """True for a batch (a list of samples), False for one sample; errors for anything else."""
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"{module!r}: expected a sample (a list of numbers) or a batch "
                        f"(a list of samples), got {type(x).__name__}")
    if len(x) == 0:
        raise ValueError(f"{module!r}: got an empty input")
    return isinstance(_as_list(x[0]), (list, tuple))


def _map_elements(fn: Any, x: Any) -> Any:
    """Apply ``fn`` to every number or Var of a sample or a batch."""
    x = _as_list(x)
    if isinstance(x, (list, tuple)):
        return [_map_elements(fn, item) for item in x]
    return fn(x)


# ----------------------------------------------------------------------
# Layers
# ----------------------------------------------------------------------

def initial_weights(in_features: int, out_features: int, bias: bool,
                    rng: Seed) -> tuple[int, int, list[list[float]], list[float]]:
    """A Linear layer's sizes, checked, and its first weights and biases.

    Uniform on ±1/√in_features (PyTorch's default), drawn from ``rng`` (a
    `random.Random`, an int seed, or None for `autodiff.manual_seed`'s
    generator): the weights row by row, then the biases. Both engines'
    Linear layers draw here, so the same seed gives the same numbers.
    """
    in_features = positive_int(in_features, "Linear: in_features", type_error=ValueError)
    out_features = positive_int(out_features, "Linear: out_features", type_error=ValueError)
    count = (in_features + (1 if bias else 0)) * out_features
    if count > MAX_LINEAR_WEIGHTS:
        raise ValueError(f"Linear({in_features}, {out_features}) would have {count:,} weights and biases, "
                         f"more than {MAX_LINEAR_WEIGHTS:,} (MAX_LINEAR_WEIGHTS)")
    gen = as_generator(rng, "Linear")
    bound = 1.0 / math.sqrt(in_features)
    weight = [[gen.uniform(-bound, bound) for _ in range(in_features)] for _ in range(out_features)]
    biases = [gen.uniform(-bound, bound) for _ in range(out_features)] if bias else []
    return in_features, out_features, weight, biases


# ----------------------------------------------------------------------
# Initialisation schemes (torch.nn.init's names): the scale that keeps a
# signal's variance steady through many layers
# ----------------------------------------------------------------------
#
# A layer y = W·x with independent weights of variance s² and inputs of
# variance v gives outputs of variance fan_in·s²·v: the variance is multiplied
# by fan_in·s² at every layer. PyTorch's default (and `Linear`'s), U(±1/√fan_in),
# has s² = 1/(3·fan_in): each layer multiplies the variance by 1/3 (by 1/6 after
# a ReLU, which zeroes half the signal), so ten layers shrink the std about
# 6^5 ≈ 8,000-fold. The schemes below pick s² so that the factor is 1:
#
# * Xavier/Glorot (2010): s² = gain²·2/(fan_in + fan_out), a compromise between
#   keeping the forward signal (fan_in) and the backward gradient (fan_out); for
#   tanh, sigmoid or no activation.
# * He/Kaiming (2015): s² = gain²/fan (fan_in by default, fan_out keeps the
#   gradients instead), with gain √2 for ReLU, to make up for the half it zeroes.
#
# A uniform U(±bound) has variance bound²/3, so its bound is √3 times the std.

GAINS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The factor an initialisation's std is multiplied by for this activation, as in PyTorch.

    linear and sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2/(1 + slope²))
    (``param`` is the negative slope, 0.01 by default), selu 3/4.
    """
    one_of(nonlinearity, "calculate_gain: nonlinearity", GAINS)
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else real(param, "calculate_gain: param (the negative slope)")
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    return 1.0


def _fans(weight: Any, caller: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out_features, in_features): a Tensor or rows of Vars."""
    if isinstance(weight, Tensor):
        shape = weight.data.shape
    elif isinstance(weight, list) and weight and all(isinstance(row, list) for row in weight):
        shape = (len(weight), len(weight[0]))
        if any(len(row) != shape[1] or not all(isinstance(w, Var) for w in row) for row in weight):
            raise TypeError(f"{caller}: expected a weight matrix, rows of Vars of one length")
    elif isinstance(weight, (list, Var)):
        raise ValueError(f"{caller}: fan in and fan out need a weight matrix (out_features, in_features), "
                         f"got {type_and_value(weight)}: a bias or a single Var has no fans")
    else:
        raise TypeError(f"{caller}: expected a weight matrix (a Tensor or rows of Vars), got {type_and_value(weight)}")
    if len(shape) != 2 or 0 in shape:
        raise ValueError(f"{caller}: fan in and fan out need a non-empty matrix, got shape {tuple(shape)}")
    return shape[1], shape[0]


def _fill(weight: Any, draw: Any) -> Any:
    """Set every weight, row by row, to ``draw()``, in place, and return ``weight``."""
    if isinstance(weight, Tensor):
        rows, cols = weight.data.shape
        weight.data = np.array([[draw() for _ in range(cols)] for _ in range(rows)])
    else:
        for row in weight:
            for w in row:
                w.data = draw()
    return weight


def _gain(gain: Any, caller: str) -> float:
    return real(gain, f"{caller}: gain")


def _kaiming_std(weight: Any, a: Any, mode: str, nonlinearity: str, caller: str) -> float:
    fan_in, fan_out = _fans(weight, caller)
    one_of(mode, f"{caller}: mode", ("fan_in", "fan_out"))
    gain = calculate_gain(nonlinearity, real(a, f"{caller}: a"))
    return gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def xavier_uniform_(weight: Any, gain: float = 1.0, *, rng: Seed = None) -> Any:
    """Xavier/Glorot: every weight from U(±gain·√(6/(fan_in + fan_out))), in place.

    For tanh (``gain=calculate_gain("tanh")``), sigmoid or no activation.
    ``weight`` is a layer's weight, shape (out_features, in_features): a
    Linear's rows of Vars or a Tensor. Drawn row by row from ``rng`` (a
    `random.Random`, an int seed, or None for `autodiff.manual_seed`'s).
    """
    fan_in, fan_out = _fans(weight, "xavier_uniform_")
    bound = _gain(gain, "xavier_uniform_") * math.sqrt(6.0 / (fan_in + fan_out))
    gen = as_generator(rng, "xavier_uniform_")
    return _fill(weight, lambda: gen.uniform(-bound, bound))


def xavier_normal_(weight: Any, gain: float = 1.0, *, rng: Seed = None) -> Any:
    """Xavier/Glorot: every weight from N(0, std²), std = gain·√(2/(fan_in + fan_out)), in place."""
    fan_in, fan_out = _fans(weight, "xavier_normal_")
    std = _gain(gain, "xavier_normal_") * math.sqrt(2.0 / (fan_in + fan_out))
    gen = as_generator(rng, "xavier_normal_")
    return _fill(weight, lambda: gen.gauss(0.0, std))


def kaiming_uniform_(weight: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     *, rng: Seed = None) -> Any:
    """He/Kaiming: every weight from U(±√3·gain/√fan), in place; for ReLU networks.

    gain = ``calculate_gain(nonlinearity, a)``: √2 for relu, and for the
    default leaky_relu with slope ``a = 0``. ``mode="fan_in"`` keeps the
    forward signal's variance, ``"fan_out"`` the backward gradient's.
    (``a=math.sqrt(5)`` gives bound 1/√fan_in: PyTorch's and `Linear`'s default.)
    """
    bound = math.sqrt(3.0) * _kaiming_std(weight, a, mode, nonlinearity, "kaiming_uniform_")
    gen = as_generator(rng, "kaiming_uniform_")
    return _fill(weight, lambda: gen.uniform(-bound, bound))


def kaiming_normal_(weight: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    *, rng: Seed = None) -> Any:
    """He/Kaiming: every weight from N(0, std²), std = gain/√fan, in place; for ReLU networks."""
    std = _kaiming_std(weight, a, mode, nonlinearity, "kaiming_normal_")
    gen = as_generator(rng, "kaiming_normal_")
    return _fill(weight, lambda: gen.gauss(0.0, std))


class Linear(Module):
    """y = W·x + b, with W of shape (out_features, in_features) as in PyTorch.

    Initialisation, as PyTorch's default: every weight and bias is drawn
    uniformly from [-1/√in_features, 1/√in_features], from ``rng`` (a
    `random.Random` or an int seed) or else the default generator
    (`autodiff.manual_seed`). Weights are drawn row by row, then the biases.

    A layer may have at most ``MAX_LINEAR_WEIGHTS`` (10,000,000) weights and
    biases; a larger one raises a ValueError before any is drawn (the
    tensor engine's Linear draws here too, so the cap is the same).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng: Seed = None) -> None:
        super().__init__()
        self.in_features, self.out_features, weight, biases = initial_weights(in_features, out_features, bias, rng)
        self.weight = [[Var(w) for w in row] for row in weight]
        self.bias: Optional[list[Var]] = [Var(b) for b in biases] if bias else None

    def forward(self, x: Any) -> Any:
        if _is_batch(_as_list(x), self):
            return [self._sample(row) for row in x]
        return self._sample(x)

    def _sample(self, x: Any) -> list[Var]:
        x = _as_list(x)
        if not isinstance(x, (list, tuple)) or len(x) != self.in_features:
            got = len(x) if isinstance(x, (list, tuple)) else type(x).__name__
            raise ValueError(f"{self!r}: expected {self.in_features} inputs per sample, got {got}")
        biases = self.bias if self.bias is not None else [0.0] * self.out_features
        # Each output is a neuron: b + w_1·x_1 + ... + w_n·x_n.
        return [sum((w * xi for w, xi in zip(row, x)), b) for row, b in zip(self.weight, biases)]

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class _Elementwise(Module):
    """An activation: the same op applied to every element."""

    op: ops.Op

    def forward(self, x: Any) -> Any:
        return _map_elements(self.op, x)


class ReLU(_Elementwise):
    """max(x, 0), elementwise."""

    op = ops.RELU


class Tanh(_Elementwise):
    """tanh(x), elementwise."""

    op = ops.TANH


class Sigmoid(_Elementwise):
    """1 / (1 + e^-x), elementwise."""

    op = ops.SIGMOID


class Identity(Module):
    """Returns its input unchanged."""

    def forward(self, x: Any) -> Any:
        return x


ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity,
}


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} must be a Module, got {type(m).__name__}")
        self.modules = list(modules)

    def named_children(self) -> list[tuple[str, Module]]:
        return [(str(i), m) for i, m in enumerate(self.modules)]

    def forward(self, x: Any) -> Any:
        for module in self.modules:
            x = module(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.modules[i]

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)


class MLP(Module):
    """A multi-layer perceptron: Linear layers with an activation between them.

    ``MLP(2, [16, 16, 1])`` is Linear(2, 16), ReLU, Linear(16, 16), ReLU,
    Linear(16, 1). The last layer is linear (no activation), so its outputs
    are scores (logits) for a loss to interpret.
    """

    def linear_layer(self, n_in: int, n_out: int, bias: bool, rng: Any) -> Module:
        """One Linear layer of the MLP (the tensor engine's MLP makes its own here)."""
        return Linear(n_in, n_out, bias=bias, rng=rng)

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 bias: bool = True, rng: Seed = None) -> None:
        super().__init__()
        one_of(activation, "MLP: activation", ACTIVATIONS)
        nouts = list(nouts) if isinstance(nouts, (list, tuple)) else nouts
        if not isinstance(nouts, list) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        gen = as_generator(rng, "MLP")
        sizes = [nin] + nouts
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(self.linear_layer(n_in, n_out, bias=bias, rng=gen))
            if i < len(nouts) - 1:
                layers.append(ACTIVATIONS[activation]())
        self.activation = activation
        self.layers = Sequential(*layers)

    def forward(self, x: Any) -> Any:
        return self.layers(x)
