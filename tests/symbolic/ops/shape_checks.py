"""Checks shared by the shape-family op tests: R_op against finite differences."""

import numpy

from symbolic.compile.function import function
from symbolic.gradient import Rop
from tests.helpers.op_check import symbolic_inputs


def check_rop(fn, values, rng=None, eps=1e-6, tol=1e-6):
    """``Rop(fn(x), x, v)`` equals the central difference of ``fn`` along ``v``.

    ``values`` are float64 arrays; ``fn`` builds one output from the inputs.
    """
    rng = rng or numpy.random.RandomState(0)
    values = [numpy.asarray(v, dtype="float64") for v in values]
    inputs = symbolic_inputs(values)
    directions = [rng.uniform(-1, 1, size=v.shape) for v in values]
    dir_vars = symbolic_inputs(directions)
    out = fn(*inputs)
    rop = Rop(out, inputs, dir_vars)
    got = function(inputs + dir_vars, rop, on_unused_input="ignore")(
        *values, *directions
    )
    f = function(inputs, out)
    plus = f(*[v + eps * d for v, d in zip(values, directions, strict=True)])
    minus = f(*[v - eps * d for v, d in zip(values, directions, strict=True)])
    numeric = (plus - minus) / (2 * eps)
    assert got.shape == numeric.shape, f"Rop shape {got.shape} != {numeric.shape}"
    numpy.testing.assert_allclose(got, numeric, rtol=tol * 100, atol=tol * 100)
