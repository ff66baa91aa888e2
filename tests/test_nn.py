"""autodiff.nn: parameters, modes, repr, state, initialisation, forward and gradients vs torch.nn."""

import math
import random

import numpy as np
import pytest
import torch

from autodiff import Var, manual_seed, nn
from autodiff.seed import default_generator

REL = 1e-12  # relative tolerance for a single module against torch (float64)


def close(ours, theirs, rel=REL):
    """Equal within ``rel`` relative error, element by element, over equally nested lists."""
    if isinstance(theirs, (list, tuple)):
        return len(ours) == len(theirs) and all(close(a, b, rel) for a, b in zip(ours, theirs))
    return abs(ours - theirs) <= rel * abs(theirs) or ours == theirs


def values(tree):
    if isinstance(tree, (list, tuple)):
        return [values(item) for item in tree]
    return tree.data if isinstance(tree, Var) else tree


@pytest.fixture(autouse=True)
def _keep_default_generator():
    """manual_seed changes global state: put it back after each test."""
    state = default_generator().getstate()
    yield
    default_generator().setstate(state)


# ----------------------------------------------------------------------
# Equivalent torch models, with our parameter values copied in
# ----------------------------------------------------------------------
TORCH_ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
                     "sigmoid": torch.nn.Sigmoid, "identity": torch.nn.Identity}


def torch_linear(layer):
    t = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                        dtype=torch.float64)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(values(layer.weight), dtype=torch.float64))
        if layer.bias is not None:
            t.bias.copy_(torch.tensor(values(layer.bias), dtype=torch.float64))
    return t


class TorchMLP(torch.nn.Module):
    """What our MLP is, written in torch.nn (same class name and attribute name)."""

    def __init__(self, ours):
        super().__init__()
        mods = []
        for m in ours.layers:
            mods.append(torch_linear(m) if isinstance(m, nn.Linear) else TORCH_ACTIVATIONS[ours.activation]())
        self.layers = torch.nn.Sequential(*mods)

    def forward(self, x):
        return self.layers(x)


TorchMLP.__name__ = "MLP"


def torch_flat_grads(model):
    return [g for p in model.parameters() for g in p.grad.flatten().tolist()]


BATCH = [[math.sin(1.3 * i + j) * 2.0 for j in range(3)] for i in range(5)]


# ----------------------------------------------------------------------
# Parameters and names
# ----------------------------------------------------------------------
def test_linear_parameter_order_and_names():
    layer = nn.Linear(3, 2, rng=0)
    names = [name for name, _ in layer.named_parameters()]
    assert names == ["weight[0][0]", "weight[0][1]", "weight[0][2]",
                     "weight[1][0]", "weight[1][1]", "weight[1][2]", "bias[0]", "bias[1]"]
    assert layer.parameters() == [layer.weight[0][0], layer.weight[0][1], layer.weight[0][2],
                                  layer.weight[1][0], layer.weight[1][1], layer.weight[1][2],
                                  layer.bias[0], layer.bias[1]]
    assert [name for name, _ in nn.Linear(2, 1, bias=False, rng=0).named_parameters()] == [
        "weight[0][0]", "weight[0][1]"]


def test_mlp_names_follow_torch():
    model = nn.MLP(3, [4, 2, 1], activation="tanh", rng=1)
    theirs = TorchMLP(model)
    # state_dict keys are torch's, in torch's order
    assert list(model.state_dict()) == list(theirs.state_dict())
    # named_parameters: torch's names with the element index, row-major, in torch's order
    expected = []
    for name, p in theirs.named_parameters():
        for index in np.ndindex(*p.shape):
            expected.append(name + "".join(f"[{i}]" for i in index))
    assert [name for name, _ in model.named_parameters()] == expected
    assert len(model.parameters()) == sum(p.numel() for p in theirs.parameters()) == 16 + 10 + 3
    # and the Vars are the same objects as the layers' attributes
    assert model.parameters()[0] is model.layers[0].weight[0][0]
    assert model.parameters()[-1] is model.layers[4].bias[0]
    assert len({id(p) for p in model.parameters()}) == len(model.parameters())


