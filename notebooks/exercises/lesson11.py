"""The exercises of lesson 11 · Regularization (notebooks/11_regularization.ipynb).

* `ex_l2`: ``l2(weights, lam)``, the L2 penalty λ·Σw²;
* `ex_weight_decay`: ``weight_decay_step(p, grad, lr, wd)``, one SGD step with weight decay;
* `ex_gap`: ``train_test_gap(history)``, how much worse the last epoch does on the test set;
* `ex_best_epoch` (optional): ``best_epoch(history)``, the epoch early stopping would keep.

Every expected value is worked out by hand, in the comment next to its case:
the formulas are short enough that no reference code is needed. The histories
are small dicts written out here, shaped like ``Playground.history``.
"""

from __future__ import annotations

from widgets.exercise import Exercise

__all__ = ["ex_l2", "ex_weight_decay", "ex_gap", "ex_best_epoch"]


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
# 11.3 · The train/test gap, and 11.4 · the best epoch
# ----------------------------------------------------------------------
class History(dict):
    """A history dict that shows itself briefly in a counterexample."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in self.items() if k in ("train_loss", "test_loss")) + ", ...}"


def _history(train_loss: list, test_loss: list) -> History:
    n = len(train_loss)
    return History(epoch=list(range(1, n + 1)), train_loss=list(train_loss), test_loss=list(test_loss),
                   train_acc=[0.5] * n, test_acc=[0.5] * n)


OVERFIT = _history([0.6, 0.4, 0.2, 0.05], [0.62, 0.45, 0.5, 0.9])
STEADY = _history([0.7, 0.5, 0.45], [0.72, 0.52, 0.47])
BETTER_ON_TEST = _history([0.5, 0.4], [0.45, 0.3])
ONE_EPOCH = _history([0.25], [1.0])
TIE = _history([0.6, 0.5, 0.4, 0.3, 0.2], [0.6, 0.4, 0.5, 0.4, 0.7])

ex_gap = Exercise(
    "11.3 · The train/test gap",
    cases=[
        ((OVERFIT,), 0.85),           # 0.9 − 0.05, at the last epoch (not the first, 0.02)
        ((STEADY,), 0.02),            # 0.47 − 0.45
        ((BETTER_ON_TEST,), -0.1),    # 0.3 − 0.4: a lucky test set gives a negative gap
        ((ONE_EPOCH,), 0.75),         # 1.0 − 0.25
    ],
    hints=(
        "`history[\"test_loss\"]` and `history[\"train_loss\"]` are lists with one loss per epoch; the "
        "last epoch's is at index `-1`.",
        "Test minus train, both at the last epoch: a model that does worse on the test set then has a "
        "positive gap.",
    ),
    solution=("def train_test_gap(history):\n"
              "    return history[\"test_loss\"][-1] - history[\"train_loss\"][-1]"),
)

ex_best_epoch = Exercise(
    "11.4 (optional) · The best epoch",
    cases=[
        ((OVERFIT,), 2),              # test losses 0.62, 0.45, 0.5, 0.9: lowest at epoch 2
        ((STEADY,), 3),               # still improving at the end
        ((ONE_EPOCH,), 1),
        ((TIE,), 2),                  # 0.4 at epochs 2 and 4: the first one
    ],
    hints=(
        "Find the index of the smallest value of `history[\"test_loss\"]`, then return the "
        "epoch number at that index, `history[\"epoch\"][i]` (epochs count from 1, indices from 0).",
        "`losses.index(min(losses))` gives the first index of the smallest loss, so a tie goes "
        "to the earlier epoch.",
    ),
    solution=("def best_epoch(history):\n"
              "    losses = history[\"test_loss\"]\n"
              "    return history[\"epoch\"][losses.index(min(losses))]"),
)
