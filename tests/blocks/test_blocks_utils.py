import logging
import sys
from collections import OrderedDict
from unittest import SkipTest
from unittest.mock import MagicMock

import numpy
import pytest

import fuel
import symbolic
from blocks.bricks import MLP, Identity, Linear, Tanh
from blocks.config import config as blocks_config
from blocks.extensions import FinishAfter
from blocks.utils import (
    change_recursion_limit,
    check_theano_variable,
    dict_subset,
    dict_union,
    extract_args,
    find_bricks,
    is_graph_input,
    is_shared_variable,
    pack,
    put_hook,
    repr_attrs,
    reraise_as,
    shared_floatx,
    shared_floatx_nans,
    shared_floatx_zeros,
    shared_floatx_zeros_matching,
    shared_like,
    unpack,
)
from blocks.utils.testing import (
    MockAlgorithm,
    MockMainLoop,
    silence_printing,
    skip_if_configuration_set,
    skip_if_not_available,
)
from symbolic import tensor


def test_pack_unpack():
    assert pack((1, 2)) == [1, 2]
    assert pack([1]) == [1]
    assert pack(1) == [1]
    assert unpack([1]) == 1
    assert unpack((1, 2)) == [1, 2]
    assert unpack("a") == "a"
    assert unpack([1], singleton=True) == 1
    with pytest.raises(ValueError, match="singleton"):
        unpack([1, 2], singleton=True)
    with pytest.raises(ValueError, match="singleton"):
        unpack(1, singleton=True)


def test_dict_union_and_subset():
    union = dict_union(OrderedDict([("a", 1)]), {"b": 2}, c=3)
    assert isinstance(union, OrderedDict)
    assert list(union.items()) == [("a", 1), ("b", 2), ("c", 3)]
    assert type(dict_union({"a": 1})) is dict
    with pytest.raises(ValueError, match="'a'"):
        dict_union({"a": 1}, {"a": 2})
    source = {"a": 1, "b": 2, "c": 3}
    assert list(dict_subset(source, ["c", "a"]).items()) == [("c", 3), ("a", 1)]
    with pytest.raises(KeyError):
        dict_subset(source, ["d"])
    assert dict_subset(source, ["d"], must_have=False) == OrderedDict()
    dict_subset(source, ["a"], pop=True)
    assert "a" not in source


def test_extract_args():
    assert extract_args(["a", "b"], 1, b=2) == OrderedDict([("a", 1), ("b", 2)])
    with pytest.raises(KeyError):
        extract_args(["a"], c=1)
    with pytest.raises(TypeError):
        extract_args(["a"], 1, a=1)
    with pytest.raises(ValueError, match="missing"):
        extract_args(["a", "b"], 1)


def test_reraise_as():
    with pytest.raises(ValueError, match="new message") as info:
        try:
            raise KeyError("old")
        except KeyError:
            reraise_as(ValueError("new message"))
    assert "Original exception" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(KeyError, match="prefix"):
        try:
            raise KeyError("old")
        except KeyError:
            reraise_as("prefix")


def test_repr_attrs():
    class Thing:
        value = 3

    assert repr_attrs(Thing(), "value").endswith(": value=3>")


def test_change_recursion_limit():
    before = sys.getrecursionlimit()
    with change_recursion_limit(before + 100):
        assert sys.getrecursionlimit() == before + 100
    assert sys.getrecursionlimit() == before


def test_check_theano_variable():
    check_theano_variable(None, 3, "float")
    check_theano_variable([1, 2], 1, "int")
    check_theano_variable(tensor.matrix(), 2, "float")
    with pytest.raises(ValueError, match="dimensions"):
        check_theano_variable(tensor.matrix(), 3, None)
    with pytest.raises(ValueError, match="dtype"):
        check_theano_variable(tensor.matrix(), None, "int")


def test_find_bricks():
    mlp = MLP([Tanh(), Identity()], [2, 3, 4])
    found = find_bricks([mlp], lambda brick: isinstance(brick, Linear))
    assert found == mlp.linear_transformations
    assert find_bricks([mlp, mlp], lambda brick: brick is mlp) == [mlp]
    assert [b.name for b in find_bricks([mlp], lambda b: True)] == [
        "mlp",
        "linear_0",
        "tanh",
        "linear_1",
        "identity",
    ]


