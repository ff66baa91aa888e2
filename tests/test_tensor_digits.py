"""End to end on the tensor engine: an MLP learns the handwritten digits, and the two engines agree.

The digits are the 1,797 8×8 images shipped with the kit (`autodiff.data.load_digits`);
360 of them, chosen by a seeded shuffle, are held out and never trained on.
"""

import numpy as np
import pytest

from autodiff import Tensor, losses, nn, no_grad, optim
from autodiff.data import load_digits
from autodiff.tensor import nn as tnn
from autodiff.tensor.data import batches


def split(seed=0, held_out=360):
    X, y = load_digits(dtype=np.float32)
    X = X / 16.0  # pixels in [0, 1]
    order = np.random.default_rng(seed).permutation(len(X))
    return (X[order[held_out:]], y[order[held_out:]]), (X[order[:held_out]], y[order[:held_out]])


def test_an_mlp_learns_the_digits_with_adam():
    (X_train, y_train), (X_test, y_test) = split()
    model = tnn.MLP(64, [64, 10], rng=0, dtype=np.float32)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for epoch in range(15):
        for xb, yb in batches(X_train, y_train, 64, shuffle=True, seed=epoch):
            optimizer.zero_grad()
            loss = losses.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            first = loss.item() if first is None else first
    with no_grad():
        predicted = model(Tensor(X_test, dtype=np.float32)).data.argmax(axis=1)
    accuracy = float((predicted == y_test).mean())
    assert accuracy >= 0.95, accuracy
    assert first > 2.0 > loss.item()  # from chance (log 10 ≈ 2.3) to well below it
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_training_is_the_same_in_every_run():
    def run():
        (X_train, y_train), _ = split()
        model = tnn.MLP(64, [32, 10], rng=3)
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        for xb, yb in batches(X_train[:256], y_train[:256], 64, shuffle=True, seed=1, dtype=np.float64):
            optimizer.zero_grad()
            losses.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        return [p.data.copy() for p in model.parameters()]

    assert all(np.array_equal(a, b) for a, b in zip(run(), run()))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_tensor_mlp_and_the_scalar_mlp_take_the_same_steps(activation):
    """The same model built on each engine, the same batch, three SGD steps: the same numbers."""
    (X_train, y_train), _ = split()
    X, y = X_train[:8].astype(np.float64), y_train[:8]
    scalar, tensor = nn.MLP(64, [6, 10], activation=activation, rng=5), tnn.MLP(64, [6, 10], activation=activation, rng=5)
    scalar_opt, tensor_opt = optim.SGD(scalar.parameters(), lr=0.5), optim.SGD(tensor.parameters(), lr=0.5)
    for _ in range(3):
        scalar_opt.zero_grad()
        scalar_loss = losses.cross_entropy(scalar(X.tolist()), y.tolist())
        scalar_loss.backward()
        scalar_opt.step()
        tensor_opt.zero_grad()
        tensor_loss = losses.cross_entropy(tensor(X), y)
        tensor_loss.backward()
        tensor_opt.step()
        assert tensor_loss.item() == pytest.approx(scalar_loss.data, rel=1e-12)
    for name, value in tensor.state_dict().items():
        np.testing.assert_allclose(value, scalar.state_dict()[name], rtol=1e-10, atol=1e-13)
