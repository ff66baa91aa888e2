"""Loss surfaces for `OptimizerLab`: small 2-D functions that show how optimizers differ.

Each surface is written once, as an ordinary Python function ``f(x, y)``
built from ``+ − · /``, ``**`` and `autodiff.exp`. The same function runs on

* `Var`\\ s, recording a graph, so ``loss.backward()`` gives the gradient
  (the optimizers never see a hand-written derivative), and on
* plain floats, for the contour grid (no graph, no overhead).

>>> s = SURFACES["rosenbrock"]
>>> s(1.0, 1.0)                       # a plain float in, a plain float out
0.0
>>> s.value_and_grad(0.0, 0.0)        # the gradient from autodiff
(1.0, (-2.0, 0.0))

What each surface teaches:

* ``bowl``: an ill-conditioned quadratic, 20 times steeper across than
  along. Plain SGD zig-zags across the narrow direction and crawls along the
  long one; momentum and the adaptive methods do better.
* ``rosenbrock``: a long, curved, flat-bottomed valley. Finding the valley is
  easy; following it to the minimum at (1, 1) is slow.
* ``saddle``: x² − y², a saddle point at (0, 0) and no minimum at all. Started
  near y = 0, optimizers slide towards the saddle point, stall there, then
  run away downhill along y.
* ``himmelblau``: four minima of equal height 0. Started near the single
  maximum, different optimizers end up in different minima.
* ``wells``: a shallow well and a deep one on a gentle bowl. Plain gradient
  descent settles in whichever well it falls into first; momentum can carry
  an optimizer over the rim into the deep one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from autodiff import Var, exp

__all__ = ["Surface", "SURFACES", "surface_names", "get_surface", "bowl", "rosenbrock", "saddle",
           "himmelblau", "wells"]

Number = Any  # a float or a Var: every surface function takes and returns either
Point = tuple[float, float]


# ----------------------------------------------------------------------
# The functions. Each line is plain arithmetic, so it works on Vars and floats.
# ----------------------------------------------------------------------
def bowl(x: Number, y: Number) -> Number:
    """x²/2 + 10·y²: curvature 1 along x, 20 across (condition number 20)."""
    return 0.5 * x ** 2 + 10 * y ** 2


def rosenbrock(x: Number, y: Number) -> Number:
    """(1 − x)² + 100·(y − x²)²: Rosenbrock's banana-shaped valley, minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def saddle(x: Number, y: Number) -> Number:
    """x² − y²: uphill along x, downhill along y; (0, 0) is a saddle point, not a minimum."""
    return x ** 2 - y ** 2


def himmelblau(x: Number, y: Number) -> Number:
    """(x² + y − 11)² + (x + y² − 7)²: four minima of height 0, one maximum near (−0.27, −0.92)."""
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


# The two wells: (centre x, centre y, depth, width²). The shallow one is on the left.
SHALLOW_WELL = (-1.2, 0.3, 0.5, 0.5)
DEEP_WELL = (1.4, -0.2, 1.0, 0.7)


def _well(x: Number, y: Number, well: tuple[float, float, float, float]) -> Number:
    """−depth · exp(−(squared distance to the centre) / width²): a smooth dip."""
    cx, cy, depth, width2 = well
    return -depth * exp(-((x - cx) ** 2 + (y - cy) ** 2) / width2)


def wells(x: Number, y: Number) -> Number:
    """A shallow well and a deep one on a gentle bowl 0.05·(x² + y²)."""
    return 0.05 * (x ** 2 + y ** 2) + _well(x, y, SHALLOW_WELL) + _well(x, y, DEEP_WELL)


