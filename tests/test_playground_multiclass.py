"""`widgets.Playground`: several classes, your own CSV file, Play in slices, and what the browser may set.

The rest of the Playground (every control, the config string, the two
engines) is tested in tests/test_playground.py. Expected values are
computed here independently: confusion matrices by counting, CSV errors
against the file's own lines, slices against one uninterrupted run.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import numpy as np
import pytest

from widgets import browser_state
from widgets import playground as pg
from widgets.datasets_2d import BLOB_STD, MAX_CSV_BYTES, blob_centers, parse_csv_text, spiral_arms
from widgets.playground import Playground
from widgets.playground_messages import CLASS_COLORS, NOTES, choices_message
from widgets.training_session import TrainingSession

from comm_messages import send_custom, send_state

ENGINES = ("tensor", "scalar")
OKABE_ITO = {"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#000000"}
# Three arms, learned to >= 90% test accuracy in 60 epochs (about half a second)
SPIRALS = dict(dataset="spirals", classes=3, points=300, noise=0.05, hidden=[32, 32], activation="relu",
               lr=0.01, seed=0, data_seed=0)


def all_classes(p: Playground) -> np.ndarray:
    return np.concatenate([p.data.c_train, p.data.c_test])


def write(tmp_path: Path, text: str, name: str = "points.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def state(p: Playground) -> tuple:
    """What a refused request must leave alone."""
    return p.current, p.config, p.epoch, p.model.state_dict(), p.data.X_train.tolist()


# ---------------------------------------------------------------------------
# Several classes
# ---------------------------------------------------------------------------

def test_three_arm_spirals_are_learned_to_90_percent():
    p = Playground(**SPIRALS)
    assert p.current.loss == "ce" and p.current.sizes == [2, 32, 32, 3]     # one logit per class
    p.step(60)
    assert p.history["test_acc"][-1] >= 0.9, p.history["test_acc"][-1]
    assert p.history["train_acc"][-1] >= 0.9
    m = p.frame["metrics"]
    assert all(acc >= 0.75 for acc in m["class_acc"]), m["class_acc"]       # every arm, not just two of them


@pytest.mark.parametrize("arms", [2, 3, 4, 5])
def test_spirals_have_one_arm_per_class(arms):
    X, y = map(np.array, spiral_arms(100, arms, noise=0.0, seed=1))
    assert X.shape == (100, 2) and sorted(set(y.tolist())) == list(range(arms))
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1                                 # balanced
    radius, angle = np.hypot(*X.T), np.arctan2(X[:, 1], X[:, 0])
    assert radius.max() <= 1.0 + 1e-9
    if arms > 2:   # arm a starts at angle 2π·a/arms, at radius 0.1
        for a in range(arms):
            first = np.argmin(np.where(y == a, radius, np.inf))
            assert radius[first] == pytest.approx(0.1)
            assert np.isclose(np.cos(angle[first] - 2 * np.pi * a / arms), 1.0)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_blobs_have_one_blob_per_class(k):
    p = Playground(dataset="blobs", classes=k, noise=0.0, points=100 * k)
    assert p.current.loss == "ce" and p.current.outputs == k
    X, c = np.vstack([p.data.X_train, p.data.X_test]), all_classes(p)
    centers = np.array(blob_centers(k))
    assert np.allclose([X[c == a].mean(axis=0) for a in range(k)], centers, atol=0.12)
    assert np.allclose([X[c == a].std(axis=0) for a in range(k)], BLOB_STD, atol=0.08)


def test_the_classes_follow_the_dataset():
    p = Playground(points=60)
    p.set(dataset="spirals", classes=4)
    assert (p.current.classes, p.current.loss, p.current.outputs) == (4, "ce", 4)
    assert len(set(all_classes(p).tolist())) == 4 and p.points["classes"] == 4
    p.set(dataset="moons")                       # two classes only: classes goes back to 2
    assert p.current.classes == 2 and p.current.outputs == 2 and p.current.loss == "ce"
    with pytest.raises(ValueError, match="moons has two classes"):
        p.set(classes=3)
    with pytest.raises(ValueError, match="3 classes need loss='ce'"):
        p.set(dataset="blobs", classes=3, loss="hinge")
    assert p.current.dataset == "moons"


@pytest.mark.parametrize("engine", ENGINES)
def test_confusion_matrix_and_per_class_accuracy_are_counted_from_the_predictions(engine):
    p = Playground(dataset="blobs", classes=3, points=150, hidden=[6], engine=engine)
    p.step(3)
    X = p.data.X_test
    outputs = np.array([[o.data for o in p.model(list(x))] for x in X.tolist()]) if engine == "scalar" \
        else p.model(X).data
    predicted = outputs.argmax(axis=1)
    expected = [[sum(1 for t, q in zip(p.data.c_test, predicted) if t == i and q == j) for j in range(3)]
                for i in range(3)]
    m = p.frame["metrics"]
    assert m["confusion"] == expected
    assert m["class_acc"] == pytest.approx([expected[i][i] / sum(expected[i]) for i in range(3)])
    assert m["test_acc"] == pytest.approx(np.trace(expected) / len(X))
    assert p.grid()[2].shape == (pg.GRID_SIZE, pg.GRID_SIZE, 3)           # one logit per class on the map too


def test_a_class_with_no_test_point_has_no_accuracy():
    p = Playground(dataset="blobs", classes=5, points=12, ratio=0.6)
    m = p.measurement
    missing = [c for c in range(5) if c not in set(p.data.c_test.tolist())]
    assert missing, "the split should leave some class out of 5 test points"
    assert all(m.class_acc[c] is None for c in missing)
    json.dumps(p.frame, allow_nan=False)


def test_a_trained_multiclass_map_has_one_colour_per_class():
    p = Playground(**SPIRALS)
    p.step(20)
    classes = np.frombuffer(base64.b64decode(p.frame["grid"]["classes"]), dtype=np.uint8)
    assert set(classes.tolist()) == {0, 1, 2}
    palette = choices_message()["palette"]
    assert len(set(palette["colors"])) == len(palette["colors"]) == len(set(palette["markers"])) == 5
    assert set(c.lower() for c in CLASS_COLORS) <= OKABE_ITO                # colour-blind safe
    png = p.to_png()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    assert repr(p).startswith("Playground(spirals (3 classes), 2-32-32-3 relu, ce, adam lr=0.01; epoch 20")


# ---------------------------------------------------------------------------
# Your own CSV file
# ---------------------------------------------------------------------------

CSV = "x1,x2,label\n" + "".join(f"{x:.2f},{y:.2f},{label}\n" for x, y, label in [
    (0.0, 0.0, 5), (0.1, 0.2, 5), (0.2, 0.1, 5), (0.1, 0.1, 5),
    (2.0, 2.0, 7), (2.1, 1.9, 7), (1.9, 2.2, 7), (2.2, 2.1, 7),
    (0.0, 2.0, 9), (0.1, 2.1, 9), (0.2, 1.9, 9), (-0.1, 2.0, 9)])


def test_a_csv_file_is_trained_on_with_its_own_labels(tmp_path):
    path = write(tmp_path, CSV)
    p = Playground(csv=path, hidden=[4])
    assert p.current.dataset == "csv" and p.current.classes == 3 and p.current.points == 12
    assert p.data.labels == (5, 7, 9) and p.points["labels"] == [5, 7, 9]
    X, c = np.vstack([p.data.X_train, p.data.X_test]), all_classes(p)
    assert sorted(map(tuple, X.round(2).tolist())) == sorted(
        (float(a), float(b)) for a, b, _ in (line.split(",") for line in CSV.splitlines()[1:]))
    assert np.bincount(c).tolist() == [4, 4, 4]
    assert f"data=csv;csv={p.current.csv_digest};classes=3" in p.config
    p.step(3)
    q = Playground.from_config(p.config, csv=path)            # the same file: the same run
    q.step(3)
    assert q.model.state_dict() == p.model.state_dict() and q.history == p.history
    with pytest.raises(ValueError, match="load that file"):
        Playground.from_config(p.config)                     # without the file the run cannot be made
    p.set(hidden=[5])                                        # a network setting keeps the points
    assert p.current.dataset == "csv" and p.data.labels == (5, 7, 9)
    p.set(dataset="moons")
    p.set(dataset="csv")                                     # back to the last file loaded
    assert p.current.csv_digest == q.current.csv_digest


@pytest.mark.parametrize("text, words", [
    ("x1,x2,label\n0,0,0\n1,abc,1\n", ["line 3", "column 'x2'", "'abc'"]),
    ("x1,x2,label\n0,0,0\n1,1,1\n2,2,0\n3,3,one\n", ["line 5", "column 'label'", "'one'"]),
    ("x1,x2,x3,label\n" + "0,0,0,0\n1,1,1,1\n" * 2, ["4 columns", "three"]),
    ("x1,x2,label\n0,0,0\n1,1,1\n", ["2 data rows", "4 to 5000"]),
    ("x1,x2,label\n" + "0,0,1\n" * 5, ["1 different label", "2 to 5 classes"]),
    ("x1,x2,label\n" + "0,0,0\n1,1,1\n2,2,0.5\n3,3,1\n", ["data row 3", "whole numbers"]),
    ("", ["empty"]),
])
def test_a_bad_csv_file_is_refused_naming_what_is_wrong(tmp_path, text, words):
    path = write(tmp_path, text, "mine.csv")
    with pytest.raises(ValueError) as error:
        Playground(csv=path)
    for word in words:
        assert word in str(error.value), str(error.value)
    with pytest.raises(ValueError) as error:                 # the text the browser sends: the same rules
        parse_csv_text(text, "mine.csv")
    for word in words:
        assert word in str(error.value)
    assert "tmp" not in str(error.value)                     # named by the file's name, not a temporary path


def test_a_csv_file_from_the_browser_is_checked_and_a_bad_one_changes_nothing(monkeypatch):
    p = Playground(points=60, hidden=[3])
    p.step(1)
    sent = []
    monkeypatch.setattr(p, "send", lambda content, buffers=None: sent.append(content))
    before = state(p)
    bad = "x1,x2,label\n0,0,0\n1,1,1\n2,x,0\n3,3,1\n"
    send_custom(p, {"action": "load_csv", "name": "class.csv", "text": bad})
    assert "class.csv line 4, column 'x2'" in p.error and sent == [{"event": "rejected"}]
    assert state(p) == before
    for content, words in [({"action": "load_csv", "name": "../etc/passwd", "text": CSV}, "no / or \\"),
                           ({"action": "load_csv", "name": "a.csv", "text": 5}, "'text'"),
                           ({"action": "load_csv", "name": "a.csv", "text": "x" * (MAX_CSV_BYTES + 1)}, "bytes")]:
        send_custom(p, content)
        assert words in p.error and state(p) == before, p.error
    send_custom(p, {"action": "load_csv", "name": "class.csv", "text": CSV})
    assert p.error == "" and p.current.dataset == "csv" and p.data.labels == (5, 7, 9)
    assert p.current.hidden == (3,) and p.epoch == 0                    # the network settings stay


# ---------------------------------------------------------------------------
# The notes, and the gradient-flow panel in words
# ---------------------------------------------------------------------------

def test_every_panel_has_a_short_note():
    js = (Path(pg.__file__).parent / "playground.js").read_text(encoding="utf-8")
    for key, text in NOTES.items():
        assert f'"{key}"' in js, key                       # the view shows it
        assert 60 <= len(text) <= 400, (key, len(text))      # short, but a real sentence
    assert choices_message()["notes"] == NOTES
    assert {"data", "network", "boundary", "loss", "confusion", "gradflow"} <= set(NOTES)


@pytest.mark.parametrize("engine", ENGINES)
def test_dead_relus_are_said_in_words(engine):
    p = Playground(activation="relu", hidden=[4, 3], points=60, engine=engine)
    p.step(1)
    assert p.frame["gradient_note"] == ""                  # every layer gets a gradient
    first = p.linear_layers[0]
    if engine == "tensor":
        first.bias.data = np.full(4, -100.0)
    else:
        for b in first.bias:
            b.data = -100.0                                  # every ReLU of layer 1 outputs 0 for every point
    p.step(1)
    grads = p.history["grad"][-1]
    assert grads[0] == grads[1] == 0.0 and grads[2] == 0.0   # no gradient through dead units
    note = p.frame["gradient_note"]
    assert note.startswith("No gradient reached layers 1–3 in epoch 2")
    assert "all 4 ReLUs of hidden layer 1 output 0 for every training point" in note and "dead" in note
    assert p.to_png().startswith(b"\x89PNG")                 # the picture says it too (not drawn blank)


# ---------------------------------------------------------------------------
# Play in slices
# ---------------------------------------------------------------------------

class Ticking:
    """A clock that moves on by ``tick`` seconds each time it is read."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


