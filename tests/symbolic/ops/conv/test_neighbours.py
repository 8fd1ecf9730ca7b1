"""images2neibs and neibs2images against a loop over patches."""

import numpy
import pytest

import symbolic
from symbolic import tensor
from symbolic.tensor.nnet.neighbours import (
    Images2Neibs,
    Neibs2Images,
    images2neibs,
    neibs2images,
)
from tests.helpers.op_check import check_op, check_op_identity

RNG = numpy.random.RandomState(3)


def reference(x, shape, step, mode):
    pad = {"half": [n // 2 for n in shape], "full": [n - 1 for n in shape]}
    ph, pw = pad.get(mode, (0, 0))
    x = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    rows = []
    for b, c in numpy.ndindex(*x.shape[:2]):
        for i in range(0, x.shape[2] - shape[0] + 1, step[0]):
            for j in range(0, x.shape[3] - shape[1] + 1, step[1]):
                rows.append(x[b, c, i : i + shape[0], j : j + shape[1]].ravel())
    return numpy.array(rows)


@pytest.mark.parametrize(
    "image, shape, step, mode",
    [
        ((6, 4), (2, 2), (2, 2), "valid"),
        ((7, 5), (3, 2), (2, 1), "valid"),
        ((7, 6), (2, 4), (2, 3), "ignore_borders"),
        ((5, 4), (3, 3), (1, 2), "half"),
        ((4, 3), (2, 3), (1, 1), "full"),
    ],
)
def test_images2neibs_values_and_gradient(image, shape, step, mode):
    value = RNG.randn(2, 3, *image)
    check_op(
        lambda x: images2neibs(x, shape, step, mode),
        [value],
        expected=lambda v: reference(v, shape, step, mode),
    )


def test_neibs2images_inverts_disjoint_patches():
    x = tensor.tensor4("x")
    value = RNG.randn(2, 2, 4, 6)
    neibs = images2neibs(x, (2, 3))
    back = neibs2images(neibs, (2, 3), x.shape)
    numpy.testing.assert_array_equal(symbolic.function([x], back)(value), value)
    check_op_identity(Images2Neibs("half"))
    check_op_identity(Neibs2Images("valid"))


def test_bad_arguments():
    x = tensor.tensor4("x")
    with pytest.raises(NotImplementedError, match="wrap_centered"):
        images2neibs(x, (2, 2), mode="wrap_centered")
    with pytest.raises(TypeError, match="4-d"):
        images2neibs(tensor.matrix("m"), (2, 2))
    f = symbolic.function([x], images2neibs(x, (2, 2), (2, 2)))
    with pytest.raises(ValueError, match="multiple of neib_step"):
        f(numpy.zeros((1, 1, 5, 4)))


def test_output_never_aliases_the_input():
    x = tensor.tensor4("x")
    value = RNG.randn(1, 2, 2, 3)
    out = symbolic.function([x], images2neibs(x, (2, 3)))(value)
    out[:] = 0
    assert value.any()
