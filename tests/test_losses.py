"""autodiff.losses: values and gradients against torch (float64), stability, class forms, errors."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autodiff import Var, losses
from autodiff.optim import SGD

REL = 1e-12


def close(ours, theirs, rel=REL):
    if isinstance(theirs, (list, tuple)):
        return len(ours) == len(theirs) and all(close(a, b, rel) for a, b in zip(ours, theirs))
    return abs(ours - theirs) <= rel * abs(theirs) or ours == theirs


def val(x):
    """The value of a loss: a Var, or a float when no input was a Var (nothing to differentiate)."""
    return x.data if isinstance(x, Var) else x


def t64(values, grad=False):
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


SCORES = [0.3, -1.2, 2.5, 0.01, -35.0, 40.0, -0.7]
PROBS = [0.3, 0.9, 0.5, 0.01, 0.999, 0.2, 0.65]
SIGNS = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, -1.0]
BITS = [1.0, 0.0, 1.0, 0.0, 1.0, 0.25, 0.0]
TARGETS = [0.5, -1.0, 2.0, 0.0, -30.0, 41.5, 3.0]


def torch_hinge(s, y, reduction):
    terms = torch.clamp(1 - y * s, min=0)
    return terms if reduction == "none" else getattr(terms, reduction)()


CASES = {
    "mse": (losses.mse_loss, F.mse_loss, SCORES, TARGETS),
    "bce": (losses.binary_cross_entropy, F.binary_cross_entropy, PROBS, BITS),
    "bce_logits": (losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, SCORES, BITS),
    "hinge": (losses.hinge_loss, torch_hinge, SCORES, SIGNS),
}
# a weight per term, so that 'none' is checked term by term through backward
WEIGHTS = [1.0, -2.0, 0.5, 3.0, 1.5, -0.25, 2.0]


def _run(ours_fn, torch_fn, inputs, targets, reduction, wrap=lambda v: v, twrap=lambda t: t):
    ours = [Var(v) for v in inputs]
    loss = ours_fn(wrap(ours), wrap(targets), reduction=reduction)
    x = t64(inputs, grad=True)
    t_loss = torch_fn(twrap(x), twrap(t64(targets)), reduction=reduction)
    if reduction == "none":
        assert isinstance(loss, list) and len(loss) == len(inputs)
        sum((w * term for w, term in zip(WEIGHTS, loss)), Var(0.0)).backward()
        (t_loss.flatten() * t64(WEIGHTS)).sum().backward()
        assert close([term.data for term in loss], t_loss.flatten().tolist())
    else:
        assert isinstance(loss, Var)
        loss.backward()
        t_loss.backward()
        assert close(loss.data, t_loss.item())
    assert close([v.grad for v in ours], x.grad.flatten().tolist())
    return loss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", list(CASES))
def test_loss_matches_torch(case, reduction):
    _run(*CASES[case], reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", list(CASES))
def test_loss_on_b_by_1_inputs_matches_torch(case, reduction):
    column = lambda v: [[item] for item in v]  # noqa: E731
    _run(*CASES[case], reduction, wrap=column, twrap=lambda t: t.reshape(-1, 1))


@pytest.mark.parametrize("case", list(CASES))
def test_default_reduction_is_mean(case):
    ours_fn, torch_fn, inputs, targets = CASES[case]
    assert close(val(ours_fn(inputs, targets)), torch_fn(t64(inputs), t64(targets), reduction="mean").item())


@pytest.mark.parametrize("case", list(CASES))
def test_loss_accepts_numpy_and_plain_numbers(case):
    ours_fn, torch_fn, inputs, targets = CASES[case]
    expected = torch_fn(t64(inputs), t64(targets), reduction="sum").item()
    assert close(val(ours_fn(np.array(inputs), np.array(targets), reduction="sum")), expected)
    assert close(val(ours_fn(np.array(inputs).reshape(-1, 1), targets, reduction="sum")), expected)
    single = torch_fn(t64(inputs[:1]), t64(targets[:1]), reduction="sum").item()
    assert close(val(ours_fn(inputs[0], targets[0], reduction="sum")), single)


def test_mse_by_hand():
    assert val(losses.mse_loss([1.0, 2.0], [0.0, 5.0])) == (1.0 + 9.0) / 2
    assert val(losses.mse_loss([1.0, 2.0], [0.0, 5.0], reduction="sum")) == 10.0
    x = Var(3.0)
    losses.mse_loss([x], [1.0]).backward()
    assert x.grad == 4.0


def test_hinge_by_hand():
    # margins y·s: 2 (no loss), 0.5 (0.5), -1 (2)
    loss = losses.hinge_loss([2.0, -0.5, 1.0], [1, -1, -1], reduction="none")
    assert [val(t) for t in loss] == [0.0, 0.5, 2.0]


# ----------------------------------------------------------------------
# Cross-entropy
# ----------------------------------------------------------------------
LOGITS = [[0.2, -1.0, 3.0], [100.0, 0.0, -50.0], [1.0, 1.0, 1.0], [-2.0, 0.5, 0.25]]
CLASSES = [2, 1, 0, 1]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(reduction):
    ours = [[Var(v) for v in row] for row in LOGITS]
    loss = losses.cross_entropy(ours, CLASSES, reduction=reduction)
    theirs = t64(LOGITS, grad=True)
    t_loss = F.cross_entropy(theirs, torch.tensor(CLASSES), reduction=reduction)
    if reduction == "none":
        assert close([t.data for t in loss], t_loss.tolist())
        sum((w * t for w, t in zip(WEIGHTS, loss)), Var(0.0)).backward()
        (t_loss * t64(WEIGHTS[:4])).sum().backward()
    else:
        assert close(loss.data, t_loss.item())
        loss.backward()
        t_loss.backward()
    assert close([[v.grad for v in row] for row in ours], theirs.grad.tolist())


def test_cross_entropy_single_sample_and_numpy():
    row = [0.5, -1.5, 2.0, 0.0]
    x = [Var(v) for v in row]
    loss = losses.cross_entropy(x, 3)
    loss.backward()
    t = t64(row, grad=True)
    t_loss = F.cross_entropy(t, torch.tensor(3))
    t_loss.backward()
    assert close(loss.data, t_loss.item())
    assert close([v.grad for v in x], t.grad.tolist())
    expected = F.cross_entropy(t64(LOGITS), torch.tensor(CLASSES)).item()
    assert close(val(losses.cross_entropy(np.array(LOGITS), np.array(CLASSES))), expected)
    assert close(val(losses.cross_entropy(LOGITS, tuple(CLASSES))), expected)


def test_cross_entropy_with_logits_1000_apart():
    logits = [[1000.0, 0.0], [0.0, 1000.0], [-1000.0, 1000.0]]
    classes = [0, 0, 1]
    ours = [[Var(v) for v in row] for row in logits]
    loss = losses.cross_entropy(ours, classes, reduction="sum")
    loss.backward()
    theirs = t64(logits, grad=True)
    t_loss = F.cross_entropy(theirs, torch.tensor(classes), reduction="sum")
    t_loss.backward()
    assert loss.data == t_loss.item() == 1000.0   # 0 + 1000 + 0
    assert [[v.grad for v in row] for row in ours] == theirs.grad.tolist() == [[0.0, 0.0], [-1.0, 1.0], [0.0, 0.0]]


# ----------------------------------------------------------------------
# Numerical stability
# ----------------------------------------------------------------------
def test_bce_at_zero_and_one_is_finite_and_equals_torch():
    p, y = [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]
    loss = losses.binary_cross_entropy([Var(v) for v in p], y, reduction="none")
    expected = F.binary_cross_entropy(t64(p), t64(y), reduction="none").tolist()
    assert [t.data for t in loss] == expected == [100.0, 100.0, 0.0, 0.0]
    total = losses.binary_cross_entropy([Var(v) for v in p], y)
    assert math.isfinite(total.data) and total.data == 50.0
    xs = [Var(v) for v in p]
    losses.binary_cross_entropy(xs, y, reduction="sum").backward()
    assert all(math.isfinite(v.grad) for v in xs)


def test_bce_log_is_clamped_at_minus_100_like_torch():
    # log(1e-50) = -115.1 is clamped to -100; log(1e-40) = -92.1 is not
    for p in (1e-50, 1e-40):
        ours = val(losses.binary_cross_entropy([p], [1.0]))
        assert close(ours, F.binary_cross_entropy(t64([p]), t64([1.0])).item())
    assert val(losses.binary_cross_entropy([1e-50], [1.0])) == 100.0
    assert close(val(losses.binary_cross_entropy([1e-40], [1.0])), -math.log(1e-40))


@pytest.mark.parametrize("x", [1000.0, -1000.0, 750.0, -750.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_with_logits_at_huge_logits(x, y):
    v = Var(x)
    loss = losses.binary_cross_entropy_with_logits([v], [y], reduction="sum")
    loss.backward()
    t = t64([x], grad=True)
    t_loss = F.binary_cross_entropy_with_logits(t, t64([y]), reduction="sum")
    t_loss.backward()
    assert math.isfinite(loss.data) and math.isfinite(v.grad)
    assert close(loss.data, t_loss.item())
    # softplus(x) - x·y: x·(1 - y) for x ≫ 0, -x·y for x ≪ 0
    assert loss.data == (x * (1 - y) if x > 0 else -x * y)
    assert v.grad == torch.sigmoid(t64(x)).item() - y


def test_bce_with_logits_equals_bce_of_sigmoid():
    xs = [-3.0, -0.2, 0.0, 0.4, 5.0]
    ys = [0.0, 1.0, 0.5, 1.0, 0.0]
    probs = [1 / (1 + math.exp(-x)) for x in xs]
    assert close(val(losses.binary_cross_entropy_with_logits(xs, ys)),
                 F.binary_cross_entropy(t64(probs), t64(ys)).item(), rel=1e-12)


# ----------------------------------------------------------------------
# Class forms
# ----------------------------------------------------------------------
@pytest.mark.parametrize("cls, fn, inputs, targets", [
    (losses.MSELoss, losses.mse_loss, SCORES, TARGETS),
    (losses.BCELoss, losses.binary_cross_entropy, PROBS, BITS),
    (losses.BCEWithLogitsLoss, losses.binary_cross_entropy_with_logits, SCORES, BITS),
    (losses.HingeLoss, losses.hinge_loss, SCORES, SIGNS),
    (losses.CrossEntropyLoss, losses.cross_entropy, LOGITS, CLASSES),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_forms_equal_the_functions(cls, fn, inputs, targets, reduction):
    def grads(call):
        xs = [[Var(v) for v in row] if isinstance(row, list) else Var(row) for row in inputs]
        out = call(xs)
        terms = out if isinstance(out, list) else [out]
        sum((w * t for w, t in zip(WEIGHTS, terms)), Var(0.0)).backward()
        flat = [v for row in xs for v in (row if isinstance(row, list) else [row])]
        return [t.data for t in terms], [v.grad for v in flat]

    module = cls(reduction=reduction)
    assert module.reduction == reduction
    assert grads(lambda xs: module(xs, targets)) == grads(lambda xs: fn(xs, targets, reduction))
    assert grads(lambda xs: cls()(xs, targets)) == grads(lambda xs: fn(xs, targets))


def test_class_forms_reject_bad_reduction():
    for cls in (losses.MSELoss, losses.BCELoss, losses.BCEWithLogitsLoss, losses.HingeLoss,
                losses.CrossEntropyLoss):
        with pytest.raises(ValueError) as info:
            cls(reduction="avg")
        assert "avg" in str(info.value) and "mean" in str(info.value)


# ----------------------------------------------------------------------
# L2 penalty
# ----------------------------------------------------------------------
def test_l2_penalty_value_and_gradient():
    values = [0.5, -1.5, 2.0, 0.0]
    ps = [Var(v) for v in values]
    penalty = losses.l2_penalty(ps, 0.1)
    assert close(penalty.data, 0.1 * (0.25 + 2.25 + 4.0))
    penalty.backward()
    t = t64(values, grad=True)
    (0.1 * (t * t).sum()).backward()
    assert close([p.grad for p in ps], t.grad.tolist())
    assert close([p.grad for p in ps], [2 * 0.1 * v for v in values])
    assert losses.l2_penalty(ps, 0).data == 0.0
    assert losses.l2_penalty(iter(ps), 1.0).data == 0.25 + 2.25 + 4.0


@pytest.mark.parametrize("wd", [0.01, 0.3])
def test_l2_penalty_half_wd_matches_sgd_weight_decay(wd):
    start = [0.37, -1.21, 2.5, 0.004]
    lr = 0.1

    def objective(ps):
        return ((ps[0] * ps[1] - 1) ** 2 + ps[2].tanh() * ps[3]).sin()

    a = [Var(v) for v in start]
    opt = SGD(a, lr=lr, weight_decay=wd)
    objective(a).backward()
    opt.step()
    b = [Var(v) for v in start]
    opt = SGD(b, lr=lr)
    (objective(b) + losses.l2_penalty(b, wd / 2)).backward()
    opt.step()
    assert close([p.data for p in b], [p.data for p in a])
    # and both equal torch.optim.SGD(weight_decay=wd)
    t = t64(start, grad=True)
    t_opt = torch.optim.SGD([t], lr=lr, weight_decay=wd, foreach=False)
    objective(t).backward()
    t_opt.step()
    assert close([p.data for p in b], t.tolist())
    assert [p.data for p in a] != start


# ----------------------------------------------------------------------
# Bad inputs
# ----------------------------------------------------------------------
ALL_BINARY = [losses.mse_loss, losses.binary_cross_entropy, losses.binary_cross_entropy_with_logits,
              losses.hinge_loss]


@pytest.mark.parametrize("fn", ALL_BINARY)
def test_length_mismatch(fn):
    with pytest.raises(ValueError) as info:
        fn([0.5, 0.5, 0.5], [1.0, 1.0])
    assert "3" in str(info.value) and "2" in str(info.value) and fn.__name__ in str(info.value)


@pytest.mark.parametrize("fn", ALL_BINARY)
def test_empty(fn):
    with pytest.raises(ValueError, match="empty"):
        fn([], [])
    with pytest.raises(ValueError, match="empty"):
        fn([0.5], [])


@pytest.mark.parametrize("fn", ALL_BINARY)
def test_bad_reduction(fn):
    with pytest.raises(ValueError) as info:
        fn([0.5], [1.0], reduction="avg")
    assert "avg" in str(info.value) and "mean" in str(info.value) and "none" in str(info.value)


@pytest.mark.parametrize("fn", ALL_BINARY)
@pytest.mark.parametrize("bad, exc", [("0.5", TypeError), (None, TypeError), (True, TypeError),
                                      (float("nan"), ValueError), (float("inf"), ValueError)])
def test_non_number_input(fn, bad, exc):
    with pytest.raises(exc, match=r"input\[1\]"):
        fn([0.5, bad], [1.0, 1.0])


@pytest.mark.parametrize("fn", ALL_BINARY)
def test_two_values_per_sample(fn):
    with pytest.raises(ValueError, match=r"input\[0\] has 2 values"):
        fn([[0.5, 0.5]], [1.0])


@pytest.mark.parametrize("label", [0, 2, 0.5, -2.0])
def test_hinge_labels_must_be_plus_or_minus_one(label):
    with pytest.raises(ValueError) as info:
        losses.hinge_loss([0.1, 0.2, 0.3], [1, -1, label])
    message = str(info.value)
    assert "target[2]" in message
    assert str(label) in message
    assert "-1" in message and "+1" in message


@pytest.mark.parametrize("p", [-0.1, 1.5, 1.0000000000000002])
def test_bce_probability_outside_0_1(p):
    with pytest.raises(ValueError) as info:
        losses.binary_cross_entropy([0.5, p], [1.0, 0.0])
    assert "input[1]" in str(info.value) and repr(p) in str(info.value)
    with pytest.raises(RuntimeError):  # torch refuses too
        F.binary_cross_entropy(t64([0.5, p]), t64([1.0, 0.0]))


@pytest.mark.parametrize("fn", [losses.binary_cross_entropy, losses.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("y", [-0.5, 1.5])
def test_bce_target_outside_0_1(fn, y):
    with pytest.raises(ValueError, match=r"target\[1\]"):
        fn([0.5, 0.5], [1.0, y])


@pytest.mark.parametrize("bad", [3, -1, 10])
def test_cross_entropy_class_out_of_range(bad):
    with pytest.raises(IndexError) as info:
        losses.cross_entropy(LOGITS, [2, bad, 0, 1])
    assert "target[1]" in str(info.value) and str(bad) in str(info.value) and "3 classes" in str(info.value)
    with pytest.raises(IndexError):
        losses.cross_entropy([0.1, 0.2], bad)


@pytest.mark.parametrize("bad", [1.5, "1", True, None, [1]])
def test_cross_entropy_class_not_an_int(bad):
    with pytest.raises(TypeError, match=r"target\[2\]"):
        losses.cross_entropy(LOGITS, [2, 1, bad, 1])


def test_cross_entropy_bad_shapes():
    with pytest.raises(ValueError, match="non-empty"):
        losses.cross_entropy([], [])
    with pytest.raises(ValueError, match="4 samples but target has 3"):
        losses.cross_entropy(LOGITS, [0, 1, 2])
    with pytest.raises(ValueError, match=r"input\[1\] has 2 logits, expected 3"):
        losses.cross_entropy([[0.1, 0.2, 0.3], [0.1, 0.2]], [0, 0])
    with pytest.raises(ValueError):
        losses.cross_entropy([[]], [0])
    with pytest.raises(ValueError, match="avg"):
        losses.cross_entropy(LOGITS, CLASSES, reduction="avg")


def test_l2_penalty_bad_arguments():
    ps = [Var(1.0), Var(2.0)]
    with pytest.raises(ValueError, match=r"l2_penalty: lam must be >= 0, got -0\.1"):
        losses.l2_penalty(ps, -0.1)
    with pytest.raises(ValueError):
        losses.l2_penalty(ps, float("nan"))
    with pytest.raises(TypeError):
        losses.l2_penalty(ps, "0.1")
    with pytest.raises(ValueError, match="empty"):
        losses.l2_penalty([], 0.1)
    with pytest.raises(TypeError, match=r"params\[1\]"):
        losses.l2_penalty([Var(1.0), 2.0], 0.1)


# ----------------------------------------------------------------------
# BCE with logits at extreme logits: log1p keeps the tiny losses
# ----------------------------------------------------------------------
def _exact_bce_with_logits(x, y):
    """The loss for a hard label, in plain floats: softplus(-x) for y = 1, softplus(x) for y = 0."""
    z = -x if y == 1.0 else x
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


@pytest.mark.parametrize("x", [20.0, 37.0, 40.0, 100.0, 700.0, -20.0, -40.0, -700.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_with_logits_at_extreme_logits_matches_torch(x, y):
    v = Var(x)
    loss = losses.binary_cross_entropy_with_logits(v, y)
    loss.backward()
    t = t64(x, grad=True)
    t_loss = F.binary_cross_entropy_with_logits(t, t64(y))
    t_loss.backward()
    assert loss.data == _exact_bce_with_logits(x, y)
    # the gradient σ(x) - y, to rounding: written -σ(-x) for y = 1, so no digits cancel
    exact_grad = -1.0 / (1.0 + math.exp(x)) if y == 1.0 else 1.0 / (1.0 + math.exp(-x))
    assert close(v.grad, exact_grad, rel=1e-15)
    # torch computes (1 - y)·x + softplus(-x) and σ(x) - y: exact where nothing cancels, and
    # within rounding of |x| where something does (at x = -40, y = 0 its loss is 0.0)
    if y == 1.0 or x >= 0:
        assert loss.data == t_loss.item()
    slack = 1e-15 * max(1.0, abs(x))
    assert abs(loss.data - t_loss.item()) <= slack and abs(v.grad - t.grad.item()) <= slack


def test_bce_with_logits_keeps_the_tiny_loss_at_40():
    """The bug this fixes: log(1 + e^-40) rounds 1 + 4.2e-18 to 1 and gives 0.0."""
    assert math.log(1.0 + math.exp(-40.0)) == 0.0
    assert val(losses.binary_cross_entropy_with_logits(40.0, 1.0)) == 4.248354255291589e-18
    assert val(losses.binary_cross_entropy_with_logits(-40.0, 0.0)) == 4.248354255291589e-18


def test_bce_with_logits_second_derivative_matches_torch():
    """log1p's local derivative 1/(1 + a) is written with arithmetic, so grad of grad works."""
    from autodiff import grad
    for x, y in [(0.5, 0.3), (40.0, 1.0), (-3.0, 0.0)]:
        v = Var(x)
        (g,) = grad(losses.binary_cross_entropy_with_logits(v, y), [v], create_graph=True)
        (h,) = grad(g, [v])
        t = t64(x, grad=True)
        (tg,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(t, t64(y)), t, create_graph=True)
        (th,) = torch.autograd.grad(tg, t)
        assert abs(h.data - th.item()) <= 1e-15  # σ'(x); torch gives 0.0 for 4.2e-18 at x = 40
        assert h.data == pytest.approx(math.exp(-abs(x)) / (1 + math.exp(-abs(x))) ** 2, rel=1e-14)


def test_tensor_bce_with_logits_keeps_the_tiny_losses_as_the_scalar_one_does():
    """The tensor loss had softplus(x) - x·y with log(1 + ...): 0.0 at x = 40, y = 1."""
    import numpy as np
    from autodiff import Tensor
    xs = [20.0, 37.0, 40.0, 100.0, 700.0, -20.0, -40.0, -700.0, 0.3]
    for y in (0.0, 1.0):
        x = Tensor(np.array(xs), requires_grad=True)
        per_point = losses.binary_cross_entropy_with_logits(x, [y] * len(xs), reduction="none")
        per_point.sum().backward()
        for i, xi in enumerate(xs):
            assert per_point.data[i] == val(losses.binary_cross_entropy_with_logits(xi, y)), (xi, y)
            v = Var(xi)
            losses.binary_cross_entropy_with_logits(v, y).backward()
            assert close(x.grad[i], v.grad, rel=1e-15), (xi, y)
    x = Tensor(np.array([40.0]))
    assert losses.binary_cross_entropy_with_logits(x, [1.0]).item() == 4.248354255291589e-18