def test_parameters_in_the_same_order_every_time():
    model = nn.MLP(2, [3, 1], rng=4)
    assert all(a is b for a, b in zip(model.parameters(), model.parameters()))


def test_custom_module_finds_vars_lists_and_submodules():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = Var(2.0)
            self.blocks = [nn.Linear(1, 1, rng=0), nn.Linear(1, 1, bias=False, rng=1)]
            self.head = nn.Tanh()
            self.name = "not a parameter"

        def forward(self, x):
            return x

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "blocks.0.weight[0][0]", "blocks.0.bias[0]", "blocks.1.weight[0][0]"]
    assert [n for n, _ in net.named_children()] == ["blocks.0", "blocks.1", "head"]


def test_zero_grad():
    model = nn.MLP(3, [4, 1], rng=2)
    out = model(BATCH)
    sum((o for row in out for o in row), Var(0.0)).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_train_and_eval_are_recursive():
    model = nn.MLP(2, [3, 3, 1], rng=0)
    everything = [model, model.layers, *model.layers]
    assert all(m.training is True for m in everything)
    assert model.eval() is model
    assert all(m.training is False for m in everything)
    assert model.train() is model
    assert all(m.training is True for m in everything)
    model.train(False)
    assert all(m.training is False for m in everything)


# ----------------------------------------------------------------------
# repr, against torch.nn
# ----------------------------------------------------------------------
@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
def test_mlp_repr_matches_torch(activation):
    model = nn.MLP(2, [16, 16, 1], activation=activation, rng=0)
    assert repr(model).splitlines() == repr(TorchMLP(model)).splitlines()


@pytest.mark.parametrize("ours, theirs", [
    (nn.Linear(3, 2, rng=0), torch.nn.Linear(3, 2)),
    (nn.Linear(3, 2, bias=False, rng=0), torch.nn.Linear(3, 2, bias=False)),
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Identity(), torch.nn.Identity()),
    (nn.Sequential(nn.Linear(2, 8, rng=0), nn.ReLU(), nn.Linear(8, 1, rng=0)),
     torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))),
    (nn.Sequential(nn.Sequential(nn.Linear(1, 2, rng=0), nn.Sigmoid()), nn.Identity()),
     torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.Sigmoid()), torch.nn.Identity())),
])
def test_repr_matches_torch(ours, theirs):
    assert repr(ours).splitlines() == repr(theirs).splitlines()


# ----------------------------------------------------------------------
# state_dict / load_state_dict
# ----------------------------------------------------------------------
def test_state_dict_values():
    layer = nn.Linear(2, 3, rng=5)
    state = layer.state_dict()
    assert state == {"weight": [[w.data for w in row] for row in layer.weight],
                     "bias": [b.data for b in layer.bias]}
    assert all(type(v) is float for row in state["weight"] for v in row)
    # a copy: changing it does not change the model
    state["weight"][0][0] = 123.0
    assert layer.weight[0][0].data != 123.0


def test_state_dict_round_trip_into_a_fresh_model():
    source = nn.MLP(3, [4, 2], activation="sigmoid", rng=1)
    target = nn.MLP(3, [4, 2], activation="sigmoid", rng=2)
    assert source.state_dict() != target.state_dict()
    target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    assert values(target(BATCH)) == values(source(BATCH))
    # torch's state_dict, converted to lists, loads as well and gives torch's numbers
    theirs = TorchMLP(nn.MLP(3, [4, 2], activation="sigmoid", rng=9))
    target.load_state_dict({k: v.tolist() for k, v in theirs.state_dict().items()})
    assert target.state_dict() == {k: v.tolist() for k, v in theirs.state_dict().items()}
    assert close(values(target(BATCH)), theirs(torch.tensor(BATCH, dtype=torch.float64)).tolist())


def test_load_state_dict_accepts_ints_and_numpy_scalars():
    layer = nn.Linear(2, 1, rng=0)
    layer.load_state_dict({"weight": [[1, np.float64(2.5)]], "bias": [np.int64(-3)]})
    assert layer.state_dict() == {"weight": [[1.0, 2.5]], "bias": [-3.0]}
    assert all(type(p.data) is float for p in layer.parameters())


