"""The batch-normalization entries of the C runtime, cross-checked against ``perform``.

The training op (with and without running averages), the inference op and
the training gradient are built on independent inputs, compiled once for
the C runtime and once for the Python VM, and must agree for float32 and
float64, several sets of normalized axes, strided and broadcast parameters
and empty batches; the gradient of ``batch_normalization_train`` compiled
in FAST_RUN must agree with the Python linker's.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.ops.nnet.bn import (
    AbstractBatchNormInference,
    AbstractBatchNormTrain,
    AbstractBatchNormTrainGrad,
    batch_normalization_test,
    batch_normalization_train,
)

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

C_MODE = Mode(linker="cvm", optimizer=None)
PY_MODE = Mode(linker="py", optimizer=None)
RNG = numpy.random.default_rng(11)
BN_KINDS = ("BN_TRAIN", "BN_INFERENCE", "BN_TRAIN_GRAD")
EPSILON = 1e-4

# (x shape, normalized axes): per-activation, spatial, and other sets.
LAYOUTS = [
    ((6, 5), (0,)),
    ((4, 3, 5, 6), (0, 2, 3)),
    ((4, 3, 5, 6), (1, 3)),
    ((3, 4, 5), (0, 1, 2)),
    ((5, 70), (0,)),  # more channels than a block of the kept inner axis
    ((3, 4, 2), (2,)),
]


def rand(shape, dtype, low=None):
    if low is not None:
        return (RNG.random(shape) + low).astype(dtype)
    return (RNG.standard_normal(shape) * 2 + 0.5).astype(dtype)


def param_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def tensor(dtype, shape, axes, name, broadcast_kept=False):
    """A variable for x (``axes`` None) or a parameter laid out like scale."""
    if axes is None:
        return T.TensorType(dtype, (False,) * len(shape))(name)
    pattern = tuple(i in axes or broadcast_kept for i in range(len(shape)))
    return T.TensorType(dtype, pattern)(name)


def three_ops(dtype, shape, axes, running=True, broadcast_kept=False):
    """Inputs and the outputs of the three ops on independent inputs."""
    x, dy = tensor(dtype, shape, None, "x"), tensor(dtype, shape, None, "dy")
    params = [
        tensor(dtype, shape, axes, name, broadcast_kept)
        for name in ("scale", "bias", "mean", "var", "invstd")
    ]
    scale, bias, mean, var, invstd = params
    eps = numpy.asarray(EPSILON, dtype="float64")
    if running:
        train = AbstractBatchNormTrain(axes)(x, scale, bias, eps, 0.1, mean, var)
    else:
        train = AbstractBatchNormTrain(axes)(x, scale, bias, eps, 0.1)
    inference = AbstractBatchNormInference(axes)(x, scale, bias, mean, var, eps)
    grads = AbstractBatchNormTrainGrad(axes)(x, dy, scale, mean, invstd, eps)
    return [x, dy, *params], [*train, inference, *grads]


def values_for(dtype, shape, axes, broadcast_kept=False):
    small = param_shape(shape, axes)
    if broadcast_kept:
        small = (1,) * len(shape)
    x, dy = rand(shape, dtype), rand(shape, dtype)
    scale, bias, mean = (rand(small, dtype) for _ in range(3))
    var, invstd = rand(small, dtype, low=0.5), rand(small, dtype, low=0.5)
    return [x, dy, scale, bias, mean, var, invstd]


def run_both(inputs, outputs, values, c_mode=C_MODE, py_mode=PY_MODE):
    """The C function and the outputs of both; the C one ran its bn nodes in C."""
    fc = symbolic.function(inputs, outputs, mode=c_mode)
    fp = symbolic.function(inputs, outputs, mode=py_mode)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        got = fc(*values)
        want = fp(*values)
    ran = [kind for kind in BN_KINDS if KINDS[kind] in fc.vm.kinds]
    assert ran, "no batch-norm entry in the compiled program"
    slow = fc.vm.slow_calls()
    for at, kind in enumerate(fc.vm.kinds):
        if kind in {KINDS[k] for k in BN_KINDS}:
            assert slow[at] == 0, fc.vm.nodes[at]
    return fc, got, want


def assert_close(got, want):
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.shape, w.shape)
        rtol = 2e-5 if g.dtype == numpy.float32 else 1e-11
        numpy.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "axes"), LAYOUTS)
def test_three_ops_match_perform(dtype, shape, axes):
    inputs, outputs = three_ops(dtype, shape, axes)
    _, got, want = run_both(inputs, outputs, values_for(dtype, shape, axes))
    assert_close(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_without_running_averages(dtype):
    shape, axes = (4, 3, 5, 6), (0, 2, 3)
    inputs, outputs = three_ops(dtype, shape, axes, running=False)
    _, got, want = run_both(inputs, outputs, values_for(dtype, shape, axes))
    assert len(got) == 3 + 1 + 3
    assert_close(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_strided_inputs(dtype):
    shape, axes = (4, 3, 5, 6), (0, 2, 3)
    inputs, outputs = three_ops(dtype, shape, axes)
    values = values_for(dtype, shape, axes)
    # x every other column, reversed; dy transposed in memory; params strided.
    values[0] = numpy.repeat(values[0], 2, axis=3)[..., ::-2]
    values[1] = numpy.asfortranarray(values[1])
    values[2:] = [numpy.repeat(v, 2, axis=1)[:, ::2] for v in values[2:]]
    assert not values[0].flags.c_contiguous and not values[1].flags.c_contiguous
    assert not values[2].flags.c_contiguous
    _, got, want = run_both(inputs, outputs, values)
    assert_close(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_channel_inner_layout(dtype):
    """An NCHW tensor stored channels-last: the kept axis is innermost."""
    shape, axes = (4, 6, 3, 5), (0, 2, 3)
    inputs, outputs = three_ops(dtype, shape, axes)
    values = values_for(dtype, shape, axes)
    values[0] = numpy.ascontiguousarray(values[0].transpose(0, 2, 3, 1)).transpose(
        0, 3, 1, 2
    )
    _, got, want = run_both(inputs, outputs, values)
    assert_close(got, want)


def test_parameters_broadcast_along_the_channels():
    shape, axes = (5, 4, 3), (0, 2)
    inputs, outputs = three_ops("float64", shape, axes, broadcast_kept=True)
    values = values_for("float64", shape, axes, broadcast_kept=True)
    _, got, want = run_both(inputs, outputs, values)
    assert_close(got, want)


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Degrees of freedom:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "axes"), [((0, 4), (0,)), ((0, 3, 2, 2), (0, 2, 3))])
def test_empty_batch(dtype, shape, axes):
    """Statistics of no cell are nan and gradient sums 0, as numpy's."""
    inputs, outputs = three_ops(dtype, shape, axes)
    _, got, want = run_both(inputs, outputs, values_for(dtype, shape, axes))
    assert_close(got, want)
    assert numpy.isnan(got[1]).all() and numpy.isnan(got[3]).all()
    assert not got[-1].any()


