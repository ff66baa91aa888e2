"""A fast smoke test of benchmarks/tensor_epoch.py: the digits epoch in three libraries.

No timing is asserted: only that the three implementations compute the same
losses from the same start, that the check would notice if they did not, and
that the data, the BLAS thread limit and the graph-size helpers work.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks import tensor_epoch  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return tensor_epoch.digits()


def test_the_data_is_the_digits_shape_and_every_sample_is_in_one_batch(data):
    assert data.X.shape == (1797, 64) and data.X.dtype == np.float32
    assert 0.0 <= data.X.min() and data.X.max() <= 1.0
    assert set(np.unique(data.y)) == set(range(10))
    batches = tensor_epoch.batches(data)
    assert [len(y) for _, y in batches] == [64] * 28 + [5]
    seen = np.concatenate([x for x, _ in batches])
    assert sorted(map(bytes, seen)) == sorted(map(bytes, data.X))  # the same rows, shuffled


def test_our_batches_from_the_library_are_the_shared_ones(data):
    ours = tensor_epoch.OursEpoch(data, tensor_epoch.initial_weights())
    shared = tensor_epoch.batches(data)
    assert len(ours.batches) == len(shared)
    for (x, y), (x_shared, y_shared) in zip(ours.batches, shared):
        assert x.dtype == np.float32 and not x.requires_grad
        np.testing.assert_array_equal(x.data, x_shared)
        np.testing.assert_array_equal(y, y_shared)


def test_the_three_libraries_agree_on_the_first_batches(data):
    torch.set_num_threads(1)
    runs = tensor_epoch.all_epochs(data)
    for run in runs:
        run.batches = run.batches[:3]
    losses = [run.epoch() for run in runs]
    assert [run.name for run in runs] == ["autodiff.tensor", "torch", "numpy by hand"]
    assert abs(losses[0][0] - math.log(10)) < 0.2  # a fresh net guesses about uniformly
    assert losses[0][2] != losses[0][0]  # Adam has moved the weights
    for other in losses[1:]:
        assert other == pytest.approx(losses[0], rel=tensor_epoch.REL_TOL, abs=0)


def test_check_epochs_agree_catches_a_library_that_differs(data):
    runs = tensor_epoch.all_epochs(data)
    assert tensor_epoch.check_epochs_agree(runs, n_batches=2) <= tensor_epoch.REL_TOL
    runs = tensor_epoch.all_epochs(data)
    runs[2].params[0][0, :] += 0.05  # one row of the numpy net's first weights is off
    with pytest.raises(AssertionError, match="numpy by hand disagrees"):
        tensor_epoch.check_epochs_agree(runs, n_batches=2)


def test_one_blas_thread_holds_numpy_to_one_thread_and_gives_the_rest_back():
    found = tensor_epoch._numpy_openblas()
    before = found[0]() if found else None
    with tensor_epoch.one_blas_thread() as how:
        assert "1 thread" in how
        if found:
            assert found[0]() == 1
    if found:
        assert found[0]() == before


def test_graph_size_helpers_run():
    assert tensor_epoch.bytes_per_node(1000) > 16  # at least the four float32 of each node
    chain = tensor_epoch.time_chain(200)
    assert chain.depth == 200 and chain.forward_s > 0 and chain.backward_s > 0
