"""A fast check of the training-step benchmark's arithmetic and of its collector counts.

No timing is asserted: only that the ratios (a) and (b) are plainly the
ratio of the per-step medians the table shows, that the collector is
counted and left as it was, and that the engines still compute the same
step.
"""

import gc
import math
import time

import pytest

from autodiff import Var
from benchmarks import __main__ as bench
from benchmarks import graphs, workloads


def test_a_ratio_is_the_ratio_of_the_two_per_step_medians():
    theirs = [[10.0, 30.0], [20.0, 1000.0]]  # median 25: one slow step does not move it
    ours = [[1.0, 2.0], [3.0, 4.0], [5.0]]    # blocks of any length: median 3
    assert bench.per_step_ratio(theirs, ours) == pytest.approx(25.0 / 3.0)


def test_the_table_shows_the_medians_and_their_ratio_against_the_target():
    steps = {
        "micrograd": [[0.9, 1.0], [1.1, 5.0]],
        "autodiff": [[0.1, 0.2], [0.1, 0.1]],
        "micrograd (gc off)": [[0.3, 0.3], [0.3, 0.3]],
        "autodiff (gc off)": [[0.1, 0.1], [0.1, 0.1]],
        "torch": [[0.35, 0.35], [0.35, 0.35]],
    }
    wall = {name: [[3 * t for t in block] for block in run] for name, run in steps.items()}
    wall["autodiff"] = [[1.0, 1.0], [1.0, 1.0]]  # a busy machine: only the wall clock sees it
    blocks = bench.Blocks(steps, {name: [0.01] for name in steps}, wall)
    rows = {row.measurement: row for row in bench.step_rows(blocks, "step")}
    assert rows["micrograd: ms per step"].result == "1050.0 (900.0–5000.0)"
    assert rows["autodiff: ms per step"].result == "100.0 (100.0–200.0)"
    a = rows["micrograd / autodiff (step)"]
    assert (a.result, a.target, a.met) == ("10.50×", "≥ 8×", True)
    b = rows["micrograd (gc off) / autodiff (gc off) (step)"]
    assert (b.result, b.met) == ("3.00×", True)
    assert rows["the same ratios by the wall clock (step)"].result == (
        "micrograd / autodiff 3.15× · micrograd (gc off) / autodiff (gc off) 3.00×")
    rows = {row.measurement: row for row in bench.step_rows(blocks, "step", bench.TORCH_PROCESS_RATIOS)}
    torch = rows["torch / autodiff (step)"]
    assert (torch.result, torch.target, torch.met) == ("3.50×", "≥ 3×", True)
    assert rows["micrograd / autodiff (step)"].target == ""  # reported, with no target


def test_a_block_is_timed_by_the_process_cpu_time_and_the_wall_clock():
    class Sleeper:  # sleeping takes wall-clock time but next to no CPU time
        def step(self):
            time.sleep(0.02)

    times, wall = bench.time_block(Sleeper(), 2)
    assert bench.CLOCK is time.process_time
    assert len(times) == len(wall) == 2
    assert all(w >= 0.02 for w in wall) and all(t < 0.01 for t in times)


def test_a_block_with_the_collector_off_turns_it_back_on():
    class Run:
        collector_off = True
        seen = []

        def step(self):
            self.seen.append(gc.isenabled())

    bench.time_block(Run(), 2)
    assert Run.seen == [False, False, False] and gc.isenabled()


def test_the_training_option_is_parsed_and_off_by_default():
    assert bench.parse_args(["--training"]).training
    assert not bench.parse_args([]).training
    assert bench.parse_args([]).rounds * bench.parse_args([]).steps >= 30  # a median of many steps


def test_collections_are_counted_per_call_and_the_collector_is_left_as_it_was():
    callbacks = list(gc.callbacks)
    assert workloads.collections_per_call(lambda: None, 3) == [0.0, 0.0, 0.0]
    kept = []

    def make_young_objects():  # 20 young collections' worth of new tracked objects, kept alive
        kept.append([[] for _ in range(20 * (gc.get_threshold()[0] + 1))])

    gen0, gen1, gen2 = workloads.collections_per_call(make_young_objects, 2)
    assert 18 <= gen0 + gen1 + gen2 <= 22
    assert gen0 > gen1
    assert gc.callbacks == callbacks and gc.isenabled()


def test_collections_per_call_refuses_no_calls():
    with pytest.raises(ValueError, match="collections_per_call: times must be at least 1, got 0"):
        workloads.collections_per_call(lambda: None, 0)


# The count per node is a whole number; another thread of the process (pytest-xdist's
# link to its controller) may allocate a stray object or two meanwhile, hence round().
def test_our_graph_node_is_one_tracked_object_and_the_collector_stays_on():
    assert round(graphs.tracked_objects_per_node(Var, n=2000)) == 1
    assert gc.isenabled()


def test_micrograd_value_is_seven_tracked_objects():
    engine = pytest.importorskip("micrograd.engine")
    assert round(graphs.tracked_objects_per_node(engine.Value, n=2000)) == 7


def test_collector_rows_name_the_counts_per_node_and_the_process():
    pytest.importorskip("micrograd.engine")
    counts = {"autodiff": [84.5, 7.75, 0.625], "micrograd": [84.5, 7.75, 0.625]}
    rows = bench.collector_rows(counts, 4, 185_562)
    assert [r.result for r in rows] == [
        "autodiff 84.5 / 7.75 / 0.625 · micrograd 84.5 / 7.75 / 0.625",
        "autodiff 1 · micrograd 7",
        "185,562",
    ]
    assert rows[0].measurement.endswith("(over 4 steps)")


def test_autodiff_and_micrograd_take_the_same_first_step():
    pytest.importorskip("micrograd.engine")
    ours = workloads.DemoTraining(workloads.autodiff_engine()).step()
    theirs = workloads.DemoTraining(workloads.micrograd_engine()).step()
    assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=0.0)
