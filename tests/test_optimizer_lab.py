"""`widgets.OptimizerLab`, its race (`widgets.optimizer_race`) and `widgets.surfaces`, from Python.

Every expected value is worked out here, independently of the widget:

* trajectories by a hand-written training loop with `autodiff.optim`
  (``zero_grad(); loss = f(x, y); loss.backward(); step()``), the surface
  formulas typed out again, compared point for point, bit for bit;
* gradients by the analytic formulas below, against autodiff's;
* divergence on the bowl x²/2 + 10·y² with SGD at lr 0.15: each step
  multiplies y by 1 − 0.15·20 = −2, so y_k = 2.5·(−2)^k and the loss
  10·y_k² first exceeds 1e10 at k = 14 (10·40960² = 1.68e10; at k = 13,
  10·20480² = 4.19e9);
* learning rates by the `autodiff.lr_scheduler` classes, built by hand.

The widget is driven through its public API and, for what the browser does,
through real messages on its comm (tests/comm_messages.py); what it sends
back is caught by replacing ``widget.send``. The race underneath is also
tested on its own, without a widget.

The JS test runs the pure helpers of the lab's browser module (``OptimizerLab._esm``:
widgets/common.js, then widgets/optimizer_lab.js) under node.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import io
import json
import math
import re
from pathlib import Path

import pytest

from autodiff import Var, exp
from autodiff.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR
from autodiff.optim import SGD, Adam, RMSprop
from autodiff.trace import format_number

from comm_messages import send_custom, send_state
from widgets import optimizer_lab as optlab_module
from widgets import optimizer_race
from widgets.contours import CONTOUR_LEVELS, GRID_SIZE, surface_payload
from widgets.optimizer_lab import OptimizerLab, browser_surface, pack_points
from widgets._live import PALETTE_SIZE
from widgets.optimizer_race import MAX_STEPS, OPTIMIZERS, Hyper, Race
from widgets.surfaces import SURFACES, get_surface

REPO = Path(__file__).resolve().parents[1]
LAB_JS = REPO / "widgets" / "optimizer_lab.js"
LAB_DOC = REPO / "docs" / "optimizer-lab.md"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
ALL = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam")


# ---------------------------------------------------------------------------
# The surfaces and their gradients, typed out again
# ---------------------------------------------------------------------------
def unpack_points(text):
    """What optimizer_lab.js's unpackPoints reads from a `pack_points` text, in Python."""
    return [[float(v) for v in pair.split(",")] for pair in text.split(" ")] if text else []


def bowl(x, y):
    return 0.5 * x ** 2 + 10 * y ** 2


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def saddle(x, y):
    return x ** 2 - y ** 2


def himmelblau(x, y):
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


# (centre x, centre y, depth, width²) of each well, as in the formula shown
WELLS = ((-1.2, 0.3, 0.5, 0.5), (1.4, -0.2, 1.0, 0.7))


def wells(x, y):
    total = 0.05 * (x ** 2 + y ** 2)
    for cx, cy, depth, width2 in WELLS:
        total = total + -depth * exp(-((x - cx) ** 2 + (y - cy) ** 2) / width2)
    return total


FUNCTIONS = {"bowl": bowl, "rosenbrock": rosenbrock, "saddle": saddle, "himmelblau": himmelblau,
             "wells": wells}


def analytic_gradient(name, x, y):
    """∂f/∂x and ∂f/∂y, differentiated by hand."""
    if name == "bowl":
        return x, 20 * y
    if name == "rosenbrock":
        return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)
    if name == "saddle":
        return 2 * x, -2 * y
    if name == "himmelblau":
        a, b = x * x + y - 11, x + y * y - 7
        return 4 * x * a + 2 * b, 2 * a + 4 * y * b
    if name == "wells":
        gx, gy = 0.1 * x, 0.1 * y
        for cx, cy, depth, width2 in WELLS:
            e = depth * math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / width2)
            gx += e * 2 * (x - cx) / width2
            gy += e * 2 * (y - cy) / width2
        return gx, gy
    raise KeyError(name)


POINTS = [(0.3, -0.7), (-1.2, 1.1), (1.7, 2.4), (-0.45, 0.05), (2.5, -1.3)]


# ---------------------------------------------------------------------------
# The training loop, by hand
# ---------------------------------------------------------------------------
def by_hand(name, params, lr, momentum=0.9, betas=(0.9, 0.999)):
    """The optimizer ``name`` of the race, built directly from autodiff.optim."""
    return {
        "SGD": lambda: SGD(params, lr=lr),
        "Momentum": lambda: SGD(params, lr=lr, momentum=momentum),
        "Nesterov": lambda: SGD(params, lr=lr, momentum=momentum, nesterov=True),
        "RMSprop": lambda: RMSprop(params, lr=lr),
        "Adam": lambda: Adam(params, lr=lr, betas=betas),
    }[name]()


def hand_run(f, start, name, steps, lr, momentum=0.9, betas=(0.9, 0.999), schedule=None):
    """The positions and the lr after each step of the plain training loop."""
    x, y = Var(start[0]), Var(start[1])
    optimizer = by_hand(name, [x, y], lr, momentum, betas)
    scheduler = schedule(optimizer) if schedule else None
    points, lrs = [tuple(start)], [optimizer.lr]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = f(x, y)
        loss.backward()
        optimizer.step()
        if scheduler:
            scheduler.step()
        points.append((x.data, y.data))
        lrs.append(optimizer.lr)
    return points, lrs


def hexes(points):
    """Points as exact hex strings: equal lists mean equal bits."""
    return [(float(x).hex(), float(y).hex()) for x, y in points]


def capture(lab):
    """Record the custom messages the lab sends (the browser would receive them)."""
    sent = []
    lab.send = lambda content, buffers=None: sent.append(content)
    return sent


