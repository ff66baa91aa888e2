"""widgets: the Jupyter layer of the kit (drawing graphs, stepping through them, set-up checks).

`autodiff` never imports this package: the engine works without Jupyter.

* `draw_graph(root)`: the computation graph behind a `Var`, as SVG in Jupyter
* `GraphStepper(root)`: step through the forward and backward passes node by
  node, with the chain-rule arithmetic of every step (and an optional quiz);
  a Tensor graph is stepped too, its boxes showing shapes and heatmaps
* `unroll(node)`: one tensor op written out as its scalar graph, stepped
  entry by entry beside the tensor VJP it adds up to
* `Playground(...)`: pick data, shape a network, press Play and watch the
  decision boundary, the losses and the gradient flow (a classroom demo)
* `OptimizerLab(...)`: SGD, momentum, Nesterov, RMSprop and Adam racing on
  the same 2-D loss surface, drawn on its contour plot
* `Exercise(...)`: a lesson exercise: checks the learner's function, shows a
  counterexample when it is wrong, and a hint ladder
* `forward_array(model, points)`: an `autodiff.nn` model on a numpy array of
  points at once, with no graph (for decision boundaries and heatmaps)
* `EngineReport(check_engine(Value))`: what checking a learner's own engine
  found: the misconceptions, with hints, and the first failing graph drawn
* `projector(True)`: projector mode, every widget's text and lines larger for
  a classroom (``projector(False)`` turns it off)
* `doctor()`: checks that this machine can show the lessons' graphs and widgets
* `render_svg(graph)`, `graphviz_renderer()`: which Graphviz program draws, and drawing with it

In a Jupyter kernel, the first ``import widgets`` also freezes the objects the
kernel loaded at start, so that Python's garbage collector stops walking them
in every full collection (`widgets.collector`).
"""

from .arrays import forward_array
from .doctor import doctor
from .engine_report import EngineReport
from .exercise import Exercise
from .graph import draw_graph
from .optimizer_lab import OptimizerLab
from .playground import Playground
from .projector import projector
from .render import graphviz_renderer, render_svg
from .stepper import GraphStepper
from .unroll import unroll
from .collector import freeze_startup_objects

freeze_startup_objects()  # in a kernel, once: see widgets.collector

__all__ = ["draw_graph", "GraphStepper", "unroll", "Playground", "OptimizerLab", "Exercise", "EngineReport", "forward_array", "doctor",
           "projector", "render_svg", "graphviz_renderer"]
