"""`autodiff.tensor.memory.saved_memory`: the bytes a graph keeps for backward, node by node.

* a small graph against a count by hand, row by row;
* views (reshape, transpose, slices) add nothing, an array held twice counts
  once, arrays in an op's params (an index, a condition) count;
* an MLP's activations against the formula 8 bytes × batch × width per op,
  and how much `checkpoint_sequential` saves, segment count by segment count;
* the numbers against what numpy really allocated, measured by tracemalloc;
* by Hypothesis, random MLPs (sizes, batch, activation, float32 or float64):
  the activations against the sum of ``nbytes`` of the arrays the op nodes
  hold, and against the count 2 arrays per hidden layer, 1 for the last;
  the leaves against the weights' and the data's ``nbytes``; the same
  figures twice, and a graph that still gives the same gradients;
* the table, the module's example, and the error for something that is not a Tensor.
"""

from __future__ import annotations

import doctest
import gc
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff.tensor import Tensor, where
from autodiff.tensor.backprop import topological_order
from autodiff.tensor import nn as tnn
from autodiff.tensor.checkpoint import checkpoint, checkpoint_sequential
from autodiff.tensor import memory as memory_module
from autodiff.tensor.memory import Row, saved_memory


def test_a_small_graph_against_a_count_by_hand():
    x = Tensor(np.ones((3, 4)), label="x")                     # 12 float64: 96 bytes
    W = Tensor(np.ones((4, 2)), label="W")                     # 8 float64: 64
    data = Tensor(np.ones((3, 2)), requires_grad=False)        # a constant: 48
    h = x @ W                                                  # (3, 2): 48
    r = (h + data).relu()                                      # 48 and 48
    loss = r.sum()                                             # 0-d: 8
    memory = saved_memory(loss)
    assert memory.rows == (
        Row("x", "leaf", (3, 4), "float64", 96, 0),
        Row("W", "leaf", (4, 2), "float64", 64, 0),
        Row("matmul", "matmul", (3, 2), "float64", 48, 0),
        Row("constant", "constant", (3, 2), "float64", 48, 0),
        Row("add", "add", (3, 2), "float64", 48, 0),
        Row("relu", "relu", (3, 2), "float64", 48, 0),
        Row("sum", "sum", (), "float64", 8, 0),
    )
    assert (memory.total, memory.leaves, memory.activations) == (360, 208, 152)


def test_views_add_nothing_and_an_array_held_twice_counts_once():
    x = Tensor(np.ones((4, 6)), label="x")                     # 192 bytes
    y = x.reshape(6, 4).T[1:3]                                 # three views of x's memory
    memory = saved_memory(y)
    assert [row.value_bytes for row in memory.rows] == [192, 0, 0, 0]
    same = checkpoint(lambda t: t, x)                          # its value is x's own array
    assert same.data is x.data
    assert saved_memory(same).total == 192


def test_arrays_an_op_keeps_in_params_are_counted():
    x = Tensor(np.arange(10.0), label="x")                     # 80 bytes
    index = np.array([1, 3, 3, 7], dtype=np.int64)             # 32 bytes, kept by getitem for its VJP
    picked = x[index]                                          # 4 float64: 32
    memory = saved_memory(picked)
    assert memory.rows[-1] == Row("getitem", "getitem", (4,), "float64", 32, 32)
    chosen = where(x > 4.0, x, 0.0)                            # the condition: 10 bools, 10 bytes
    assert saved_memory(chosen).rows[-1].saved_bytes == 10


def test_a_tensor_without_a_graph_is_one_row():
    memory = saved_memory(Tensor(np.ones(5), requires_grad=False))
    assert memory.rows == (Row("constant", "constant", (5,), "float64", 40, 0),)
    assert memory.activations == 0


def test_not_a_tensor_is_a_type_error_naming_saved_memory():
    with pytest.raises(TypeError, match="saved_memory: expected a Tensor, got ndarray"):
        saved_memory(np.ones(3))


def test_the_modules_example_runs():
    assert doctest.testmod(memory_module).failed == 0


def test_the_table_ends_with_the_sums():
    x = Tensor(np.ones(3), label="x")
    text = saved_memory((x * 2.0).tanh()).table()
    lines = text.splitlines()
    assert lines[0].split() == ["node", "made", "by", "shape", "dtype", "value", "B", "saved", "B"]
    assert lines[-1] == "total 80 bytes: leaves 32, activations 48"
    assert len(lines) == 2 + 4


# ----------------------------------------------------------------------------
# An MLP, with and without checkpoints
# ----------------------------------------------------------------------------

BATCH, WIDTH, DEPTH = 16, 32, 8          # 8 blocks of Linear(32, 32) + tanh


def deep_loss(segments):
    model = tnn.MLP(WIDTH, [WIDTH] * DEPTH, activation="tanh", rng=0)
    x = Tensor(np.random.default_rng(0).normal(size=(BATCH, WIDTH)), requires_grad=False)
    blocks = [(lambda h, layer=layer: layer(h).tanh()) for layer in model.layers if isinstance(layer, tnn.Linear)]
    out = checkpoint_sequential(blocks, segments, x)
    return (out * out).sum(), model