# ----------------------------------------------------------------------
# A surface: the function and what the widget needs to know to draw it
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Surface:
    """A loss surface ``f(x, y)`` with everything needed to plot and race on it.

    * ``window``: the plotted region ``(x_min, x_max, y_min, y_max)``;
    * ``start``: the default start point, chosen to make the race interesting;
    * ``minima``: every local minimum inside the window (an empty tuple for
      the saddle, which has none), for the readout's "nearest minimum";
    * ``lr``: a learning rate at which the optimizers can be told apart;
    * ``log_scale``: contour levels spaced evenly in log(f − f_min) (for
      surfaces with a minimum and a large range) rather than in f.
    """

    name: str
    title: str
    formula: str
    f: Callable[[Number, Number], Number] = field(repr=False)
    window: tuple[float, float, float, float]
    start: Point
    minima: tuple[Point, ...]
    lr: float
    log_scale: bool
    note: str
    saddle_points: tuple[Point, ...] = ()

    def __call__(self, x: Number, y: Number) -> Number:
        """The loss at (x, y): a float for floats, a Var (with its graph) for Vars."""
        return self.f(x, y)

    def value_and_grad(self, x: float, y: float) -> tuple[float, tuple[float, float]]:
        """f(x, y) and (∂f/∂x, ∂f/∂y), by one forward and one backward pass."""
        vx, vy = Var(x, label="x"), Var(y, label="y")
        loss = self.f(vx, vy)
        loss.backward()
        return loss.data, (vx.grad, vy.grad)

    def contains(self, x: float, y: float) -> bool:
        """True if (x, y) lies in the plotted window (edges included)."""
        x0, x1, y0, y1 = self.window
        return x0 <= x <= x1 and y0 <= y <= y1

    def nearest_minimum(self, x: float, y: float) -> tuple[Point, float] | None:
        """The known minimum closest to (x, y) and its distance; None if there is none."""
        if not self.minima:
            return None
        best = min(self.minima, key=lambda m: math.hypot(x - m[0], y - m[1]))
        return best, math.hypot(x - best[0], y - best[1])

    @property
    def lowest(self) -> float | None:
        """The smallest value at a known minimum (None when there is no minimum)."""
        return min(self.f(*m) for m in self.minima) if self.minima else None


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface(
        name="bowl", title="Ill-conditioned bowl", formula="x²/2 + 10·y²", f=bowl,
        window=(-6.0, 6.0, -4.5, 4.5), start=(-5.0, 2.5), minima=((0.0, 0.0),),
        lr=0.06, log_scale=True,
        note="20 times steeper across than along: SGD zig-zags across and crawls along.",
    ),
    Surface(
        name="rosenbrock", title="Rosenbrock valley", formula="(1 − x)² + 100·(y − x²)²",
        f=rosenbrock, window=(-2.0, 2.0, -1.0, 3.0), start=(-1.5, 2.5), minima=((1.0, 1.0),),
        lr=0.001, log_scale=True,
        note=("The valley is easy to find and slow to follow to its end at (1, 1). "
              "Try lr 0.01: the SGD family diverges at once, RMSprop and Adam get going."),
    ),
    Surface(
        name="saddle", title="Saddle", formula="x² − y²", f=saddle,
        window=(-2.0, 2.0, -1.5, 1.5), start=(-1.8, 0.02), minima=(), lr=0.05, log_scale=False,
        saddle_points=((0.0, 0.0),),
        note="No minimum: optimizers stall near the saddle point (0, 0), then run off along y.",
    ),
    Surface(
        name="himmelblau", title="Himmelblau: four minima", formula="(x² + y − 11)² + (x + y² − 7)²",
        f=himmelblau, window=(-5.5, 5.5, -5.5, 5.5), start=(0.0, -0.75),
        # (3, 2) is exact; the other three are Newton's method's answers, to the last bit.
        minima=((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
                (-3.779310253377747, -3.283185991286169), (3.5844283403304917, -1.8481265269644034)),
        lr=0.015, log_scale=True,
        note="Four minima, all at height 0: which one an optimizer reaches depends on its path.",
    ),
    Surface(
        name="wells", title="Two wells: shallow and deep",
        formula="0.05·(x² + y²) − 0.5·exp(−((x + 1.2)² + (y − 0.3)²)/0.5) − exp(−((x − 1.4)² + (y + 0.2)²)/0.7)",
        f=wells, window=(-4.0, 4.0, -3.0, 3.0), start=(-3.5, 0.3),
        # Newton's method from each well's centre (the bowl pulls the minima inward a little).
        minima=((-1.1422268137294336, 0.2855710479300342), (1.3525040200612035, -0.19321474244039677)),
        lr=0.2, log_scale=True,
        note="A shallow well on the left, a deep one on the right: momentum can roll over the rim.",
    ),
)}


def surface_names() -> tuple[str, ...]:
    """The names of the surfaces, in the order the widget lists them."""
    return tuple(SURFACES)


def get_surface(name: str) -> Surface:
    """The surface called ``name``, or a ValueError listing the names there are."""
    if not isinstance(name, str):
        raise TypeError(f"surface must be a name (str), one of {surface_names()}, got {type(name).__name__}")
    try:
        return SURFACES[name]
    except KeyError:
        raise ValueError(f"unknown surface {name!r}; choose one of {', '.join(surface_names())}") from None


@lru_cache(maxsize=None)
def grid(name: str, nx: int = 121, ny: int = 121) -> tuple[tuple[float, ...], tuple[float, ...], tuple[tuple[float, ...], ...]]:
    """The surface on an ``nx`` × ``ny`` grid over its window: (xs, ys, rows), rows[j][i] = f(xs[i], ys[j]).

    Computed once per surface (cached): plain floats through the same
    function the optimizers differentiate.
    """
    s = get_surface(name)
    x0, x1, y0, y1 = s.window
    xs = tuple(x0 + (x1 - x0) * i / (nx - 1) for i in range(nx))
    ys = tuple(y0 + (y1 - y0) * j / (ny - 1) for j in range(ny))
    rows = tuple(tuple(float(s.f(x, y)) for x in xs) for y in ys)
    return xs, ys, rows
