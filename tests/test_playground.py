"""`widgets.Playground`, driven from Python (the kernel side) and by browser messages, plus its JS helpers.

The widget is driven through its public API and through real comm messages
(`comm_messages`); `widgets.training_session`, its model, is also tested on
its own. Small datasets (60 to 120 points) keep each epoch to a few
milliseconds. Expected values are computed here independently (by hand, with
the engines' own building blocks, or with the other engine), never read back
from the widget's own helpers. The Playground trains on the tensor engine
unless told ``engine="scalar"``; tests that depend on the engine run on both.
Multiclass data, CSV files, time slicing and the browser's traits:
tests/test_playground_multiclass.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

from autodiff import nn as scalar_nn
from autodiff.data import batches
from autodiff.losses import binary_cross_entropy_with_logits, hinge_loss, l2_penalty
from autodiff.lr_scheduler import CosineAnnealingLR
from autodiff.nn import MLP
from autodiff.optim import SGD, Adam, RMSprop
from autodiff.tensor import nn as tensor_nn

from widgets import playground as pg
from widgets import playground_messages as messages
from widgets import training_engines
from widgets.playground import GRID_SIZE, Playground, Settings, frame_message, parse_config
from widgets.training_session import BLOB_CENTERS, TrainingSession

from comm_messages import send_custom   # tests/comm_messages.py: messages as the front end sends them

REPO = Path(__file__).resolve().parents[1]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SMALL = {"points": 60, "hidden": [4, 4]}
ENGINES = ("tensor", "scalar")
# Each engine's building blocks, to write a run out by hand: (nn module, mini-batches)
BLOCKS = {"tensor": (tensor_nn, lambda *args, **kwargs: array_batches(*args, **kwargs)),
          "scalar": (scalar_nn, batches)}


def array_batches(X: np.ndarray, y: np.ndarray, *args, **kwargs):
    """The tensor engine's batches: `autodiff.data.batches`' order (the scalar engine's), taken from arrays."""
    for _, rows in batches(X.tolist(), list(range(len(X))), *args, **kwargs):
        yield X[rows], y[rows]


def linear_sizes(p: Playground) -> list[tuple[int, int]]:
    linear = (scalar_nn.Linear, tensor_nn.Linear)
    return [(m.in_features, m.out_features) for m in p.model.layers if isinstance(m, linear)]


def parameter_values(model) -> np.ndarray:
    """Every weight and bias of a network, of either engine, as one flat float array."""
    return np.concatenate([np.ravel(np.asarray(v.data, dtype=float)) for v in model.parameters()])


def map_cells(p: Playground) -> tuple[np.ndarray, np.ndarray]:
    """The frame's decision map, decoded: (class, strength in [0, 1]) per cell, row by row from the top."""
    grid = p.frame["grid"]
    classes, strength = (np.frombuffer(base64.b64decode(grid[key]), dtype=np.uint8) for key in ("classes", "strength"))
    assert len(classes) == len(strength) == grid["size"] ** 2
    return classes.astype(int), strength / 255


def inputs_for(engine: str, X: np.ndarray):
    """Points as each engine takes them: an array for the tensor engine, lists of floats for the scalar one."""
    return X if engine == "tensor" else X.tolist()


def all_points(p: Playground) -> np.ndarray:
    return np.vstack([p.data.X_train, p.data.X_test])


# ---------------------------------------------------------------------------
# Stepping and the history
# ---------------------------------------------------------------------------

def test_step_advances_the_epoch_and_the_history():
    p = Playground(**SMALL)
    assert p.epoch == 0 and p.history["epoch"] == [] and p.frame["epoch"] == 0
    last = p.step(3)
    assert p.epoch == 3 and p.frame["epoch"] == 3
    h = p.history
    assert h["epoch"] == [1, 2, 3]
    for key in ("train_loss", "test_loss", "train_acc", "test_acc", "lr", "grad"):
        assert len(h[key]) == 3, key
    assert last == {key: values[-1] for key, values in h.items()}
    p.step()
    assert p.epoch == 4 and p.history["epoch"] == [1, 2, 3, 4]
    assert p.frame["curves"]["epoch"] == [1, 2, 3, 4]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_epoch_is_the_documented_loop(engine):
    """Two epochs written out by hand with the engine's own parts (as docs/playground.md says): the same bits."""
    p = Playground(loss="hinge", optimizer="momentum", lr=0.05, l2=0.001, batch_size=8, schedule="cosine",
                   seed=3, points=50, hidden=[3, 2], activation="tanh", engine=engine)
    p.step(2)
    nn, make_batches = BLOCKS[engine]
    model = nn.MLP(2, [3, 2, 1], activation="tanh", rng=3)
    params = model.parameters()
    optimizer = SGD(params, lr=0.05, momentum=0.9)
    scheduler = CosineAnnealingLR(optimizer, T_max=200)
    X, y = inputs_for(engine, p.data.X_train), [2 * int(c) - 1 for c in p.data.c_train]
    y = np.array(y) if engine == "tensor" else y
    for epoch in range(2):
        for X_batch, y_batch in make_batches(X, y, 8, shuffle=True, seed=3 * 1_000_003 + epoch):
            optimizer.zero_grad()
            (hinge_loss(model(X_batch), y_batch) + l2_penalty(params, 0.001)).backward()
            optimizer.step()
        scheduler.step()
    assert p.model.state_dict() == model.state_dict()
    assert p.optimizer.lr == optimizer.lr


def test_history_is_a_copy():
    p = Playground(**SMALL)
    p.step(2)
    h = p.history
    h["train_loss"].append(123.0)
    h["grad"][0].append(9.0)
    assert len(p.history["train_loss"]) == 2 and len(p.history["grad"][0]) == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_history_losses_are_the_engine_losses_of_the_current_weights(engine):
    """train_loss is the data loss of the whole training set with the epoch's final weights."""
    for loss, fn, labels in (("bce", binary_cross_entropy_with_logits, (0, 1)), ("hinge", hinge_loss, (-1, 1))):
        p = Playground(loss=loss, engine=engine, **SMALL)
        p.step(2)
        targets = [labels[c] for c in p.data.c_train]
        expected = fn(p.model(inputs_for(engine, p.data.X_train)), targets).data
        assert p.history["train_loss"][-1] == pytest.approx(float(expected), abs=1e-12)
        test_targets = [labels[c] for c in p.data.c_test]
        assert p.history["test_loss"][-1] == pytest.approx(
            float(fn(p.model(inputs_for(engine, p.data.X_test)), test_targets).data), abs=1e-12)


def test_the_two_engines_start_alike_and_train_alike():
    """The same seed draws the same first weights on both engines, and the same epochs (up to rounding)."""
    a, b = Playground(engine="tensor", **SMALL), Playground(engine="scalar", **SMALL)
    assert a.model.state_dict() == b.model.state_dict()
    a.step(3)
    b.step(3)                          # the same batches in the same order: the same steps, up to rounding
    assert np.allclose(parameter_values(a.model), parameter_values(b.model), rtol=0, atol=1e-9)
    assert a.history["train_loss"] == pytest.approx(b.history["train_loss"], abs=1e-9)
    assert a.config.replace("engine=tensor", "").rstrip(";") == b.config     # only the engine differs


def test_loss_falls_on_moons():
    p = Playground(dataset="moons", points=100, noise=0.1, hidden=[8, 8], lr=0.03)
    start = p.evaluate()
    p.step(20)
    h = p.history
    assert h["train_loss"][-1] < 0.6 * start["train_loss"], (start, h["train_loss"])
    assert h["test_loss"][-1] < 0.6 * start["test_loss"]
    assert h["train_acc"][-1] >= 0.85 and h["test_acc"][-1] >= 0.8


# ---------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------

UNUSUAL = dict(dataset="spirals", noise=0.05, ratio=0.6, points=90, data_seed=4, hidden=[5, 3],
               activation="tanh", loss="hinge", optimizer="momentum", lr=0.03, l2=0.001,
               batch_size=8, schedule="cosine", seed=7)


def fingerprint(p: Playground) -> str:
    """Every weight and every recorded number, exactly (repr of floats is exact)."""
    return hashlib.sha256(repr((p.model.state_dict(), p.history, p.data.X_train.tolist())).encode()).hexdigest()


@pytest.mark.parametrize("engine", ENGINES)
def test_from_config_reproduces_a_run_bit_for_bit(engine):
    a = Playground(engine=engine, **UNUSUAL)
    a.step(4)
    b = Playground.from_config(a.config)
    assert b.config == a.config and b.epoch == 0
    b.step(4)
    assert b.model.state_dict() == a.model.state_dict()       # == on floats: bit for bit
    assert b.history == a.history
    assert b.frame == a.frame
    assert fingerprint(b) == fingerprint(a)
    assert b.current.engine == engine == type(b.session.engine).name
    c = Playground.from_config(a.config.replace("seed=7", "seed=8"))
    c.step(4)
    assert c.model.state_dict() != a.model.state_dict()       # the fingerprint can tell runs apart


@pytest.mark.parametrize("engine", ENGINES)
def test_from_config_reproduces_a_run_in_another_process(engine):
    a = Playground(engine=engine, **UNUSUAL)
    a.step(3)
    code = ("import sys, hashlib\nfrom widgets.playground import Playground\n"
            "p = Playground.from_config(sys.argv[1]); p.step(3)\n"
            "print(hashlib.sha256(repr((p.model.state_dict(), p.history, p.data.X_train.tolist())).encode()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code, a.config], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "PYTHONHASHSEED": "123"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == fingerprint(a)


def test_the_default_config_string():
    assert Playground().config == ("data=moons;noise=0.1;train=0.5;points=200;dseed=0;net=2-8-8-1;act=tanh;"
                                   "loss=bce;opt=adam;lr=0.03;l2=0;batch=16;sched=none;seed=0;engine=tensor")
    assert Playground().current.engine == "tensor"


def test_a_config_string_without_an_engine_is_a_scalar_run():
    """Strings saved before the tensor engine existed still mean the (scalar) run they meant."""
    old = ("data=moons;noise=0.1;train=0.5;points=60;dseed=0;net=2-4-1;act=tanh;"
           "loss=bce;opt=adam;lr=0.03;l2=0;batch=16;sched=none;seed=0")
    p = Playground.from_config(old)
    assert p.current.engine == "scalar" and p.config == old and isinstance(p.model, MLP)
    assert not isinstance(p.model, tensor_nn.MLP)
    assert Playground.from_config(old + ";engine=tensor").current.engine == "tensor"


@pytest.mark.parametrize("settings", [
    {}, UNUSUAL, {"hidden": []}, {"lr": 1e-05, "l2": 0.0003, "noise": 0.0, "ratio": 0.1},
    {"dataset": "blobs", "optimizer": "rmsprop", "schedule": "step", "batch_size": 1},
    {"dataset": "xor", "optimizer": "sgd", "schedule": "exponential", "lr": 0.1 + 0.2},
    {"engine": "scalar"}, {"dataset": "spirals", "classes": 4, "loss": "ce"}, {"dataset": "blobs", "classes": 3},
])
def test_config_round_trips(settings):
    s = Settings().changed(**settings)
    text = s.to_config()
    assert parse_config(text) == s
    assert parse_config(text).to_config() == text
    assert Playground.from_config(text).config == text


def test_config_reads_any_order_spaces_and_defaults():
    s = parse_config(" seed=3 ; net=2-4-1;data=xor ;lr=0.1 ; engine=tensor")
    assert s == Settings(dataset="xor", hidden=(4,), lr=0.1, seed=3)
    assert parse_config("net=2-1").hidden == ()
    assert parse_config("") == Settings(engine="scalar")      # no engine key: the scalar engine (see above)


@pytest.mark.parametrize("text, named", [
    ("data=mars", "data=mars"),
    ("data=moons;lr=-0.1", "lr=-0.1"),
    ("lr=abc", "lr=abc"),
    ("lr=nan", "lr=nan"),
    ("net=2-0-1", "net=2-0-1"),
    ("net=3-8-1", "net=3-8-1"),
    ("net=2-8", "net=2-8"),
    ("batch=1.5", "batch=1.5"),
    ("train=1", "train=1"),
    ("act=softmax", "act=softmax"),
    ("speed=3", "speed"),
    ("noise", "'noise' is not key=value"),
    ("lr=0.1;lr=0.2", "'lr' is given twice"),
    ("engine=gpu", "engine=gpu"),
    ("data=moons;classes=3", "moons has two classes"),
    ("data=spirals;classes=3;loss=bce", "3 classes need loss='ce'"),
    ("data=spirals;classes=3;net=2-8-1", "needs 3"),
    ("data=spirals;classes=6", "classes=6"),
])
def test_bad_config_strings_name_the_bad_part(text, named):
    with pytest.raises(ValueError) as error:
        Playground.from_config(text)
    assert named in str(error.value)


# ---------------------------------------------------------------------------
# Every control
# ---------------------------------------------------------------------------

def test_changing_a_setting_resets_like_the_ui():
    p = Playground(**SMALL)
    initial = p.model.state_dict()
    p.step(3)
    assert p.model.state_dict() != initial
    p.set(lr=0.02)
    assert p.epoch == 0 and p.history["epoch"] == [] and p.frame["epoch"] == 0
    assert p.model.state_dict() == initial                        # the same seed: the same start
    assert p.settings["lr"] == 0.02 and "lr=0.02;" in p.config
    assert p.optimizer.lr == 0.02


def test_dataset():
    p = Playground(dataset="circles", noise=0.0, points=60)
    radii = np.sort(np.round(np.hypot(*all_points(p).T), 9))
    assert set(radii) == {0.5, 1.0}                               # a ring of radius 1 around one of 0.5
    before = all_points(p)
    p.set(dataset="xor")
    assert p.current.dataset == "xor" and "data=xor" in p.config
    X, c = all_points(p), np.concatenate([p.data.c_train, p.data.c_test])
    assert X.shape == before.shape and not np.allclose(X, before)
    assert np.array_equal(X[:, 0] * X[:, 1] < 0, c == 1)          # noise 0: XOR labels exactly
    p.set(dataset="blobs", noise=0.0)
    means = [all_points(p)[np.concatenate([p.data.c_train, p.data.c_test]) == k].mean(axis=0) for k in (0, 1)]
    assert np.allclose(means, BLOB_CENTERS, atol=0.2)


def test_noise():
    p = Playground(dataset="moons", noise=0.0, points=60)

    def distance_from_the_moons(p):
        X, c = all_points(p), np.concatenate([p.data.c_train, p.data.c_test])
        upper = np.abs(np.hypot(X[:, 0], X[:, 1]) - 1)              # class 0: the unit circle
        lower = np.abs(np.hypot(X[:, 0] - 1, X[:, 1] - 0.5) - 1)    # class 1: shifted by (1, 0.5)
        return np.where(c == 0, upper, lower).max()

    assert distance_from_the_moons(p) < 1e-12
    p.set(noise=0.3)
    assert p.current.noise == 0.3 and distance_from_the_moons(p) > 0.3


def test_ratio_and_points():
    p = Playground(points=200, ratio=0.7)
    assert len(p.data.X_train) == 140 and len(p.data.X_test) == 60
    p.set(ratio=0.3)
    assert len(p.data.X_train) == 60 and len(p.data.X_test) == 140
    p.set(points=100)
    assert len(p.data.X_train) + len(p.data.X_test) == 100 and len(p.data.X_train) == 30
    assert len(p.points["train"]) == 30 and len(p.points["test"]) == 70


def test_regenerate_gives_new_points_and_keeps_the_network():
    p = Playground(**SMALL)
    before, weights = all_points(p), p.model.state_dict()
    p.step(2)
    p.regenerate()
    assert p.current.data_seed == 1 and "dseed=1" in p.config and p.epoch == 0
    assert not np.allclose(all_points(p), before)
    assert p.model.state_dict() == weights


def test_layers_and_neurons():
    p = Playground(hidden=[8, 8], points=60)
    assert linear_sizes(p) == [(2, 8), (8, 8), (8, 1)]
    p.set(hidden=[8, 8, 3])                       # add a layer
    assert linear_sizes(p) == [(2, 8), (8, 8), (8, 3), (3, 1)]
    p.set(hidden=[8, 9, 3])                       # one neuron more in layer 2
    assert linear_sizes(p) == [(2, 8), (8, 9), (9, 3), (3, 1)]
    assert p.frame["network"]["sizes"] == [2, 8, 9, 3, 1]
    assert [np.shape(w) for w in p.frame["network"]["weights"]] == [(8, 2), (9, 8), (3, 9), (1, 3)]
    p.set(hidden=[])                              # no hidden layer: a linear model
    assert linear_sizes(p) == [(2, 1)] and "net=2-1;" in p.config
    p.step()
    assert len(p.history["grad"][0]) == 1


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ["ReLU", "Tanh", "Sigmoid"])
def test_activation(name, engine):
    p = Playground(activation=name.lower(), hidden=[3, 3], points=60, engine=engine)
    nn = BLOCKS[engine][0]
    activations = [m for m in p.model.layers if not isinstance(m, nn.Linear)]
    assert len(activations) == 2 and all(type(m) is getattr(nn, name) for m in activations)


def test_loss():
    p = Playground(loss="hinge", **SMALL)
    assert set(p.session.targets) == {-1, 1}
    p.set(loss="bce")
    assert set(p.session.targets) == {0, 1}
    # the map's strength follows the loss: |2·sigmoid(s) − 1| for BCE, |s| clipped at 1 for hinge
    _, _, scores = p.grid()
    s = scores.ravel()
    classes, strength = map_cells(p)
    assert np.allclose(strength, np.abs(2 / (1 + np.exp(-s)) - 1), atol=0.5 / 255 + 1e-12)
    assert np.array_equal(classes, s > 0)
    p.set(loss="hinge")
    s = p.grid()[2].ravel()
    assert np.allclose(map_cells(p)[1], np.minimum(np.abs(s), 1), atol=0.5 / 255 + 1e-12)


@pytest.mark.parametrize("name, cls, momentum", [
    ("sgd", SGD, 0.0), ("momentum", SGD, 0.9), ("rmsprop", RMSprop, None), ("adam", Adam, None),
])
def test_optimizer(name, cls, momentum):
    p = Playground(optimizer=name, lr=0.02, **SMALL)
    assert type(p.optimizer) is cls and p.optimizer.lr == 0.02
    if momentum is not None:
        assert p.optimizer.param_groups[0]["momentum"] == momentum


def test_optimizers_train_differently():
    results = {}
    for name in pg.OPTIMIZERS:
        p = Playground(optimizer=name, lr=0.02, **SMALL)
        p.step(2)
        results[name] = p.history["train_loss"][-1]
    assert len(set(results.values())) == 4, results


@pytest.mark.parametrize("engine", ENGINES)
def test_lr_l2_and_batch_size_make_the_documented_update(engine):
    """Full batch, SGD: one epoch is one step p ← p − lr·∂(loss + l2·Σp²)/∂p, checked by hand."""
    p = Playground(optimizer="sgd", lr=0.1, l2=0.01, batch_size=1000, points=60, hidden=[4], activation="relu",
                   seed=5, engine=engine)
    start = p.model.state_dict()
    p.step(1)
    model = MLP(2, [4, 1], activation="relu", rng=5)     # the scalar engine's network, written out here
    params = model.parameters()
    loss = binary_cross_entropy_with_logits(model(p.data.X_train.tolist()), [int(c) for c in p.data.c_train])
    (loss + l2_penalty(params, 0.01)).backward()
    expected = [v.data - 0.1 * v.grad for v in params]
    got = parameter_values(p.model)
    assert model.state_dict() == start
    assert np.allclose(got, expected, rtol=0, atol=1e-12)
    # and the L2 term is really in there: without it the step is different
    assert not np.allclose(got, [v.data - 0.1 * (v.grad - 0.02 * v.data) for v in params], rtol=0, atol=1e-9)


@pytest.mark.parametrize("batch_size, steps", [(1, 30), (7, 5), (16, 2), (30, 1), (1000, 1)])
@pytest.mark.parametrize("engine", ENGINES)
def test_batch_size_sets_the_steps_per_epoch(batch_size, steps, engine):
    p = Playground(batch_size=batch_size, points=60, ratio=0.5, hidden=[2], engine=engine)   # 30 training points
    p.step(1)
    assert {state["step"] for state in p.optimizer.state.values()} == {steps}


def test_l2_shrinks_the_weights():
    norms = {}
    for l2 in (0.0, 0.05):
        p = Playground(l2=l2, **SMALL)
        p.step(8)
        norms[l2] = float(np.sum(parameter_values(p.model) ** 2))
    assert norms[0.05] < 0.7 * norms[0.0], norms


@pytest.mark.parametrize("schedule, lrs", [
    ("none", [0.1] * 4),
    ("exponential", [0.1 * 0.99 ** k for k in range(4)]),
    ("cosine", [0.1 * (1 + math.cos(math.pi * k / 200)) / 2 for k in range(4)]),
])
def test_schedule(schedule, lrs):
    p = Playground(schedule=schedule, lr=0.1, points=20, hidden=[2], batch_size=100)
    p.step(4)
    assert p.history["lr"] == pytest.approx(lrs, rel=1e-12, abs=0)


def test_step_schedule_halves_every_50_epochs():
    p = Playground(schedule="step", lr=0.1, points=8, hidden=[1], batch_size=100)
    p.step(52)
    lr = p.history["lr"]
    assert lr[:50] == [0.1] * 50 and lr[50:] == [0.05, 0.05]


def test_seed():
    a, b, c = Playground(seed=1, **SMALL), Playground(seed=1, **SMALL), Playground(seed=2, **SMALL)
    assert a.model.state_dict() == b.model.state_dict() != c.model.state_dict()
    assert np.array_equal(a.data.X_train, c.data.X_train)        # the data has its own seed


# ---------------------------------------------------------------------------
# Gradient flow
# ---------------------------------------------------------------------------

def test_gradient_flow_has_one_entry_per_layer_per_epoch():
    p = Playground(hidden=[4, 3, 2], points=60)
    p.step(3)
    grads = p.history["grad"]
    assert len(grads) == 3 and all(len(g) == 4 for g in grads)
    assert all(math.isfinite(x) and x > 0 for g in grads for x in g)
    curves = p.frame["curves"]["grad"]
    assert len(curves) == 4 and all(len(series) == 3 for series in curves)
    assert [series[-1] for series in curves] == grads[-1]


@pytest.mark.parametrize("engine", ENGINES)
def test_gradient_flow_is_the_mean_absolute_weight_gradient(engine):
    """One full-batch step, checked against a backward pass done here (on the scalar engine)."""
    p = Playground(optimizer="sgd", batch_size=1000, points=40, hidden=[3], activation="sigmoid", seed=2,
                   engine=engine)
    model = MLP(2, [3, 1], activation="sigmoid", rng=2)
    p.step(1)
    loss = binary_cross_entropy_with_logits(model(p.data.X_train.tolist()), [int(c) for c in p.data.c_train])
    loss.backward()
    linears = [m for m in model.layers if isinstance(m, scalar_nn.Linear)]
    expected = [np.mean([abs(w.grad) for row in m.weight for w in row]) for m in linears]
    assert p.history["grad"][0] == pytest.approx(expected, rel=1e-12)


def test_deep_sigmoid_gradients_vanish_but_relu_ones_do_not():
    ratios = {}
    for activation in ("sigmoid", "relu"):
        p = Playground(activation=activation, hidden=[6, 6, 6, 6], optimizer="sgd", lr=0.1, points=100)
        p.step(2)
        first, *_, last = p.history["grad"][-1]
        ratios[activation] = first / last
    assert ratios["sigmoid"] < 0.01, ratios        # the first layer learns 100× slower, at least
    assert ratios["relu"] > 0.1, ratios
    assert ratios["sigmoid"] < ratios["relu"] / 50


# ---------------------------------------------------------------------------
# The heatmap
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_grid_is_the_model_output(engine):
    p = Playground(engine=engine, **SMALL)
    p.step(2)
    xs, ys = np.linspace(*p.data.extent[:2], GRID_SIZE), np.linspace(p.data.extent[3], p.data.extent[2], GRID_SIZE)
    gx, gy, scores = p.grid()
    assert np.array_equal(gx, xs) and np.array_equal(gy, ys) and scores.shape == (GRID_SIZE, GRID_SIZE, 1)
    for i, j in [(0, 0), (0, GRID_SIZE - 1), (GRID_SIZE - 1, 0), (17, 31), (GRID_SIZE // 2, GRID_SIZE // 2)]:
        point = [float(xs[j]), float(ys[i])]
        out = p.model(np.array([point])).data[0, 0] if engine == "tensor" else p.model(point)[0].data
        assert abs(scores[i, j, 0] - out) <= 1e-12, (i, j)
    # and the frame holds those scores' classes and strengths, row by row from the top
    classes, strength = (cells.reshape(GRID_SIZE, GRID_SIZE) for cells in map_cells(p))
    assert np.abs(strength - np.tanh(np.abs(scores[..., 0]) / 2)).max() <= 0.5 / 255 + 1e-12
    assert np.array_equal(classes, scores[..., 0] > 0)


def test_the_scalar_engine_draws_without_a_scalar_graph(monkeypatch):
    """A redraw of a scalar run evaluates its tensor twin on arrays, never a graph of Vars."""
    p = Playground(engine="scalar", **SMALL)
    p.step(1)
    calls = []
    scores = training_engines.Engine.scores

    def spy(self, X):
        calls.append(np.shape(X))
        return scores(self, X)

    def no_scalar_graph(self, x):
        raise AssertionError("the scalar forward was used for the picture")

    monkeypatch.setattr(training_engines.Engine, "scores", spy)
    monkeypatch.setattr(scalar_nn.Linear, "forward", no_scalar_graph)   # (tensor_nn.Linear is another class)
    p.reset()                          # a new frame for the browser
    assert (GRID_SIZE * GRID_SIZE, 2) in calls
    assert len(calls) == 3             # the grid, and the train and test sets for the losses
    assert len(map_cells(p)[0]) == GRID_SIZE * GRID_SIZE


@pytest.mark.parametrize("engine", ENGINES)
def test_frame_is_plain_json_even_when_training_blew_up(engine):
    p = Playground(activation="relu", engine=engine, **SMALL)
    json.dumps(p.frame, allow_nan=False)
    for v in p.model.parameters():      # through two ReLU layers the scores overflow to inf, the losses to nan
        v.data = np.full(np.shape(v.data), 1e200) if engine == "tensor" else 1e200
    assert not math.isfinite(p.evaluate()["train_loss"])
    frame = frame_message(p.session)
    json.dumps(frame, allow_nan=False)
    metrics = messages.metrics_message(p.session.measure())   # what the frame shows after the next epoch
    json.dumps(metrics, allow_nan=False)
    assert metrics["train_loss"] is None and metrics["test_loss"] is None
    json.dumps(p.points, allow_nan=False)


# ---------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("settings, error, words", [
    ({"dataset": "mars"}, ValueError, ["dataset", "moons", "'mars'"]),
    ({"hidden": [8, 0]}, ValueError, ["layer 2", "0 neurons"]),
    ({"hidden": [8] * 9}, ValueError, ["at most 8 hidden layers"]),
    ({"hidden": [2.5]}, TypeError, ["hidden layer 1"]),
    ({"lr": -0.1}, ValueError, ["lr", "> 0", "-0.1"]),
    ({"lr": 0}, ValueError, ["lr", "> 0"]),
    ({"lr": "0.1"}, TypeError, ["lr", "str"]),
    ({"l2": -1.0}, ValueError, ["l2", ">= 0"]),
    ({"noise": 2.0}, ValueError, ["noise"]),
    ({"ratio": 1.0}, ValueError, ["ratio"]),
    ({"points": 2}, ValueError, ["points"]),
    ({"batch_size": 0}, ValueError, ["batch_size"]),
    ({"activation": "softmax"}, ValueError, ["activation", "relu"]),
    ({"loss": "mse"}, ValueError, ["loss", "hinge"]),
    ({"optimizer": "lbfgs"}, ValueError, ["optimizer", "adam"]),
    ({"schedule": "warmup"}, ValueError, ["schedule", "cosine"]),
    ({"seed": -1}, ValueError, ["seed"]),
    ({"colour": "red"}, TypeError, ["unknown setting 'colour'"]),
])
def test_bad_settings_give_clear_errors(settings, error, words):
    with pytest.raises(error) as raised:
        Playground(**settings)
    for word in words:
        assert word in str(raised.value), str(raised.value)


def test_a_refused_change_changes_nothing():
    p = Playground(**SMALL)
    p.step(2)
    before = (p.current, p.config, p.model.state_dict(), p.epoch)
    with pytest.raises(ValueError):
        p.set(lr=0.5, hidden=[4, 0])
    assert (p.current, p.config, p.model.state_dict(), p.epoch) == before


def test_too_few_points_for_the_ratio_is_refused_before_anything_changes():
    p = Playground(points=10, ratio=0.5, hidden=[2])
    before = (p.current, p.config, all_points(p).tolist())
    with pytest.raises(ValueError, match="4 points with a training ratio of 0.1 leave a set empty"):
        p.set(points=4, ratio=0.1)
    assert (p.current, p.config, all_points(p).tolist()) == before


def test_bad_step_counts():
    p = Playground(**SMALL)
    with pytest.raises(ValueError, match="n must be from 1"):
        p.step(0)
    with pytest.raises(TypeError, match="n must be an int"):
        p.step(1.5)
    assert p.epoch == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_diverging_step_is_reported(engine):
    p = Playground(optimizer="sgd", lr=1e300, activation="relu", engine=engine, **SMALL)
    with pytest.raises(OverflowError, match="too large for (a )?float|not finite"):
        p.step(1)
    assert p.epoch == 0


# ---------------------------------------------------------------------------
# The browser's messages, Play, the static fallback
# ---------------------------------------------------------------------------

def test_browser_messages_use_the_same_path(monkeypatch):
    """The controls' messages, delivered through the comm, do what the Python methods do."""
    p = Playground(**SMALL)
    sent = []
    monkeypatch.setattr(p, "send", lambda content, buffers=None: sent.append(content))
    send_custom(p, {"action": "step"})
    assert p.epoch == 1 and p.frame["epoch"] == 1
    send_custom(p, {"action": "set", "changes": {"dataset": "xor", "hidden": [4, 5]}})
    assert p.current.dataset == "xor" and p.current.hidden == (4, 5) and p.epoch == 0
    assert "data=xor" in p.config and p.settings["hidden"] == [4, 5]
    send_custom(p, {"action": "set", "changes": {"lr": -1}})
    assert "lr must be > 0" in p.error and sent == [{"event": "rejected"}] and p.current.lr == 0.03
    send_custom(p, {"action": "load", "config": "data=circles;net=2-3-1"})
    assert p.current.dataset == "circles" and p.current.hidden == (3,) and p.error == ""
    send_custom(p, {"action": "load", "config": "data=mars"})
    assert "data=mars" in p.error and sent[-1] == {"event": "rejected"} and p.current.dataset == "circles"
    send_custom(p, {"action": "regenerate"})
    assert p.current.data_seed == 1
    send_custom(p, {"action": "step"})
    send_custom(p, {"action": "reset"})
    assert p.epoch == 0 and p.current.data_seed == 1
    send_custom(p, {"action": "set", "changes": {"engine": "scalar"}})
    assert p.current.engine == "scalar" and p.config.endswith("seed=0") and p.error == ""
    before = (p.current, p.epoch, len(sent))
    for bad, words in [("not a dict", "unknown request"), ({"action": "fly"}, "the actions are play, pause"),
                       ({"action": "set", "changes": [1]}, "'set' needs changes as a dict"),
                       ({"action": "load", "config": 3}, "'load' needs 'config'"),
                       ({"action": "set", "changes": {"engine": "gpu"}}, "engine must be one of tensor, scalar")]:
        send_custom(p, bad)              # refused: nothing changes, and the widget says why
        assert words in p.error and sent[-1] == {"event": "rejected"}, (bad, p.error)
        assert (p.current, p.epoch) == before[:2]
    assert len(sent) == before[2] + 5


def test_play_and_pause_messages_start_and_stop_play():
    p = Playground(**SMALL)

    async def scenario():
        send_custom(p, {"action": "play"})
        assert p.playing
        while p.epoch < 2:
            await asyncio.sleep(0.01)
        send_custom(p, {"action": "pause"})
        assert not p.playing
        await asyncio.sleep(2 * pg.FRAME_INTERVAL)
        stopped = p.epoch
        await asyncio.sleep(3 * pg.FRAME_INTERVAL)
        return stopped

    stopped = asyncio.run(scenario())
    assert p.epoch == stopped >= 2 and not p.playing


def test_play_outside_an_event_loop_is_refused_with_a_message(monkeypatch):
    p = Playground(**SMALL)
    sent = []
    monkeypatch.setattr(p, "send", lambda content, buffers=None: sent.append(content))
    send_custom(p, {"action": "play"})
    assert "running asyncio event loop" in p.error and not p.playing and sent == [{"event": "rejected"}]


def test_play_trains_without_blocking_the_event_loop():
    p = Playground(**SMALL)

    async def scenario():
        p.play()
        assert p.playing
        others = 0                      # another coroutine keeps running while Play trains
        while p.epoch < 3:
            await asyncio.sleep(0.005)
            others += 1
        p.pause()
        await asyncio.sleep(2 * pg.FRAME_INTERVAL)
        stopped = p.epoch
        await asyncio.sleep(3 * pg.FRAME_INTERVAL)
        return others, stopped

    others, stopped = asyncio.run(scenario())
    assert others >= 3
    assert p.epoch == stopped >= 3 and not p.playing     # paused: no epoch after the pause's frame
    assert p.frame["epoch"] == p.epoch


def test_play_needs_a_running_loop_and_close_stops_it():
    p = Playground(**SMALL)
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        p.play()

    async def scenario():
        p.play()
        while p.epoch < 1:
            await asyncio.sleep(0.01)
        p.close()
        closed_at = p.epoch
        await asyncio.sleep(5 * pg.FRAME_INTERVAL)
        return closed_at

    closed_at = asyncio.run(scenario())
    assert p.epoch == closed_at and not p.playing          # no epoch after close


def test_playing_true_is_play():
    p = Playground(**SMALL)
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        p.playing = True
    assert not p.playing

    async def scenario():
        p.playing = True
        while p.epoch < 2:
            await asyncio.sleep(0.01)
        p.playing = False
        await asyncio.sleep(2 * pg.FRAME_INTERVAL)
        stopped = p.epoch
        await asyncio.sleep(3 * pg.FRAME_INTERVAL)
        return stopped

    stopped = asyncio.run(scenario())
    assert p.epoch == stopped >= 2


def test_play_pauses_on_a_diverging_step():
    p = Playground(optimizer="sgd", lr=1e300, activation="relu", **SMALL)

    async def scenario():
        p.play()
        for _ in range(100):
            if not p.playing:
                break
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert not p.playing and p.error.startswith("training stopped at epoch 1: ")
    assert "smaller learning rate" in p.error
    json.dumps(p.frame, allow_nan=False)            # the frame of the diverged net still goes out


def test_mimebundle_has_the_widget_a_png_and_text():
    p = Playground(**SMALL)
    p.step(2)
    data, _ = DisplayFormatter().format(p)      # what Jupyter stores in the notebook
    assert WIDGET_MIME in data and data[WIDGET_MIME]["model_id"] == p.model_id
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    text = data["text/plain"]
    assert text == repr(p)
    assert text.startswith("Playground(moons, 2-4-4-1 tanh, bce, adam lr=0.03; epoch 2, train loss ")
    assert text.endswith("\nconfig: " + p.config)
    q = Playground.from_config(p.config)
    q.step(2)
    assert DisplayFormatter().format(q)[0]["text/plain"] == text     # deterministic
    assert repr(Playground(**SMALL)).startswith("Playground(moons, 2-4-4-1 tanh, bce, adam lr=0.03; epoch 0)")


def test_curves_are_thinned_to_a_bounded_size():
    p = Playground(points=8, hidden=[1], batch_size=100)
    epochs = messages.CURVE_POINTS + 40
    p.step(epochs)
    curves = p.frame["curves"]
    kept = curves["epoch"]
    assert len(kept) <= messages.CURVE_POINTS and kept[0] == 1 and kept[-1] == epochs    # the first and the last
    assert kept == sorted(set(kept)) and max(np.diff(kept)) <= 2                    # evenly spread
    assert all(len(series) == len(kept) for series in [curves["train_loss"], curves["test_loss"], *curves["grad"]])
    h = p.history
    assert curves["grad"][0] == [h["grad"][e - 1][0] for e in kept]


# ---------------------------------------------------------------------------
# The model on its own: widgets.training_session
# ---------------------------------------------------------------------------

def test_the_session_runs_without_any_widget_library():
    """training_session imports no widget library: it trains with ipywidgets, anywidget and traitlets absent."""
    code = (
        "import sys, types\n"
        "for name in ('ipywidgets', 'anywidget', 'traitlets', 'comm', 'IPython', 'matplotlib'):\n"
        "    sys.modules[name] = None      # importing any of them now fails\n"
        "package = types.ModuleType('widgets')\n"
        "package.__path__ = ['widgets']    # the package without its __init__, which loads the widgets\n"
        "sys.modules['widgets'] = package\n"
        "from widgets.training_session import TrainingSession, parse_config\n"
        "print(TrainingSession(parse_config('points=40;net=2-3-1')).step(2)['epoch'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"


def test_a_session_is_the_run_the_widget_shows():
    settings = Settings().changed(**UNUSUAL)
    run = TrainingSession(settings)
    assert run.settings == settings and run.epoch == 0 and run.history["epoch"] == []
    last = run.step(4)
    p = Playground(**UNUSUAL)
    p.step(4)
    assert run.model.state_dict() == p.model.state_dict() and run.history == p.history
    assert last == {key: values[-1] for key, values in run.history.items()}
    again = TrainingSession(settings, data=run.data)      # the same points, a fresh start
    assert again.data is run.data and again.epoch == 0
    again.step(4)
    assert again.model.state_dict() == run.model.state_dict()


def test_a_session_gives_copies_of_its_record():
    run = TrainingSession(Settings().changed(**SMALL))
    last = run.step(2)
    last["grad"].append(9.0)
    run.history["grad"][-1].append(9.0)
    run.targets.append(5)
    assert len(run.history["grad"][-1]) == 3 and 5 not in run.targets


@pytest.mark.parametrize("loss, labels", [("hinge", (-1, 1)), ("bce", (0, 1))])
def test_session_targets_are_the_labels_the_loss_wants(loss, labels):
    run = TrainingSession(Settings().changed(loss=loss, **SMALL))
    assert run.targets == [labels[c] for c in run.data.c_train]


def test_settings_know_which_changes_keep_the_points():
    s = Settings()
    for keep in ({"lr": 0.1}, {"hidden": [3]}, {"seed": 4}, {"loss": "hinge"}, {"batch_size": 8}):
        assert s.changed(**keep).same_data(s), keep
    for new in ({"dataset": "xor"}, {"noise": 0.2}, {"ratio": 0.3}, {"points": 100}, {"data_seed": 1}):
        assert not s.changed(**new).same_data(s), new


# ---------------------------------------------------------------------------
# The playground's browser module (common.js + playground.js): pure helpers under node
# ---------------------------------------------------------------------------

RUNNER = """
import * as js from "./widget.mjs";
const size = 21, classes = [], strength = [], three = [], flat = [];
for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) {
  const v = c - 0.5 * r - 3.3;                 // two classes, with their boundary on c = 0.5 r + 3.3
  classes.push(v > 0 ? 1 : 0);
  strength.push(Math.abs(v));
  three.push(c < 7 ? 0 : c < 14 ? 1 : 2);      // three classes in vertical bands
  flat.push(1);
}
process.stdout.write(JSON.stringify({
  rgb: js.hexToRgb("#e69f00"),
  colors: [0, 0.5, 1, 7, -1].map((s) => js.mapColor([230, 159, 0], s)),
  segments: js.classContour(classes, strength, size),
  bands: js.classContour(three, flat, size),
  ticks: js.niceTicks(0, 0.63, 4),
  bytes: Array.from(js.fromBase64("AAH/gA==")),
}));
"""


def test_js_helpers(run_js):
    out = run_js(Playground._esm, RUNNER)
    assert out["rgb"] == [230, 159, 0]
    white, faint, full, clipped, below = out["colors"]
    assert white == below == [255, 255, 255]                      # strength 0 (a boundary), and clipped at 0
    js_round = lambda x: math.floor(x + 0.5)                      # Math.round: halves go up
    assert full == clipped == [js_round(255 + (c - 255) * 0.7) for c in (230, 159, 0)]   # clipped at 1
    assert faint == [js_round(255 + (c - 255) * 0.35) for c in (230, 159, 0)]
    segments = out["segments"]
    assert len(segments) >= 20          # the boundary crosses every row
    for x1, y1, x2, y2 in segments:     # every point lies on the zero line c = 0.5·r + 3.3
        assert abs(x1 - (0.5 * y1 + 3.3)) < 1e-9 and abs(x2 - (0.5 * y2 + 3.3)) < 1e-9
    xs = sorted({round(x, 9) for x1, _, x2, _ in out["bands"] for x in (x1, x2)})
    assert xs == [6.5, 13.5]            # three classes: two boundaries, halfway between the cells
    assert out["ticks"] == [0, 0.2, 0.4, 0.6]
    assert out["bytes"] == list(base64.b64decode("AAH/gA==")) == [0, 1, 255, 128]


MENU_RUNNER = """
import * as js from "./widget.mjs";
const lr = ["0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3"];
process.stdout.write(JSON.stringify({
  middle: js.insertionIndex(lr, "0.05"),
  first: js.insertionIndex(lr, "0.0001"),
  last: js.insertionIndex(lr, "10"),
  tie: js.insertionIndex(["1", "2", "4"], "2"),
  words: js.insertionIndex(["moons", "circles"], "spirals"),
  not_a_number: js.insertionIndex(lr, "abc"),
  empty: js.insertionIndex([], "0.5"),
}));
"""


def test_js_a_value_from_python_goes_in_its_place_in_a_menu(run_js):
    """Issue 12, small things: lr 0.05 set from Python was appended after 3 ("…1, 3, 0.05")."""
    out = run_js(Playground._esm, MENU_RUNNER)
    assert out["middle"] == 4          # between 0.03 and 0.1
    assert out["first"] == 0 and out["last"] == 8
    assert out["tie"] == 2             # after an equal value (it would not be added then anyway)
    assert out["words"] == 2 and out["not_a_number"] == 8 and out["empty"] == 0
