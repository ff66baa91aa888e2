"""autodiff.train: accuracy, fit (history, callbacks, schedules, batching, determinism), the demo."""

import math

import pytest
import torch
import torch.nn.functional as F

from autodiff import Var, losses, nn
from autodiff.lr_scheduler import LambdaLR, StepLR
from autodiff.optim import SGD
from autodiff.train import EpochEnd, History, accuracy, fit

REL = 1e-12


def close(ours, theirs, rel=REL):
    if isinstance(theirs, (list, tuple)):
        return len(ours) == len(theirs) and all(close(a, b, rel) for a, b in zip(ours, theirs))
    return abs(ours - theirs) <= rel * abs(theirs) or ours == theirs


# An easy regression problem: y = 2·x1 - x2 + 0.5, no noise.
X = [[math.sin(0.7 * i), math.cos(1.3 * i)] for i in range(10)]
Y = [2 * a - b + 0.5 for a, b in X]


def linear_model(seed=0):
    return nn.Linear(2, 1, rng=seed)


def torch_copy(layer):
    t = torch.nn.Linear(2, 1, dtype=torch.float64)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(layer.state_dict()["weight"], dtype=torch.float64))
        t.bias.copy_(torch.tensor(layer.state_dict()["bias"], dtype=torch.float64))
    return t


# ----------------------------------------------------------------------
# accuracy
# ----------------------------------------------------------------------
def test_accuracy_plus_minus_one_uses_the_sign():
    scores = [[0.3], [-0.2], [0.1], [-0.5], [2.0]]
    labels = [1, 1, -1, -1, 1]
    assert accuracy(scores, labels) == 3 / 5
    assert accuracy([[Var(s[0])] for s in scores], labels) == 3 / 5
    assert accuracy([s[0] for s in scores], labels) == 3 / 5
    assert accuracy([0.7, -0.1], [1.0, -1.0]) == 1.0


def test_accuracy_zero_one_with_threshold():
    probs = [0.7, 0.4, 0.3, 0.2]
    labels = [1, 0, 0, 0]
    assert accuracy(probs, labels, threshold=0.5) == 1.0
    assert accuracy(probs, labels) == 1 / 4          # threshold 0: everything is class 1
    assert accuracy([[-0.3], [0.2], [0.0]], [0, 1, 0]) == 1.0   # logits; 0 is not above 0
    assert accuracy([Var(0.6), Var(0.5)], [1, 0], threshold=0.5) == 1.0


def test_accuracy_multiclass_argmax_matches_torch():
    scores = [[0.1, 2.0, -1.0], [3.0, 0.0, 0.5], [0.2, 0.1, 0.3], [-1.0, -2.0, -0.5], [1.0, 1.0, 0.0]]
    labels = [1, 0, 0, 2, 1]
    expected = (torch.tensor(scores).argmax(dim=1) == torch.tensor(labels)).double().mean().item()
    assert expected == 3 / 5
    assert accuracy(scores, labels) == expected
    assert accuracy([[Var(v) for v in row] for row in scores], labels) == expected


def test_accuracy_bad_arguments():
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        accuracy([0.1, 0.2], [1, 0, 1])
    with pytest.raises(ValueError, match="no predictions"):
        accuracy([], [])


# ----------------------------------------------------------------------
# fit: history
# ----------------------------------------------------------------------
def test_fit_returns_one_history_entry_per_epoch():
    model = linear_model()
    history = fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, epochs=7,
                  metrics={"mae": lambda p, t: sum(abs(a[0] - b) for a, b in zip(p, t)) / len(t)},
                  progress=False)
    assert isinstance(history, History)
    assert len(history) == len(history.loss) == len(history.lr) == 7
    assert list(history.metrics) == ["mae"] and len(history.metrics["mae"]) == 7
    assert history.lr == [0.05] * 7
    assert all(type(v) is float for v in history.loss)


def test_fit_default_metric_is_accuracy():
    model = nn.Linear(2, 1, rng=1)
    labels = [1 if a > 0 else -1 for a, _ in X]
    history = fit(model, losses.hinge_loss, SGD(model.parameters(), lr=0.1), X, labels, epochs=3,
                  progress=False)
    assert list(history.metrics) == ["accuracy"] and len(history.metrics["accuracy"]) == 3
    assert all(0.0 <= a <= 1.0 for a in history.metrics["accuracy"])


def test_fit_loss_decreases_on_an_easy_problem():
    model = linear_model()
    history = fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.1), X, Y, epochs=60, progress=False)
    assert all(b < a for a, b in zip(history.loss, history.loss[1:]))
    assert history.loss[-1] < 1e-3 * history.loss[0]
    w, b = model.state_dict()["weight"][0], model.state_dict()["bias"][0]
    assert w == pytest.approx([2.0, -1.0], abs=0.05) and b == pytest.approx(0.5, abs=0.05)


