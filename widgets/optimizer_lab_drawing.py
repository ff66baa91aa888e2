"""`OptimizerLab`'s static picture: a race drawn with matplotlib, for where no live kernel runs.

On GitHub, nbviewer or in an HTML export the lab's view cannot run, so its
output also carries this PNG. It is drawn to look like the browser's canvas:
the same shading and contour levels (`widgets.contours.shading`), the same
background colours (`HEAT_COLOURS`, `CONTOUR_COLOUR`, also sent to
``optimizer_lab.js``), and each optimizer in its own colour and marker
(`widgets.optimizer_race.OPTIMIZERS`).

The picture is saved in the notebook beside the live view, four times in
lesson 10, so it is stored with a palette of `widgets._live.PALETTE_SIZE`
colours (`few_colours`): a quarter of the bytes, and every optimizer, marker and
background colour kept exactly.
"""

from __future__ import annotations

import math

from autodiff.trace import format_number

from ._live import few_colours, figure_png
from .contours import shading
from .optimizer_race import OPTIMIZERS, Point, Race

__all__ = ["HEAT_COLOURS", "CONTOUR_COLOUR", "draw_png"]

# The background, from low loss to high: pale, so coloured paths stand out.
HEAT_COLOURS = ("#ffffff", "#eef2f8", "#dbe3ef", "#c3cfe0")
CONTOUR_COLOUR = "#6f7d94"
MARK_COLOUR = "#1d2330"     # minima, saddle points, the start


def on_canvas(points: list[Point], window: tuple[float, float, float, float]) -> tuple[list[float], list[float]]:
    """The points as x and y lists, far-off points pulled in to ten windows away (still off the plot)."""
    x0, x1, y0, y1 = window
    dx, dy = 10 * (x1 - x0), 10 * (y1 - y0)
    return ([min(max(x, x0 - dx), x1 + dx) for x, _ in points],
            [min(max(y, y0 - dy), y1 + dy) for _, y in points])


def draw_png(race: Race) -> bytes:
    """The contour plot, the start, the minima and every path with a legend, as PNG bytes.

    The same shading, contour levels, colours and markers as the browser,
    drawn in the same order: paths, then minima, then where each optimizer
    is now. The PNG carries no date or version: the same race, the same bytes;
    its palette is `few_colours`.
    """
    import textwrap

    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    surface = race.surface
    xs, ys, z, shade, levels = shading(surface.name)
    window = surface.window
    fig = Figure(figsize=(7.5, 6.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = LinearSegmentedColormap.from_list("ad-heat", HEAT_COLOURS)
    ax.imshow(shade, origin="lower", extent=window, cmap=cmap, vmin=0, vmax=1,
              interpolation="bilinear", aspect="equal")
    ax.contour(xs, ys, z, levels=levels, colors=CONTOUR_COLOUR, linewidths=0.8, alpha=0.75,
               linestyles="solid")
    halo = [patheffects.Stroke(linewidth=4.5, foreground="white"), patheffects.Normal()]
    handles = []
    for r in race.racers:
        spec = OPTIMIZERS[r.name]
        px, py = on_canvas(r.points, window)
        ax.plot(px, py, color=spec.colour, linewidth=2.2, path_effects=halo, zorder=5)
        ax.plot(px[-1:], py[-1:], linestyle="none", marker=spec.marker, markersize=10, zorder=7,
                markerfacecolor=spec.colour if r.running else "white",
                markeredgecolor="white" if r.running else spec.colour, markeredgewidth=1.5)
        loss = "too large" if r.losses[-1] == math.inf else format_number(r.losses[-1])
        label = f"{r.name}: loss {loss} after {r.steps} steps" if r.running else f"{r.name}: {r.failure}"
        handles.append(Line2D([], [], color=spec.colour, linewidth=2.2, marker=spec.marker, markersize=8,
                              markeredgecolor="white", label=label))
    for m in surface.minima:
        ax.plot(*m, marker="*", markersize=15, color=MARK_COLOUR, markeredgecolor="white", zorder=6)
    for p in surface.saddle_points:
        ax.plot(*p, marker="X", markersize=11, color=MARK_COLOUR, markeredgecolor="white", zorder=6)
    ax.plot(*race.start, marker="o", markersize=13, markerfacecolor="none", markeredgecolor=MARK_COLOUR,
            markeredgewidth=2.2, zorder=6)
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    formula = textwrap.fill(f"f(x, y) = {surface.formula}", 90)
    ax.set_title(f"{surface.title}, step {race.count}\n{formula}", fontsize=10)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1, fontsize=9,
              frameon=False)
    keep = (*(OPTIMIZERS[r.name].colour for r in race.racers), *HEAT_COLOURS, CONTOUR_COLOUR, MARK_COLOUR,
            "#ffffff", "#000000")
    return few_colours(figure_png(fig), keep)
