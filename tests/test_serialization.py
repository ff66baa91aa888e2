"""autodiff.save / autodiff.load: JSON files, bit-exact round trips, clear errors, no change on failure."""

import json
import math
import pickle

import pytest

from autodiff import Var, load, nn, save
from autodiff.serialization import FORMAT, VERSION


def model(seed=0):
    return nn.MLP(2, [3, 2], activation="tanh", rng=seed)


def document(state=None, **changes):
    doc = {"format": "autodiff-kit state_dict", "version": 1,
           "state": state if state is not None else model(5).state_dict()}
    doc.update(changes)
    return doc


def write(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def bits(m):
    return [p.data.hex() for p in m.parameters()]


def test_round_trip_is_bit_exact(tmp_path):
    source = model(1)
    # awkward values: many digits, tiny, huge, negative zero
    source.load_state_dict({
        "layers.0.weight": [[0.1 + 0.2, 1 / 3], [-2.0 ** -1074, 1e308], [math.pi, -0.0]],
        "layers.0.bias": [5e-324, -1.7976931348623157e308, 2.0 / 7],
        "layers.2.weight": [[1e-300, -math.e, 0.7], [123456789.123456789, -1e-5, 0.0]],
        "layers.2.bias": [math.sqrt(2), -math.sqrt(3)],
    })
    path = tmp_path / "model.json"
    save(source, path)
    target = model(2)
    assert bits(target) != bits(source)
    assert load(target, path) is target
    assert bits(target) == bits(source)
    assert math.copysign(1.0, target.layers[0].weight[2][1].data) == -1.0   # -0.0 stays -0.0


def test_round_trip_of_a_trained_looking_model(tmp_path):
    source = model(3)
    path = tmp_path / "m.json"
    save(source, str(path))   # str paths work too
    fresh = model(4)
    load(fresh, str(path))
    assert fresh.state_dict() == source.state_dict()
    x = [[0.3, -1.2], [2.0, 0.5]]
    assert [[o.data for o in row] for row in fresh(x)] == [[o.data for o in row] for row in source(x)]


def test_the_file_is_json_not_pickle(tmp_path):
    source = model(6)
    path = tmp_path / "model.json"
    save(source, path)
    raw = path.read_bytes()
    assert raw.startswith(b"{") and raw.endswith(b"\n")
    assert not raw.startswith(b"\x80")                 # pickle protocol 2+ marker
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    assert doc == {"format": FORMAT, "version": VERSION, "state": source.state_dict()}
    assert FORMAT == "autodiff-kit state_dict" and VERSION == 1
    raw.decode("ascii")   # plain text


def test_load_does_not_unpickle(tmp_path):
    """A pickle file is refused as not JSON, and unpickling (which could run code) never happens."""
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(document(), protocol=0))   # protocol 0 is ASCII
    m = model(0)
    before = m.state_dict()
    with pytest.raises(ValueError) as info:
        load(m, path)
    assert "not valid JSON" in str(info.value) and str(path) in str(info.value)
    assert m.state_dict() == before


def test_binary_pickle_file_gives_a_clear_error(tmp_path):
    """A binary file (here a pickle, protocol 5) is not valid JSON: the error should say so and name the file."""
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(document()))
    m = model(0)
    before = m.state_dict()
    with pytest.raises(ValueError) as info:
        load(m, path)
    assert str(path) in str(info.value)
    assert "JSON" in str(info.value)
    assert m.state_dict() == before


@pytest.mark.parametrize("text", ['{"format": "autodiff-kit state_dict", "version": 1, "state": {',
                                  "", "not json at all", '{"format": 1,}'])