@pytest.mark.parametrize("engine", ENGINES)
def test_slices_are_the_same_run_as_whole_epochs(engine):
    settings = dict(points=80, hidden=[5, 5], batch_size=4, engine=engine, seed=4)
    whole, sliced = Playground(**settings), Playground(**settings)
    whole.step(3)
    slices = 0
    while sliced.epoch < 3:
        sliced.session.train_for(0.001, clock=Ticking(0.01))   # every slice is one piece: the budget is gone
        slices += 1
    assert slices > 3 * 10                                     # 10 batches an epoch, and the epoch's end
    assert sliced.model.state_dict() == whole.model.state_dict() and sliced.history == whole.history


def test_a_slice_stops_when_its_budget_is_spent():
    run = TrainingSession(Playground(points=200, batch_size=4, engine="tensor").current)
    ended = run.train_for(0.05, clock=Ticking(0.01))            # each piece "takes" 0.02 s of the clock
    assert not ended and 0 < run.epoch_progress < 0.2 and run.epoch == 0


def test_a_wide_scalar_batch_is_cut_into_pieces():
    """The widest network and the largest batch: a piece is a chunk of the batch, never the whole of it."""
    run = Playground(engine="scalar", hidden=[32] * 8, batch_size=1024, points=200).session
    assert run.engine.chunk == 1                              # 7,521 parameters: one sample per chunk
    run.train_for(0.0, clock=Ticking(1.0))
    assert run.epoch_progress == 0.0 and run.epoch == 0       # one piece done, and not even a batch


