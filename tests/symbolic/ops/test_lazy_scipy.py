"""scipy.special and scipy.linalg are imported when a reference needs them."""

import os
import subprocess
import sys

import numpy
import scipy.special

import symbolic
from symbolic.ops.scalar import expr as E

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(symbolic.__file__)))

_SCRIPT = """
import sys
import symbolic
import symbolic.tensor.nnet
import symbolic.ops.blas
from symbolic.rewriting.pipeline import registered_rules
registered_rules()
print(sorted(m for m in sys.modules if m.startswith(("scipy.linalg", "scipy.special"))))
"""


def test_import_and_rule_loading_leave_scipy_unimported():
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_scipy_primitives_resolve_on_use():
    assert "erf" in E.PRIMITIVES and "sigmoid" in E.PRIMITIVES
    assert "no_such_primitive" not in E.PRIMITIVES
    assert E.PRIMITIVES.get("no_such_primitive") is None
    assert E.PRIMITIVES["lgamma"] is scipy.special.gammaln
    assert E.PRIMITIVES.get("erfinv") is scipy.special.erfinv
    x = numpy.array([-1.0, 0.25, 3.0])
    numpy.testing.assert_array_equal(E.PRIMITIVES["erf"](x), scipy.special.erf(x))


def test_sigmoid_reference_is_numpy_and_matches_expit():
    x = numpy.concatenate([numpy.linspace(-700, 700, 20001), [numpy.inf, -numpy.inf]])
    for dtype, ulps in (("float32", 2), ("float64", 3)):
        ours = E.PRIMITIVES["sigmoid"](x.astype(dtype))
        theirs = scipy.special.expit(x.astype(dtype))
        assert ours.dtype == dtype
        tiny = numpy.finfo(dtype).tiny
        normal = theirs > tiny
        gap = numpy.abs(ours[normal].astype("float64") - theirs[normal])
        assert (gap <= ulps * numpy.spacing(theirs[normal])).all()
        numpy.testing.assert_array_equal(ours[~normal] <= tiny, True)
    # Unsigned and integer inputs are taken as their float64 values.
    numpy.testing.assert_allclose(
        E.PRIMITIVES["sigmoid"](numpy.array([0, 3], dtype="uint64")),
        scipy.special.expit(numpy.array([0.0, 3.0])),
        rtol=1e-15,
    )
