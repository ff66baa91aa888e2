"""The exercises of lesson 11 · Regularization (notebooks/11_regularization.ipynb).

* `ex_l2`: ``l2(weights, lam)``, the L2 penalty λ·Σw²;
* `ex_weight_decay`: ``weight_decay_step(p, grad, lr, wd)``, one SGD step with weight decay;
* `ex_adamw`: ``adamw_step(p, grad, m, v, t, lr, wd, ...)``, one step of AdamW,
  whose decay is decoupled from the adaptive scaling;
* `ex_early_stopping` (optional): ``early_stopping(history, patience)``, the
  epoch training stops at, and the epoch whose weights it keeps.

Where the expected values come from (never from running a solution):

* 11.1, 11.2 and 11.4: worked out by hand, in the comment next to each case.
  The histories of 11.4 are small dicts written out here, shaped like
  ``Playground.history``; one (LATE) improves again after the patience runs
  out, so an answer that looks ahead (the lowest loss of all) fails.
* 11.3: PyTorch's order for AdamW, p ← p·(1 − lr·wd) and then the Adam step,
  with the Adam step from lesson 10's `adam_reference` (the paper's form).
  Its cases have gradients of very different sizes, where putting wd·p into
  the gradient (Adam's ``weight_decay``, an L2 penalty) gives another step.
"""

from __future__ import annotations

from widgets.exercise import Exercise

from .lesson10 import adam_reference

__all__ = ["ex_l2", "ex_weight_decay", "ex_adamw", "ex_early_stopping"]


# ----------------------------------------------------------------------
# 11.1 · The L2 penalty
# ----------------------------------------------------------------------
ex_l2 = Exercise(
    "11.1 · The L2 penalty",
    cases=[
        (([1.0, 2.0, 3.0], 0.1), 1.4),            # 0.1·(1 + 4 + 9)
        (([-3.0], 0.5), 4.5),                     # a negative weight counts as much: 0.5·9
        (([0.5, -0.5, 2.0], 0.0), 0.0),           # λ = 0: no penalty
        (([1000.0, 0.001], 1e-4), 100.0000000001),  # 1e-4·(1e6 + 1e-6)
        (([], 0.5), 0.0),                         # no weights, nothing to pay
    ],
    hints=(
        "Square every weight, add the squares up, and multiply the sum by `lam`.",
        "A generator expression inside `sum` adds up the squares; multiply by `lam` once, outside the "
        "sum. (`w * w` rather than `w ** 2` works on a Var too, with the cheapest op.)",
    ),
    solution=("def l2(weights, lam):\n"
              "    return lam * sum(w * w for w in weights)"),
)


# ----------------------------------------------------------------------
# 11.2 · Weight decay
# ----------------------------------------------------------------------
ex_weight_decay = Exercise(
    "11.2 · One SGD step with weight decay",
    cases=[
        ((1.0, 0.0, 0.1, 0.5), 0.95),         # no gradient: the weight shrinks by 1 − 0.1·0.5
        ((-4.0, 0.0, 0.5, 0.1), -3.8),        # shrinks towards 0 from below too: −4·(1 − 0.05)
        ((2.0, 1.0, 0.1, 0.01), 1.898),       # 2 − 0.1·(1 + 0.01·2)
        ((3.0, -2.0, 0.01, 0.0), 3.02),       # wd = 0: plain SGD, 3 − 0.01·(−2)
        ((0.0, 5.0, 0.2, 0.3), -1.0),         # a zero weight has nothing to decay: 0 − 0.2·5
    ],
    hints=(
        "Weight decay adds `wd * p` to the gradient before the usual step: the gradient of the penalty "
        "(wd/2)·p², without computing the penalty at all.",
        "So the step is the usual SGD step, p − lr·g, with g the gradient plus wd·p. Check it with a "
        "zero gradient: the weight only shrinks, by the factor 1 − lr·wd.",
    ),
    solution=("def weight_decay_step(p, grad, lr, wd):\n"
              "    return p - lr * (grad + wd * p)"),
)


# ----------------------------------------------------------------------
# 11.3 · One step of AdamW
# ----------------------------------------------------------------------
def _adamw_case(p: float, grad: float, m: float, v: float, t: int, lr: float, wd: float, *rest: float) -> tuple:
    """PyTorch's AdamW: shrink p by the factor 1 − lr·wd, then take lesson 10's Adam step from there."""
    return (p, grad, m, v, t, lr, wd, *rest), adam_reference(p * (1 - lr * wd), grad, m, v, t, lr, *rest)


