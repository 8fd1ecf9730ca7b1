"""scan_checkpoints: the plain scan's rows at every N-th step, and its gradients."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.gradient import verify_grad
from symbolic.scan_module import scan, scan_checkpoints

rng = numpy.random.RandomState(5)


def _rnn_step(x_t, h, W):
    return T.tanh(T.dot(h, W) + x_t)


def _checkpoint_rows(n_steps, every):
    """Rows of the plain scan that scan_checkpoints returns."""
    return [min((k + 1) * every, n_steps) - 1 for k in range(-(-n_steps // every))]


@pytest.mark.parametrize(
    ("n_steps", "every"), [(12, 4), (10, 4), (7, 1), (3, 5), (1, 2)]
)
def test_outputs_are_the_plain_scan_rows_of_each_chunk_end(n_steps, every):
    X, W, h0 = T.dmatrix("X"), T.dmatrix("W"), T.dvector("h0")
    checked, _ = scan_checkpoints(
        _rnn_step, sequences=X, outputs_info=h0, non_sequences=W, save_every_N=every
    )
    plain, _ = scan(_rnn_step, sequences=X, outputs_info=h0, non_sequences=W)
    f = symbolic.function([X, W, h0], [checked, plain])
    values = [rng.randn(n_steps, 3), rng.randn(3, 3) * 0.5, rng.randn(3)]
    got, want = f(*values)
    numpy.testing.assert_allclose(got, want[_checkpoint_rows(n_steps, every)])


def test_gradients_match_the_plain_scan():
    X, W, h0 = T.dmatrix("X"), T.dmatrix("W"), T.dvector("h0")
    checked, _ = scan_checkpoints(
        _rnn_step, sequences=X, outputs_info=h0, non_sequences=W, save_every_N=4
    )
    plain, _ = scan(_rnn_step, sequences=X, outputs_info=h0, non_sequences=W)
    wrt = [W, h0, X]
    f = symbolic.function(
        [X, W, h0],
        symbolic.grad(checked[-1].sum(), wrt) + symbolic.grad(plain[-1].sum(), wrt),
    )
    values = [rng.randn(10, 3), rng.randn(3, 3) * 0.5, rng.randn(3)]
    results = f(*values)
    for got, want in zip(results[:3], results[3:]):
        numpy.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_verify_grad_through_the_chunks():
    def cost(x, w, h):
        checked, _ = scan_checkpoints(
            _rnn_step, sequences=x, outputs_info=h, non_sequences=w, save_every_N=3
        )
        return checked.sum()

    values = [rng.randn(7, 2), rng.randn(2, 2) * 0.5, rng.randn(2)]
    verify_grad(cost, values, rng=rng)


def test_outputs_without_recurrence_and_an_explicit_step_count():
    """A None output gives each chunk's last value; n_steps alone drives the loop."""
    x = T.dvector("x")
    (sums, doubled), _ = scan_checkpoints(
        lambda v, acc: [acc + v, v * 2],
        sequences=x,
        outputs_info=[T.zeros(()), None],
        save_every_N=3,
    )
    f = symbolic.function([x], [sums, doubled])
    got_sums, got_doubled = f(numpy.arange(1.0, 8.0))
    numpy.testing.assert_allclose(got_sums, [6.0, 21.0, 28.0])
    numpy.testing.assert_allclose(got_doubled, [6.0, 12.0, 14.0])

    a0 = T.dscalar("a0")
    powers, _ = scan_checkpoints(
        lambda a: a * 2, outputs_info=a0, n_steps=5, save_every_N=2
    )
    numpy.testing.assert_allclose(
        symbolic.function([a0], powers)(1.0), [4.0, 16.0, 32.0]
    )


def test_without_padding_the_steps_fill_whole_chunks():
    x = T.dvector("x")
    sums, _ = scan_checkpoints(
        lambda v, acc: acc + v,
        sequences=x,
        outputs_info=T.zeros(()),
        save_every_N=2,
        padding=False,
    )
    f = symbolic.function([x], sums)
    numpy.testing.assert_allclose(f(numpy.arange(1.0, 7.0)), [3.0, 10.0, 21.0])


def test_bad_arguments_are_refused():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="taps"):
        scan_checkpoints(
            lambda v, a, b: a + b + v,
            sequences=x,
            outputs_info=[{"initial": T.zeros(2), "taps": [-2, -1]}],
        )
    with pytest.raises(ValueError, match="save_every_N"):
        scan_checkpoints(lambda v: v, sequences=x, save_every_N=0)
    with pytest.raises(ValueError, match="n_steps"):
        scan_checkpoints(lambda a: a * 2, outputs_info=T.dscalar())


def test_top_level_names():
    assert symbolic.scan_checkpoints is scan_checkpoints
    assert symbolic.scan_module.scan_checkpoints is scan_checkpoints