def test_no_channels():
    shape, axes = (3, 0), (0,)
    inputs, outputs = three_ops("float32", shape, axes)
    _, got, want = run_both(inputs, outputs, values_for("float32", shape, axes))
    assert_close(got, want)


def test_a_batch_of_one_with_running_averages_raises_the_reference_error():
    shape, axes = (1, 4), (0,)
    inputs, outputs = three_ops("float64", shape, axes)
    values = values_for("float64", shape, axes)
    for mode in (C_MODE, PY_MODE):
        f = symbolic.function(inputs, outputs[:5], mode=mode, on_unused_input="ignore")
        with pytest.raises(ZeroDivisionError):
            f(*values)


def test_repeated_axes_raise_the_reference_error():
    x, scale = T.matrix("x"), T.matrix("scale")
    outputs = AbstractBatchNormTrain((0, 0))(x, scale, scale, EPSILON, 0.1)
    values = rand((3, 4), "float64"), rand((1, 1), "float64")
    errors = []
    for mode in (C_MODE, PY_MODE):
        f = symbolic.function([x, scale], outputs, mode=mode)
        with pytest.raises(ValueError) as info:
            f(*values)
        errors.append(str(info.value).splitlines()[0])
    assert errors[0] == errors[1]


def test_parameters_of_another_shape_run_perform():
    """A mean with the batch's length on a normalized axis broadcasts per cell."""
    x = T.matrix("x")
    mean = T.matrix("mean")
    out = AbstractBatchNormInference((0,))(
        x, T.ones_like(mean), 0 * mean, mean, 1 + 0 * mean
    )
    fc = symbolic.function([x, mean], out, mode=C_MODE)
    fp = symbolic.function([x, mean], out, mode=PY_MODE)
    values = rand((3, 4), "float64"), rand((3, 4), "float64")
    numpy.testing.assert_array_equal(fc(*values), fp(*values))
    at = fc.vm.kinds.index(KINDS["BN_INFERENCE"])
    assert fc.vm.slow_calls()[at] == 1