ex_adamw = Exercise(
    "11.3 · One step of AdamW",
    cases=[
        _adamw_case(1.0, 0.5, 0.0, 0.0, 1, 0.1, 0.1),            # first step: p·0.99, then −0.1·sign(g)
        _adamw_case(2.0, 0.0, 0.0, 0.0, 1, 0.1, 0.5),            # no gradient ever: only the decay, 2·0.95
        _adamw_case(-1.0, 1e-3, 0.0, 0.0, 1, 0.01, 0.1),         # a tiny gradient: the decay is not scaled by it
        _adamw_case(0.5, 0.2, 0.1, 0.04, 2, 0.05, 0.01),         # a second step, m and v from before
        _adamw_case(3.0, -2.0, 0.5, 0.25, 10, 0.001, 0.1, 0.8, 0.99),   # other betas, step 10
        _adamw_case(1.5, 4.0, 0.0, 0.0, 1, 0.1, 0.0),            # wd = 0: plain Adam
    ],
    hints=(
        "AdamW is lesson 10's Adam step with one change: the decay does not go into the gradient. "
        "The gradient, untouched, updates the running means m and v, and the Adam step is computed "
        "from them as before.",
        "The decay acts on the parameter directly, outside the adaptive scaling: p shrinks by the "
        "factor 1 − lr·wd, then the Adam step is subtracted. Put wd·p into the gradient instead, and "
        "it is divided by √v̂ with the rest: that is Adam's `weight_decay`, the L2 penalty, not AdamW.",
        "Return the new p with the new running means m and v (not the bias-corrected ones), as in "
        "10.2.",
    ),
    solution=("import math\n\n"
              "def adamw_step(p, grad, m, v, t, lr, wd, beta1=0.9, beta2=0.999, eps=1e-8):\n"
              "    p = p * (1 - lr * wd)                 # decoupled: the decay never meets m or v\n"
              "    m = beta1 * m + (1 - beta1) * grad\n"
              "    v = beta2 * v + (1 - beta2) * grad ** 2\n"
              "    m_hat = m / (1 - beta1 ** t)\n"
              "    v_hat = v / (1 - beta2 ** t)\n"
              "    return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v"),
)


# ----------------------------------------------------------------------
# 11.4 · Early stopping with patience
# ----------------------------------------------------------------------
class History(dict):
    """A history dict that shows itself briefly in a counterexample."""

    def __repr__(self) -> str:
        return "{'test_loss': " + repr(self["test_loss"]) + ", ...}"


def _history(test_loss: list) -> History:
    n = len(test_loss)
    return History(epoch=list(range(1, n + 1)), train_loss=[1.0 / k for k in range(1, n + 1)],
                   test_loss=list(test_loss), train_acc=[0.5] * n, test_acc=[0.5] * n)


OVERFIT = _history([0.62, 0.45, 0.5, 0.9])
STEADY = _history([0.72, 0.52, 0.47])
LATE = _history([1.0, 0.8, 0.85, 0.9, 0.7, 0.6])
TIE = _history([0.6, 0.4, 0.5, 0.4, 0.7])
ONE_EPOCH = _history([1.0])

ex_early_stopping = Exercise(
    "11.4 (optional) · Early stopping with patience",
    cases=[
        ((OVERFIT, 2), (4, 2)),       # best 0.45 at epoch 2; epochs 3 and 4 no better: stop at 4
        ((OVERFIT, 1), (3, 2)),       # one epoch without improvement is enough: stop at 3
        ((STEADY, 1), (3, 3)),        # still improving at the end: never stops early
        ((LATE, 2), (4, 2)),          # stops at 4, before the later, lower losses at 5 and 6
        ((LATE, 3), (6, 6)),          # with more patience it sees epoch 5 improve, and runs to the end
        ((TIE, 2), (4, 2)),           # 0.4 again at epoch 4 is no improvement: stop at 4, keep 2
        ((ONE_EPOCH, 3), (1, 1)),
    ],
    hints=(
        "Go through the test losses epoch by epoch, as training would, keeping the best loss so far "
        "and its epoch. You may not look ahead: at epoch k you know only epochs 1 to k.",
        "An epoch improves only if its loss is strictly below the best so far (a tie is no "
        "improvement). Count the epochs since the last improvement; when that count reaches "
        "`patience`, training stops at this epoch.",
        "Return the pair (the epoch training stops at, the best epoch so far): the epoch whose weights "
        "early stopping keeps. If the count never reaches `patience`, training runs to the last epoch. "
        "Epoch numbers come from `history[\"epoch\"]` and count from 1.",
    ),
    solution=("def early_stopping(history, patience):\n"
              "    best_loss, best_epoch, waited = float(\"inf\"), None, 0\n"
              "    for epoch, loss in zip(history[\"epoch\"], history[\"test_loss\"]):\n"
              "        if loss < best_loss:\n"
              "            best_loss, best_epoch, waited = loss, epoch, 0\n"
              "        else:\n"
              "            waited += 1\n"
              "            if waited == patience:\n"
              "                return epoch, best_epoch\n"
              "    return history[\"epoch\"][-1], best_epoch"),
)
