"""The exercises of lesson 09 · Losses (notebooks/09_losses.ipynb).

* `ex_mse`: ``my_mse(pred, target)``, the mean squared error as a Var;
* `ex_log_sigmoid`: ``log_sigmoid(x)``, log σ(x) for any x, 1000 and -1000 too;
* `ex_hinge`: ``hinge(scores, labels)``, the mean max-margin loss;
* `ex_log_softmax`: ``log_softmax(logits)``, without overflow for logits like 1000.

The learner's functions work on Vars. The cases hold plain numbers; a wrapper
(the exercise's ``run``) turns the numbers the function differentiates with
respect to into fresh Vars, calls the function, runs ``backward()`` on what it
returned and reports the value(s) and the gradient as plain numbers. A
function that returns a float where a Var was expected has lost its graph,
and the report says so instead of showing a gradient.

Expected values never come from running a solution (the solutions here are
text, shown as the last rung of the hint ladder). They come from the formulas
of the lesson, evaluated on plain floats with `math`:

* MSE: L = (1/n)·Σ (p_i − t_i)², ∂L/∂p_i = (2/n)·(p_i − t_i);
* log σ(x) = −log(1 + e^(−x)) for x ≥ 0 and x − log(1 + e^x) for x < 0
  (`math.log1p`), ∂/∂x log σ(x) = 1 − σ(x) = σ(−x);
* hinge: L = (1/n)·Σ max(0, 1 − y_i·s_i), ∂L/∂s_i = −y_i/n where y_i·s_i < 1,
  else 0 (no case sits exactly on the margin, where the slope is a convention);
* log-softmax z_k − m − log Σ_j e^(z_j − m) with m = max z, and the gradient
  of −log_softmax(z)[0] (the cross-entropy of class 0): softmax(z) − onehot(0).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from autodiff import Var
from widgets.exercise import Exercise, computed_cases

from .common import kind, sigmoid

__all__ = ["ex_mse", "ex_log_sigmoid", "ex_hinge", "ex_log_softmax"]


# ----------------------------------------------------------------------
# What the learner's function did, as plain numbers
# ----------------------------------------------------------------------
def _lost(value: Any) -> str:
    return f"none: your function returned {kind(value)}, not a Var, so the graph is lost (did you use .data?)"


def _scalar_report(out: Any, inputs: Sequence[Var], key: str) -> dict:
    """{key: the value, "grad": ∂out/∂input for each input}, after out.backward()."""
    if not isinstance(out, Var):
        value = out if isinstance(out, (int, float)) and not isinstance(out, bool) else repr(out)
        return {key: value, "grad": _lost(out)}
    out.backward()
    return {key: out.data, "grad": [v.grad for v in inputs]}


# ----------------------------------------------------------------------
# 9.1 · my_mse
# ----------------------------------------------------------------------
def _run_mse(fn: Callable, pred: list, target: list) -> dict:
    pred_vars = [Var(p) for p in pred]
    return _scalar_report(fn(pred_vars, target), pred_vars, "loss")


def _expected_mse(pred: list, target: list) -> dict:
    n = len(pred)
    return {"loss": sum((p - t) ** 2 for p, t in zip(pred, target)) / n,
            "grad": [2.0 * (p - t) / n for p, t in zip(pred, target)]}


_MSE_CASES = [
    ([0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]),   # loss (0.25 + 4 + 1 + 1)/4 = 1.5625
    ([2.0], [0.0]),                                   # loss 4, gradient 2·2 = 4
    ([3.0, -3.0], [-1.0, 1.0]),                       # loss 16, gradient [4, -4]
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),               # a perfect prediction: loss 0, gradient 0
    ([0.1, 0.2, 0.3, 0.4, 0.5], [0.0, 0.0, 1.0, 1.0, 1.0]),
]

ex_mse = Exercise(
    "9.1 · The mean squared error",
    cases=computed_cases(_expected_mse, _MSE_CASES),
    run=_run_mse,
    hints=(
        "For each pair, the squared error is `(p - t) ** 2`; `zip(pred, target)` gives the pairs.",
        "Mean, not sum: divide the total by `len(pred)`. Use Var arithmetic throughout (no `.data`), "
        "so that the gradient reaches `pred`.",
    ),
    solution=(
        "def my_mse(pred, target):\n"
        "    return sum((p - t) ** 2 for p, t in zip(pred, target)) / len(pred)"
    ),
)


# ----------------------------------------------------------------------
# 9.2 · log_sigmoid
# ----------------------------------------------------------------------
def _run_log_sigmoid(fn: Callable, x: float) -> dict:
    x_var = Var(x)
    report = _scalar_report(fn(x_var), [x_var], "value")
    if isinstance(report["grad"], list):
        report["grad"] = report["grad"][0]
    return report


def _expected_log_sigmoid(x: float) -> dict:
    value = -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))
    return {"value": value, "grad": sigmoid(-x)}


_LOG_SIGMOID_POINTS = [0.0, 2.0, -3.0, 40.0, -40.0, 1000.0, -1000.0, 710.0, -710.0]
# abs_tol=0: log σ(40) = -4.25e-18 must come out as that, not as 0.0 (log of 1 + 4.25e-18,
# which rounds to 1): relative tolerance only, so the lesson's log1p is needed.

ex_log_sigmoid = Exercise(
    "9.2 · log σ(x), stable for any x",
    cases=computed_cases(_expected_log_sigmoid, _LOG_SIGMOID_POINTS),
    run=_run_log_sigmoid,
    abs_tol=0.0,
    hints=(
        "`x.sigmoid().log()` is right in exact arithmetic, but σ(-1000) is 0 as a float and log(0) is "
        "an error. Write log σ(x) with `exp` and `log` instead, and only ever call `exp` on a number ≤ "
        "0, so that it cannot overflow.",
        "For x ≥ 0: log σ(x) = −log(1 + e^(−x)). For x < 0, multiply the top and bottom of σ(x) = 1/(1 "
        "+ e^(−x)) by e^x: σ(x) = e^x/(1 + e^x), so log σ(x) = x − log(1 + e^x). Each has a log of 1 + "
        "something tiny at large |x|: at x = 40, log σ(x) is −4.25e-18, and log(1 + 4.25e-18) is 0. A Var "
        "has `log1p()`, as `math` has.",
        "Branch on the value, a plain number (`x.data`), not on the Var, and build each formula from "
        "Var ops (`exp`, `log1p`, unary minus), so that the gradient flows.",
    ),
    solution=(
        "def log_sigmoid(x):\n"
        "    if x.data >= 0:\n"
        "        return -(-x).exp().log1p()\n"
        "    return x - x.exp().log1p()"
    ),
)


# ----------------------------------------------------------------------
# 9.3 · hinge
# ----------------------------------------------------------------------
def _run_hinge(fn: Callable, scores: list, labels: list) -> dict:
    s = [Var(v) for v in scores]
    return _scalar_report(fn(s, labels), s, "loss")


def _expected_hinge(scores: list, labels: list) -> dict:
    n = len(scores)
    return {"loss": sum(max(0.0, 1.0 - y * s) for s, y in zip(scores, labels)) / n,
            "grad": [(-y / n if y * s < 1.0 else 0.0) for s, y in zip(scores, labels)]}


_HINGE_CASES = [
    ([0.5, -2.0, 3.0], [1, -1, -1]),          # margins 0.5, 2, -3: losses 0.5, 0, 4
    ([-0.25], [1]),                           # loss 1.25, slope -1
    ([2.0, 0.2, -0.7, 1.5], [1, 1, -1, -1]),  # losses 0, 0.8, 0.3, 2.5
    ([0.0, 0.0], [1, -1]),                    # score 0: loss 1 each
]

ex_hinge = Exercise(
    "9.3 · The hinge loss",
    cases=computed_cases(_expected_hinge, _HINGE_CASES),
    run=_run_hinge,
    hints=(
        "Per sample, the margin is `y * s`; the loss is max(0, 1 − margin). `(1 - y * s).relu()` is "
        "exactly that, as a Var.",
        "Average over the samples: `sum(...) / len(scores)`.",
    ),
    solution=(
        "def hinge(scores, labels):\n"
        "    return sum((1 - y * s).relu() for s, y in zip(scores, labels)) / len(scores)"
    ),
)


# ----------------------------------------------------------------------
# 9.4 · log_softmax
# ----------------------------------------------------------------------
def _run_log_softmax(fn: Callable, logits: list) -> dict:
    z = [Var(v) for v in logits]
    out = fn(z)
    if not isinstance(out, (list, tuple)) or not out:
        return {"values": repr(out), "grad": "none: expected a non-empty list of Vars"}
    values = [v.data if isinstance(v, Var) else v for v in out]
    if not isinstance(out[0], Var):
        return {"values": values, "grad": _lost(out[0])}
    (-out[0]).backward()
    return {"values": values, "grad": [v.grad for v in z]}


def _expected_log_softmax(logits: list) -> dict:
    m = max(logits)
    log_sum = math.log(math.fsum(math.exp(v - m) for v in logits))
    values = [v - m - log_sum for v in logits]
    softmax = [math.exp(v) for v in values]
    return {"values": values, "grad": [s - (1.0 if k == 0 else 0.0) for k, s in enumerate(softmax)]}


_LOG_SOFTMAX_CASES = [
    [2.0, 1.0, 0.1],
    [0.0, 0.0, 0.0, 0.0],                # every value log(1/4)
    [1000.0, 1001.0, 999.0],             # exp(1000) overflows
    [-1000.0, -1000.0],                  # exp(-1000) underflows to 0, and log(0 + 0) fails
    [5.0],                               # one class: probability 1, log 0
    [1000.0, 0.0, -1000.0],
    [-2.0, 0.5, 0.25, 3.0],
]

ex_log_softmax = Exercise(
    "9.4 · log-softmax without overflow",
    cases=computed_cases(_expected_log_softmax, _LOG_SOFTMAX_CASES),
    run=_run_log_softmax,
    hints=(
        "log softmax(z)_k = z_k − log Σ_j e^(z_j). The sum overflows for z_j = 1000; subtract the "
        "largest logit m first: log Σ_j e^(z_j) = m + log Σ_j e^(z_j − m).",
        "Take m as a plain number, the largest `.data` of the logits: every z_j − m is ≤ 0, so no exp "
        "overflows, and the largest term is e^0 = 1, so the sum is ≥ 1 and its log is safe.",
        "Build m + log Σ_j e^(z_j − m) once, with Var ops, and subtract it from every logit: the "
        "answer is a list of Vars, one per logit.",
    ),
    solution=(
        "def log_softmax(logits):\n"
        "    m = max(z.data for z in logits)\n"
        "    log_sum = m + sum((z - m).exp() for z in logits).log()\n"
        "    return [z - log_sum for z in logits]"
    ),
)
