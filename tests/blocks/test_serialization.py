import io
import os
import pickle
import sys
import tarfile
import warnings

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import MLP, Softmax, Tanh
from blocks.initialization import Constant
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.serialization import (
    SERIALIZATION_BRICK_DELIMITER,
    _Renamer,
    add_to_dump,
    continue_training,
    dump,
    dump_and_add_to_dump,
    load,
    load_parameters,
    secure_dump,
)
from blocks.utils import shared_floatx
from symbolic import tensor


def make_main_loop():
    mlp = MLP(
        [Tanh(), None], [5, 4, 3], weights_init=Constant(0.5), biases_init=Constant(1)
    )
    mlp.initialize()
    x = tensor.matrix("features")
    y = tensor.lmatrix("targets")
    cost = Softmax().categorical_cross_entropy(y.flatten(), mlp.apply(x))
    return MainLoop(None, None, model=Model(cost))


def tar_names(f):
    f.seek(0)
    with tarfile.open(fileobj=f) as tar:
        return tar.getnames()


def test_brick_delimiter():
    assert SERIALIZATION_BRICK_DELIMITER == "|"


def test_dump_without_parameters():
    main_loop = make_main_loop()
    f = io.BytesIO()
    dump(main_loop, f)
    assert tar_names(f) == ["_pkl"]
    assert isinstance(load(f), MainLoop)
    assert load_parameters(f) == {}


def test_dump_and_load_with_parameters():
    main_loop = make_main_loop()
    parameters = main_loop.model.parameters
    f = io.BytesIO()
    dump(main_loop, f, parameters=parameters)
    assert tar_names(f) == ["_parameters", "_pkl"]
    f.seek(0)
    with tarfile.open(fileobj=f) as tar:
        member = tar.extractfile(tar.getmember("_parameters"))
        with numpy.load(io.BytesIO(member.read()), allow_pickle=False) as npz:
            assert sorted(npz.keys()) == [
                "|mlp|linear_0.W",
                "|mlp|linear_0.b",
                "|mlp|linear_1.W",
                "|mlp|linear_1.b",
            ]
    values = load_parameters(f)
    assert sorted(values) == [
        "/mlp/linear_0.W",
        "/mlp/linear_0.b",
        "/mlp/linear_1.W",
        "/mlp/linear_1.b",
    ]
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(values[name], value)
    loaded = load(f)
    loaded_values = loaded.model.get_parameter_values()
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(loaded_values[name], value)


def test_pickle_holds_no_copy_of_the_parameters():
    W = shared_floatx(numpy.arange(10000.0), name="W")
    with_parameters, without = io.BytesIO(), io.BytesIO()
    dump(W, with_parameters, parameters=[W])
    dump(W, without)
    with_parameters.seek(0)
    with tarfile.open(fileobj=with_parameters) as tar:
        pickled_size = tar.getmember("_pkl").size
    assert pickled_size < 5000
    assert_allclose(load(with_parameters).get_value(), numpy.arange(10000.0))
    assert_allclose(load(without).get_value(), numpy.arange(10000.0))


def test_loaded_parameters_keep_being_shared():
    W = shared_floatx(numpy.ones(3), name="W")
    x = tensor.vector("x")
    f_compiled = symbolic.function([x], [], updates=[(W, W + x)])
    f = io.BytesIO()
    dump((W, f_compiled), f, parameters=[W])
    W2, f2 = load(f)
    f2(numpy.ones(3))
    assert_allclose(W2.get_value(), 2 * numpy.ones(3))
    assert_allclose(W.get_value(), numpy.ones(3))


class _Explosive:
    def __reduce__(self):
        return (os.system, ("exit 3",))


def test_load_parameters_never_unpickles(monkeypatch):
    W = shared_floatx(numpy.ones(2), name="W")
    f = io.BytesIO()
    dump([W, _Explosive()], f, parameters=[W])

    def refuse(*args, **kwargs):
        raise AssertionError("load_parameters unpickled something")

    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert_allclose(load_parameters(f)["W"], numpy.ones(2))


def test_renamer():
    renamer = _Renamer()
    a = shared_floatx(0.0, name="a")
    tagged = shared_floatx(0.0, name="ignored")
    tagged.tag.name = "tagged"
    nameless = shared_floatx(0.0)
    names = [renamer(v) for v in (a, a, a, tagged, nameless, nameless)]
    assert names == ["a", "a_2", "a_3", "tagged", "parameter", "parameter_2"]


