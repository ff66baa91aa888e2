"""autodiff.check.run_all_checks and ``python -m autodiff.check``: the PyTorch cross-check."""

import math
import os
import pathlib
import subprocess
import sys

import pytest

from autodiff import ops
from autodiff.check import Check, crosscheck, formulas, run_all_checks, tensor_checks
from autodiff.check.training import OPTIMIZER_CHECKS, SCHEDULER_CHECKS

REPO = pathlib.Path(__file__).resolve().parent.parent


def run_python(*args, timeout=300):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=str(REPO))


def parse(output):
    """The table printed by run_all_checks: a header line, then (name, error, tolerance, result) rows."""
    lines = output.strip().splitlines()
    assert lines[0].split() == ["check", "rel", "error", "tolerance", "result"]
    rows = []
    for line in lines[1:]:
        name, error, tolerance, result = line.rsplit(None, 3)
        rows.append((name, float(error), float(tolerance), result))
    return rows


@pytest.fixture(scope="module")
def table():
    """run_all_checks() once for this module: (its return value, its rows)."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = run_all_checks()
    return result, parse(buffer.getvalue())


def test_run_all_checks_passes(table):
    result, rows = table
    assert result is True
    assert rows and all(r[3] == "ok" for r in rows)
    assert all(error <= tolerance for _, error, tolerance, _ in rows)


def test_one_row_per_check_and_no_duplicates(table):
    _, rows = table
    names = [r[0] for r in rows]
    assert len(names) == len(set(names))
    n_ops = len(ops.OPS) + len(crosscheck.CONSTANT_EXPONENTS)
    n_modules = 2 + 4                  # Linear with and without bias, MLP with each activation
    n_losses = 4 * 2 + 2               # four losses × (mean, sum), cross_entropy × (mean, sum)
    n_formulas = len(formulas.all_ops())  # every op's displayed formulas against its rules
    n_tensor = len(list(tensor_checks._cases(__import__("numpy").random.default_rng(0)))) + 4  # ops, MLPs
    assert len(rows) == (n_formulas + n_ops + n_modules + n_losses
                         + len(OPTIMIZER_CHECKS) + len(SCHEDULER_CHECKS) + n_tensor)


def test_a_row_for_every_op(table):
    names = [r[0] for r in table[1]]
    for op_name in ops.OPS:
        matching = [n for n in names if n.startswith(f"op {op_name}:")]
        assert len(matching) == 1, op_name
        assert "(0 points)" not in matching[0]
    for n in crosscheck.CONSTANT_EXPONENTS:
        assert any(name.startswith(f"op {ops.power(n).name}:") for name in names)


def test_a_row_for_every_module(table):
    names = [r[0] for r in table[1]]
    for expected in ["module Linear(3, 2):", "module Linear(3, 2, bias=False):"] + [
            f"module MLP(2, [4, 3, 2], activation={a!r}):" for a in ("relu", "tanh", "sigmoid", "identity")]:
        assert any(name.startswith(expected) for name in names), expected


@pytest.mark.parametrize("loss", ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "hinge_loss", "cross_entropy"])
def test_a_row_for_every_loss(table, loss):
    names = [r[0] for r in table[1]]
    for reduction in ("mean", "sum"):
        assert f"loss {loss} ({reduction}): value and gradient" in names


def test_every_loss_function_is_covered(table):
    names = " ".join(r[0] for r in table[1])
    from autodiff import losses

    functions = [n for n in losses.__all__ if n[0].islower() and n != "l2_penalty"]
    assert len(functions) == 5
    for fn in functions:
        assert f"loss {fn} (" in names


def test_a_row_for_every_optimizer_check(table):
    names = [r[0] for r in table[1]]
    assert len(OPTIMIZER_CHECKS) >= 20
    for name, _, _ in OPTIMIZER_CHECKS:
        assert f"optimizer {name}: 100 steps" in names
    for cls in ("SGD", "Adam", "RMSprop"):
        assert any(n.startswith(f"optimizer {cls}(") for n in names)


def test_a_row_for_every_scheduler_check(table):
    names = [r[0] for r in table[1]]
    for name, _, _ in SCHEDULER_CHECKS:
        assert f"schedule {name}: 300 epochs" in names
    for cls in ("StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"):
        assert any(n.startswith(f"schedule {cls}(") for n in names)


def test_tolerances(table):
    for name, _, tolerance, _ in table[1]:
        expected = 1e-10 if name.startswith(("optimizer ", "tensor ")) else 1e-12
        assert tolerance == expected, name


def test_quiet_mode_prints_nothing(capsys, monkeypatch):
    # only the printing is under test here: run a single cheap check
    monkeypatch.setattr(crosscheck, "all_checks", lambda: iter([Check("x", 0.0, 1e-12)]))
    assert run_all_checks(verbose=False) is True
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------
# Check
# ----------------------------------------------------------------------
@pytest.mark.parametrize("error, tolerance, ok", [
    (0.0, 1e-12, True),
    (1e-12, 1e-12, True),
    (1.0000001e-12, 1e-12, False),
    (2e-12, 1e-12, False),
    (0.5, 1e-10, False),
    (math.inf, 1e-12, False),
    (math.nan, 1e-12, False),
])
def test_check_ok_and_row(error, tolerance, ok):
    check = Check("op mul: value", error, tolerance)
    assert check.ok is ok
    row = check.row()
    assert row.startswith("op mul: value")
    assert row.split()[-1] == ("ok" if ok else "FAIL")


def test_run_all_checks_returns_false_if_one_check_fails(capsys, monkeypatch):
    failing = [Check("a", 0.0, 1e-12), Check("b", 3e-12, 1e-12), Check("c", 0.0, 1e-12)]
    monkeypatch.setattr(crosscheck, "all_checks", lambda: iter(failing))
    assert run_all_checks() is False
    rows = parse(capsys.readouterr().out)
    assert [(r[0], r[3]) for r in rows] == [("a", "ok"), ("b", "FAIL"), ("c", "ok")]


def _perturbed_torch(change):
    real = crosscheck.torch_op_derivatives

    def fake(op, *values):
        value, gradient, hessian = real(op, *values)
        return change(value, gradient, hessian)

    return fake


def _nudge(x):
    """x moved by a relative 1e-9 (measured as the cross-check does, against max(1, |x|))."""
    return x + 1e-9 * max(1.0, abs(x))


@pytest.mark.parametrize("what, change", [
    ("value off by 1e-9", lambda v, g, h: (_nudge(v), g, h)),
    ("gradient off by 1e-9", lambda v, g, h: (v, [_nudge(x) for x in g], h)),
    ("Hessian off by 1e-9", lambda v, g, h: (v, g, [[_nudge(x) for x in row] for row in h])),
])
def test_op_checks_detect_a_disagreement(monkeypatch, what, change):
    monkeypatch.setattr(crosscheck, "torch_op_derivatives", _perturbed_torch(change))
    checks = list(crosscheck.op_checks())
    assert checks and not any(c.ok for c in checks), what


@pytest.mark.parametrize("what, change", [
    ("value is nan", lambda v, g, h: (math.nan, g, h)),
    ("gradient is nan", lambda v, g, h: (v, [math.nan for _ in g], h)),
])
def test_op_checks_do_not_pass_a_nan_from_torch(monkeypatch, what, change):
    """A nan on the torch side is a disagreement, never a pass (max() must not swallow it)."""
    monkeypatch.setattr(crosscheck, "torch_op_derivatives", _perturbed_torch(change))
    checks = list(crosscheck.op_checks())
    assert checks and not any(c.ok for c in checks), [(c.name, c.error) for c in checks if c.ok][:3]


# ----------------------------------------------------------------------
# From a shell, and without torch
# ----------------------------------------------------------------------
def test_module_exits_zero():
    result = run_python("-m", "autodiff.check")
    assert result.returncode == 0, result.stdout + result.stderr
    *table, last = result.stdout.strip().splitlines()     # the table, then its summary line
    rows = parse("\n".join(table))
    assert len(rows) > 60 and all(r[3] == "ok" for r in rows)
    assert last == f"{len(rows)} checks: {len(rows)} passed, 0 failed"


def test_without_torch_run_all_checks_says_so_and_returns_false(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)     # `import torch` now raises ImportError
    with pytest.raises(ImportError):
        import torch  # noqa: F401
    assert run_all_checks() is False
    out = capsys.readouterr().out
    assert "PyTorch" in out and "pip install torch" in out
    assert "rel error" not in out and " ok" not in out    # no table


def test_without_torch_the_module_exits_non_zero():
    script = ("import sys, runpy; sys.modules['torch'] = None; import autodiff; "
              "runpy.run_module('autodiff.check', run_name='__main__', alter_sys=True)")
    result = run_python("-c", script, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PyTorch" in result.stdout and "not installed" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_row_for_every_tensor_op(table):
    names = [r[0] for r in table[1]]
    tensor_rows = [n for n in names if n.startswith("tensor op ")]
    assert len(tensor_rows) >= 30
    for needed in ("matmul", "linear", "softmax", "log_softmax", "logsumexp", "cross_entropy", "indexing",
                   "concat", "stack", "where", "max over an axis", "pow, a Tensor exponent"):
        assert any(n.startswith(f"tensor op {needed}") for n in tensor_rows), needed


def test_a_wrong_tensor_vjp_fails_its_row(monkeypatch):
    """The tensor rows can fail: a VJP with a wrong sign is caught."""
    from autodiff.tensor import ops as tops

    right = tops.MATMUL
    monkeypatch.setattr(tops, "MATMUL", tops.TensorOp(
        name="matmul", symbol="@", forward=right.forward,
        vjp=lambda g, inputs, out, params, needs: tuple(
            None if s is None else -s for s in right.vjp(g, inputs, out, params, needs)),
        texts=right.texts, arity=2))
    import autodiff.tensor.tensor as tensor_module
    monkeypatch.setattr(tensor_module, "MATMUL", tops.MATMUL)
    rows = {c.name: c for c in tensor_checks.tensor_op_checks()}
    assert not rows["tensor op matmul: value, gradient, Hessian-vector product"].ok
    assert rows["tensor op exp: value, gradient, Hessian-vector product"].ok
