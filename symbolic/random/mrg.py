"""MRG31k3p random streams: the ``mrg_uniform`` op and ``MRG_RandomStreams``.

Each sampling call gets its own (n_streams, 6) int32 state matrix, held in a
shared variable whose ``default_update`` is the op's new state, so every
function that draws from it advances it.  Row 0 is the streams object's
master state and row i is row i-1 jumped 2^72 steps; the master state then
jumps 2^134 steps, so successive calls are independent and a seed gives the
same numbers as Theano 1.0 (see the spec's note on MRG31k3p streams).
"""

import logging
import warnings

import numpy

from symbolic.compile.shared import shared
from symbolic.config import config
from symbolic.gradient import undefined_grad
from symbolic.graph.basic import Variable
from symbolic.ops import (
    as_tensor_variable,
    cast,
    cos,
    join,
    log,
    nonzero,
    prod,
    reshape,
    sin,
    sqrt,
)
from symbolic.ops.basic import MakeVector
from symbolic.random import mrg_kernel
from symbolic.random.mrg_kernel import (
    M1,
    M2,
    A1p72,
    A1p134,
    A2p72,
    A2p134,
    ff_2p72,
    ff_2p134,
    multMatVect,
)
from symbolic.random.mrg_op import mrg_uniform, size_vector
from symbolic.random.multinomial import ChoiceFromUniform, MultinomialFromUniform
from symbolic.types import dtypes as dt

_logger = logging.getLogger(__name__)

__all__ = [
    "M1",
    "M2",
    "A1p72",
    "A1p134",
    "A2p72",
    "A2p134",
    "MRG_RandomStreams",
    "ff_2p72",
    "ff_2p134",
    "guess_n_streams",
    "mrg_uniform",
    "multMatVect",
]

#: The stream count used when a size is not made of Python ints (60 * 256).
DEFAULT_N_STREAMS = 60 * 256


def guess_n_streams(size, warn=False):
    """Return a stream count for a sample of ``size``.

    The product of the sizes, divided by 6 when over 6, capped at 60 * 256;
    any entry that is not a Python int gives 60 * 256.

    Examples
    --------
    >>> guess_n_streams((3,)), guess_n_streams((10, 20)), guess_n_streams((1000, 1000))
    (3, 33, 15360)
    """
    if isinstance(size, (tuple, list)) and all(
        isinstance(s, int) and not isinstance(s, bool) for s in size
    ):
        count = 1
        for s in size:
            count *= s
        if count > 6:
            count //= 6
        return min(count, DEFAULT_N_STREAMS)
    if warn:
        warnings.warn(
            f"MRG_RandomStreams cannot determine the number of streams from size "
            f"({size}); using 60*256",
            stacklevel=3,
        )
    return DEFAULT_N_STREAMS


def _check_seed(seed):
    """Return the 6-value int32 master state for ``seed`` (validated)."""
    if isinstance(seed, (int, numpy.integer)) and not isinstance(seed, bool):
        if seed <= 0 or seed >= M2:
            raise ValueError(
                f"MRG_RandomStreams: an int seed must satisfy 0 < seed < {int(M2)}, "
                f"got {seed}"
            )
        return numpy.asarray([seed] * 6, dtype="int32")
    try:
        values = [int(v) for v in seed]
    except TypeError:
        raise TypeError(
            f"MRG_RandomStreams: seed must be an int or 6 ints, got {seed!r}"
        ) from None
    if len(values) != 6:
        raise TypeError(f"MRG_RandomStreams: seed must be 1 int or 6 ints, got {seed}")
    for part, bound in ((values[:3], int(M1)), (values[3:], int(M2))):
        if all(v == 0 for v in part):
            raise ValueError(
                f"MRG_RandomStreams: seed {seed} has three zeros in one component"
            )
        if any(v < 0 or v >= bound for v in part):
            raise ValueError(
                f"MRG_RandomStreams: seed {seed} has a value outside [0, {bound})"
            )
    return numpy.asarray(values, dtype="int32")


