"""The CUDA linker end to end, its kernels compiled for and run on the CPU.

See :mod:`tests.helpers.cuda_emulation`: one host "thread" runs each kernel,
numpy arrays stand in for device arrays and cuBLAS calls are replayed with
numpy.  Every graph is compared with ``perform``, and every kernel result
is also cross-checked node by node (``cuda__crosscheck``).
"""

import shutil

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.cuda import array, gpu_op, placement, sharedvar
from symbolic.backends.cuda.gpu_op import GpuOp
from symbolic.config import change_flags, config
from tests.helpers.cuda_emulation import GPUArray, HostCudaLinker, fake_gpuarray

pytestmark = [
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not found"),
    # The emulation builds the kernels as host C++: it needs the compiler.
    pytest.mark.skipif(not config.cxx, reason="cxx is empty: no C++ compiler"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("cuda_host")


@pytest.fixture
def linker(folder, monkeypatch):
    for module in (array, gpu_op, sharedvar):
        monkeypatch.setattr(module, "gpuarray_module", lambda: fake_gpuarray)
    placement.register()
    with change_flags(cuda__crosscheck=True):
        yield HostCudaLinker(folder)


def _gpu_function(linker, inputs, outputs, **kwargs):
    mode = symbolic.Mode(linker=linker, optimizer="fast_run").including("gpu")
    return symbolic.function(inputs, outputs, mode=mode, **kwargs)


def _reference(inputs, outputs, **kwargs):
    mode = symbolic.Mode(linker="py", optimizer=None)
    return symbolic.function(inputs, outputs, mode=mode, **kwargs)


def _agree(linker, inputs, outputs, values, rtol=1e-6, moved=()):
    f = _gpu_function(linker, inputs, outputs)
    ops = {
        type(n.op.op).__name__
        for n in f.maker.fgraph.toposort()
        if isinstance(n.op, GpuOp)
    }
    assert set(moved) <= ops, f"left on the host: {set(moved) - ops}"
    got = f(*values)
    runtime = linker.runtimes[-1]
    assert runtime.launched or runtime.blas.calls, "no kernel ran"
    want = _reference(inputs, outputs)(*values)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        numpy.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    return f


RNG = numpy.random.default_rng(0)


def _normal(*shape, dtype="float32"):
    return RNG.normal(size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_elemwise_broadcasting_and_transposed_operands(linker, dtype):
    x, r, c = (
        T.matrix("x", dtype=dtype),
        T.row("r", dtype=dtype),
        T.col("c", dtype=dtype),
    )
    outs = [T.tanh(x) * r + T.exp(-abs(x)) / 3 - c, x.T * 2 + 1, T.nnet.sigmoid(x) ** 2]
    values = [
        _normal(7, 5, dtype=dtype),
        _normal(1, 5, dtype=dtype),
        _normal(7, 1, dtype=dtype),
    ]
    _agree(linker, [x, r, c], outs, values, rtol=1e-5, moved=["Elemwise"])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_integer_elemwise_follows_numpy_division_rules(linker):
    a, b = T.lvector("a"), T.lvector("b")
    values = [numpy.array([-7, 7, -7, 7, 5, 0]), numpy.array([2, -2, -2, 2, 0, 3])]
    _agree(linker, [a, b], [a // b, a % b, a * b - 1], values, moved=["Elemwise"])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_reductions_over_any_axes_of_strided_inputs(linker, dtype):
    t = T.tensor3("t", dtype=dtype)
    value = (RNG.normal(size=(4, 5, 6)) * 3).astype(dtype)
    tt = t.dimshuffle(2, 0, 1)
    outs = [
        T.sum(t, axis=1),
        T.max(tt, axis=(0, 2)),
        T.min(t),
        T.prod(t[:2, :3], axis=2),
        T.sum(tt, axis=0),
    ]
    _agree(linker, [t], outs, [value], rtol=1e-5, moved=["Sum", "Max", "Min", "Prod"])


def test_softmaxes_crossentropies_and_their_gradients(linker):
    x, y = T.fmatrix("x"), T.ivector("y")
    b = T.fvector("b")
    xv, bv = _normal(9, 6), _normal(6)
    yv = RNG.integers(0, 6, size=9).astype("int32")
    sm = T.nnet.softmax(x)
    cost = T.mean(T.nnet.categorical_crossentropy(sm, y))
    nll, smb, am = T.nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    outs = [
        cost,
        symbolic.grad(cost, x),
        T.nnet.logsoftmax(x),
        nll,
        smb,
        am,
        symbolic.grad(T.sum(nll), x),
        T.nnet.softmax(x + b),
    ]
    _agree(
        linker,
        [x, b, y],
        outs,
        [xv, bv, yv],
        rtol=1e-5,
        moved=[
            "CrossentropySoftmaxArgmax1HotWithBias",
            "CrossentropySoftmax1HotWithBiasDx",
        ],
    )


def test_out_of_range_class_indices_raise(linker):
    x, y = T.fmatrix("x"), T.lvector("y")
    nll, _, _ = T.nnet.crossentropy_softmax_argmax_1hot_with_bias(
        x, T.zeros((3,), "float32"), y
    )
    f = _gpu_function(linker, [x, y], nll)
    with pytest.raises(ValueError, match="out of range"):
        f(_normal(2, 3), numpy.array([0, 3]))


def test_products_go_through_cublas_with_transposes(linker):
    x, w, v = T.fmatrix("x"), T.fmatrix("w"), T.fvector("v")
    outs = [
        T.dot(x, w),
        T.dot(x.T, x),
        T.dot(w.T, v),
        T.dot(x, w) * 2 + T.dot(x, w.T.T),
    ]
    _agree(
        linker,
        [x, w, v],
        outs,
        [_normal(4, 3), _normal(3, 5), _normal(3)],
        rtol=1e-5,
        moved=["Dot22"],
    )
    assert "gemm" in linker.runtimes[-1].blas.calls


def test_mrg_samples_are_the_cpu_kernels_numbers(linker):
    from symbolic.sandbox.rng_mrg import MRG_RandomStreams

    for dtype in ("float32", "float64"):
        gpu = _gpu_function(
            linker, [], MRG_RandomStreams(seed=11).uniform((13, 7), dtype=dtype)
        )
        cpu = _reference([], MRG_RandomStreams(seed=11).uniform((13, 7), dtype=dtype))
        assert any(isinstance(n.op, GpuOp) for n in gpu.maker.fgraph.toposort())
        for _ in range(2):
            numpy.testing.assert_array_equal(gpu(), cpu())


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
def test_pooling_and_its_gradient(linker, mode):
    from symbolic.tensor.signal.pool import pool_2d

    x = T.ftensor4("x")
    outs = []
    for ignore_border, pad in ((True, (0, 0)), (False, (0, 0)), (True, (1, 1))):
        pooled = pool_2d(
            x, (2, 3), ignore_border=ignore_border, stride=(2, 2), pad=pad, mode=mode
        )
        outs += [pooled, symbolic.grad(T.sum(pooled**2), x)]
    _agree(linker, [x], outs, [_normal(2, 3, 7, 8)], rtol=1e-5, moved=["Pool"])


@pytest.mark.parametrize("flip", [True, False])
def test_convolution_by_im2col_and_gemm(linker, flip):
    from symbolic.tensor.nnet import conv2d

    img, kern = T.ftensor4("img"), T.ftensor4("kern")
    outs = []
    for options in (
        {},
        {"border_mode": (1, 2), "subsample": (2, 1)},
        {"border_mode": "full", "filter_dilation": (2, 1)},
    ):
        out = conv2d(img, kern, filter_flip=flip, **options)
        outs += [out, *symbolic.grad(T.sum(out**2), [img, kern])]
    _agree(
        linker,
        [img, kern],
        outs,
        [_normal(2, 3, 9, 8), _normal(4, 3, 3, 2)],
        rtol=1e-4,
        moved=[
            "AbstractConv2d",
            "AbstractConv2d_gradWeights",
            "AbstractConv2d_gradInputs",
        ],
    )


def test_gpu_shared_variables_and_updates_stay_on_the_device(linker):
    w_value = _normal(6, 4)
    w = sharedvar.gpu_shared_constructor(w_value, name="w")
    assert isinstance(w.get_value(), numpy.ndarray)
    assert isinstance(w.get_value(borrow=True, return_internal_type=True), GPUArray)
    x = T.fmatrix("x")
    cost = T.sum(T.dot(x, w) ** 2)
    step = _gpu_function(
        linker, [x], cost, updates=[(w, w - numpy.float32(0.01) * T.grad(cost, w))]
    )
    update = step.maker.fgraph.outputs[-1]
    assert isinstance(update.owner.op, GpuOp)
    xv = _normal(5, 6)
    step(xv)
    want = w_value - 0.01 * 2 * xv.T @ (xv @ w_value)
    numpy.testing.assert_allclose(w.get_value(), want, rtol=1e-4)
    w.set_value(numpy.ones((6, 4), dtype="float32"))
    assert w.get_value().sum() == 24


def test_reshape_and_dimshuffle_views(linker):
    x = T.ftensor3("x")
    outs = [
        x.reshape((4, -1)) * 2,
        x.dimshuffle(2, "x", 0, 1) + 1,
        x.flatten(2).T * 3,
        x.dimshuffle(2, 0, 1),
    ]
    _agree(linker, [x], outs, [_normal(2, 3, 4)], moved=["Reshape", "DimShuffle"])


@pytest.fixture
def cuda_device(folder, monkeypatch):
    """``device=cuda`` on this machine: the device check passes, kernels run here."""
    from symbolic.backends.cuda import device, linker
    from symbolic.utils import linkers

    for module in (array, gpu_op, sharedvar):
        monkeypatch.setattr(module, "gpuarray_module", lambda: fake_gpuarray)
    monkeypatch.setattr(device, "require_cuda", lambda name: None)
    monkeypatch.setitem(linkers._FACTORIES, "cuda", lambda: HostCudaLinker(folder))
    assert linker.CudaLinker  # the real linker module is loaded and registered
    # The backend's own cross-check compares with perform; DebugMode (the
    # suite's second pass) compares device arrays it cannot read.
    with change_flags(device="cuda", cuda__crosscheck=True, mode="Mode"):
        yield


def test_the_device_flag_puts_shared_variables_and_scan_steps_on_the_gpu(cuda_device):
    w_value = _normal(4, 4)
    w = symbolic.shared(w_value, name="w")
    assert isinstance(w.type, array.GpuArrayType)
    x = T.fmatrix("x")
    h0 = T.fvector("h0")
    hs, _ = symbolic.scan(
        lambda row, h: T.tanh(row + T.dot(h, w)), sequences=x, outputs_info=h0
    )
    f = symbolic.function([x, h0], hs)
    scan_nodes = [n for n in f.maker.fgraph.toposort() if "Scan" in type(n.op).__name__]
    assert scan_nodes
    inner = scan_nodes[0].op.compile_inner()[3]
    assert any(isinstance(n.op, GpuOp) for n in inner.toposort())
    xv, hv = _normal(5, 4), _normal(4)
    want, h = [], hv
    for row in xv:
        h = numpy.tanh(row + h @ w_value)
        want.append(h)
    numpy.testing.assert_allclose(f(xv, hv), numpy.array(want), rtol=1e-5, atol=1e-6)


def test_subtensor_views_and_alloc(linker):
    x, r = T.fmatrix("x"), T.frow("r")
    k = T.lscalar("k")
    outs = [
        x[1:, ::2] * 2,
        x[::-1, k] + 1,
        x[k, 1:-1],
        T.alloc(r, 4, 5) + 1,
        T.zeros((k, 5), dtype="float32") + x[0],
    ]
    _agree(
        linker,
        [x, r, k],
        outs,
        [_normal(6, 5), _normal(1, 5), numpy.int64(2)],
        moved=["Subtensor", "Alloc"],
    )
    f = _gpu_function(linker, [x, k], x[k])
    with pytest.raises(IndexError, match="out of bounds"):
        f(_normal(3, 2), 7)


def test_gpu_shared_variables_pickle_as_host_values(linker):
    import pickle

    array.register_pickling(GPUArray)
    w = sharedvar.gpu_shared_constructor(_normal(3, 2), name="w")
    back = pickle.loads(pickle.dumps(w))
    assert isinstance(back.get_value(borrow=True, return_internal_type=True), GPUArray)
    numpy.testing.assert_array_equal(back.get_value(), w.get_value())


def test_products_over_an_empty_inner_dimension_are_zeros(linker):
    a, b, v = T.fmatrix("a"), T.fmatrix("b"), T.fvector("v")
    f = _gpu_function(linker, [a, b, v], [T.dot(a, b), T.dot(a, v)])
    matrix, vector = f(_normal(3, 0), _normal(0, 4), _normal(0))
    numpy.testing.assert_array_equal(matrix, numpy.zeros((3, 4), "float32"))
    numpy.testing.assert_array_equal(vector, numpy.zeros(3, "float32"))
    assert any(isinstance(n.op, GpuOp) for n in f.maker.fgraph.toposort())


def test_a_blocks_mlp_trains_with_its_parameters_on_the_gpu(cuda_device):
    import pickle

    from blocks.bricks import MLP, Softmax, Tanh
    from blocks.bricks.cost import CategoricalCrossEntropy
    from blocks.initialization import Constant, IsotropicGaussian
    from tests.helpers.brick_training import train_and_report

    array.register_pickling(GPUArray)
    with change_flags(floatX="float32"):
        x, y = T.matrix("x"), T.lmatrix("y")
        mlp = MLP(
            [Tanh(), Softmax()],
            [4, 8, 3],
            weights_init=IsotropicGaussian(0.1),
            biases_init=Constant(0),
        )
        mlp.initialize()
        weights = mlp.linear_transformations[0].W
        assert isinstance(weights.type, array.GpuArrayType)
        cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
        data = {"x": _normal(10, 4), "y": RNG.integers(0, 3, (10, 1))}
        before, after = train_and_report(cost, data, epochs=5)
    assert after < before
    back = pickle.loads(pickle.dumps(mlp))
    numpy.testing.assert_array_equal(
        back.linear_transformations[0].W.get_value(), weights.get_value()
    )


def test_gpu_errors_are_the_cpus_naming_the_users_variables(linker):
    x, y, b = T.fmatrix("x"), T.fmatrix("y"), T.fvector("b")
    add = _gpu_function(linker, [x, y], x + y)
    with pytest.raises(ValueError, match=r"mis-match.*x with shape \(2, 3\).*y"):
        add(_normal(2, 3), _normal(2, 4))
    with_bias = _gpu_function(linker, [x, b], T.nnet.softmax_with_bias(x, b))
    with pytest.raises(ValueError, match="b has 3 entries but x has 4 columns"):
        with_bias(_normal(2, 4), _normal(3))
    labels = T.lvector("labels")
    cost = T.nnet.categorical_crossentropy(T.nnet.softmax(x), labels)
    xent = _gpu_function(linker, [x, labels], cost)
    with pytest.raises(ValueError, match="class index 4 in labels is out of range"):
        xent(_normal(2, 4), numpy.array([0, 4]))


def test_log_softmax_of_large_logits_keeps_float32_precision(linker):
    x = T.fmatrix("x")
    value = numpy.array([[1000, -1000, 0, 999], [-5, -5, -4, 1000]], "float32")
    _agree(linker, [x], [T.nnet.logsoftmax(x)], [value], moved=["LogSoftmax"])


def test_crossentropy_gradients_broadcast_a_scalar_gradient(linker):
    from symbolic.ops.nnet.crossentropy import (
        crossentropy_softmax_1hot_with_bias_dx as dx_op,
    )

    dy, sm, labels = T.fscalar("dy"), T.fmatrix("sm"), T.lvector("labels")
    outs = [dx_op(dy, sm, labels), dx_op(T.fill(labels, dy), sm, labels)]
    values = [numpy.float32(0.5), abs(_normal(3, 4)), numpy.array([1, 0, 3])]
    _agree(
        linker,
        [dy, sm, labels],
        outs,
        values,
        moved=["CrossentropySoftmax1HotWithBiasDx"],
    )