def test_fit_matches_the_same_loop_in_torch():
    """Mini-batches of 4 in order (10 samples: 4, 4, 2), SGD with momentum, 3 epochs."""
    model = linear_model(3)
    theirs = torch_copy(model)
    history = fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05, momentum=0.9), X, Y,
                  epochs=3, batch_size=4, shuffle=False, progress=False)
    opt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, foreach=False)
    expected_losses = []
    for _ in range(3):
        total = 0.0
        for start in range(0, 10, 4):
            xb = torch.tensor(X[start:start + 4], dtype=torch.float64)
            yb = torch.tensor(Y[start:start + 4], dtype=torch.float64)
            opt.zero_grad()
            loss = F.mse_loss(theirs(xb).flatten(), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        expected_losses.append(total / 10)
    assert close(history.loss, expected_losses)
    assert close(model.state_dict()["weight"], theirs.weight.tolist())
    assert close(model.state_dict()["bias"], theirs.bias.tolist())


def test_fit_l2_adds_the_penalty():
    model = linear_model(4)
    theirs = torch_copy(model)
    history = fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.1), X, Y, epochs=1, l2=0.05,
                  progress=False)
    loss = F.mse_loss(theirs(torch.tensor(X, dtype=torch.float64)).flatten(), torch.tensor(Y, dtype=torch.float64))
    loss = loss + 0.05 * sum((p * p).sum() for p in theirs.parameters())
    loss.backward()
    assert close(history.loss, [loss.item()])
    with torch.no_grad():
        for p in theirs.parameters():
            p -= 0.1 * p.grad
    assert close(model.state_dict()["weight"], theirs.weight.tolist())


# ----------------------------------------------------------------------
# fit: callbacks and schedules
# ----------------------------------------------------------------------
def test_callbacks_receive_epoch_end_every_epoch():
    model = linear_model()
    opt = SGD(model.parameters(), lr=0.05)
    events = []

    def record(event):
        events.append((event, event.loss, dict(event.metrics), len(event.history)))

    history = fit(model, losses.mse_loss, opt, X, Y, epochs=5, callbacks=[record], progress=False)
    assert [e.epoch for e, *_ in events] == [1, 2, 3, 4, 5]
    for i, (event, loss, metrics, seen) in enumerate(events):
        assert isinstance(event, EpochEnd)
        assert event.model is model and event.optimizer is opt and event.history is history
        assert loss == history.loss[i]
        assert metrics == {"accuracy": history.metrics["accuracy"][i]}
        assert seen == i + 1            # the history already holds this epoch


def test_callback_returning_true_stops_training():
    model = linear_model()
    calls = []

    def stop_at_three(event):
        calls.append(event.epoch)
        return event.epoch == 3

    history = fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, epochs=10,
                  callbacks=[stop_at_three], progress=False)
    assert calls == [1, 2, 3]
    assert len(history) == 3 and len(history.lr) == 3


def test_callbacks_returning_none_or_false_do_not_stop():
    model = linear_model()
    history = fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, epochs=4,
                  callbacks=[lambda e: None, lambda e: False], progress=False)
    assert len(history) == 4


def test_scheduler_is_stepped_every_epoch_and_history_lr_follows_it():
    model = linear_model()
    opt = SGD(model.parameters(), lr=0.2)
    schedule = StepLR(opt, step_size=2, gamma=0.5)
    history = fit(model, losses.mse_loss, opt, X, Y, epochs=6, scheduler=schedule, progress=False)
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    t_schedule = torch.optim.lr_scheduler.StepLR(t_opt, step_size=2, gamma=0.5)
    expected = []
    for _ in range(6):
        expected.append(t_opt.param_groups[0]["lr"])   # the lr used during the epoch
        t_opt.step()
        t_schedule.step()
    assert history.lr == expected == [0.2, 0.2, 0.1, 0.1, 0.05, 0.05]
    assert opt.lr == t_opt.param_groups[0]["lr"] == 0.025


def test_lambda_scheduler_in_fit():
    model = linear_model()
    opt = SGD(model.parameters(), lr=1.0)
    history = fit(model, losses.mse_loss, opt, X, Y, epochs=5,
                  scheduler=LambdaLR(opt, lambda e: 1.0 / (1 + e)), progress=False)
    assert close(history.lr, [1.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5])


def test_scheduler_step_count_with_early_stop():
    class Counter:
        steps = 0

        def step(self):
            self.steps += 1

    counter = Counter()
    model = linear_model()
    fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, epochs=8, scheduler=counter,
        callbacks=[lambda e: e.epoch == 5], progress=False)
    assert counter.steps == 5


