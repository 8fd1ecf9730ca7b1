"""On a GPU: CUDA results against ``perform`` (skipped where no device is usable)."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.cuda.driver import CudaUnavailable, require_cuda
from symbolic.config import change_flags


def _gpu_or_skip():
    try:
        require_cuda("cuda")
    except CudaUnavailable as exc:
        pytest.skip(f"no usable CUDA device: {exc.missing} missing")


pytestmark = pytest.mark.usefixtures("gpu")


@pytest.fixture(scope="module")
def gpu():
    _gpu_or_skip()


def _on_gpu(inputs, outputs, **kwargs):
    with change_flags(device="cuda", cuda__crosscheck=True):
        return symbolic.function(inputs, outputs, **kwargs)


def _reference(inputs, outputs, **kwargs):
    mode = symbolic.Mode(linker="py", optimizer=None)
    return symbolic.function(inputs, outputs, mode=mode, **kwargs)


def _agree(inputs, outputs, values, rtol=1e-5):
    got = _on_gpu(inputs, outputs)(*values)
    want = _reference(inputs, outputs)(*values)
    for a, b in zip(
        got if isinstance(got, list) else [got],
        want if isinstance(want, list) else [want],
    ):
        numpy.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_elemwise_with_broadcasting(dtype):
    x, r = T.matrix("x", dtype=dtype), T.row("r", dtype=dtype)
    rng = numpy.random.default_rng(0)
    xv = rng.normal(size=(37, 65)).astype(dtype)
    rv = rng.normal(size=(1, 65)).astype(dtype)
    _agree([x, r], [T.tanh(x) * r + T.exp(-abs(x)) / 3, x.T * 2], [xv, rv])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_reductions(dtype):
    t = T.tensor3("t", dtype=dtype)
    value = (numpy.random.default_rng(1).normal(size=(5, 7, 9)) * 4).astype(dtype)
    outs = [
        T.sum(t, axis=1),
        T.max(t, axis=(0, 2)),
        T.min(t),
        T.prod(t[:2, :2], axis=2),
    ]
    _agree([t], outs, [value], rtol=1e-4)


def test_softmaxes_and_crossentropy():
    x, y = T.fmatrix("x"), T.lvector("y")
    rng = numpy.random.default_rng(2)
    xv = rng.normal(size=(20, 11)).astype("float32")
    yv = rng.integers(0, 11, size=20)
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(x), y))
    _agree([x, y], [cost, symbolic.grad(cost, x), T.nnet.logsoftmax(x)], [xv, yv])


def test_dot_gemm_and_shared_updates():
    rng = numpy.random.default_rng(3)
    with change_flags(device="cuda"):
        w = symbolic.shared(rng.normal(size=(8, 4)).astype("float32"), name="w")
    x = T.fmatrix("x")
    cost = T.sum(T.dot(x, w) ** 2)
    step = _on_gpu([x], cost, updates=[(w, w - numpy.float32(0.01) * T.grad(cost, w))])
    xv = rng.normal(size=(16, 8)).astype("float32")
    before = w.get_value()
    assert isinstance(before, numpy.ndarray)
    step(xv)
    want = before - 0.01 * 2 * xv.T @ (xv @ before)
    numpy.testing.assert_allclose(w.get_value(), want, rtol=1e-4)
    device_value = w.get_value(borrow=True, return_internal_type=True)
    assert type(device_value).__name__ == "GPUArray"
    w.set_value(numpy.zeros((8, 4), dtype="float32"))
    assert not w.get_value().any()


def test_mrg_gives_the_cpu_numbers():
    from symbolic.sandbox.rng_mrg import MRG_RandomStreams

    for dtype in ("float32", "float64"):
        with change_flags(device="cuda"):
            gpu_sample = _on_gpu(
                [], MRG_RandomStreams(seed=7).uniform((30, 17), dtype=dtype)
            )()
        cpu_sample = _reference(
            [], MRG_RandomStreams(seed=7).uniform((30, 17), dtype=dtype)
        )()
        numpy.testing.assert_array_equal(gpu_sample, cpu_sample)


def test_conv_and_pooling():
    from symbolic.tensor.nnet import conv2d
    from symbolic.tensor.signal.pool import pool_2d

    img, kern = T.ftensor4("img"), T.ftensor4("kern")
    rng = numpy.random.default_rng(4)
    iv = rng.normal(size=(2, 3, 12, 12)).astype("float32")
    kv = rng.normal(size=(4, 3, 5, 5)).astype("float32")
    feat = conv2d(img, kern)
    pooled = pool_2d(feat, (2, 2), ignore_border=True, mode="max")
    averaged = pool_2d(feat, (3, 3), ignore_border=False, mode="average_exc_pad")
    cost = T.sum(pooled) + T.sum(averaged)
    _agree([img, kern], [pooled, averaged, T.grad(cost, img)], [iv, kv], rtol=1e-3)


def test_scan_step_on_the_gpu():
    x = T.fmatrix("x")
    h0 = T.fvector("h0")
    out, _ = symbolic.scan(lambda row, h: T.tanh(row + h), sequences=x, outputs_info=h0)
    xv = numpy.random.default_rng(5).normal(size=(6, 4)).astype("float32")
    _agree([x, h0], out, [xv, numpy.zeros(4, "float32")])