def play_tasks():
    """The tasks on the running event loop other than the test's own: Play's task, while it runs."""
    return asyncio.all_tasks() - {asyncio.current_task()}


# ---------------------------------------------------------------------------
# Surfaces
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradient_from_autodiff_is_the_analytic_one(name):
    s = get_surface(name)
    for x, y in POINTS:
        value, (gx, gy) = s.value_and_grad(x, y)
        ax, ay = analytic_gradient(name, x, y)
        assert math.isclose(gx, ax, rel_tol=1e-12, abs_tol=1e-12), (name, x, y, gx, ax)
        assert math.isclose(gy, ay, rel_tol=1e-12, abs_tol=1e-12), (name, x, y, gy, ay)
        assert (ax, ay) != (0.0, 0.0)                    # a point where the test means something
        assert value == float(FUNCTIONS[name](x, y))     # the same value as the formula typed out


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_works_on_floats_and_vars_alike(name):
    s = get_surface(name)
    for x, y in POINTS:
        on_floats = s(x, y)
        on_vars = s(Var(x), Var(y))
        assert type(on_floats) is float
        assert isinstance(on_vars, Var) and on_vars.op is not None     # a graph was recorded
        assert on_vars.data == on_floats


@pytest.mark.parametrize("name", [n for n in SURFACES if SURFACES[n].minima])
def test_known_minima_are_minima(name):
    s = get_surface(name)
    h = 1e-4
    for mx, my in s.minima:
        assert s.contains(mx, my)
        _, (gx, gy) = s.value_and_grad(mx, my)
        assert math.hypot(gx, gy) < 1e-9, (name, mx, my, gx, gy)
        centre = s(mx, my)
        for dx, dy in ((h, 0), (-h, 0), (0, h), (0, -h), (h, h), (-h, h)):
            assert s(mx + dx, my + dy) > centre
    assert s.contains(*s.start) and s.lr > 0


def test_himmelblau_has_four_minima_at_height_zero_and_the_saddle_none():
    h = get_surface("himmelblau")
    assert len(h.minima) == 4 and (3.0, 2.0) in h.minima
    assert all(abs(h(*m)) < 1e-20 for m in h.minima)
    s = get_surface("saddle")
    assert s.minima == () and s.saddle_points == ((0.0, 0.0),)
    assert s(0.1, 0) > 0 > s(0, 0.1)                 # up along x, down along y
    assert s.window == (-2.0, 2.0, -1.5, 1.5) and s.nearest_minimum(1, 1) is None


def test_unknown_surface_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown surface 'bananas'; choose one of bowl, rosenbrock"):
        get_surface("bananas")
    with pytest.raises(TypeError, match="surface must be a name"):
        get_surface(3)


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_payload_is_json_drawn_once(name):
    s = get_surface(name)
    data = surface_payload(name)
    assert surface_payload(name) is data                  # computed once, then cached
    json.dumps(data, allow_nan=False)                     # plain JSON: no nan, no inf
    assert data["window"] == list(s.window)
    assert len(data["shade"]) == GRID_SIZE * GRID_SIZE
    assert min(data["shade"]) == 0 and max(data["shade"]) == 255
    assert len(data["contours"]) == CONTOUR_LEVELS
    levels = [c["level"] for c in data["contours"]]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)
    x0, x1, y0, y1 = s.window
    for c in data["contours"]:
        assert c["lines"], f"level {c['level']} has no line"
        for line in c["lines"]:
            xs, ys = line[0::2], line[1::2]
            assert x0 - 1e-3 <= min(xs) and max(xs) <= x1 + 1e-3
            assert y0 - 1e-3 <= min(ys) and max(ys) <= y1 + 1e-3