def test_shared_floatx():
    var = shared_floatx(numpy.ones(3, dtype="float64"), name="v")
    assert var.dtype == symbolic.config.floatX and var.name == "v"
    assert shared_floatx([1, 2], dtype="int32").dtype == "int32"
    assert (shared_floatx_zeros((2, 2)).get_value() == 0).all()
    assert numpy.isnan(shared_floatx_nans((2,)).get_value()).all()
    row = shared_floatx(numpy.ones((1, 3)), broadcastable=(True, False))
    matching = shared_floatx_zeros_matching(row, name="m")
    assert matching.broadcastable == (True, False)
    assert matching.get_value().shape == (1, 3)
    with pytest.raises(ValueError, match="shared"):
        shared_floatx_zeros_matching(tensor.matrix())


def test_shared_like():
    var = tensor.lmatrix("indices")
    holder = shared_like(var)
    assert holder.name == "shared_indices"
    assert holder.dtype == "int64"
    assert holder.get_value().shape == (0, 0)


def test_graph_input_and_shared_predicates():
    x = tensor.matrix()
    shared = symbolic.shared(numpy.ones(2))
    assert is_graph_input(x)
    assert not is_graph_input(shared)
    assert not is_graph_input(tensor.constant(1))
    assert not is_graph_input(x + 1)
    assert is_shared_variable(shared)
    assert not is_shared_variable(x)
    shared.tag.is_rng = True
    assert not is_shared_variable(shared)


def test_put_hook():
    x = tensor.vector("x")
    seen = []
    hooked = put_hook(x * 2, lambda value, scale: seen.append(value * scale), 10)
    function = symbolic.function([x], hooked + 1)
    result = function(numpy.ones(2, dtype=symbolic.config.floatX))
    assert result.tolist() == [3.0, 3.0]
    assert seen[0].tolist() == [20.0, 20.0]


def test_silence_printing(capsys):
    blocks_logger = logging.getLogger("blocks")
    level = blocks_logger.level

    @silence_printing
    def noisy(value):
        """Prints and logs."""
        print("printed")
        assert blocks_logger.level == logging.ERROR
        return value * 2

    assert noisy(3) == 6
    assert noisy.__doc__ == "Prints and logs."
    assert capsys.readouterr().out == ""
    assert blocks_logger.level == level

    @silence_printing
    def failing():
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing()
    print("visible")
    assert capsys.readouterr().out == "visible\n"
    assert blocks_logger.level == level


def test_skip_if_not_available(monkeypatch):
    skip_if_not_available(modules=["numpy"], configurations=["default_seed"])
    with pytest.raises(SkipTest, match="not_a_module_at_all"):
        skip_if_not_available(modules=["not_a_module_at_all"])
    with pytest.raises(SkipTest, match="no_such_option"):
        skip_if_not_available(configurations=["no_such_option"])
    monkeypatch.setitem(fuel.config.config["data_path"], "value", [])
    with pytest.raises(SkipTest, match="data_path"):
        skip_if_not_available(datasets=["mnist.hdf5"])


def test_skip_if_not_available_finds_datasets(monkeypatch, tmp_path):
    (tmp_path / "mnist.hdf5").write_bytes(b"")
    monkeypatch.setitem(fuel.config.config["data_path"], "value", [str(tmp_path)])
    skip_if_not_available(datasets=["mnist.hdf5"])
    with pytest.raises(SkipTest, match="'svhn'"):
        skip_if_not_available(datasets=["svhn"])


def test_skip_if_configuration_set():
    skip_if_configuration_set("default_seed", blocks_config.default_seed + 1)
    with pytest.raises(SkipTest, match="default_seed"):
        skip_if_configuration_set("default_seed", blocks_config.default_seed)
    with pytest.raises(SkipTest, match=r"^flaky$"):
        skip_if_configuration_set(
            "default_seed", blocks_config.default_seed, message="flaky"
        )


def test_mock_main_loop_and_algorithm():
    main_loop = MockMainLoop(extensions=[FinishAfter(after_n_epochs=2)])
    assert isinstance(main_loop.algorithm, MockAlgorithm)
    main_loop.run()
    assert main_loop.log.status["iterations_done"] == 20
    assert main_loop.algorithm.batch == {"data": 9}
    with pytest.raises(RuntimeError, match="twice"):
        main_loop.algorithm.initialize()
    # Wrapped in a MagicMock, it records what an extension asks of it.
    # (Its log is the real one: a mock's items would compare as mocks.)
    extension = FinishAfter(after_n_batches=1)
    loop = MockMainLoop()
    extension.main_loop = MagicMock(wraps=loop)
    extension.main_loop.log = loop.log
    loop.log.status["iterations_done"] = 1
    extension.dispatch("after_batch", {"data": 0})
    assert loop.log.current_row["training_finish_requested"] is True
