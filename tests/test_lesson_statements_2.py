"""What lessons 05, 11 and 12 state, checked: each claim's fact, and that the lesson says it.

As in test_lesson_statements.py (whose helpers these tests reuse), each test
computes the fact a lesson teaches, with the engine or with torch, and checks
the lesson's text and printed output for the corrected statement, and that
the wrong one is gone, so that neither the fact nor the sentence can drift.
"""

from __future__ import annotations

import numpy as np
import pytest

from autodiff import Var, no_grad, topological_order
from autodiff.data import make_moons
from autodiff.losses import hinge_loss, l2_penalty
from autodiff.nn import MLP
from autodiff.optim import Adam

from test_lesson_statements import markdown, output_of


def one_line(text: str) -> str:
    """``text`` with its line breaks and blockquote marks folded into spaces, to search prose."""
    return " ".join(line.lstrip("> ").strip() for line in text.splitlines())


# ---------------------------------------------------------------------------
# 05: a second call of a straightforward backward, and intermediate .grad
# ---------------------------------------------------------------------------
def straightforward_backward(root: Var) -> None:
    """Exercise 5.2's pass, adding straight into every node's .grad (micrograd's way)."""
    root.grad += 1.0
    for node in reversed(topological_order(root)):
        if node.parents:
            local = node.op.local_derivatives(*[p.data for p in node.parents], node.data)
            for parent, d in zip(node.parents, local):
                parent.grad += node.grad * d


def square_of_square() -> tuple[Var, Var, Var]:
    x = Var(2.0, label="x")
    y = x * x
    return x, y, y * y


def test_05_a_second_pass_is_wrong_only_through_the_intermediates_grad():
    x, y, L = square_of_square()
    straightforward_backward(L)
    assert (x.grad, y.grad) == (32.0, 8.0)                 # one pass on a fresh graph: right
    straightforward_backward(L)
    assert (x.grad, y.grad) == (128.0, 24.0)               # the leaf gets more than twice
    x, y, L = square_of_square()
    straightforward_backward(L)
    y.grad = L.grad = 0.0                                  # intermediates reset: clean buffers
    straightforward_backward(L)
    assert x.grad == 64.0                                  # the leaf exactly twice
    x, y, L = square_of_square()
    L.backward()
    L.backward()
    assert (x.grad, y.grad) == (64.0, 16.0)
    out = output_of("05", "def square_of_square")
    assert "x.grad = 128, y.grad = 24" in out
    assert "y and L reset:    x.grad = 64, y.grad = 8" in out
    assert "backward() twice:           x.grad = 64, y.grad = 16" in out


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_05_pytorch_keeps_only_the_leafs_grad_and_adds_it_exactly_twice():
    torch = pytest.importorskip("torch")
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    y = x * x
    L = y * y
    L.backward(retain_graph=True)
    L.backward()
    assert x.grad.item() == 64.0 and y.grad is None       # no intermediate .grad kept


def test_05_the_lesson_says_the_passing_answer_is_right_and_the_aside_is_about_intermediates():
    text = one_line(markdown("05"))
    assert "**Aside: your `my_backward`, called a second time.**" in text
    assert "it is right for what 5.2 asks: one pass over a fresh graph" in text
    assert "about the `.grad` of the *intermediate* nodes" in text
    assert ("it keeps no intermediate gradient in `.grad` "
            "(only a leaf's, unless you call `retain_grad()`)") in text
    assert "gets the second call wrong" not in text


def test_05_the_sum_runs_over_edges_and_a_times_a_gets_both_terms():
    a = Var(3.0)
    (a * a).backward()
    assert a.grad == 2 * 3.0                        # one node, two edges: two terms, not one
    text = one_line(markdown("05"))
    assert "over the edges, not over the nodes" in text and "(n, i)" in text
    assert r"\sum_{n \text{ uses } p}" not in text   # the old sum, over nodes