def _good_state():
    return {"layers.0.weight": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
            "layers.0.bias": [0.7, 0.8, 0.9],
            "layers.2.weight": [[1.0, 1.1, 1.2]],
            "layers.2.bias": [1.3]}


def _bad(change):
    state = _good_state()
    change(state)
    return state


@pytest.mark.parametrize("state, exc, fragments", [
    (_bad(lambda s: s.pop("layers.2.bias")), ValueError, ["missing", "layers.2.bias"]),
    (_bad(lambda s: s.update(extra=[1.0])), ValueError, ["unexpected", "extra"]),
    (_bad(lambda s: s.update({"layers.0.weight": [[0.1, 0.2], [0.3, 0.4]]})), ValueError,
     ["layers.0.weight", "shape"]),
    (_bad(lambda s: s.update({"layers.0.weight": [[0.1, 0.2, 0.0], [0.3, 0.4, 0.0], [0.5, 0.6, 0.0]]})),
     ValueError, ["layers.0.weight", "shape"]),
    (_bad(lambda s: s.update({"layers.2.bias": 1.3})), ValueError, ["layers.2.bias", "shape"]),
    (_bad(lambda s: s.update({"layers.2.bias": [[1.3]]})), ValueError, ["layers.2.bias", "shape"]),
    (_bad(lambda s: s["layers.0.weight"][2].__setitem__(1, "0.6")), TypeError, ["layers.0.weight[2][1]"]),
    (_bad(lambda s: s["layers.0.weight"][1].__setitem__(0, None)), TypeError, ["layers.0.weight[1][0]"]),
    (_bad(lambda s: s["layers.2.bias"].__setitem__(0, True)), TypeError, ["layers.2.bias[0]", "bool"]),
    (_bad(lambda s: s["layers.2.weight"][0].__setitem__(2, float("nan"))), ValueError,
     ["layers.2.weight[0][2]", "nan"]),
    (_bad(lambda s: s["layers.0.bias"].__setitem__(2, float("inf"))), ValueError, ["layers.0.bias[2]", "inf"]),
    ([("layers.0.bias", [0.7, 0.8, 0.9])], TypeError, ["dict"]),
])
def test_load_state_dict_errors_name_the_problem_and_change_nothing(state, exc, fragments):
    model = nn.MLP(2, [3, 1], rng=3)
    before = model.state_dict()
    with pytest.raises(exc) as info:
        model.load_state_dict(state)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert model.state_dict() == before


def test_the_good_state_loads():
    # the fixture the error cases are built from is itself valid
    model = nn.MLP(2, [3, 1], rng=3)
    model.load_state_dict(_good_state())
    assert model.state_dict() == _good_state()


# ----------------------------------------------------------------------
# Initialisation and seeding
# ----------------------------------------------------------------------
@pytest.mark.parametrize("nin, nout", [(1, 3), (4, 2), (100, 50)])
def test_linear_init_bounds(nin, nout):
    bound = 1.0 / math.sqrt(nin)
    layer = nn.Linear(nin, nout, rng=11)
    weights = [w.data for row in layer.weight for w in row]
    biases = [b.data for b in layer.bias]
    assert all(-bound <= v <= bound for v in weights + biases)
    if nin * nout >= 100:  # many draws: they fill the interval, so the bound is not smaller
        assert max(abs(v) for v in weights) > 0.95 * bound
        assert min(weights) < 0 < max(weights)


def test_linear_draws_weights_row_by_row_then_biases():
    bound = 1.0 / math.sqrt(3)
    gen = random.Random(42)
    weight = [[gen.uniform(-bound, bound) for _ in range(3)] for _ in range(2)]
    bias = [gen.uniform(-bound, bound) for _ in range(2)]
    assert nn.Linear(3, 2, rng=42).state_dict() == {"weight": weight, "bias": bias}
    assert nn.Linear(3, 2, rng=random.Random(42)).state_dict() == {"weight": weight, "bias": bias}


def test_same_seed_same_weights_different_seed_different_weights():
    assert nn.MLP(2, [5, 1], rng=7).state_dict() == nn.MLP(2, [5, 1], rng=7).state_dict()
    assert nn.MLP(2, [5, 1], rng=7).state_dict() != nn.MLP(2, [5, 1], rng=8).state_dict()
    assert nn.Linear(2, 5, rng=7).state_dict() != nn.Linear(2, 5, rng=8).state_dict()


