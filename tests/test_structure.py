"""How the engine is put together: the claims the teaching core makes about itself.

* One chain-rule loop: `backward`, `grad` (with and without ``create_graph``)
  and the trace all run `backprop.backpropagate`; re-evaluating a trace runs
  each op's own `Op.evaluate`.
* Operators are written out in the classes, not installed at import time.
* The engine's modules import one another without a circle, and never the
  Jupyter layer.
"""

import ast
from pathlib import Path

import pytest

import autodiff
from autodiff import Dual, Var, backprop, grad, ops, trace
from autodiff.ops import Op

AUTODIFF = Path(autodiff.__file__).parent


class Spy:
    """Wraps a function; counts the calls and passes them through."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def small_graph():
    a, b = Var(2.0, label="a"), Var(-3.0, label="b")
    return a, b, (a * b + a).tanh()


@pytest.mark.parametrize("run", [
    lambda a, b, L: L.backward(),
    lambda a, b, L: grad(L, [a, b]),
    lambda a, b, L: grad(L, [a, b], create_graph=True),
    lambda a, b, L: trace.trace(L),
], ids=["backward", "grad", "grad create_graph", "trace"])
def test_every_reverse_pass_is_the_one_loop(monkeypatch, run):
    spy = Spy(backprop.backpropagate)
    monkeypatch.setattr(backprop, "backpropagate", spy)
    monkeypatch.setattr(trace, "backpropagate", spy)
    run(*small_graph())
    assert spy.calls == 1


def test_the_trace_records_the_loops_own_numbers(monkeypatch):
    # A loop that reports each running sum 1 too high: the trace must show exactly what it is told.
    a, b, L = small_graph()
    honest = trace.trace(L)

    def misreporting(order, record=None, **kwargs):
        def told(node, parent, local, contribution, total):
            record(node, parent, local, contribution, total + 1.0)
        backprop.backpropagate(order, record=told, **kwargs)

    monkeypatch.setattr(trace, "backpropagate", misreporting)
    shown = trace.trace(L)
    pairs = [(c, d) for s, t in zip(honest.backward, shown.backward)
             for c, d in zip(s.contributions, t.contributions, strict=True)]
    assert pairs and all(d.after == c.after + 1.0 and d.value == c.value for c, d in pairs)


def test_reevaluate_runs_each_ops_own_forward_path(monkeypatch):
    a, b, L = small_graph()
    spy = Spy(Op.evaluate)
    monkeypatch.setattr(Op, "evaluate", lambda self, *values: spy(self, *values))
    a.data = 0.5
    trace.reevaluate(L)
    assert spy.calls == 3  # mul, add, tanh
    assert L.data == pytest.approx(__import__("math").tanh(0.5 * -3.0 + 0.5))


@pytest.mark.parametrize("cls", [Var, Dual])
def test_operators_are_written_in_the_class(cls):
    for name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                 "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__abs__", "exp", "log", "sqrt",
                 "sin", "cos", "tan", "tanh", "sigmoid", "relu", "__lt__", "__le__", "__gt__", "__ge__"):
        method = cls.__dict__[name]
        assert method.__qualname__ == f"{cls.__name__}.{name}", name  # defined there, not installed


def test_the_op_table_has_no_registry():
    assert not [name for name in vars(ops) if "REGISTRY" in name.upper() or "BY_TYPE" in name.upper()]
    assert not (AUTODIFF / "arithmetic.py").exists()


def _imports(path: Path) -> set[str]:
    """The autodiff modules a module imports at import time (not those under ``if TYPE_CHECKING:``)."""
    package = ".".join(path.relative_to(AUTODIFF.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package += ".__init__"
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def visit(node: ast.AST, top_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue  # imported when called, not at import time
            if isinstance(child, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - child.level] if child.level else []
                module = ".".join(base + ([child.module] if child.module else []))
                for alias in child.names:
                    candidate = f"{module}.{alias.name}"
                    found.add(candidate if _is_module(candidate) else module)
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            visit(child, top_level)

    visit(tree, True)
    return {name for name in found if name.startswith("autodiff") or name.startswith("widgets")}


def _is_module(name: str) -> bool:
    path = AUTODIFF.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _module_name(path: Path) -> str:
    parts = path.relative_to(AUTODIFF.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_engine_imports_no_widgets_and_has_no_import_circle():
    graph = {_module_name(p): {m for m in _imports(p) if m != _module_name(p)}
             for p in AUTODIFF.rglob("*.py")}
    assert not [m for deps in graph.values() for m in deps if m.startswith("widgets")]
    # Packages import their modules; a module importing its own package's __init__ is not a circle.
    edges = {m: {d for d in deps if not (m.startswith(d + ".") )} for m, deps in graph.items()}

    def visit(module, path):
        if module in path:
            pytest.fail("import circle: " + " -> ".join(path[path.index(module):] + [module]))
        for dep in sorted(edges.get(module, ())):
            visit(dep, path + [module])

    for module in sorted(edges):
        visit(module, [])
    assert "autodiff.backprop" in edges["autodiff.var"]  # Var.backward runs backprop.backward ...
    assert "autodiff.var" not in edges["autodiff.backprop"]  # ... which needs nothing of var.py
