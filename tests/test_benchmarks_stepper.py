"""The stepper benchmark's own pieces work: a laid-out stepper shows itself (no timing is asserted)."""

from __future__ import annotations

from benchmarks import stepper


def test_a_laid_out_stepper_draws_what_graphstepper_draws_and_shows_without_a_png():
    graph = stepper.mlp_graph(50)
    svg, _, _ = stepper.layout(graph)
    stepper.check_same_svg(graph, svg)
    laid_out = stepper.LaidOutStepper(graph.root, graph.parameters, svg)
    data = laid_out._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert "application/vnd.jupyter.widget-view+json" in data and "image/png" not in data
    assert laid_out.svg == svg
    laid_out.go_to(laid_out.total_steps)
    assert laid_out.explanation