@pytest.mark.parametrize("name, tolerance", [("bowl", 0.01), ("himmelblau", 0.05), ("saddle", 0.05)])
def test_contour_lines_lie_on_their_level(name, tolerance):
    """A point of a contour line has f close to the line's level: surface coordinates, not grid indices."""
    s = get_surface(name)
    data = surface_payload(name)
    spread = max(abs(c["level"]) for c in data["contours"])
    for c in data["contours"]:
        line = c["lines"][0]
        for k in range(0, len(line), 2 * max(1, len(line) // 20)):
            value = s(line[k], line[k + 1])
            assert abs(value - c["level"]) <= tolerance * max(abs(c["level"]), 0.05 * spread), (
                name, c["level"], value)


# ---------------------------------------------------------------------------
# Trajectories: real autodiff.optim steps, bit for bit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("surface", list(SURFACES))
def test_trajectories_equal_the_hand_run_bit_for_bit(surface):
    lab = OptimizerLab(surface)
    s = get_surface(surface)
    assert lab.step(40) == 40
    for name in ALL:
        assert not lab.diverged[name], lab.status[name]
        points, _ = hand_run(FUNCTIONS[surface], s.start, name, 40, lr=s.lr)
        assert hexes(lab.trajectories[name]) == hexes(points), name
        # the loss at every point: the same formula on plain floats
        assert lab.losses[name] == [float(FUNCTIONS[surface](x, y)) for x, y in points]
    assert len({tuple(lab.trajectories[n][5]) for n in ALL}) == len(ALL)   # five different paths


def test_trajectories_with_other_hyperparameters_and_start():
    lab = OptimizerLab("rosenbrock", lr=0.0004, momentum=0.5, betas=(0.8, 0.99), start=(-1.0, 1.5))
    lab.step(25)
    lab.step(15)                                          # in two goes: the same as in one
    for name in ALL:
        points, _ = hand_run(rosenbrock, (-1.0, 1.5), name, 40, lr=0.0004, momentum=0.5, betas=(0.8, 0.99))
        assert hexes(lab.trajectories[name]) == hexes(points), name
    adam = lab.optimizer("Adam")
    assert adam.param_groups[0]["betas"] == (0.8, 0.99)
    assert adam.state[adam.param_groups[0]["params"][0]]["step"] == 40


def test_nesterov_with_momentum_zero_is_plain_sgd():
    lab = OptimizerLab("bowl", optimizers=("SGD", "Nesterov"), momentum=0.0)
    lab.step(10)
    assert lab.trajectories["Nesterov"] == lab.trajectories["SGD"]
    points, _ = hand_run(bowl, (-5.0, 2.5), "SGD", 10, lr=0.06)
    assert hexes(lab.trajectories["Nesterov"]) == hexes(points)


# ---------------------------------------------------------------------------
# Divergence, said in words; never nan
# ---------------------------------------------------------------------------
def no_nan_anywhere(lab):
    """Nothing the lab shows or syncs holds nan; the synced state is strict JSON."""
    json.dumps(lab.get_state(), allow_nan=False)
    shown = repr(lab) + json.dumps(lab.readout)
    assert not re.search(r"\bnan\b", shown, re.IGNORECASE), shown
    assert not any(math.isnan(v) for values in lab.losses.values() for v in values)
    assert not any(math.isnan(c) for path in lab.trajectories.values() for p in path for c in p)


def test_large_lr_on_the_bowl_diverges_and_says_so():
    lab = OptimizerLab("bowl", lr=0.15)
    lab.step(30)
    assert lab.diverged["SGD"] and not lab.diverged["Adam"]
    assert lab.steps_taken["SGD"] == 14 and lab.steps_taken["Adam"] == 30
    assert len(lab.trajectories["SGD"]) == 15
    x, y = lab.trajectories["SGD"][14]
    assert y == 2.5 * (-2) ** 14 and 10 * y * y > 1e10
    loss = 0.5 * x ** 2 + 10 * y ** 2
    assert lab.status["SGD"] == f"diverged at step 14: the loss became too large ({format_number(loss)})"
    assert lab.status["Adam"] == "running"
    row = next(r for r in lab.readout if r["name"] == "SGD")
    assert row["status"] == "diverged" and row["steps"] == 14 and row["points"] == 15
    assert row["message"].startswith("diverged at step 14: the loss became too large")
    assert "diverged at step 14: the loss became too large" in repr(lab)
    no_nan_anywhere(lab)
    # a diverged optimizer stays where it stopped
    lab.step(5)
    assert lab.steps_taken["SGD"] == 14 and lab.steps_taken["Adam"] == 35


def test_overflowing_numbers_are_divergence_too():
    # lr 1e300: SGD lands at x = −5 + 5e300, finite, but x²/2 is too large for a float
    lab = OptimizerLab("bowl", optimizers=("SGD",), lr=1e300)
    lab.step(3)
    assert lab.status["SGD"] == "diverged at step 1: the loss became too large for a float"
    assert lab.losses["SGD"][-1] == math.inf
    assert lab.readout[0]["loss"] == "too large"
    no_nan_anywhere(lab)
    # lr 1e307: the update lr·grad = 1e307·50 itself is too large; nothing moves
    lab = OptimizerLab("bowl", optimizers=("SGD",), lr=1e307)
    lab.step(3)
    assert lab.status["SGD"] == "diverged at step 1: the update was too large for a float"
    assert lab.trajectories["SGD"] == [(-5.0, 2.5)] and lab.steps_taken["SGD"] == 0
    no_nan_anywhere(lab)


def test_the_saddle_has_no_minimum_and_optimizers_fall_forever():
    lab = OptimizerLab("saddle", optimizers=("Momentum", "Adam"))
    lab.step(100)
    assert lab.status["Momentum"].startswith("diverged at step ")
    assert "the loss fell below −1e+10 and keeps falling (this surface has no minimum)" in lab.status["Momentum"]
    assert lab.losses["Momentum"][-1] < -1e10 <= lab.losses["Momentum"][-2]
    assert all(r["nearest"] == "none: no minimum here" for r in lab.readout)
    no_nan_anywhere(lab)


def test_reaching_a_minimum_is_said_plainly():
    lab = OptimizerLab("himmelblau", optimizers=("SGD",))
    lab.step(200)
    # SGD from (0, −0.75) at lr 0.015 ends in the minimum near (3.584, −1.848)
    assert lab.readout[0]["nearest"] == "(3.584, −1.848), reached"
    lab.reset()
    # from the start (0, −0.75): hypot(3.5844, 1.0981) = 3.749; (3, 2) is hypot(3, 2.75) = 4.07 away
    assert lab.readout[0]["nearest"] == "(3.584, −1.848), 3.749 away"


def test_play_stops_when_every_optimizer_has_stopped():
    lab = OptimizerLab("bowl", optimizers=("SGD",), lr=0.15, steps_per_frame=5)
    capture(lab)

    async def scenario():
        lab.play()
        for _ in range(200):
            await asyncio.sleep(0.01)
            if not lab.playing:
                return

    asyncio.run(scenario())
    assert not lab.playing and lab.step_count == 14       # frames of 5: the third ends when SGD stops
    assert lab.notice == "Every optimizer has stopped: change a setting or press Reset."


# ---------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------
def test_set_changes_what_it_should_and_restarts():
    lab = OptimizerLab("bowl")
    lab.step(5)
    lab.set(lr=0.02)
    assert lab.lr == 0.02 and lab.current_lr == {n: 0.02 for n in ALL}
    assert lab.step_count == 0 and all(len(p) == 1 for p in lab.trajectories.values())

    lab.set(momentum=0.5)
    assert lab.optimizer("Momentum").param_groups[0]["momentum"] == 0.5
    assert lab.optimizer("Nesterov").param_groups[0]["nesterov"] is True
    assert lab.optimizer("SGD").param_groups[0]["momentum"] == 0.0

    lab.set(betas=(0.8, 0.99))
    assert lab.betas == (0.8, 0.99) and lab.optimizer("Adam").param_groups[0]["betas"] == (0.8, 0.99)

    lab.set(optimizers=("Adam", "SGD"))
    assert lab.names == ("Adam", "SGD") and list(lab.trajectories) == ["Adam", "SGD"]
    assert [r["name"] for r in lab.readout] == ["Adam", "SGD"]

    lab.set(steps_per_frame=12)
    assert lab.steps_per_frame == 12

    lab.step(3)
    lab.set(schedule="exponential")
    assert lab.schedule == "exponential" and lab.step_count == 0
    lab.step(1)
    assert lab.current_lr["SGD"] == 0.02 * 0.99
    lab.set(schedule=None)
    assert lab.schedule == "none"


def test_a_new_surface_brings_its_defaults_unless_given():
    lab = OptimizerLab("bowl", lr=0.01)
    lab.step(3)
    lab.surface = "saddle"                 # as the browser's menu does
    assert (lab.lr, lab.start) == (0.05, [-1.8, 0.02])
    assert lab.surface_data["name"] == "saddle" and lab.surface_data["window"] == [-2, 2, -1.5, 1.5]
    assert lab.step_count == 0 and lab.trajectories["SGD"] == [(-1.8, 0.02)]
    lab.set(surface="rosenbrock", lr=0.0005, start=(0.5, 2.0))
    assert (lab.surface, lab.lr, lab.start) == ("rosenbrock", 0.0005, [0.5, 2.0])
    lab.set(surface="himmelblau")
    assert (lab.lr, lab.start) == (0.015, [0.0, -0.75])


def test_settings_from_the_browser_restart_the_race():
    lab = OptimizerLab("rosenbrock")
    lab.step(4)
    send_state(lab, start=[0.5, 2.0])            # what a click on the map sends
    assert lab.start == [0.5, 2.0] and lab.step_count == 0
    assert lab.losses["Adam"] == [0.25 + 100 * 1.75 ** 2]          # (1 − 0.5)² + 100·(2 − 0.25)²
    lab.step(3)
    send_state(lab, lr=0.002, momentum=0.8, beta1=0.85, beta2=0.99, schedule="step")
    assert lab.hyper == Hyper(0.002, 0.8, (0.85, 0.99)) and lab.schedule == "step"
    assert lab.step_count == 0 and lab.current_lr == {n: 0.002 for n in ALL}
    assert lab.optimizer("Adam").param_groups[0]["betas"] == (0.85, 0.99)


def test_set_start_moves_the_start_point():
    lab = OptimizerLab("rosenbrock", optimizers=("SGD", "Adam"))
    lab.step(10)
    lab.set_start(0.5, 2)
    assert lab.start == [0.5, 2.0] and lab.step_count == 0
    assert lab.trajectories == {"SGD": [(0.5, 2.0)], "Adam": [(0.5, 2.0)]}
    lab.step(20)
    points, _ = hand_run(rosenbrock, (0.5, 2.0), "SGD", 20, lr=0.001)
    assert hexes(lab.trajectories["SGD"]) == hexes(points)
    with pytest.raises(ValueError, match=r"start \(3, 0\) is outside the rosenbrock window x in \[-2, 2\], y in \[-1, 3\]"):
        lab.set_start(3, 0)
    assert lab.start == [0.5, 2.0] and lab.step_count == 20       # a refused start changes nothing


def test_step_reset_and_resync_messages_from_the_browser():
    lab = OptimizerLab("bowl", optimizers=("SGD", "Adam"))
    sent = capture(lab)
    send_custom(lab, {"action": "step"})
    send_custom(lab, {"action": "step"})
    assert lab.step_count == 2 and lab.paths["SGD"] == pack_points(lab.trajectories["SGD"])
    assert sent == []                                           # the paths went as a synced trait
    send_custom(lab, {"action": "resync"})
    assert sent == [{"kind": "paths", "paths": lab.paths}]
    send_custom(lab, {"action": "reset"})
    assert lab.step_count == 0 and lab.paths == {"SGD": "-5,2.5", "Adam": "-5,2.5"}
    send_custom(lab, {"action": "dance"})                       # unknown: ignored
    send_custom(lab, "step")                                    # not a dict: ignored
    assert lab.step_count == 0 and len(sent) == 1


# ---------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------
SCHEDULE_BY_HAND = {
    "step": lambda o: StepLR(o, step_size=100, gamma=0.5),
    "exponential": lambda o: ExponentialLR(o, gamma=0.99),
    "cosine": lambda o: CosineAnnealingLR(o, T_max=500),
}


@pytest.mark.parametrize("schedule", list(SCHEDULE_BY_HAND))
def test_schedule_changes_the_lr_like_the_lr_scheduler(schedule):
    lab = OptimizerLab("bowl", optimizers=("SGD", "Adam"), schedule=schedule)
    seen = [lab.current_lr]
    for _ in range(260):
        lab.step()
        seen.append(lab.current_lr)
    for name in ("SGD", "Adam"):
        points, lrs = hand_run(bowl, (-5.0, 2.5), name, 260, lr=0.06, schedule=SCHEDULE_BY_HAND[schedule])
        assert [s[name] for s in seen] == lrs
        assert hexes(lab.trajectories[name]) == hexes(points)
        assert next(r for r in lab.readout if r["name"] == name)["lr"] == format_number(lrs[-1])
    # the closed forms of autodiff/lr_scheduler.py's docstrings
    closed = {"step": lambda k: 0.06 * 0.5 ** (k // 100),
              "exponential": lambda k: 0.06 * 0.99 ** k,
              "cosine": lambda k: 0.06 * (1 + math.cos(math.pi * k / 500)) / 2}[schedule]
    for k in (0, 1, 99, 100, 150, 200, 260):
        assert math.isclose(seen[k]["SGD"], closed(k), rel_tol=1e-9), (k, seen[k], closed(k))
    assert seen[260]["SGD"] < 0.06


def test_no_schedule_keeps_the_lr():
    lab = OptimizerLab("bowl", optimizers=("SGD",))
    lab.step(150)
    assert lab.current_lr == {"SGD": 0.06}


# ---------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    ({"surface": "bananas"}, ValueError, r"unknown surface 'bananas'; choose one of bowl, rosenbrock, saddle, himmelblau, wells"),
    ({"optimizers": ("SGD", "Adagrad")}, ValueError, r"unknown optimizer 'Adagrad'; choose from SGD, Momentum, Nesterov, RMSprop, Adam"),
    ({"optimizers": ()}, ValueError, r"choose at least one optimizer"),
    ({"optimizers": ("Adam", "Adam")}, ValueError, r"each optimizer may race once"),
    ({"optimizers": 3}, TypeError, r"optimizers must be names"),
    ({"lr": -0.1}, ValueError, r"OptimizerLab: lr must be > 0, got -0.1"),
    ({"lr": 0}, ValueError, r"OptimizerLab: lr must be > 0, got 0"),
    ({"lr": "0.1"}, TypeError, r"OptimizerLab: lr must be a real number, got str '0.1'"),
    ({"lr": True}, TypeError, r"OptimizerLab: lr must be a real number, got bool True"),
    ({"lr": float("nan")}, ValueError, r"OptimizerLab: lr must be finite"),
    ({"momentum": 1.0}, ValueError, r"OptimizerLab: momentum must be in \[0, 1\), got 1.0"),
    ({"betas": (0.9,)}, TypeError, r"betas must be a pair \(beta1, beta2\)"),
    ({"betas": (1.0, 0.9)}, ValueError, r"OptimizerLab: betas\[0\] must be in \[0, 1\)"),
    ({"schedule": "linear"}, ValueError, r"OptimizerLab: schedule must be one of \('none', 'step', 'exponential', 'cosine'\), got 'linear'"),
    ({"start": (10, 10)}, ValueError, r"start \(10, 10\) is outside the rosenbrock window"),
    ({"start": 5}, TypeError, r"start must be a point \(x, y\)"),
    ({"steps_per_frame": 0}, ValueError, r"steps_per_frame must be a positive int"),
    ({"steps_per_frame": 51}, ValueError, r"steps_per_frame must be at most 50"),
])
def test_bad_inputs_give_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        OptimizerLab(**kwargs)
    lab = OptimizerLab("rosenbrock")
    lab.step(2)
    with pytest.raises(error, match=message):
        lab.set(**kwargs)
    assert lab.step_count == 2 and lab.surface == "rosenbrock" and lab.lr == 0.001   # nothing changed


def test_bad_values_from_the_browser_or_traits_are_refused():
    lab = OptimizerLab("rosenbrock")
    with pytest.raises(ValueError, match=r"OptimizerLab: lr must be > 0, got -1"):
        lab.lr = -1
    with pytest.raises(ValueError, match=r"unknown surface 'moon'"):
        lab.surface = "moon"
    with pytest.raises(ValueError, match=r"outside the rosenbrock window"):
        lab.start = [100.0, 0.0]
    with pytest.raises(ValueError, match=r"OptimizerLab: beta2 must be in \[0, 1\), got 1.0"):
        lab.beta2 = 1.0
    with pytest.raises(ValueError, match=r"OptimizerLab: beta1 must be in \[0, 1\), got -0.1"):
        lab.beta1 = -0.1
    with pytest.raises(ValueError, match=r"OptimizerLab: momentum must be in \[0, 1\), got 1.0"):
        lab.momentum = 1.0
    with pytest.raises(ValueError, match=r"unknown optimizer 'Adagrad'"):
        lab.optimizer_names = ["SGD", "Adagrad"]
    with pytest.raises(ValueError, match=r"OptimizerLab: schedule must be one of"):
        lab.schedule = "linear"
    with pytest.raises(ValueError, match=r"steps_per_frame must be at most 50, got 51"):
        lab.steps_per_frame = 51
    assert (lab.lr, lab.surface, lab.start, lab.beta1, lab.beta2, lab.momentum) == (
        0.001, "rosenbrock", [-1.5, 2.5], 0.9, 0.999, 0.9)
    assert (lab.names, lab.schedule, lab.steps_per_frame) == (ALL, "none", 5)
    lab.optimizer_names = ("Adam",)                 # a good value passes, as the check returns it
    assert lab.optimizer_names == ["Adam"] and lab.names == ("Adam",)


def test_bad_step_counts_and_names():
    lab = OptimizerLab("bowl")
    with pytest.raises(ValueError, match=r"OptimizerLab.step: n must be a positive int, got 0"):
        lab.step(0)
    with pytest.raises(TypeError, match=r"OptimizerLab.step: n must be a positive int, got float 2.5"):
        lab.step(2.5)
    with pytest.raises(ValueError, match=r"no optimizer 'Adagrad' in this race; it has SGD, Momentum"):
        lab.optimizer("Adagrad")


def test_play_needs_an_event_loop():
    lab = OptimizerLab("bowl")
    with pytest.raises(RuntimeError, match=r"needs a running asyncio event loop.*call step\(n\)"):
        lab.play()
    assert not lab.playing and lab.step_count == 0


# ---------------------------------------------------------------------------
# Play: an asyncio task in the event loop, new points only, pause stops it
# ---------------------------------------------------------------------------
def test_play_streams_only_new_points_and_pause_stops_it():
    lab = OptimizerLab("himmelblau", steps_per_frame=3)
    sent = capture(lab)
    ticks = []

    async def scenario():
        lab.play()
        assert lab.playing and len(play_tasks()) == 1
        for _ in range(400):                # this coroutine runs between frames: the loop is free
            if lab.step_count >= 12:
                break
            ticks.append(lab.step_count)
            await asyncio.sleep(0.005)
        lab.pause()
        stopped_at = lab.step_count
        await asyncio.sleep(0.2)            # long enough for several more frames, had it not stopped
        return stopped_at

    stopped_at = asyncio.run(scenario())
    assert len(ticks) > 3
    assert lab.step_count == stopped_at and stopped_at % 3 == 0 and not lab.playing
    frames = [m for m in sent if m["kind"] == "points"]
    assert len(frames) == stopped_at // 3
    # the browser's way: append each frame where its copy ends
    paths = {name: [[0.0, -0.75]] for name in ALL}
    for frame in frames:
        for name, new in frame["points"].items():
            xy = unpack_points(new["xy"])
            assert new["from"] == len(paths[name]) and len(xy) == 3
            paths[name] += xy
    assert paths == {name: unpack_points(pack_points(points)) for name, points in lab.trajectories.items()}
    assert {name: unpack_points(text) for name, text in lab.paths.items()} == paths   # in full when Play stopped
    for name in ALL:
        points, _ = hand_run(himmelblau, (0.0, -0.75), name, stopped_at, lr=0.015)
        assert hexes(lab.trajectories[name]) == hexes(points)


def test_play_pause_play_keeps_one_task_and_close_stops_it():
    lab = OptimizerLab("bowl", steps_per_frame=1)
    capture(lab)

    async def scenario():
        lab.play()
        (task,) = play_tasks()
        lab.pause()
        lab.play()                           # before the task noticed the pause
        assert play_tasks() == {task}        # it carries on: no second task
        await asyncio.sleep(0.12)
        assert lab.step_count >= 2
        lab.close()
        stopped_at = lab.step_count
        await asyncio.sleep(0.15)
        assert play_tasks() == set()
        return task, stopped_at

    task, stopped_at = asyncio.run(scenario())
    assert task.done() and not lab.playing
    assert lab.step_count == stopped_at


def test_max_steps_stops_the_race():
    lab = OptimizerLab("bowl", optimizers=("Adam",))
    assert lab.step(MAX_STEPS - 10) == MAX_STEPS - 10 and lab.notice == ""
    assert lab.step(25) == 10
    assert lab.step_count == MAX_STEPS == 5000
    assert lab.notice == "Stopped at 5000 steps, the most a race keeps: press Reset to race again."
    assert lab.choices["max_steps"] == MAX_STEPS and not lab.diverged["Adam"]


# ---------------------------------------------------------------------------
# The race on its own (widgets.optimizer_race): no widget, no Jupyter
# ---------------------------------------------------------------------------
JUPYTER = {"ipywidgets", "anywidget", "traitlets", "IPython", "comm", "ipykernel"}


def test_the_race_and_its_plot_data_import_nothing_of_jupyter():
    """optimizer_race.py and contours.py, and the widgets modules they import, name no Jupyter package."""
    seen, todo = set(), ["optimizer_race", "contours"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((REPO / "widgets" / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:      # from .surfaces import ...
                todo.append(node.module)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                assert not {m.split(".")[0] for m in modules} & JUPYTER, (name, modules)
    assert seen == {"optimizer_race", "contours", "surfaces"}


def bowl_race(names=ALL, lr=0.06, schedule="none"):
    """A race on the bowl from its default start (-5, 2.5)."""
    return Race(get_surface("bowl"), names, (-5.0, 2.5), Hyper(lr, 0.9, (0.9, 0.999)), schedule)


@pytest.mark.parametrize("schedule", ["none", "step", "exponential", "cosine"])
def test_a_race_steps_like_the_hand_run(schedule):
    race = bowl_race(schedule=schedule)
    assert race.advance(30) == 30 and race.count == 30 and race.names == ALL
    for name in ALL:
        points, lrs = hand_run(bowl, (-5.0, 2.5), name, 30, lr=0.06, schedule=SCHEDULE_BY_HAND.get(schedule))
        assert hexes(race.trajectories[name]) == hexes(points), name
        assert race.current_lr[name] == lrs[-1]
        assert race.losses[name] == [float(bowl(x, y)) for x, y in points]


def test_a_race_goes_on_while_one_racer_runs():
    race = bowl_race(names=("SGD", "Adam"), lr=0.15)
    assert race.advance(30) == 30
    assert race.diverged == {"SGD": True, "Adam": False} and race.steps_taken == {"SGD": 14, "Adam": 30}
    assert race.status["SGD"].startswith("diverged at step 14: the loss became too large (")
    assert race.can_step and race.stop_reason == ""
    alone = bowl_race(names=("SGD",), lr=0.15)
    assert alone.advance(30) == 14 and not alone.can_step
    assert alone.stop_reason == "Every optimizer has stopped: change a setting or press Reset."
    assert alone.advance(5) == 0 and alone.count == 14


def test_a_race_ends_at_max_steps():
    race = bowl_race(names=("Adam",))
    assert race.advance(MAX_STEPS + 7) == MAX_STEPS and race.count == MAX_STEPS
    assert not race.can_step and race.status == {"Adam": "running"}
    assert race.stop_reason == f"Stopped at {MAX_STEPS} steps, the most a race keeps: press Reset to race again."


def test_a_race_hands_the_browser_its_paths_and_new_points():
    race = bowl_race(names=("SGD", "Adam"))
    race.advance(2)
    first = race.path_lengths()
    assert first == {"SGD": 3, "Adam": 3}
    race.advance(3)
    new = race.points_since(first)
    for name in ("SGD", "Adam"):
        assert new[name] == {"from": 3, "xy": [list(p) for p in race.trajectories[name][3:]]}
        assert len(new[name]["xy"]) == 3
    assert race.paths() == {name: [list(p) for p in points] for name, points in race.trajectories.items()}
    json.dumps([race.paths(), new, race.readout()], allow_nan=False)


def test_a_readout_row_is_texts_to_show_as_they_are():
    race = Race(get_surface("himmelblau"), ("SGD",), (0.0, -0.75), Hyper(0.015, 0.9, (0.9, 0.999)))
    assert race.readout() == [{
        "name": "SGD", "colour": "#0072B2", "marker": "o", "recipe": "SGD(lr)",
        "loss": format_number(himmelblau(0.0, -0.75)), "steps": 0, "points": 1, "lr": "0.015",
        "position": "(0, −0.75)", "nearest": "(3.584, −1.848), 3.749 away",
        "status": "running", "message": "running",
    }]
    with pytest.raises(ValueError, match=r"OptimizerLab: no optimizer 'Adam' in this race; it has SGD"):
        race.optimizer("Adam")


def test_the_checks_give_the_value_to_use():
    bowl_surface = get_surface("bowl")
    assert optimizer_race.check_optimizers("Adam") == ("Adam",)
    assert optimizer_race.check_optimizers(["SGD", "Adam"]) == ("SGD", "Adam")
    assert optimizer_race.check_schedule(None) == "none"
    assert optimizer_race.check_betas([0.8, 0.99]) == (0.8, 0.99)
    assert optimizer_race.check_beta(0.5, "beta1") == 0.5
    assert optimizer_race.check_start(bowl_surface, [1.5, -2.0]) == (1.5, -2.0)
    with pytest.raises(ValueError, match=r"OptimizerLab: beta1 must be in \[0, 1\), got 1"):
        optimizer_race.check_beta(1, "beta1")
    with pytest.raises(ValueError, match=r"start \(7, 0\) is outside the bowl window x in \[-6, 6\]"):
        optimizer_race.check_start(bowl_surface, (7, 0))


# ---------------------------------------------------------------------------
# Outside a live kernel: the mimebundle
# ---------------------------------------------------------------------------
def _colour_pixels(png: bytes, hex_colour: str) -> int:
    """How many pixels of the PNG are (nearly) this colour."""
    import matplotlib.image
    import numpy as np

    image = matplotlib.image.imread(io.BytesIO(png))[..., :3]
    target = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(image - target).max(axis=-1) < 0.04).sum())


def test_mimebundle_has_the_widget_a_png_and_text():
    lab = OptimizerLab("bowl")
    data, _ = lab._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == lab.model_id
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    lines = data["text/plain"].splitlines()
    assert lines[0] == ("OptimizerLab on bowl: f(x, y) = x²/2 + 10·y², start (−5, 2.5), lr 0.06, "
                        "momentum 0.9, betas (0.9, 0.999), schedule none; step 0")
    assert [line.split()[0] for line in lines[1:]] == list(ALL)
    assert all("loss 75 " in line and line.endswith("0 steps  running") for line in lines[1:])   # 12.5 + 62.5
    again, _ = lab._repr_mimebundle_()
    assert again["image/png"] == data["image/png"] and again["text/plain"] == data["text/plain"]   # deterministic


def test_the_png_draws_every_path_in_its_colour():
    import matplotlib.image

    lab = OptimizerLab("himmelblau")
    before = lab.static_png()
    lab.step(60)
    after = lab.static_png()
    assert after != before
    assert matplotlib.image.imread(io.BytesIO(after)).shape[:2] == (640, 750)
    for name, spec in OPTIMIZERS.items():
        assert _colour_pixels(after, spec.colour) > 150, name
    assert "step 60" in repr(lab)
    only_sgd = OptimizerLab("himmelblau", optimizers=("SGD",))
    only_sgd.step(60)
    assert _colour_pixels(only_sgd.static_png(), OPTIMIZERS["Adam"].colour) < 20


# ---------------------------------------------------------------------------
# The DOM contract, documented and built
# ---------------------------------------------------------------------------
CONTRACT = ['.ad-optlab', 'canvas[data-role="contour"]', 'button[data-action="step"]',
            'select[data-role="surface"]', '[data-role="readout"]', '[data-optimizer="Adam"]',
            '[data-role="steps"]', "data-plot-left", "data-window", "data-points"]


def test_the_dom_contract_is_documented_and_built():
    assert "docs/optimizer-lab.md" in optlab_module.__doc__
    doc = LAB_DOC.read_text(encoding="utf-8")
    js = LAB_JS.read_text(encoding="utf-8")
    for item in CONTRACT:
        assert item in doc, item
    for role in ("contour", "surface", "schedule", "readout", "steps", "notice", "error", "lr", "momentum",
                 "beta1", "beta2", "start-x", "start-y", "speed"):
        assert f'"data-role": "{role}"' in js or f'slider("{role}"' in js, role
    for action in ("step", "play", "reset"):
        assert f'"data-action": "{action}"' in js and f'button[data-action="{action}"]' in doc
    assert 'class: "ad-optlab"' in js and '"data-optimizer": name' in js


# ---------------------------------------------------------------------------
# The lab's browser module (common.js + optimizer_lab.js): pure helpers, under node
# ---------------------------------------------------------------------------
RUNNER = """
import * as js from "./widget.mjs";
let input = "";
process.stdin.on("data", (chunk) => input += chunk);
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const numbers = job.numbers.map(js.formatNumber);
  const trips = job.windows.map((w) => {
    const g = js.geometry(w);
    return { size: [g.w, g.h, g.width, g.height],
             back: job.points.map(([u, v]) => g.toSurface(g.px(w[0] + u * (w[1] - w[0])), g.py(w[2] + v * (w[3] - w[2])))) };
  });
  const rounded = job.rounding.map(([value, span]) => js.roundTo(value, span));
  process.stdout.write(JSON.stringify({ numbers, trips, rounded }));
});
"""


def test_js_numbers_and_geometry_agree_with_python(run_js):
    numbers = [0.0, 1.0, -2.5, 0.001, 0.0015, -1e-5, 12345.0, 1.0625, 3.5844283403304917, 1e10, -0.75, 250.0]
    windows = [list(s.window) for s in SURFACES.values()]
    points = [[0, 0], [1, 1], [0.25, 0.8]]
    # a click's coordinate, rounded to a round 1/100 of the window (or finer)
    rounding = [[0.503, 4], [1.997, 4], [-2.71, 11], [0.123456, 12], [-0.0049, 4], [2.5, 9]]
    job = {"numbers": numbers, "windows": windows, "points": points, "rounding": rounding}
    out = run_js(OptimizerLab._esm, RUNNER, job)
    assert out["numbers"] == [format_number(x) for x in numbers]
    assert out["rounded"] == [0.5, 2, -2.7, 0.1, 0, 2.5]
    for w, trip in zip(windows, out["trips"]):
        plot_w, plot_h, width, height = trip["size"]
        # the plotted area keeps the window's proportions: one unit is as long along x as along y
        assert abs(plot_w / (w[1] - w[0]) - plot_h / (w[3] - w[2])) < 1 / (w[3] - w[2])
        for (u, v), (x, y) in zip(points, trip["back"]):
            assert math.isclose(x, w[0] + u * (w[1] - w[0]), abs_tol=1e-9)
            assert math.isclose(y, w[2] + v * (w[3] - w[2]), abs_tol=1e-9)


# ---------------------------------------------------------------------------
# What the browser draws travels packed small (a saved lesson keeps every synced trait)
# ---------------------------------------------------------------------------
def test_pack_points_rounds_only_to_what_the_view_draws():
    assert pack_points([(-5.0, 2.5), (-4.88000000024, 2.380000000024)]) == "-5,2.5 -4.88,2.38"
    assert pack_points([(1e-4 / 3, -1e200)]) == "3.33333e-05,-1e+200"    # small and far-off values keep their size
    assert pack_points([(math.inf, -math.inf)]) == "Infinity,-Infinity"  # as JavaScript's Number() reads them
    assert pack_points([]) == ""
    lab = OptimizerLab("himmelblau")
    lab.step(300)
    for name, points in lab.trajectories.items():
        back = unpack_points(lab.paths[name])
        assert len(back) == len(points)
        for (x, y), (u, v) in zip(points, back):      # far finer than a pixel (1/550 of an 11-wide window)
            assert abs(x - u) <= 5e-6 * max(1, abs(x)) and abs(y - v) <= 5e-6 * max(1, abs(y))
    # the kernel's own numbers are not rounded: the trajectories are still the hand run's, bit for bit
    hand, _ = hand_run(himmelblau, (0.0, -0.75), "Adam", 300, lr=0.015)
    assert hexes(lab.trajectories["Adam"]) == hexes(hand)


@pytest.mark.parametrize("name", list(SURFACES))
def test_browser_surface_is_the_payload_packed(name):
    data, packed = surface_payload(name), browser_surface(name)
    assert browser_surface(name) is packed                          # computed once, then cached
    assert OptimizerLab(name).surface_data is packed
    assert list(base64.b64decode(packed["shade"])) == data["shade"]  # the shading, byte for byte
    x0, x1, y0, y1 = data["window"]
    for c, p in zip(data["contours"], packed["contours"], strict=True):
        assert p["level"] == c["level"] and len(p["lines"]) == len(c["lines"])
        for line, text in zip(c["lines"], p["lines"]):
            back = [v for point in unpack_points(text) for v in point]
            assert len(back) == len(line)
            assert max(abs(a - b) for a, b in zip(line, back)) <= 5e-4 * max(x1 - x0, y1 - y0)
    unchanged = {k for k in data if k not in ("shade", "contours")}
    assert {k: packed[k] for k in unchanged} == {k: data[k] for k in unchanged}
    # as a notebook saves it (indented, one number a line): 40% of the bytes at most; no long lists
    assert len(json.dumps(packed, indent=1)) < 0.4 * len(json.dumps(data, indent=1))
    assert all(not isinstance(v, list) or len(v) < 20 for v in packed.values())


UNPACK_RUNNER = """
import * as js from "./widget.mjs";
let input = "";
process.stdin.on("data", (chunk) => input += chunk);
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  process.stdout.write(JSON.stringify({
    paths: js.unpackPaths(job.paths), empty: js.unpackPoints(""),
    shade: Array.from(js.unpackShade(job.shade)),
  }));
});
"""


def test_js_unpacks_what_python_packs(run_js):
    lab = OptimizerLab("saddle", optimizers=("SGD", "Adam"))
    lab.step(40)
    out = run_js(OptimizerLab._esm, UNPACK_RUNNER, {"paths": lab.paths, "shade": lab.surface_data["shade"]})
    assert out["paths"] == {name: unpack_points(text) for name, text in lab.paths.items()}
    assert len(out["paths"]["SGD"]) == 41 and out["empty"] == []
    assert out["shade"] == surface_payload("saddle")["shade"]


def test_the_saved_png_has_few_colours_and_keeps_every_optimizers_own():
    from PIL import Image

    lab = OptimizerLab("himmelblau")
    lab.step(300)
    png = lab.static_png()
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P" and len(image.getcolors()) <= PALETTE_SIZE
    assert len(png) < 80_000                            # was 195 kB as a full-colour PNG
    colours = {rgb for _, rgb in image.convert("RGB").getcolors()}
    for spec in OPTIMIZERS.values():
        assert tuple(int(spec.colour[i:i + 2], 16) for i in (1, 3, 5)) in colours, spec.name
