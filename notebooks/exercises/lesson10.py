"""The exercises of lesson 10 · Optimizers and schedules (notebooks/10_optimizers_and_schedules.ipynb).

* `ex_momentum`: ``sgd_momentum_step(p, grad, buf, lr, momentum)``, one step of
  SGD with momentum, as ``torch.optim.SGD`` takes it;
* `ex_adam`: ``adam_step(p, grad, m, v, t, lr, beta1, beta2, eps)``, one step of Adam;
* `ex_cosine`: ``cosine_lr(base_lr, t, T, eta_min)``, the cosine schedule in closed form.

Where the expected values come from (never from running a solution):

* 10.1: worked out by hand in the comments next to each case, from PyTorch's
  rule b ← μ·b + g (b ← g on the first step, when there is no buffer yet),
  p ← p − γ·b.
* 10.2: `adam_reference`, Adam written here in the paper's form (Kingma and
  Ba, Algorithm 1), which is not how `autodiff.optim.Adam` arranges the
  arithmetic. (Its names are the paper's words, not the solution's, so that
  the student copy of this module does not hold the solution's lines.) The first-step cases can also be checked by hand: with
  m = v = 0 and t = 1, the bias-corrected means are m̂ = g and v̂ = g², so the
  step is γ·g / (|g| + eps), about γ·sign(g) whatever the size of g.
* 10.3: the closed form lr(t) = eta_min + (base − eta_min)·(1 + cos(πt/T))/2 at
  points where the cosine is known exactly (t = 0, T/4, T/3, T/2, T, 3T/2).
"""

from __future__ import annotations

import math

from widgets.exercise import Exercise

__all__ = ["ex_momentum", "ex_adam", "ex_cosine", "adam_reference"]


# ----------------------------------------------------------------------
# 10.1 · SGD with momentum
# ----------------------------------------------------------------------
ex_momentum = Exercise(
    "10.1 · One step of SGD with momentum",
    cases=[
        ((1.0, 0.5, None, 0.1, 0.9), (0.95, 0.5)),      # first step: b = g = 0.5; p = 1 − 0.1·0.5
        ((0.95, 0.5, 0.5, 0.1, 0.9), (0.855, 0.95)),    # b = 0.9·0.5 + 0.5 = 0.95; p = 0.95 − 0.095
        ((2.0, -1.0, 3.0, 0.01, 0.5), (1.995, 0.5)),    # b = 1.5 − 1 = 0.5; p = 2 − 0.005
        ((-1.0, 0.0, 4.0, 0.5, 0.9), (-2.8, 3.6)),      # no gradient, still moving: b = 3.6, p = −1 − 1.8
        ((0.0, 2.0, 1.0, 0.1, 0.0), (-0.2, 2.0)),       # momentum 0 is plain SGD: b = g
    ],
    hints=(
        "First the buffer, then the parameter. The buffer is a running sum of gradients: the old "
        "buffer times `momentum`, plus the gradient. The parameter moves against the buffer, not the "
        "gradient: p − lr·buffer.",
        "On the first step there is no buffer yet (`buf is None`): PyTorch starts it at the gradient "
        "itself. Return the pair (new p, new buffer).",
    ),
    solution=("def sgd_momentum_step(p, grad, buf, lr, momentum):\n"
              "    if buf is None:\n"
              "        new_buf = grad\n"
              "    else:\n"
              "        new_buf = momentum * buf + grad\n"
              "    return p - lr * new_buf, new_buf"),
)


# ----------------------------------------------------------------------
# 10.2 · Adam
# ----------------------------------------------------------------------
def adam_reference(p: float, grad: float, m: float, v: float, t: int, lr: float,
                   beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> tuple[float, float, float]:
    """One Adam step as the paper writes it: (new p, new first moment, new second moment)."""
    first = beta1 * m + (1 - beta1) * grad                 # biased first moment estimate
    second = beta2 * v + (1 - beta2) * grad * grad         # biased second raw moment estimate
    first_corrected = first / (1 - beta1 ** t)
    second_corrected = second / (1 - beta2 ** t)
    return p - lr * first_corrected / (math.sqrt(second_corrected) + eps), first, second


def _adam_cases() -> list:
    args = [
        (1.0, 1000.0, 0.0, 0.0, 1, 0.1),                   # first step: 1 − 0.1·sign(g), to 1e-12
        (1.0, 0.001, 0.0, 0.0, 1, 0.1),                    # a gradient a million times smaller: the same step
        (-2.0, -3.0, 0.0, 0.0, 1, 0.01),                   # a negative gradient: the parameter goes up
        (0.5, 0.2, 0.1, 0.04, 2, 0.05),                    # a second step, with m and v from before
        (0.5, -0.3, 0.2, 0.01, 10, 0.001, 0.8, 0.99),      # other betas, step 10
        (3.0, 0.0, 0.5, 0.25, 3, 0.1, 0.9, 0.999, 1e-6),   # no gradient: m still carries it along
    ]
    return [(a, adam_reference(*a)) for a in args]


ex_adam = Exercise(
    "10.2 · One step of Adam",
    cases=_adam_cases,
    hints=(
        "Update the two running means first: m, of the gradients, and v, of their squares. Each is its "
        "beta times the old value plus (1 − beta) times the new one: beta1 for m, beta2 for v.",
        "Correct their bias (they start at 0): divide m by 1 − beta1ᵗ and v by 1 − beta2ᵗ, where `t` "
        "is the step number, 1 on the first step.",
        "Then step by lr·m̂ / (√v̂ + eps), with eps outside the square root. Return the new p with the "
        "new running means m and v, not the corrected ones.",
    ),
    solution=("import math\n\n"
              "def adam_step(p, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):\n"
              "    m = beta1 * m + (1 - beta1) * grad\n"
              "    v = beta2 * v + (1 - beta2) * grad ** 2\n"
              "    m_hat = m / (1 - beta1 ** t)\n"
              "    v_hat = v / (1 - beta2 ** t)\n"
              "    return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v"),
)


# ----------------------------------------------------------------------
# 10.3 · The cosine schedule
# ----------------------------------------------------------------------
ex_cosine = Exercise(
    "10.3 · The cosine schedule, in closed form",
    cases=[
        ((0.1, 0, 10), 0.1),                                  # cos 0 = 1: the base lr
        ((0.1, 10, 10), 0.0),                                 # cos π = −1: eta_min
        ((0.1, 5, 10), 0.05),                                 # cos π/2 = 0: half way
        ((1.0, 2, 6, 0.1), 0.775),                            # cos π/3 = 1/2: 0.1 + 0.9·(1.5/2)
        ((1.0, 3, 12), (1 + math.sqrt(0.5)) / 2),             # cos π/4 = √2/2
        ((0.5, 15, 10), 0.25),                                # past T the cosine carries on: cos 3π/2 = 0
        ((0.2, 20, 10, 0.05), 0.2),                           # cos 2π = 1: back to the base lr at 2T
    ],
    hints=(
        "The formula is lr(t) = eta_min + (base_lr − eta_min)·(1 + cos(π·t/T))/2. `math.cos` and "
        "`math.pi` are in the `math` module.",
        "Check it at the ends: at t = 0 the cosine is 1 and lr is base_lr; at t = T it is −1 and lr is "
        "eta_min. Give `eta_min` the default 0.0 in the `def` line: some cases leave it out.",
    ),
    solution=("import math\n\n"
              "def cosine_lr(base_lr, t, T, eta_min=0.0):\n"
              "    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T)) / 2"),
)