@pytest.mark.parametrize(
    ("shape", "axes"),
    [((64, 8, 16, 16), (0, 2, 3)), ((256, 512), (0,)), ((32, 8, 16, 32), (1, 3))],
)
def test_threads_do_not_change_the_result(shape, axes):
    """Large enough to split over the pool: every thread count gives the same bits."""
    module = runtime.load()
    inputs, outputs = three_ops("float32", shape, axes)
    values = values_for("float32", shape, axes)
    results = []
    try:
        for threads in (1, 3):
            module.set_threads(threads)
            f = symbolic.function(inputs, outputs, mode=C_MODE)
            results.append([numpy.copy(v) for v in f(*values)])
            assert not any(f.vm.slow_calls())
    finally:
        module.set_threads(runtime.kernel_threads())
    for one, many in zip(*results, strict=True):
        numpy.testing.assert_array_equal(one, many)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("shape", "axes"),
    [((6, 5), "per-activation"), ((4, 3, 5, 6), "spatial"), ((4, 3, 5, 6), (0, 1))],
)
def test_gradient_graph_in_fast_run_matches_the_python_linker(dtype, shape, axes):
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    ax = {"per-activation": (0,), "spatial": (0, 2, 3)}.get(axes, axes)
    kept = [i for i in range(len(shape)) if i not in ax]
    small = tuple(shape[i] for i in kept)
    scale = T.TensorType(dtype, (False,) * len(kept))("scale")
    bias = T.TensorType(dtype, (False,) * len(kept))("bias")
    r_mean = T.TensorType(dtype, (False,) * len(kept))("r_mean")
    r_var = T.TensorType(dtype, (False,) * len(kept))("r_var")
    out, mean, invstd, new_mean, new_var = batch_normalization_train(
        x, scale, bias, axes, running_mean=r_mean, running_var=r_var
    )
    weights = rand(shape, dtype)
    cost = (out * weights).sum() + (mean * 0.5).sum() + invstd.sum()
    grads = symbolic.grad(cost, [x, scale, bias])
    test_out = batch_normalization_test(x, scale, bias, new_mean, new_var, axes)
    inputs = [x, scale, bias, r_mean, r_var]
    outputs = [out, new_mean, new_var, test_out, *grads]
    values = [rand(shape, dtype), rand(small, dtype), rand(small, dtype)]
    values += [rand(small, dtype), rand(small, dtype, low=0.5)]
    fc, got, want = run_both(
        inputs,
        outputs,
        values,
        c_mode=Mode(linker="cvm", optimizer="fast_run"),
        py_mode=Mode(linker="py", optimizer="fast_run"),
    )
    assert {KINDS[k] for k in BN_KINDS} <= set(fc.vm.kinds)
    rtol = 1e-4 if dtype == "float32" else 1e-10
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        numpy.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
