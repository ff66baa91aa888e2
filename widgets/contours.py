"""The contour plot of a loss surface, as data: shading, contour lines and ticks, computed once per surface.

`OptimizerLab` draws a surface twice over: in the browser (``optimizer_lab.js``
paints `surface_payload` on a <canvas>) and as a static PNG (matplotlib, see
`widgets.optimizer_lab_drawing`). Both start from `shading`, so the two
pictures share one grid, one shade and one set of contour levels.

The grid is `widgets.surfaces.grid`: the same function the optimizers
differentiate, evaluated on plain floats.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .surfaces import get_surface, grid

__all__ = ["GRID_SIZE", "CONTOUR_LEVELS", "shading", "surface_payload"]

GRID_SIZE = 121          # contour grid points along each axis
CONTOUR_LEVELS = 14


def ticks(low: float, high: float) -> list[float]:
    """Round tick values inside [low, high], about six of them."""
    from matplotlib.ticker import MaxNLocator

    values = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return [float(round(v, 10)) for v in values if low - 1e-9 <= v <= high + 1e-9]


@lru_cache(maxsize=None)
def shading(name: str) -> tuple[Any, Any, Any, Any, tuple[float, ...]]:
    """(xs, ys, Z, shade, levels): the grid, its shade in [0, 1] and the contour levels.

    With ``log_scale`` the shade and the levels are spaced evenly in
    log10(f − f_min), so a valley a thousand times lower than its walls
    still shows its contours; otherwise evenly in f.
    """
    import numpy as np

    s = get_surface(name)
    xs, ys, rows = grid(name, GRID_SIZE, GRID_SIZE)
    z = np.array(rows)
    if s.log_scale:
        floor = s.lowest if s.lowest is not None else float(z.min())
        spread = float(z.max()) - floor
        t = np.log10(z - floor + spread * 1e-7)
        low, high = float(np.percentile(t, 0.5)), float(t.max())
        levels_t = np.linspace(low, high, CONTOUR_LEVELS + 2)[1:-1]
        levels = tuple(float(v) for v in 10 ** levels_t + floor - spread * 1e-7)
    else:
        t = z
        low, high = float(z.min()), float(z.max())
        levels = tuple(float(v) for v in np.linspace(low, high, CONTOUR_LEVELS + 2)[1:-1])
    shade = np.clip((t - low) / (high - low), 0.0, 1.0)
    return np.array(xs), np.array(ys), z, shade, levels


def contour_lines(name: str) -> list[dict]:
    """Each contour level as polylines [x0, y0, x1, y1, ...] in surface coordinates."""
    import contourpy

    xs, ys, z, _, levels = shading(name)
    generator = contourpy.contour_generator(xs, ys, z)
    out = []
    for level in levels:
        lines = [[round(float(v), 5) for v in line.ravel()] for line in generator.lines(level)]
        out.append({"level": level, "lines": [line for line in lines if len(line) >= 4]})
    return out


@lru_cache(maxsize=None)
def surface_payload(name: str) -> dict:
    """Everything optimizer_lab.js needs to draw a surface: plain JSON, computed once.

    ``shade`` is the grid's shade as integers 0–255, row by row from y_min
    up; ``contours`` the contour lines; the rest says what and where.
    """
    s = get_surface(name)
    _, _, _, shade, _ = shading(name)
    x0, x1, y0, y1 = s.window
    return {
        "name": s.name, "title": s.title, "formula": s.formula, "note": s.note,
        "window": list(s.window), "start": list(s.start), "lr": s.lr,
        "minima": [list(m) for m in s.minima], "saddle_points": [list(p) for p in s.saddle_points],
        "nx": GRID_SIZE, "ny": GRID_SIZE,
        "shade": [int(v) for v in (shade * 255).round().astype(int).ravel()],
        "contours": contour_lines(name),
        "xticks": ticks(x0, x1), "yticks": ticks(y0, y1),
    }
