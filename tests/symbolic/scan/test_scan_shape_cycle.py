"""Gradients of a scan over a reshaped tensor compile (no shape cycle) and are right.

Scan's ``infer_shape`` used to give the dims it cannot derive as
``out.shape[i]``; the Shape -> make_vector rewrite then made the Shape node an
input of itself and the compile looped forever in the toposort. Each compile
runs in a subprocess with a timeout, so a regression fails instead of hanging.
"""

import subprocess
import sys
import textwrap

import numpy

H, W, B = 2, 3, 4

_SCRIPT = textwrap.dedent(
    """
    import io
    import sys
    import numpy
    import symbolic
    from symbolic import tensor, scan

    variant = sys.argv[1]
    x3 = tensor.tensor3("x")
    H, W, B = x3.shape[0], x3.shape[1], x3.shape[2]
    flat = x3.reshape((H * W, B), ndim=2)

    def step(x, buf):
        h = tensor.tanh(x + buf[0])
        if variant == "set_subtensor":
            return h, tensor.set_subtensor(buf[0], h)
        return h, buf + h[None, :]

    (hs, _), _ = scan(
        step, sequences=[flat], outputs_info=[None, tensor.zeros((W, B))]
    )
    total = hs.reshape((H, W, B), ndim=3).sum() if variant != "flat" else hs.sum()
    f = symbolic.function([x3], symbolic.grad(total, x3))
    value = numpy.load(io.BytesIO(sys.stdin.buffer.read()))
    numpy.save(sys.stdout.buffer, f(value))
    """
)


def _forward(x, variant):
    """The scan's loss in numpy, for finite differences."""
    flat = x.reshape(-1, x.shape[2])
    buf = numpy.zeros((x.shape[1], x.shape[2]))
    total = 0.0
    for row in flat:
        h = numpy.tanh(row + buf[0])
        total += h.sum()
        if variant == "set_subtensor":
            buf = buf.copy()
            buf[0] = h
        else:
            buf = buf + h[None, :]
    return total


def _finite_differences(x, variant, eps=1e-6):
    grad = numpy.zeros_like(x)
    for index in numpy.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (_forward(up, variant) - _forward(down, variant)) / (2 * eps)
    return grad


def _compiled_gradient(x, variant):
    import io

    buffer = io.BytesIO()
    numpy.save(buffer, x)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, variant],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"compiling the scan gradient ({variant}) did not finish in 120 s"
        ) from None
    assert done.returncode == 0, done.stderr.decode()
    return numpy.load(io.BytesIO(done.stdout))


def _check(variant):
    x = numpy.random.RandomState(7).uniform(-0.5, 0.5, (H, W, B))
    got = _compiled_gradient(x, variant)
    numpy.testing.assert_allclose(got, _finite_differences(x, variant), rtol=1e-5)


def test_grad_through_reshaped_scan_compiles_and_matches_finite_differences():
    _check("reshape")


def test_grad_with_set_subtensor_state_compiles_and_matches():
    _check("set_subtensor")


def test_grad_without_the_final_reshape_compiles_and_matches():
    _check("flat")
