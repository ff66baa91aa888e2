"""widgets.forward_array: an autodiff.nn model on a numpy array of points, with no graph."""

import math

import numpy as np
import pytest

from autodiff import Var, nn
from widgets.arrays import forward_array


def values(out):
    return [[v.data for v in row] for row in out]


def close(a, b, rel=1e-12):
    return all(x == pytest.approx(y, rel=rel, abs=1e-15) for ra, rb in zip(a, b, strict=True)
               for x, y in zip(ra, rb, strict=True))


@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
def test_forward_array_equals_scalar_forward(activation):
    X = np.random.RandomState(0).uniform(-3, 3, size=(40, 2))
    model = nn.MLP(2, [8, 8, 3], activation=activation, rng=4)
    array = forward_array(model, X)
    assert isinstance(array, np.ndarray) and array.shape == (40, 3)
    # numpy may add the products in another order: equal to the last bits
    assert close(array.tolist(), values(model(X.tolist())))


def test_forward_array_of_layers():
    X = np.array([[-1.5, 0.0, 2.0], [0.3, -0.2, 0.1]])
    assert np.array_equal(forward_array(nn.ReLU(), X), np.maximum(X, 0.0))
    assert forward_array(nn.Tanh(), X).tolist() == [[math.tanh(v) for v in row] for row in X.tolist()]
    assert forward_array(nn.Sigmoid(), X).tolist() == [[nn.Sigmoid.op.forward(v) for v in row] for row in X.tolist()]
    assert np.array_equal(forward_array(nn.Identity(), X), X)
    for bias in (False, True):
        layer = nn.Linear(3, 2, bias=bias, rng=2)
        assert close(forward_array(layer, X).tolist(), values(layer(X.tolist())))
    assert forward_array(nn.Sequential(nn.Linear(3, 2, rng=1), nn.ReLU()), X.tolist()).shape == (2, 2)


def test_forward_array_reads_the_current_parameters():
    layer = nn.Linear(1, 1, rng=0)
    layer.weight[0][0].data, layer.bias[0].data = 2.0, 0.5
    assert forward_array(layer, [[3.0]]).tolist() == [[6.5]]
    layer.weight[0][0].data = -1.0
    assert forward_array(layer, [[3.0]]).tolist() == [[-2.5]]


def test_forward_array_refuses_what_it_cannot_evaluate():
    with pytest.raises(TypeError, match="forward_array: expected an autodiff.nn module, got Var"):
        forward_array(Var(1.0), [[1.0]])

    class Doubler(nn.Module):
        def forward(self, x):
            return [2 * v for v in x]

    with pytest.raises(TypeError, match="forward_array: Doubler has no array form"):
        forward_array(Doubler(), [[1.0]])
