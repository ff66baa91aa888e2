"""What lessons 02, 03, 04, 08, 09 and 13 state, checked: each claim's fact, and that the lesson says it.

Each test computes the fact a lesson teaches (with the engine, numpy or
torch) and checks the lesson's text for the corrected statement, so that
neither the fact nor the sentence can drift.
"""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autodiff import Var, losses, topological_order

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def lesson(prefix: str):
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    return nbformat.read(path, as_version=4)


def markdown(prefix: str) -> str:
    return "\n".join(c.source for c in lesson(prefix).cells if c.cell_type == "markdown")


def output_of(prefix: str, code: str) -> str:
    """The printed output of the one code cell of a lesson that contains ``code``."""
    (cell,) = [c for c in lesson(prefix).cells if c.cell_type == "code" and code in c.source]
    return "".join(o.get("text", "") for o in cell.outputs)


# ---------------------------------------------------------------------------
# 02: automatic differentiation is exact up to rounding, not exact
# ---------------------------------------------------------------------------
def test_02_backward_is_exact_up_to_rounding():
    x = Var(0.1)
    (x * x * x).backward()
    rounded_once = float(3 * Fraction(0.1) ** 2)     # the true derivative at the float 0.1, rounded once
    assert x.grad != rounded_once                      # not exact ...
    assert abs(x.grad - rounded_once) == math.ulp(rounded_once)  # ... but one unit in the last place off
    assert "0.030000000000000006" in output_of("02", "(x * x * x).backward()")
    text = markdown("02")
    assert "exact *up to rounding*" in text and "gets every partial derivative exactly" not in text


# ---------------------------------------------------------------------------
# 03: micrograd's set of parents, and the lecture's a + a bug
# ---------------------------------------------------------------------------
class SetValue:
    """A micrograd-style value: parents in a set, a backward function per op."""

    def __init__(self, data, parents=(), accumulate=True):
        self.data, self.grad, self.parents = data, 0.0, set(parents)
        self.backward_step, self.accumulate = (lambda: None), accumulate

    def __add__(self, other):
        out = SetValue(self.data + other.data, (self, other), self.accumulate)

        def step():
            for operand in (self, other):            # both operands, even when they are one value
                operand.grad = operand.grad + out.grad if self.accumulate else out.grad
        out.backward_step = step
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):                                 # the set only feeds this sort
            if v not in seen:
                seen.add(v)
                for p in v.parents:
                    visit(p)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v.backward_step()


@pytest.mark.parametrize("accumulate, expected", [(True, 2.0), (False, 1.0)])
def test_03_a_set_of_parents_is_fine_and_equals_instead_of_plus_equals_is_the_bug(accumulate, expected):
    a = SetValue(2.0, accumulate=accumulate)
    y = a + a
    assert y.parents == {a}                           # the set lists a once
    y.backward()
    assert a.grad == expected                         # += gives 2; = (the lecture's bug) gives 1


def test_03_this_engine_keeps_both_edges_and_the_lesson_says_what_is_true():
    a = Var(2.0)
    y = a + a
    assert y.parents == (a, a)
    y.backward()
    assert a.grad == 2.0
    text = markdown("03")
    assert "where the second `a` disappears" not in text
    assert "only feeds its topological sort" in text and "`=` where `+=` belongs" in text


# ---------------------------------------------------------------------------
# 04: the chain-rule sum runs over edges (n, i), not over nodes
# ---------------------------------------------------------------------------
def chain_rule(root: Var, over_edges: bool) -> dict:
    """∂root/∂v for every node, summed over edges (n, i), or (wrongly) once per node n that uses v."""
    grads = {id(v): 0.0 for v in topological_order(root)}
    grads[id(root)] = 1.0
    for n in reversed(topological_order(root)):
        if not n.parents:
            continue
        local = n.op.local_derivatives(*[p.data for p in n.parents], n.data)
        done = set()
        for i, p in enumerate(n.parents):
            if over_edges or id(p) not in done:
                grads[id(p)] += grads[id(n)] * local[i]
                done.add(id(p))
    return grads