def test_an_interrupted_piece_is_done_again_from_the_start_of_its_batch(monkeypatch):
    settings = dict(engine="scalar", points=40, hidden=[3], batch_size=8)
    whole, broken = Playground(**settings), Playground(**settings)
    whole.step(2)
    pieces = broken.session.engine.train_batch
    calls = {"n": 0}

    def interrupted(batch):
        for piece in pieces(batch):
            calls["n"] += 1
            if calls["n"] == 5:
                raise KeyboardInterrupt                       # Ctrl+C in the middle of a batch
            yield piece

    monkeypatch.setattr(broken.session.engine, "train_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        broken.step(2)
    assert broken.epoch == 0 and broken.frame["epoch"] == 0   # the view is redrawn even so
    broken.step(2)
    assert broken.model.state_dict() == whole.model.state_dict() and broken.history == whole.history


def test_play_draws_frames_in_the_middle_of_a_long_epoch():
    p = Playground(points=1000, ratio=0.9, hidden=[16, 16], batch_size=1)   # 900 steps an epoch

    async def scenario():
        progress = []

        def drawn(change):      # as the view does: draw, then say so (or Play sends a frame only twice a second)
            progress.append(change["new"]["progress"])
            send_custom(p, {"action": "drawn", "seq": change["new"]["seq"]})

        p.observe(drawn, "frame")
        p.play()
        while len(progress) < 3:
            await asyncio.sleep(0.005)
        p.pause()
        await asyncio.sleep(0.05)
        return progress

    progress = asyncio.run(scenario())
    assert p.epoch == 0 and 0 < progress[0] < progress[1] < progress[2] < 1   # slices of one epoch
    frozen = p.frame

    async def later():
        await asyncio.sleep(0.1)

    asyncio.run(later())
    assert p.frame == frozen and not p.playing


def test_step_from_the_browser_plays_to_the_end_of_the_epoch():
    p = Playground(points=400, hidden=[8], batch_size=2)

    async def scenario():
        send_custom(p, {"action": "step"})
        assert p.playing                       # in slices: the kernel stays free for Pause
        for _ in range(400):
            if not p.playing:
                break
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert p.epoch == 1 and not p.playing and p.frame["epoch"] == 1 and p.error == ""


# ---------------------------------------------------------------------------
# What the browser may set
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("trait, value", [
    ("settings", {"lr": 100}), ("config", "data=xor"), ("frame", {}), ("points", {"train": []}),
    ("choices", {}), ("error", "all is well"),
])
def test_the_kernels_traits_cannot_be_set_by_the_browser(monkeypatch, trait, value):
    p = Playground(points=60, hidden=[3])
    before = (state(p), getattr(p, trait))
    sent = []
    monkeypatch.setattr(p, "_send", lambda msg, buffers=None: sent.append(msg))
    send_state(p, **{trait: value})
    assert state(p) == before[0]                                   # rolled back ...
    assert getattr(p, trait) == before[1] or trait == "error"      # (error now says why)
    assert getattr(p, trait) != value
    assert f"the browser cannot set {trait!r}" in p.error
    updates = [m["state"] for m in sent if m.get("method") == "update"]
    assert any(trait in u for u in updates)                        # the browser gets the kernel's value back


def test_playing_from_the_browser_must_be_a_bool(monkeypatch):
    p = Playground(points=60, hidden=[3])
    monkeypatch.setattr(p, "_send", lambda msg, buffers=None: None)
    send_state(p, playing="yes")
    assert not p.playing and "expected a boolean" in p.error
    send_state(p, playing=True)                                    # no event loop here: refused, said
    assert not p.playing and "running asyncio event loop" in p.error


def test_the_browsers_values_and_requests_are_refused_by_the_shared_code(monkeypatch):
    """The Playground refuses what the browser sends with widgets.browser_state, as the other widgets do."""
    assert issubclass(Playground, browser_state.BrowserChecked)
    assert "set_state" not in vars(Playground)              # no copy of its own: BrowserChecked's
    assert Playground._browser_writable == {"playing"}
    explained = []
    explain = browser_state.BrowserChecked._explain_refusal
    monkeypatch.setattr(browser_state.BrowserChecked, "_explain_refusal",
                        lambda self, error: (explained.append(error), explain(self, error)))
    p = Playground(points=60, hidden=[3])
    monkeypatch.setattr(p, "_send", lambda msg, buffers=None: None)
    before = state(p)

    # a synced value: refused as a TraitError (rolled back), explained by BrowserChecked
    send_state(p, settings={"lr": 100})
    assert state(p) == before and isinstance(explained[-1], browser_state.Refused)
    assert p.error == "Playground: the browser cannot set 'settings': the kernel computes it"

    # a custom message: a Refused that is still the TypeError or ValueError it always was
    send_custom(p, {"action": "set", "changes": "abc"})
    assert isinstance(explained[-1], browser_state.Refused) and isinstance(explained[-1], TypeError)
    assert p.error == "Playground: 'set' needs changes as a dict of settings, got 'abc'"
    send_custom(p, {"action": "load_csv", "name": "../up.csv", "text": "x1,x2,label\n"})
    assert isinstance(explained[-1], browser_state.Refused) and "no / or \\" in p.error
    send_custom(p, {"action": "drawn", "seq": -3})
    assert isinstance(explained[-1], browser_state.Refused) and "got -3" in p.error
    # what the browser sent is quoted short (browser_state.short_repr), the reason cut to MESSAGE_LIMIT
    send_custom(p, {"action": "x" * 10_000})
    assert isinstance(explained[-1], browser_state.Refused)
    assert p.error.startswith("Playground: unknown request {'action': 'xxx") and "…" in p.error
    assert len(p.error) <= browser_state.MESSAGE_LIMIT
    # a setting the settings refuse: the ValueError Python's own p.set(...) raises, explained the same way
    send_custom(p, {"action": "set", "changes": {"lr": -1}})
    assert type(explained[-1]) is ValueError and p.error.startswith("Playground: lr must be > 0")
    with pytest.raises(ValueError, match="lr must be > 0"):
        p.set(lr=-1)
    assert state(p) == before and len(explained) == 6


def test_python_still_sets_what_it_likes():
    p = Playground(points=60, hidden=[3])
    p.set(lr=0.1)
    assert p.error == "" and "lr=0.1" in p.config
    p.error = "a note from Python"               # the kernel's own assignments are not refused
    assert p.error == "a note from Python"


def test_a_change_during_a_browser_step_ends_the_step():
    p = Playground(points=400, hidden=[8], batch_size=1)

    async def scenario():
        send_custom(p, {"action": "step"})
        await asyncio.sleep(0.03)
        send_custom(p, {"action": "set", "changes": {"lr": 0.01}})
        assert not p.playing                      # the step was of the old run
        await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert p.epoch == 0 and p.current.lr == 0.01 and not p.playing


def test_play_sends_no_more_frames_than_the_view_draws():
    """Frames a view has not drawn yet are not piled up: after MAX_UNDRAWN of them, Play waits for the view."""
    p = Playground(points=1000, hidden=[16, 16])
    send_custom(p, {"action": "drawn", "seq": p.frame["seq"]})   # a view drew the first frame, then no more
    frames = []
    p.observe(lambda change: frames.append(change["new"]["epoch"]), "frame")

    async def scenario(seconds: float):
        p.play()
        await asyncio.sleep(seconds)
        p.pause()

    asyncio.run(scenario(0.3))                                    # the view draws no more
    assert len(frames) == pg.MAX_UNDRAWN                          # sent, and then Play waited ...
    assert frames[-1] == p.epoch and p.frame["epoch"] == p.epoch  # ... without training: the view shows the end
    frames.clear()
    send_custom(p, {"action": "drawn", "seq": p.frame["seq"]})   # the view catches up: the newest frame drawn
    asyncio.run(scenario(0.3))
    assert len(frames) == pg.MAX_UNDRAWN
    frames.clear()
    asyncio.run(scenario(2 * pg.UNSEEN_FRAME + 0.2))              # no view for a while: Play goes on, slowly seen
    assert 2 <= len(frames) <= 4 and p.frame["epoch"] == p.epoch
    for bad in ({"action": "drawn"}, {"action": "drawn", "seq": p.frame["seq"] + 1}, {"action": "drawn", "seq": "1"}):
        send_custom(p, bad)
        assert "'drawn' needs 'seq'" in p.error