def test_an_mlps_activations_by_the_formula():
    loss, _ = deep_loss(1)
    one = 8 * BATCH * WIDTH                      # one (16, 32) float64 array: 4,096 bytes
    # each block keeps its linear and its tanh output; then out * out, and the sum (8 bytes)
    assert saved_memory(loss).activations == DEPTH * 2 * one + one + 8


@pytest.mark.parametrize("segments", range(1, DEPTH + 1))
def test_checkpointing_keeps_the_boundaries_and_the_last_segment(segments):
    loss, model = deep_loss(segments)
    one = 8 * BATCH * WIDTH
    size = DEPTH // segments
    checkpointed = size * (segments - 1)         # blocks inside checkpoints: only their outputs kept
    boundaries = segments - 1
    last = DEPTH - checkpointed                  # blocks run as usual: two arrays each
    memory = saved_memory(loss)
    assert memory.activations == (boundaries + 2 * last) * one + one + 8
    params = sum(p.data.nbytes for p in model.parameters())
    assert memory.leaves == params + one         # the weights and the data: the same for every count


def test_how_much_checkpointing_saves_on_the_deep_mlp():
    kept = {k: saved_memory(deep_loss(k)[0]).activations for k in range(1, DEPTH + 1)}
    one = 8 * BATCH * WIDTH
    # arrays kept: boundaries + 2 per block of the last segment + out * out (and the 8-byte sum)
    # k = 1: 0 + 16 + 1; k = 2: 1 + 8 + 1; k = 3 (pieces of 2, the last 4 blocks): 2 + 8 + 1; k = 4: 3 + 4 + 1;
    # k = 5 (pieces of 1, the last 4): 4 + 8 + 1; k = 6: 5 + 6 + 1; k = 7: 6 + 4 + 1; k = 8: 7 + 2 + 1
    assert [kept[k] // one for k in range(1, DEPTH + 1)] == [17, 10, 11, 8, 13, 12, 11, 10]
    assert all(kept[k] % one == 8 for k in kept)
    assert min(kept, key=kept.get) == 4                      # √8 ≈ 2.8: 4 pieces of 2 blocks
    assert kept[1] - kept[4] == 9 * one                      # 36,864 of 69,640 bytes saved


@pytest.mark.parametrize("segments", [1, 2, 4])
def test_the_count_is_what_numpy_really_allocated(segments):
    """tracemalloc sees numpy's allocations: the graph's new memory is its activations, plus small objects."""
    model = tnn.MLP(128, [128] * 4, activation="tanh", rng=0)
    x = Tensor(np.random.default_rng(1).normal(size=(128, 128)), requires_grad=False)
    layers = list(model.layers)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = checkpoint_sequential(layers, segments, x)
        allocated = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = saved_memory(out).activations
    assert counted <= allocated <= counted * 1.01 + 20_000   # Tensor objects and the like: a few kB


# ----------------------------------------------------------------------------
# Random MLPs, against routes that share nothing with saved_memory's bookkeeping
# ----------------------------------------------------------------------------

@given(st.lists(st.integers(1, 9), min_size=2, max_size=6), st.integers(1, 7),
       st.sampled_from(["tanh", "relu", "sigmoid"]), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 2**16))
def test_random_mlps_against_nbytes_and_the_count(sizes, batch, activation, dtype, seed):
    model = tnn.MLP(sizes[0], sizes[1:], activation=activation, rng=seed, dtype=dtype)
    x = Tensor(np.random.default_rng(seed).normal(size=(batch, sizes[0])).astype(dtype), requires_grad=False)
    out = model(x)
    memory = saved_memory(out)
    # route 1: the arrays of the nodes made by ops (an MLP makes no views and shares no arrays)
    made = [node for node in topological_order(out) if node.op is not None]
    assert memory.activations == sum(node.data.nbytes for node in made)
    # route 2: the count, from the sizes and the dtype alone
    itemsize = np.dtype(dtype).itemsize
    arrays = [(2 if i < len(sizes) - 2 else 1) * batch * width for i, width in enumerate(sizes[1:])]
    assert memory.activations == itemsize * sum(arrays)
    assert memory.leaves == sum(p.data.nbytes for p in model.parameters()) + x.data.nbytes
    assert memory.total == memory.leaves + memory.activations
    assert saved_memory(out) == memory                              # deterministic, and the walk changes nothing
    out.sum().backward()                                            # the walk left the graph as it was:
    twin = tnn.MLP(sizes[0], sizes[1:], activation=activation, rng=seed, dtype=dtype)
    twin(x).sum().backward()                                        # the same gradients as a graph never walked
    assert all(np.array_equal(p.grad, q.grad) for p, q in zip(model.parameters(), twin.parameters()))