def test_add_to_dump():
    main_loop = make_main_loop()
    parameters = main_loop.model.parameters
    f = io.BytesIO()
    dump(main_loop, f, parameters=parameters)
    add_to_dump(main_loop.log, f, "log")
    add_to_dump(main_loop.model, f, "model", parameters=parameters)
    assert tar_names(f) == ["_parameters", "_pkl", "log", "model"]
    log = load(f, "log")
    assert log.status["iterations_done"] == 0
    model = load(f, "model")
    assert sorted(model.get_parameter_dict()) == sorted(
        main_loop.model.get_parameter_dict()
    )
    with pytest.raises(ValueError, match="reserved"):
        add_to_dump(1, f, "_pkl")
    with pytest.raises(ValueError, match="already has"):
        add_to_dump(1, f, "log")
    with pytest.raises(ValueError, match="not in the archive"):
        add_to_dump(1, f, "other", parameters=[shared_floatx(0.0, name="new")])
    with pytest.raises(ValueError, match="no member"):
        load(f, "missing")


def test_add_to_dump_needs_saved_parameters():
    f = io.BytesIO()
    dump(1, f)
    with pytest.raises(ValueError, match="holds no parameters"):
        add_to_dump(1, f, "x", parameters=[shared_floatx(0.0, name="W")])


def test_dump_and_add_to_dump():
    W = shared_floatx(numpy.ones(2), name="W")
    f = io.BytesIO()
    dump_and_add_to_dump({"W": W}, f, parameters=[W], to_add={"extra": [W, 2]})
    assert tar_names(f) == ["_parameters", "_pkl", "extra"]
    extra_W, two = load(f, "extra")
    assert two == 2
    assert_allclose(extra_W.get_value(), numpy.ones(2))


def test_dump_only_parameters():
    W = shared_floatx(numpy.ones(2), name="W")
    f = io.BytesIO()
    dump(None, f, parameters=[W])
    assert tar_names(f) == ["_parameters"]
    assert sorted(load_parameters(f)) == ["W"]


def test_protocol_zero():
    W = shared_floatx(numpy.ones(2), name="W")
    f = io.BytesIO()
    dump(W, f, parameters=[W], protocol=0)
    assert_allclose(load(f).get_value(), numpy.ones(2))


def test_load_rejects_other_files():
    with pytest.raises(ValueError, match="not a Blocks dump"):
        load(io.BytesIO(b"not a tar file at all" * 100))


def test_secure_dump(tmp_path):
    path = str(tmp_path / "dump.tar")
    secure_dump({"a": 1}, path)
    with open(path, "rb") as f:
        assert load(f) == {"a": 1}

    def failing_dump(object_, file_, **kwargs):
        file_.write(b"half a dump")
        raise pickle.PicklingError("cannot pickle this")

    with pytest.raises(pickle.PicklingError):
        secure_dump({"a": 2}, path, dump_function=failing_dump)
    with open(path, "rb") as f:
        assert load(f) == {"a": 1}
    assert os.listdir(tmp_path) == ["dump.tar"]
    secure_dump({"b": 3}, path, dump_function=pickle.dump)
    with open(path, "rb") as f:
        assert pickle.load(f) == {"b": 3}


def test_secure_dump_in_temp_dir(tmp_path, monkeypatch):
    temp_dir = tmp_path / "temp"
    temp_dir.mkdir()
    monkeypatch.setenv("BLOCKS_TEMPDIR", str(temp_dir))
    path = str(tmp_path / "dump.tar")
    secure_dump([1, 2], path)
    with open(path, "rb") as f:
        assert load(f) == [1, 2]
    assert os.listdir(temp_dir) == []


def _defined_in_main():
    return 1


def test_dump_warns_about_main(monkeypatch):
    main = sys.modules["__main__"]
    monkeypatch.setattr(_defined_in_main, "__module__", "__main__")
    monkeypatch.setattr(main, "_defined_in_main", _defined_in_main, raising=False)
    f = io.BytesIO()
    with pytest.warns(UserWarning, match="_defined_in_main"):
        dump([_defined_in_main, _defined_in_main], f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dump(_defined_in_main, io.BytesIO(), use_cpickle=True)


def test_continue_training_is_importable():
    assert callable(continue_training)


def test_module_doctests():
    import doctest
    import importlib

    failures, attempted = doctest.testmod(
        importlib.import_module("blocks.serialization"), optionflags=doctest.ELLIPSIS
    )
    assert attempted > 0
    assert failures == 0