# ---------------------------------------------------------------------------
# 11: Adam's weight_decay is the L2 penalty with λ = wd/2; AdamW differs
# ---------------------------------------------------------------------------
def adam_three_ways(wd: float = 0.1, lr: float = 0.05, steps: int = 20) -> dict[str, list[float]]:
    """Parameters after Adam with weight_decay, Adam on loss + (wd/2)·Σp², and AdamW."""
    X, y = make_moons(16, noise=0.1, seed=0, labels=(-1, 1))
    nets = {kind: MLP(2, [8, 1], rng=0) for kind in ("weight_decay", "penalty", "decoupled")}
    optimizers = {kind: Adam(net.parameters(), lr=lr,
                             weight_decay=wd if kind == "weight_decay" else 0.0)
                  for kind, net in nets.items()}
    for _ in range(steps):
        for kind, net in nets.items():
            optimizers[kind].zero_grad()
            loss = hinge_loss(net(X), y)
            if kind == "penalty":
                loss = loss + l2_penalty(net.parameters(), wd / 2)
            loss.backward()
            if kind == "decoupled":
                for p in net.parameters():
                    p.data *= 1 - lr * wd
            optimizers[kind].step()
    return {kind: [p.data for p in net.parameters()] for kind, net in nets.items()}


def test_11_adam_weight_decay_is_the_penalty_and_adamw_is_not():
    params = adam_three_ways()
    gap = np.max(np.abs(np.subtract(params["weight_decay"], params["penalty"])))
    assert gap <= 1e-15
    assert np.max(np.abs(np.subtract(params["weight_decay"], params["decoupled"]))) > 0.1
    out = output_of("11", "largest_difference")
    (penalty_line,) = [line for line in out.splitlines() if "loss + penalty" in line]
    assert float(penalty_line.split(":")[1]) <= 1e-15
    (adamw_line,) = [line for line in out.splitlines() if "vs AdamW" in line]
    assert float(adamw_line.split(":")[1]) > 0.1


def test_11_in_torch_too_adam_weight_decay_is_the_penalty_and_shrink_then_adam_is_adamw():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    start = torch.randn(5, dtype=torch.float64)
    target = torch.randn(5, dtype=torch.float64)
    wd, lr = 0.1, 0.05

    def run(make, penalty=0.0, shrink=False):
        p = start.clone().requires_grad_(True)
        optimizer = make([p])
        for _ in range(20):
            optimizer.zero_grad()
            loss = ((p - target) ** 4).sum() + penalty * (p ** 2).sum()
            loss.backward()
            if shrink:
                with torch.no_grad():
                    p.mul_(1 - lr * wd)
            optimizer.step()
        return p.detach()

    weight_decay = run(lambda ps: torch.optim.Adam(ps, lr=lr, weight_decay=wd))
    penalised = run(lambda ps: torch.optim.Adam(ps, lr=lr), penalty=wd / 2)
    adamw = run(lambda ps: torch.optim.AdamW(ps, lr=lr, weight_decay=wd))
    shrink_then_adam = run(lambda ps: torch.optim.Adam(ps, lr=lr), shrink=True)
    assert (weight_decay - penalised).abs().max().item() <= 1e-15
    assert (adamw - shrink_then_adam).abs().max().item() <= 1e-15  # the lesson's AdamW is AdamW
    assert (weight_decay - adamw).abs().max().item() > 1e-3


def test_11_the_lesson_says_adam_weight_decay_is_the_penalty():
    text = one_line(markdown("11"))
    assert ("`Adam(..., weight_decay=wd)` is still exactly the L2 penalty with "
            "$\\lambda = \\text{wd}/2$") in text
    assert "**AdamW** is what differs" in text
    assert "For Adam the two are *not* the same thing" not in text
    assert "AdamW's decoupled decay is what differs: it is not an L2 penalty." in text


