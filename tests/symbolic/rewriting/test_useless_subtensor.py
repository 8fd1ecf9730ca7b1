"""x[0:len(x)] is x; a slice that may cut something is kept."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from tests.symbolic.rewriting.rewrite_helpers import CANON, RAW


def _subtensors(f):
    return [n for n in f.maker.fgraph.apply_nodes if type(n.op).__name__ == "Subtensor"]


def _check(make, keeps):
    x, n, k = T.dmatrix("x"), T.lscalar("n"), T.lscalar("k")
    out = make(x, n, k)
    f = symbolic.function([x, n, k], out, mode=CANON, on_unused_input="ignore")
    assert bool(_subtensors(f)) is keeps
    value = numpy.arange(12.0).reshape(4, 3)
    expected = symbolic.function([x, n, k], out, mode=RAW, on_unused_input="ignore")
    for args in ((value, 2, 1), (value, 0, 2)):
        numpy.testing.assert_array_equal(f(*args), expected(*args))


@pytest.mark.parametrize(
    "make",
    [
        lambda x, n, k: x[0 : x.shape[0]],
        lambda x, n, k: x[:, : x.shape[1]] * 2,
        lambda x, n, k: x[0:, ::1][:],
    ],
)
def test_full_slices_are_removed(make):
    _check(make, keeps=False)


@pytest.mark.parametrize(
    "make",
    [
        lambda x, n, k: x[1:],
        lambda x, n, k: x[k:],
        lambda x, n, k: x[::-1],
        lambda x, n, k: x[:n],
        lambda x, n, k: x[: x.shape[0], ::k],
    ],
)
def test_slices_that_may_cut_are_kept(make):
    _check(make, keeps=True)