def test_corrupt_json(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    m = model(0)
    before = m.state_dict()
    with pytest.raises(ValueError) as info:
        load(m, path)
    assert "not valid JSON" in str(info.value) and str(path) in str(info.value)
    assert m.state_dict() == before


@pytest.mark.parametrize("doc", [
    document(format="something else"),
    {"version": 1, "state": model(5).state_dict()},
    {"format": "autodiff-kit state_dict", "version": 1},
    [1, 2, 3],
    model(5).state_dict(),            # a bare state_dict, not a saved file
    "autodiff-kit state_dict",
])
def test_not_a_saved_model(tmp_path, doc):
    path = write(tmp_path / "x.json", doc)
    m = model(0)
    before = m.state_dict()
    with pytest.raises(ValueError) as info:
        load(m, path)
    assert "not a model saved by autodiff.save" in str(info.value) and str(path) in str(info.value)
    assert m.state_dict() == before


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_wrong_version(tmp_path, version):
    path = write(tmp_path / "v.json", document(version=version))
    m = model(0)
    before = m.state_dict()
    with pytest.raises(ValueError) as info:
        load(m, path)
    assert "version" in str(info.value) and repr(version) in str(info.value) and str(path) in str(info.value)
    assert m.state_dict() == before


def test_missing_version(tmp_path):
    doc = document()
    del doc["version"]
    m = model(0)
    before = m.state_dict()
    with pytest.raises(ValueError, match="version"):
        load(m, write(tmp_path / "v.json", doc))
    assert m.state_dict() == before


def _state(change):
    state = model(5).state_dict()
    change(state)
    return state


@pytest.mark.parametrize("state, exc, fragments", [
    (_state(lambda s: s.pop("layers.0.bias")), ValueError, ["missing", "layers.0.bias"]),
    (_state(lambda s: s.update({"layers.4.weight": [[1.0]]})), ValueError, ["unexpected", "layers.4.weight"]),
    (_state(lambda s: s.update({"layers.2.bias": [0.1, 0.2, 0.3]})), ValueError, ["layers.2.bias", "shape"]),
    (_state(lambda s: s.update({"layers.0.weight": [0.1, 0.2, 0.3]})), ValueError, ["layers.0.weight", "shape"]),
    (_state(lambda s: s["layers.2.weight"][1].__setitem__(0, "1.5")), TypeError, ["layers.2.weight[1][0]"]),
    (_state(lambda s: s["layers.2.weight"][0].__setitem__(2, None)), TypeError, ["layers.2.weight[0][2]"]),
    (_state(lambda s: s["layers.0.bias"].__setitem__(1, False)), TypeError, ["layers.0.bias[1]"]),
    (_state(lambda s: s["layers.0.bias"].__setitem__(1, {"x": 1})), TypeError, ["layers.0.bias[1]"]),
])
def test_bad_state_in_the_file(tmp_path, state, exc, fragments):
    path = write(tmp_path / "s.json", document(state))
    m = model(0)
    before = m.state_dict()
    with pytest.raises(exc) as info:
        load(m, path)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert m.state_dict() == before


@pytest.mark.parametrize("literal, fragment", [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "inf"),
                                               ("1e400", "inf")])
def test_nan_and_infinity_in_the_file(tmp_path, literal, fragment):
    text = json.dumps(document(model(5).state_dict()))
    # put the literal in the last parameter, so that all the others would be valid
    text = text.replace(repr(model(5).state_dict()["layers.2.bias"][1]), literal)
    assert literal in text
    path = tmp_path / "n.json"
    path.write_text(text, encoding="utf-8")
    m = model(0)
    before = m.state_dict()
    with pytest.raises(ValueError) as info:
        load(m, path)
    assert "layers.2.bias[1]" in str(info.value) and fragment in str(info.value)
    assert m.state_dict() == before


def test_loading_into_a_different_architecture(tmp_path):
    path = tmp_path / "m.json"
    save(model(1), path)
    other = nn.MLP(2, [4, 2], rng=0)
    before = other.state_dict()
    with pytest.raises(ValueError, match="shape"):
        load(other, path)
    assert other.state_dict() == before


def test_save_and_load_reject_non_modules(tmp_path):
    with pytest.raises(TypeError, match="Module"):
        save({"weight": [1.0]}, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()
    path = tmp_path / "m.json"
    save(model(1), path)
    with pytest.raises(TypeError, match="Module"):
        load([Var(1.0)], path)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(model(0), tmp_path / "nope.json")