def test_mlp_draws_its_layers_from_one_generator():
    gen = random.Random(3)
    first, second = nn.Linear(2, 4, rng=gen), nn.Linear(4, 1, rng=gen)
    model = nn.MLP(2, [4, 1], rng=3)
    assert model.layers[0].state_dict() == first.state_dict()
    assert model.layers[2].state_dict() == second.state_dict()


def test_manual_seed_makes_default_init_reproducible():
    manual_seed(123)
    a = nn.MLP(3, [4, 1])
    b = nn.MLP(3, [4, 1])          # the generator has moved on
    manual_seed(123)
    c = nn.MLP(3, [4, 1])
    manual_seed(124)
    d = nn.MLP(3, [4, 1])
    assert a.state_dict() == c.state_dict()
    assert a.state_dict() != b.state_dict()
    assert a.state_dict() != d.state_dict()
    # the default generator is random.Random(seed)
    manual_seed(5)
    assert nn.Linear(3, 2).state_dict() == nn.Linear(3, 2, rng=random.Random(5)).state_dict()


def test_explicit_rng_does_not_touch_the_default_generator():
    manual_seed(9)
    nn.Linear(3, 2, rng=1)
    after = nn.Linear(3, 2).state_dict()
    manual_seed(9)
    assert nn.Linear(3, 2).state_dict() == after


# ----------------------------------------------------------------------
# Forward: sample, batch, numpy
# ----------------------------------------------------------------------
def test_forward_sample_batch_and_numpy_agree():
    model = nn.MLP(3, [5, 2], activation="tanh", rng=6)
    batch = model(BATCH)
    assert len(batch) == 5 and all(len(row) == 2 for row in batch)
    samples = [model(x) for x in BATCH]
    assert values(batch) == values(samples)
    assert values(model(np.array(BATCH))) == values(batch)
    assert values(model(np.array(BATCH[1]))) == values(samples[1])
    assert values(model(tuple(BATCH[2]))) == values(samples[2])
    assert all(isinstance(o, Var) for row in batch for o in row)


def test_linear_forward_by_hand():
    layer = nn.Linear(2, 2, rng=0)
    layer.load_state_dict({"weight": [[1.0, 2.0], [-3.0, 0.5]], "bias": [0.25, -1.0]})
    assert values(layer([2.0, -1.0])) == [0.25 + 2.0 - 2.0, -1.0 - 6.0 - 0.5]
    no_bias = nn.Linear(2, 1, bias=False, rng=0)
    no_bias.load_state_dict({"weight": [[4.0, -2.0]]})
    assert values(no_bias([[1.0, 1.0], [0.5, 3.0]])) == [[2.0], [-4.0]]


def test_activations_by_hand():
    x = [-2.0, 0.0, 3.0]
    assert values(nn.ReLU()(x)) == [0.0, 0.0, 3.0]
    assert values(nn.Tanh()(x)) == [math.tanh(v) for v in x]
    assert values(nn.Sigmoid()(x)) == pytest.approx([1 / (1 + math.exp(-v)) for v in x], rel=REL)
    assert nn.Identity()(x) is x
    assert values(nn.ReLU()([[-1.0, 2.0], [3.0, -4.0]])) == [[0.0, 2.0], [3.0, 0.0]]


def test_forward_accepts_vars_and_passes_gradients_to_them():
    layer = nn.Linear(2, 1, rng=0)
    layer.load_state_dict({"weight": [[3.0, -2.0]], "bias": [0.5]})
    x = [Var(1.0), Var(4.0)]
    (out,) = layer(x)
    out.backward()
    assert [v.grad for v in x] == [3.0, -2.0]