# ---------------------------------------------------------------------------
# 12: the factor per sigmoid layer is Wᵀ·diag(σ′) ≤ ‖W‖/4: gradients can explode
# ---------------------------------------------------------------------------
def sigmoid_layer_factor(W: np.ndarray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """∂h/∂x for h = σ(Wx + b), as the matrix the backward pass multiplies by (transposed)."""
    s = 1 / (1 + np.exp(-(W @ x + b)))
    return (W.T * (s * (1 - s))).T


def test_12_the_factor_is_bounded_by_the_norm_of_w_over_4_and_can_exceed_1():
    rng = np.random.default_rng(0)
    for scale in (0.3, 10.0):
        W = scale * rng.standard_normal((6, 6))
        x, b = rng.standard_normal(6), rng.standard_normal(6)
        J = sigmoid_layer_factor(W, x, b)
        assert np.linalg.norm(J, 2) <= np.linalg.norm(W, 2) / 4 + 1e-12
    W = np.array([[10.0]])                                       # large weight, z = 0
    assert sigmoid_layer_factor(W, np.array([0.5]), np.array([-5.0]))[0, 0] == 2.5
    for w, through_ten in ((1.0, 0.25 ** 10), (10.0, 2.5 ** 10)):
        h0 = Var(0.5)
        h = h0
        for _ in range(10):
            h = (w * h - w / 2).sigmoid()
        h.backward()
        assert h0.grad == through_ten
    out = output_of("12", "def gradient_through")
    assert "through 10 layers: 9.54e-07" in out and "through 10 layers: 9.54e+03" in out


def test_12_the_lesson_says_gradients_can_also_explode():
    text = markdown("12")
    assert "by a factor of 4 or more" not in text
    assert "stretches the gradient by at most $\\lVert W \\rVert / 4$" in text
    assert "With large weights it can grow instead" in text
    assert "### Gradients can explode, too" in text


# ---------------------------------------------------------------------------
# 12: no_grad for evaluation, detach as a stop-gradient
# ---------------------------------------------------------------------------
def test_12_no_grad_gives_the_same_loss_without_a_graph():
    X, y = make_moons(50, noise=0.1, seed=1, labels=(-1, 1))
    model = MLP(2, [12, 12, 1], rng=1)
    recorded = hinge_loss(model(X), y)
    with no_grad():
        evaluated = hinge_loss(model(X), y)
    assert recorded.data == evaluated.data
    assert len(topological_order(evaluated)) == 1 and len(topological_order(recorded)) > 10_000
    out = output_of("12", "recorded = hinge_loss")
    assert "in no_grad(): loss" in out and "nodes in its graph:      1" in out
    assert "the same loss, to the last bit: True" in out


def td(stop_gradient: bool, w: float = 0.4, s: float = 1.0, s_next: float = 2.0,
       r: float = 0.5, gamma: float = 0.9) -> float:
    wv = Var(w)
    target = r + gamma * (wv * s_next)
    if stop_gradient:
        target = target.detach()
    ((target - wv * s) ** 2).backward()
    return wv.grad


def test_12_detach_gives_the_semi_gradient_and_the_full_one_points_the_other_way():
    delta = 0.5 + 0.9 * 0.4 * 2.0 - 0.4
    assert td(True) == pytest.approx(-2 * delta * 1.0, abs=1e-15)
    assert td(False) == pytest.approx(-2 * delta * (1.0 - 0.9 * 2.0), abs=1e-15)
    assert td(True) < 0 < td(False)
    out = output_of("12", "def td_gradient")
    assert "dL/dw = -1.6400   (-2δs = -1.6400)" in out
    assert "dL/dw = +1.3120   (-2δ(s - γs') = +1.3120)" in out


def test_12_straight_through_keeps_the_rounded_value_and_the_identity_gradient():
    x = Var(0.7)
    q = x + (round(x.data) - x).detach()
    (3 * q).backward()
    assert (q.data, x.grad) == (1.0, 3.0)
    assert "q = 1, d(3q)/dx = 3" in output_of("12", "round(x.data) - x")
    text = one_line(markdown("12"))
    assert "## `no_grad` and `detach`: no graph, on purpose" in text
    assert "`v.detach()` is a new leaf with `v`'s value and no history" in text


def test_the_number_of_cross_checks_said_in_13b_and_the_readme_is_the_number_there_are():
    import re
    from pathlib import Path

    from autodiff.check.crosscheck import all_checks

    pytest.importorskip("torch")
    n = len(list(all_checks()))
    assert f"prints one row per check, {n} rows" in one_line(markdown("13b"))
    assert output_of("13b", "all_checks()").startswith(f"{n} checks; all pass: True")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"`(\d+) checks: (\d+) passed, 0 failed`", readme) == [(str(n), str(n))]