class MRG_RandomStreams:
    """A factory of symbolic MRG31k3p samples, with numpy.random-like methods.

    Parameters
    ----------
    seed : int or sequence of 6 ints
        An int (0 < seed < M2) is replicated 6 times.  Of 6 ints, the first
        three must be below M1, the last three below M2, and neither
        triple all zero.

    Attributes
    ----------
    state_updates : list of (shared state, new state) pairs
        One per sampling call; the pairs the states' ``default_update`` hold.
    rstate : ndarray
        The master state the next call's streams start from.

    Examples
    --------
    >>> from symbolic import function
    >>> srng = MRG_RandomStreams(seed=234)
    >>> u = srng.uniform((2, 3))
    >>> f = function([], u)
    >>> bool(((0 < f()) & (f() < 1)).all())
    True
    """

    def __init__(self, seed=12345):
        self.state_updates = []
        self._stream_sizes = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def updates(self):
        """Return the ``(state, new_state)`` update pairs made so far."""
        return list(self.state_updates)

    def set_rstate(self, seed):
        """Set the master state from ``seed`` (see the class parameters)."""
        self.rstate = _check_seed(seed)

    def seed(self, seed=None):
        """Reset the master state and every state variable made so far.

        ``None`` takes the seed the object was built with.  Each state gets
        the values it would have had if this seed had been used from the start.
        """
        if seed is None:
            seed = self.default_instance_seed
        self.set_rstate(seed)
        for (old_r, _new_r), n_streams in zip(self.state_updates, self._stream_sizes):
            rstates = self.get_substream_rstates(n_streams, "float64")
            old_r.set_value(rstates, borrow=True)

    def inc_rstate(self):
        """Jump the master state 2^134 steps, to the next stream's start."""
        self.rstate = ff_2p134(self.rstate)

    def get_substream_rstates(self, n_streams, dtype, inc_rstate=True):
        """Return an (n_streams, 6) int32 matrix of substream states.

        Row 0 is the master state and rows are 2^72 steps apart.  Then, with
        ``inc_rstate``, the master state jumps to the next stream.
        """
        rval = mrg_kernel.substream_states(self.rstate, n_streams)
        if inc_rstate:
            self.inc_rstate()
        return rval

    def n_streams(self, size):
        """Return :func:`guess_n_streams` of ``size``."""
        return guess_n_streams(size)

    def pretty_return(self, node_rstate, new_rstate, sample, size, nstreams):
        """Record the state's update on ``sample`` and on this object."""
        sample.rstate = node_rstate
        sample.update = (node_rstate, new_rstate)
        self.state_updates.append((node_rstate, new_rstate))
        node_rstate.default_update = new_rstate
        return sample

    def uniform(
        self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None, **kwargs
    ):
        """Sample U(low, high) (both ends excluded) with shape ``size``.

        Parameters
        ----------
        size : tuple or integer vector variable
            Ints and integer scalar variables, or a 1-d integer variable.
        low, high : scalar-like
            Bounds; their gradient is undefined.
        ndim : int, optional
            The number of dimensions when ``size`` does not tell it.
        dtype : str, optional
            Defaults to ``upcast(floatX, low.dtype, high.dtype)``.
        nstreams : int, optional
            Defaults to :func:`guess_n_streams` of ``size``.
        """
        _check_target(kwargs, "uniform")
        low = as_tensor_variable(low)
        high = as_tensor_variable(high)
        if dtype is None:
            dtype = dt.upcast(config.floatX, low.dtype, high.dtype)
        low = undefined_grad(cast(low, dtype))
        high = undefined_grad(cast(high, dtype))
        size_var = size_vector(size)
        if nstreams is None:
            nstreams = self.n_streams(size)
        rstates = self.get_substream_rstates(nstreams, dtype)
        node_rstate = shared(rstates)
        new_rstate, u = mrg_uniform.new(node_rstate, ndim, dtype, size_var)
        self.pretty_return(node_rstate, new_rstate, u, size, nstreams)
        self._stream_sizes.append(nstreams)
        node_rstate.tag.is_rng = True
        r = u * (high - low) + low
        if u.type.broadcastable != r.type.broadcastable:
            raise NotImplementedError(
                "uniform: low and high may not broadcast the sample beyond "
                f"size; increase the size to match (sample {u.type}, result "
                f"{r.type})"
            )
        return r

    def binomial(
        self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None, **kwargs
    ):
        """Sample Bernoulli(p) as ``cast(uniform(size) < p, dtype)``; only n=1."""
        if n != 1:
            raise NotImplementedError("MRG_RandomStreams.binomial supports only n=1")
        p = undefined_grad(as_tensor_variable(p))
        x = self.uniform(size=size, ndim=ndim, nstreams=nstreams, **kwargs)
        return cast(x < p, dtype)

    def multinomial(
        self,
        size=None,
        n=1,
        pvals=None,
        ndim=None,
        dtype="int64",
        nstreams=None,
        **kwargs,
    ):
        """Sample ``n`` draws per row of the 2-d ``pvals``; rows count the draws.

        Row i of one draw is one-hot at the first k with
        ``cumsum(pvals[i])[k] > u_i``.  ``size`` and ``ndim`` must be None.
        """
        if pvals is None:
            raise TypeError("multinomial: pvals must be given")
        if size is not None:
            if any(isinstance(s, int) and s <= 0 for s in size):
                raise ValueError(f"multinomial: size {size} has a dimension <= 0")
            raise ValueError(
                "multinomial: size must be None (the shape comes from pvals), "
                f"got {size}"
            )
        if ndim is not None:
            raise ValueError(f"multinomial: ndim must be None, got {ndim}")
        pvals = undefined_grad(as_tensor_variable(pvals))
        if pvals.ndim != 2:
            raise NotImplementedError(
                f"multinomial: pvals must be a matrix, got {pvals.type}"
            )
        count = pvals[:, 0].shape * n
        unis = self.uniform(size=count, ndim=1, nstreams=nstreams, **kwargs)
        return MultinomialFromUniform(dtype)(pvals, unis, as_tensor_variable(n))

    def choice(
        self,
        size=1,
        a=None,
        replace=True,
        p=None,
        ndim=None,
        dtype="int64",
        nstreams=None,
        **kwargs,
    ):
        """Sample ``size`` indices per row of the 2-d ``p``, without replacement.

        Only ``replace=False`` and ``a=None`` are supported, as in Theano.
        """
        if replace:
            raise NotImplementedError(
                "MRG_RandomStreams.choice supports only replace=False"
            )
        if a is not None:
            raise TypeError("choice: a must be None (indices run over p's columns)")
        if p is None:
            raise TypeError("choice: p must be given")
        if ndim is not None:
            raise ValueError(f"choice: ndim must be None, got {ndim}")
        p = undefined_grad(as_tensor_variable(p))
        if p.ndim != 2:
            raise NotImplementedError(f"choice: p must be a matrix, got {p.type}")
        count = p[:, 0].shape * size
        unis = self.uniform(size=count, ndim=1, nstreams=nstreams, **kwargs)
        op = ChoiceFromUniform(odtype=dtype)
        return op(p, unis, as_tensor_variable(size))

    def multinomial_wo_replacement(
        self,
        size=None,
        n=1,
        pvals=None,
        ndim=None,
        dtype="int64",
        nstreams=None,
        **kwargs,
    ):
        """Deprecated: ``choice(size=n, p=pvals, replace=False)``."""
        warnings.warn(
            "multinomial_wo_replacement is deprecated; use choice(replace=False)",
            DeprecationWarning,
            stacklevel=2,
        )
        if size is not None:
            raise ValueError("multinomial_wo_replacement: size must be None")
        return self.choice(
            size=n,
            p=pvals,
            replace=False,
            ndim=ndim,
            dtype=dtype,
            nstreams=nstreams,
            **kwargs,
        )

    def normal(
        self,
        size,
        avg=0.0,
        std=1.0,
        ndim=None,
        dtype=None,
        nstreams=None,
        truncate=False,
        **kwargs,
    ):
        """Sample N(avg, std^2) by Box-Muller on an even number of uniforms.

        With ``truncate``, values beyond 2 standard deviations are redrawn.
        """
        _check_target(kwargs, "normal")
        size = _normal_size(size)
        avg = undefined_grad(as_tensor_variable(avg))
        std = undefined_grad(as_tensor_variable(std))
        if dtype is None:
            dtype = dt.upcast(config.floatX, avg.dtype, std.dtype)
        avg = cast(avg, dtype)
        std = cast(std, dtype)
        n_odd = prod(size, dtype="int64")
        n_even = n_odd + n_odd % 2
        uniform = self.uniform(
            (n_even,), low=0.0, high=1.0, ndim=1, dtype=dtype, nstreams=nstreams
        )
        u1 = uniform[: n_even // 2]
        u2 = uniform[n_even // 2 :]
        r = sqrt(-2.0 * log(u1))
        theta = numpy.array(2.0 * numpy.pi, dtype=dtype) * u2
        cos_theta, sin_theta = cos(theta), sin(theta)
        z0 = r * cos_theta
        z1 = r * sin_theta
        if truncate:
            norm_samples = self._redraw_tails(
                z0, z1, cos_theta, sin_theta, dtype, nstreams
            )
        else:
            norm_samples = join(0, z0, z1)
        samples = norm_samples[:n_odd]
        samples = reshape(samples, size, ndim=ndim)
        return samples * std + avg

    def _redraw_tails(self, z0, z1, cos_theta, sin_theta, dtype, nstreams):
        """Replace |z| > 2 by radii drawn from the truncated range."""
        bad0 = (z0 < -2.0) | (z0 > 2.0)
        bad1 = (z1 < -2.0) | (z1 > 2.0)
        z0_ok = z0[nonzero(~bad0)]
        z1_ok = z1[nonzero(~bad1)]
        fix0 = nonzero(bad0)[0]
        fix1 = nonzero(bad1)[0]
        n_fix = fix0.shape[0] + fix1.shape[0]
        lower = numpy.asarray(1.0 / numpy.e**2, dtype=dtype)
        u_fix = self.uniform(
            (n_fix,), low=lower, high=1.0, ndim=1, dtype=dtype, nstreams=nstreams
        )
        r_fix = sqrt(-2.0 * log(u_fix))
        z0_fixed = r_fix[: fix0.shape[0]] * cos_theta[fix0]
        z1_fixed = r_fix[fix0.shape[0] :] * sin_theta[fix1]
        return join(0, z0_ok, z0_fixed, z1_ok, z1_fixed)

    def truncated_normal(
        self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, **kwargs
    ):
        """Sample a normal truncated at 2 standard deviations, rescaled to ``std``."""
        # The std of a standard normal truncated to [-2, 2].
        std = std / as_tensor_variable(numpy.asarray(0.87962566103423978))
        return self.normal(
            size=size,
            avg=avg,
            std=std,
            truncate=True,
            ndim=ndim,
            dtype=dtype,
            nstreams=nstreams,
            **kwargs,
        )


def _check_target(kwargs, where):
    target = kwargs.pop("target", "cpu")
    if target not in ("cpu", None):
        raise ValueError(f"{where}: only target='cpu' is supported, got {target!r}")
    if kwargs:
        raise TypeError(f"{where}() got unexpected keyword arguments {sorted(kwargs)}")


def _normal_size(size):
    """A size as an int64 vector variable (ints, tuples or variables)."""
    if isinstance(size, Variable):
        if size.ndim == 0:
            return MakeVector("int64")(cast(size, "int64"))
        return size_vector(size)
    if isinstance(size, (int, numpy.integer)) and not isinstance(size, bool):
        size = (size,)
    if isinstance(size, (tuple, list)) and len(size) == 0:
        return as_tensor_variable(numpy.zeros(0, dtype="int64"))
    return size_vector(size)