# ----------------------------------------------------------------------
# Forward and parameter gradients against torch.nn (float64)
# ----------------------------------------------------------------------
def _compare_with_torch(ours, theirs, batch):
    inputs = [[Var(v) for v in row] for row in batch]
    out = ours(inputs)
    loss = sum((o * o * 0.5 + o for row in out for o in row), Var(0.0))
    ours.zero_grad()
    loss.backward()
    x = torch.tensor(batch, dtype=torch.float64, requires_grad=True)
    t_out = theirs(x)
    (t_out * t_out * 0.5 + t_out).sum().backward()
    assert close(values(out), t_out.tolist())
    assert close([p.grad for p in ours.parameters()], torch_flat_grads(theirs))
    assert close([[v.grad for v in row] for row in inputs], x.grad.tolist())


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias):
    ours = nn.Linear(3, 4, bias=bias, rng=1)
    _compare_with_torch(ours, torch_linear(ours), BATCH)


@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
@pytest.mark.parametrize("bias", [True, False])
def test_mlp_matches_torch(activation, bias):
    ours = nn.MLP(3, [6, 5, 2], activation=activation, bias=bias, rng=3)
    _compare_with_torch(ours, TorchMLP(ours), BATCH)


def test_relu_mlp_with_negative_preactivations_matches_torch():
    # inputs large enough that some hidden units are off for some samples
    batch = [[4.0 * math.cos(2.1 * i + j) for j in range(3)] for i in range(8)]
    ours = nn.MLP(3, [8, 1], rng=13)
    hidden = ours.layers[0](batch)
    assert any(h.data < 0 for row in hidden for h in row) and any(h.data > 0 for row in hidden for h in row)
    _compare_with_torch(ours, TorchMLP(ours), batch)


# ----------------------------------------------------------------------
# Bad inputs and arguments
# ----------------------------------------------------------------------
def test_wrong_sample_length_names_the_layer():
    model = nn.MLP(3, [4, 1], rng=0)
    with pytest.raises(ValueError) as info:
        model([1.0, 2.0])
    assert "Linear(in_features=3, out_features=4, bias=True)" in str(info.value)
    assert "expected 3 inputs" in str(info.value) and "got 2" in str(info.value)
    with pytest.raises(ValueError, match="expected 3 inputs"):
        model([[1.0, 2.0, 3.0], [1.0, 2.0]])


@pytest.mark.parametrize("empty", [[], (), np.zeros((0, 3))])
def test_empty_input(empty):
    with pytest.raises(ValueError, match="empty"):
        nn.MLP(3, [4, 1], rng=0)(empty)
    with pytest.raises(ValueError, match="empty"):
        nn.Linear(3, 1, rng=0)(empty)


def test_non_list_input():
    with pytest.raises(TypeError, match="Linear"):
        nn.Linear(1, 1, rng=0)(3.0)


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ValueError) as info:
        nn.MLP(2, [3, 1], activation="softmax")
    message = str(info.value)
    assert "softmax" in message
    for name in ("relu", "tanh", "sigmoid", "identity"):
        assert name in message


@pytest.mark.parametrize("make, fragment", [
    (lambda: nn.Linear(0, 2), "in_features"),
    (lambda: nn.Linear(2, 0), "out_features"),
    (lambda: nn.Linear(-1, 2), "in_features"),
    (lambda: nn.Linear(2.0, 2), "in_features"),
    (lambda: nn.Linear(True, 2), "in_features"),
    (lambda: nn.Linear("3", 2), "in_features"),
    (lambda: nn.MLP(2, []), "nouts"),
    (lambda: nn.MLP(2, 3), "nouts"),
    (lambda: nn.MLP(2, [3, 0]), "out_features"),
    (lambda: nn.MLP(0, [3]), "in_features"),
])
def test_bad_sizes(make, fragment):
    with pytest.raises(ValueError, match=fragment):
        make()


@pytest.mark.parametrize("rng", ["7", 1.5, True])
def test_bad_rng(rng):
    with pytest.raises(TypeError, match="rng"):
        nn.Linear(2, 2, rng=rng)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError) as info:
        nn.Sequential(nn.Linear(2, 2, rng=0), lambda x: x)
    assert "argument 1" in str(info.value) and "Module" in str(info.value)
    with pytest.raises(TypeError, match="argument 0"):
        nn.Sequential(torch.nn.ReLU())


def test_sequential_container_protocol():
    a, b = nn.Linear(2, 3, rng=0), nn.ReLU()
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[1] is b and list(seq) == [a, b]
