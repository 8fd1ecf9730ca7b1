import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import Linear
from blocks.bricks.parallel import Distribute, Fork, Merge, Parallel
from blocks.initialization import Constant
from symbolic import tensor

floatX = symbolic.config.floatX


def test_parallel():
    x = tensor.matrix("x")
    y = tensor.matrix("y")
    parallel = Parallel(
        input_names=["x", "y"],
        input_dims=[2, 3],
        output_dims=[4, 5],
        prototype=Linear(use_bias=False),
        weights_init=Constant(2),
    )
    parallel.initialize()
    out_x, out_y = parallel.apply(x, y=y)
    assert [child.name for child in parallel.children] == ["transform_x", "transform_y"]
    assert_allclose(
        out_x.eval({x: numpy.ones((1, 2), dtype=floatX)}), 4 * numpy.ones((1, 4))
    )
    assert_allclose(
        out_y.eval({y: numpy.ones((1, 3), dtype=floatX)}), 6 * numpy.ones((1, 5))
    )
    assert parallel.apply.inputs == ["x", "y"]


def test_parallel_checks_dims():
    parallel = Parallel(["a", "b"], [1], [2, 3])
    with pytest.raises(ValueError, match="input_dims"):
        parallel.allocate()


def test_fork():
    x = tensor.matrix("x")
    fork = Fork(
        ["a", "b"],
        input_dim=2,
        output_dims=[3, 4],
        weights_init=Constant(1),
        biases_init=Constant(0.5),
    )
    fork.initialize()
    a, _ = fork.apply(x)
    assert a.name == "fork_apply_a"
    assert_allclose(
        a.eval({x: numpy.ones((1, 2), dtype=floatX)}), 2.5 * numpy.ones((1, 3))
    )
    assert fork.children[1].output_dim == 4


def test_distribute_and_merge():
    x = tensor.matrix("x")
    z = tensor.matrix("z")
    distribute = Distribute(["x"], "z", [2], 3, weights_init=Constant(1))
    distribute.initialize()
    new_x = distribute.apply(x=x, z=z)
    assert distribute.apply.inputs == ["z", "x"]
    assert_allclose(
        new_x.eval(
            {x: numpy.ones((1, 2), dtype=floatX), z: numpy.ones((1, 3), dtype=floatX)}
        ),
        4 * numpy.ones((1, 2)),
    )
    merge = Merge(["a", "b"], [2, 3], 2, weights_init=Constant(1))
    merge.initialize()
    a, b = tensor.matrix("a"), tensor.matrix("b")
    merged = merge.apply(a, b)
    assert merged.name == "merge_apply_output"
    assert_allclose(
        merged.eval(
            {a: numpy.ones((1, 2), dtype=floatX), b: numpy.ones((1, 3), dtype=floatX)}
        ),
        5 * numpy.ones((1, 2)),
    )
