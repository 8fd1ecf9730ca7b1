"""Golden copies of the C the backend generates for a few kernels.

Each case renders one Elemwise node's kernel (``render_kernel`` and the
helper functions it calls; not the library prelude, which depends on the
machine's thread count) and compares it verbatim with
``golden/<case>.c``.  A change to code generation shows up here as a diff
to review.  After an intended change, regenerate the files with::

    SYMBOLIC_REGEN_GOLDEN=1 python -m pytest \
        tests/symbolic/backends/c/test_golden_kernels.py
"""

import os
import pathlib

import pytest

import symbolic.tensor as T
from symbolic.backends.c import elemwise_kernels
from symbolic.backends.c.scalar_c import helper_source
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.ops.scalar.composite import Composite

GOLDEN = pathlib.Path(__file__).with_name("golden")
REGENERATE = os.environ.get("SYMBOLIC_REGEN_GOLDEN") == "1"


def fused_broadcast():
    """``x * row + exp(col)`` on float32: a fused kernel over broadcast inputs."""
    x = T.matrix("x", dtype="float32")
    row = T.row("row", dtype="float32")
    col = T.col("col", dtype="float32")
    f32 = "float32"
    op = Composite(
        [f32, f32, f32],
        [],
        [(sb.Mul(), (0, 1), f32), (sm.Exp(), (2,), f32), (sb.Add(), (3, 4), f32)],
        [5],
    )
    return Elemwise(op)(x, row, col).owner, False


def summed_reduction():
    """``sum(sqr(W))`` on float64: the kernel also exports its fused ``_sum``."""
    W = T.matrix("W", dtype="float64")
    return Elemwise(sm.Sqr())(W).owner, True


def summed_float32_squares():
    """``sum(sqr(W))`` on float32: its ``_sum`` adds in float32 lanes first."""
    W = T.matrix("W", dtype="float32")
    return Elemwise(sm.Sqr())(W).owner, True


def multi_output_inplace():
    """``(a + b, a mod b)`` on float64, the first output written over ``a``."""
    a = T.matrix("a", dtype="float64")
    b = T.matrix("b", dtype="float64")
    f64 = "float64"
    op = Composite(
        [f64, f64],
        [],
        [(sb.Add(), (0, 1), f64), (sb.Mod(), (0, 1), f64)],
        [2, 3],
    )
    outputs = Elemwise(op, inplace_pattern={0: 0})(a, b)
    return outputs[0].owner, False


CASES = {
    f.__name__: f
    for f in (
        fused_broadcast,
        summed_reduction,
        summed_float32_squares,
        multi_output_inplace,
    )
}


def render(case):
    node, with_sum = CASES[case]()
    outputs, in_dtypes, out_dtypes = elemwise_kernels.node_expressions(node)
    kernel = elemwise_kernels.render_kernel(
        "k0", outputs, in_dtypes, out_dtypes, with_sum=with_sum
    )
    return helper_source(kernel.helpers) + kernel.source


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_c_matches_its_golden_copy(case):
    path = GOLDEN / f"{case}.c"
    source = render(case)
    if REGENERATE:
        path.write_text(source)
    assert path.exists(), f"no golden file {path}: run with SYMBOLIC_REGEN_GOLDEN=1"
    assert source == path.read_text(), (
        f"the C generated for {case} changed; review the diff and regenerate "
        f"with SYMBOLIC_REGEN_GOLDEN=1 if it is intended"
    )


def test_every_golden_file_has_a_case():
    names = {path.stem for path in GOLDEN.glob("*.c")}
    assert names == set(CASES)
