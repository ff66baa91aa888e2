"""autodiff.nn's initialisation schemes against torch.nn.init: the same gains, bounds and stds."""

import math
import random

import numpy as np
import pytest
import torch

from autodiff import manual_seed, nn
from autodiff.tensor import nn as tnn

OUT, IN = 200, 300  # 60,000 weights: a sample std is within about 0.3% of the true one


def ours(init, **kwargs):
    """The weights ``init`` draws for a (OUT, IN) tensor-engine layer, as an array."""
    layer = tnn.Linear(IN, OUT, rng=0)
    assert init(layer.weight, rng=1, **kwargs) is layer.weight
    return layer.weight.data


def theirs(init, **kwargs):
    w = torch.empty(OUT, IN, dtype=torch.float64)
    init(w, generator=torch.Generator().manual_seed(1), **kwargs)
    return w.numpy()


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert nn.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


UNIFORM = [
    (nn.xavier_uniform_, torch.nn.init.xavier_uniform_, {}, math.sqrt(6 / (IN + OUT))),
    (nn.xavier_uniform_, torch.nn.init.xavier_uniform_, {"gain": 5 / 3}, 5 / 3 * math.sqrt(6 / (IN + OUT))),
    (nn.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {}, math.sqrt(6 / IN)),
    (nn.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"},
     math.sqrt(6 / OUT)),
    (nn.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(IN)),
]


@pytest.mark.parametrize("init, torch_init, kwargs, bound", UNIFORM)
def test_uniform_schemes_have_torchs_bound(init, torch_init, kwargs, bound):
    w, t = ours(init, **kwargs), theirs(torch_init, **kwargs)
    for sample in (w, t):  # both fill [-bound, bound], with std bound/√3
        assert np.abs(sample).max() <= bound and np.abs(sample).max() > 0.999 * bound
        assert sample.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
        assert abs(sample.mean()) < 0.02 * bound
    assert w.std() == pytest.approx(t.std(), rel=0.03)


NORMAL = [
    (nn.xavier_normal_, torch.nn.init.xavier_normal_, {}, math.sqrt(2 / (IN + OUT))),
    (nn.xavier_normal_, torch.nn.init.xavier_normal_, {"gain": 0.5}, 0.5 * math.sqrt(2 / (IN + OUT))),
    (nn.kaiming_normal_, torch.nn.init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / IN)),
    (nn.kaiming_normal_, torch.nn.init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "tanh"},
     5 / 3 / math.sqrt(OUT)),
    (nn.kaiming_normal_, torch.nn.init.kaiming_normal_, {"a": 0.2}, math.sqrt(2 / 1.04 / IN)),
]


@pytest.mark.parametrize("init, torch_init, kwargs, std", NORMAL)
def test_normal_schemes_have_torchs_std(init, torch_init, kwargs, std):
    w, t = ours(init, **kwargs), theirs(torch_init, **kwargs)
    for sample in (w, t):
        assert sample.std() == pytest.approx(std, rel=0.02)
        assert abs(sample.mean()) < 0.02 * std
        assert np.abs(sample).max() > 3.5 * std  # a normal's tails, not a uniform's edge
    assert w.std() == pytest.approx(t.std(), rel=0.03)


def test_scalar_layers_rows_of_vars_in_place_and_deterministic():
    layer = nn.Linear(4, 3, rng=0)
    rows = layer.weight
    vars_before = [w for row in rows for w in row]
    assert nn.kaiming_normal_(layer.weight, nonlinearity="relu", rng=7) is rows
    assert [w for row in layer.weight for w in row] == vars_before  # the same Vars, new values
    again = nn.Linear(4, 3, rng=0)
    nn.kaiming_normal_(again.weight, nonlinearity="relu", rng=random.Random(7))
    assert [w.data for row in again.weight for w in row] == [w.data for w in vars_before]
    # None draws from the default generator, which manual_seed resets
    a, b = nn.Linear(4, 3, rng=0), nn.Linear(4, 3, rng=0)
    manual_seed(3)
    nn.xavier_uniform_(a.weight)
    manual_seed(3)
    nn.xavier_uniform_(b.weight)
    assert a.state_dict() == b.state_dict()


def test_the_same_seed_gives_the_same_weights_in_both_engines():
    scalar, tensor = nn.Linear(5, 2, rng=0), tnn.Linear(5, 2, rng=0)
    nn.xavier_normal_(scalar.weight, rng=4)
    nn.xavier_normal_(tensor.weight, rng=4)
    assert np.array(scalar.state_dict()["weight"]).tolist() == tensor.weight.data.tolist()


def test_he_keeps_the_std_through_ten_relu_layers_where_the_default_shrinks_it():
    """The lesson's claim: 10 ReLU layers of width 256, std 0.34 -> ~1e-4 by default, ~steady with He."""
    x = np.random.default_rng(0).normal(size=(500, 256))

    def stds(init):
        h, out = x, []
        for i in range(10):
            layer = tnn.Linear(256, 256, bias=False, rng=i)
            if init:
                init(layer.weight, nonlinearity="relu", rng=i)
            h = np.maximum(h @ layer.weight.data.T, 0.0)
            out.append(h.std())  # each layer's output, after its ReLU
        return out

    default, he = stds(None), stds(nn.kaiming_normal_)
    assert 0.3 < default[0] < 0.4 and 5e-5 < default[-1] < 3e-4  # ÷√6 per layer
    assert all(0.7 < s < 1.3 for s in he)  # about 0.83 to 1.05: it neither shrinks nor grows


@pytest.mark.parametrize("bad, exc, words", [
    ({"weight": 1.0}, TypeError, "expected a weight matrix"),
    (3.0, TypeError, "expected a weight matrix"),
    ([[1.0, 2.0]], TypeError, "rows of Vars"),
])
def test_not_a_weight_matrix(bad, exc, words):
    with pytest.raises(exc, match=words):
        nn.xavier_uniform_(bad)


def test_a_bias_has_no_fans():
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match="kaiming_normal_: fan in and fan out need a weight matrix"):
        nn.kaiming_normal_(layer.bias)
    vector = tnn.Linear(3, 2, rng=0).bias
    with pytest.raises(ValueError, match=r"xavier_normal_: .*shape \(2,\)"):
        nn.xavier_normal_(vector)


def test_bad_arguments_name_the_function_and_the_value():
    w = nn.Linear(3, 2, rng=0).weight
    before = [v.data for row in w for v in row]
    with pytest.raises(ValueError, match=r"kaiming_uniform_: mode must be one of \('fan_in', 'fan_out'\), got 'fan'"):
        nn.kaiming_uniform_(w, mode="fan")
    with pytest.raises(ValueError, match="calculate_gain: nonlinearity must be one of .* got 'gelu'"):
        nn.kaiming_normal_(w, nonlinearity="gelu")
    with pytest.raises(TypeError, match="xavier_uniform_: gain must be a real number"):
        nn.xavier_uniform_(w, gain="2")
    with pytest.raises(ValueError, match="xavier_normal_: gain must be finite"):
        nn.xavier_normal_(w, gain=float("nan"))
    with pytest.raises(TypeError, match="kaiming_normal_: rng must be"):
        nn.kaiming_normal_(w, rng="seed")
    assert [v.data for row in w for v in row] == before  # a refused call changes nothing
