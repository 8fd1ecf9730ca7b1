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


def reference_wrap_centered(x, shape, step):
    """Theano's index rule: row ``i + a * step - shape // 2``, wrapped once."""
    h, w = x.shape[2:]
    rows = []
    for b, c in numpy.ndindex(*x.shape[:2]):
        for a in range(-(-h // step[0])):
            for d in range(-(-w // step[1])):
                patch = [
                    x[
                        b,
                        c,
                        (i + a * step[0] - shape[0] // 2) % h,
                        (j + d * step[1] - shape[1] // 2) % w,
                    ]
                    for i in range(shape[0])
                    for j in range(shape[1])
                ]
                rows.append(patch)
    return numpy.array(rows)


@pytest.mark.parametrize(
    "image, shape, step",
    [((5, 4), (3, 3), (1, 1)), ((6, 7), (3, 5), (2, 3)), ((3, 3), (3, 1), (2, 1))],
)
def test_wrap_centered_patches_and_gradient(image, shape, step):
    """Odd patches centred on every step-th cell, wrapping at the borders;
    the gradient adds each cell's uses, including those across a border."""
    value = RNG.randn(2, 2, *image)
    check_op(
        lambda x: images2neibs(x, shape, step, "wrap_centered"),
        [value],
        expected=lambda v: reference_wrap_centered(v, shape, step),
    )


def test_wrap_centered_needs_odd_patches_no_larger_than_the_image():
    x = tensor.tensor4("x")
    even = symbolic.function([x], images2neibs(x, (2, 3), mode="wrap_centered"))
    with pytest.raises(ValueError, match="must be odd"):
        even(numpy.zeros((1, 1, 4, 4)))
    large = symbolic.function([x], images2neibs(x, (5, 3), mode="wrap_centered"))
    with pytest.raises(ValueError, match="at least the neighbourhood"):
        large(numpy.zeros((1, 1, 4, 4)))


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
    with pytest.raises(NotImplementedError, match="'wrapped'"):
        images2neibs(x, (2, 2), mode="wrapped")
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