def test_04_summing_over_edges_is_backward_and_over_nodes_is_not():
    a, b = Var(3.0), Var(-2.0)
    L = a * a + a * b
    L.backward()
    assert chain_rule(L, over_edges=True)[id(a)] == a.grad == 2 * 3.0 + -2.0
    assert chain_rule(L, over_edges=False)[id(a)] == 3.0 + -2.0   # a·a counted once: half its share
    assert "over the edges, not over the nodes" in markdown("04")


# ---------------------------------------------------------------------------
# 08: forward_array before its use; the signal through ten layers
# ---------------------------------------------------------------------------
def test_08_forward_array_is_introduced_before_its_first_use():
    cells = lesson("08").cells
    first_use = next(k for k, c in enumerate(cells) if c.cell_type == "code" and "forward_array(" in c.source)
    introduced = next(k for k, c in enumerate(cells)
                      if c.cell_type == "markdown" and c.source.startswith("## Many points at once: `forward_array`"))
    assert introduced < first_use


def test_08_the_measured_table_shows_the_default_shrinking_and_he_keeping_the_signal():
    rows = [line.split() for line in output_of("08", "schemes = {").splitlines()[1:]]
    default, xavier, he = ([float(row[k]) for row in rows] for k in (1, 2, 3))
    assert len(rows) == 10
    assert 0.3 < default[0] < 0.4 and default[-1] < 3e-4       # the 0.34 -> ~1e-4
    assert 0.01 < xavier[-1] < 0.05                              # ÷√2 per layer
    assert all(0.7 < s < 1.2 for s in he)
    text = markdown("08")
    assert "do not blow their outputs up" not in text
    assert "nn.kaiming_normal_" in text and "vanishing gradients" in text and "lesson 12" in text


# ---------------------------------------------------------------------------
# 09: mean reduction fixes the gradient's scale, not its noise
# ---------------------------------------------------------------------------
def test_09_mean_reduction_keeps_the_scale_and_the_noise_falls_like_one_over_root_b():
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal(5_000)
    targets = (inputs + rng.standard_normal(5_000) > 0).astype(float)

    def batch_gradients(B, draws=300):
        grads = []
        for _ in range(draws):
            picked = rng.choice(len(inputs), size=B, replace=False)
            w = Var(0.5)
            losses.binary_cross_entropy_with_logits([w * v for v in inputs[picked].tolist()],
                                                    targets[picked].tolist()).backward()
            grads.append(w.grad)
        return np.array(grads)

    small, large = batch_gradients(2), batch_gradients(32)
    standard_error = math.hypot(small.std() / math.sqrt(len(small)), large.std() / math.sqrt(len(large)))
    assert abs(small.mean() - large.mean()) < 4 * standard_error       # the same scale
    assert 3.0 < small.std() / large.std() < 5.5                       # noise ÷ √16 = 4
    text = markdown("09")
    assert "neither does a good learning rate" not in text and "linear-scaling rule" in text


def test_09_teaches_log1p_with_the_numbers_it_shows():
    assert math.log(1 + math.exp(-40.0)) == 0.0 and math.log1p(math.exp(-40.0)) == 4.248354255291589e-18
    shown = output_of("09", "log1p(u)")
    assert "log(1 + u) = 0.0" in shown and shown.count("ours 4.248354255291589e-18") == 2
    assert "are exact for any score" not in markdown("09")


# ---------------------------------------------------------------------------
# 13: math.exp on a tensor: a float, and a warning that depends on the version
# ---------------------------------------------------------------------------
def test_13_math_exp_on_a_tensor_returns_a_float_and_warns_at_most_once():
    pytest.importorskip("torch")
    program = """
import math, warnings, torch
t = torch.tensor([0.5], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    results = [math.exp(t), math.exp(t * 2)]
print(all(type(r) is float for r in results), len(caught))
"""
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "True" and int(out[1]) <= 1     # a float, the graph lost; one warning at most (2.13: once)
    text = markdown("13b")
    assert "with only a warning" not in text and "depends on the PyTorch version" in text