# ----------------------------------------------------------------------
# fit: batching, shuffling, determinism
# ----------------------------------------------------------------------
def _recording_loss(seen):
    def loss_fn(out, y_batch):
        seen.append(list(y_batch))
        return losses.mse_loss(out, y_batch)
    return loss_fn


@pytest.mark.parametrize("batch_size, sizes", [(None, [10]), (4, [4, 4, 2]), (5, [5, 5]), (1, [1] * 10),
                                               (20, [10])])
def test_batch_size(batch_size, sizes):
    seen = []
    model = linear_model()
    fit(model, _recording_loss(seen), SGD(model.parameters(), lr=0.01), X, Y, epochs=2,
        batch_size=batch_size, shuffle=False, progress=False)
    assert [len(b) for b in seen] == sizes * 2
    assert sum(seen[:len(sizes)], []) == Y     # in order without shuffling


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    seen = []
    model = linear_model()
    fit(model, _recording_loss(seen), SGD(model.parameters(), lr=0.01), X, Y, epochs=3, batch_size=3,
        shuffle=True, progress=False)
    epochs = [sum(seen[i:i + 4], []) for i in range(0, 12, 4)]
    assert all(sorted(e) == sorted(Y) for e in epochs)
    assert epochs[0] != Y and epochs[0] != epochs[1] != epochs[2]


def _train(seed_model, seed_fit, shuffle=True):
    seen = []
    model = nn.MLP(2, [4, 1], activation="tanh", rng=seed_model)
    history = fit(model, _recording_loss(seen), SGD(model.parameters(), lr=0.05, momentum=0.5), X, Y,
                  epochs=4, batch_size=3, shuffle=shuffle, seed=seed_fit, progress=False)
    return history, model.state_dict(), seen


def test_same_seeds_give_bit_identical_runs():
    a, b = _train(1, 7), _train(1, 7)
    assert a[0].loss == b[0].loss and a[0].metrics == b[0].metrics and a[0].lr == b[0].lr
    assert a[1] == b[1]
    assert a[2] == b[2]


def test_different_seeds_give_different_runs():
    base = _train(1, 7)
    other_order = _train(1, 8)
    assert other_order[2] != base[2]
    assert other_order[1] != base[1]
    assert _train(2, 7)[1] != base[1]


def test_progress_false_prints_nothing(capfd):
    model = linear_model()
    fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, epochs=3, progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_true_shows_a_bar(capfd):
    model = linear_model()
    fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, epochs=3, progress=True)
    out, err = capfd.readouterr()
    assert "training" in out + err and "3/3" in out + err


def test_fit_puts_the_model_in_training_mode():
    model = linear_model().eval()
    fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, epochs=1, progress=False)
    assert model.training is True


# ----------------------------------------------------------------------
# fit: bad arguments
# ----------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, fragment", [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": -3}, ValueError, "epochs"),
    ({"epochs": 2.0}, ValueError, "epochs"),
    ({"epochs": True}, ValueError, "epochs"),
    ({"l2": -0.1}, ValueError, "l2"),
    ({"l2": float("nan")}, ValueError, "l2"),
    ({"l2": "0.1"}, TypeError, "l2"),
])
def test_fit_bad_arguments(kwargs, exc, fragment):
    model = linear_model()
    before = model.state_dict()
    args = {"epochs": 2, **kwargs}
    with pytest.raises(exc, match=fragment):
        fit(model, losses.mse_loss, SGD(model.parameters(), lr=0.05), X, Y, progress=False, **args)
    assert model.state_dict() == before


def test_fit_rejects_a_non_module():
    layer = torch.nn.Linear(2, 1)
    with pytest.raises(TypeError, match="Module"):
        fit(layer, losses.mse_loss, SGD([Var(1.0)], lr=0.05), X, Y, epochs=1, progress=False)
    with pytest.raises(TypeError, match="Module"):
        fit(lambda x: x, losses.mse_loss, SGD([Var(1.0)], lr=0.05), X, Y, epochs=1, progress=False)


# ----------------------------------------------------------------------
# End to end
# ----------------------------------------------------------------------
@pytest.mark.slow
def test_demo_reaches_full_training_accuracy():
    from autodiff.demo import train_demo

    model, X_demo, y_demo, history = train_demo(progress=False)
    assert len(X_demo) == len(y_demo) == 100
    assert len(history) == 100
    assert accuracy(model(X_demo), y_demo) == 1.0
    assert history.metrics["accuracy"][-1] == 1.0
    assert history.loss[-1] < history.loss[0]
    # the learning rate falls linearly from 1.0 towards 0.1
    assert history.lr[0] == 1.0 and close(history.lr[-1], 1.0 - 0.9 * 99 / 100)
