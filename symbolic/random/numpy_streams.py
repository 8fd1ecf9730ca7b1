"""Random streams backed by ``numpy.random.RandomState`` held in shared variables.

``RandomFunction`` draws with a RandomState method (or a helper with the same
calling convention) and returns the advanced generator as its first output;
``RandomStreams`` gives each draw its own generator, seeded from a master
seed, in a :class:`RandomStateSharedVariable` whose ``default_update`` is
that output.  Theano's paths are ``tensor.raw_random`` and
``tensor.shared_randomstreams``.
"""

import copy

import numpy

from symbolic.compile.shared import SharedVariable, shared, shared_constructor
from symbolic.config import config
from symbolic.gradient import grad_undefined
from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.op import Op
from symbolic.graph.type import Type
from symbolic.ops import as_tensor_variable, cast, stack
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType

__all__ = [
    "RandomFunction",
    "RandomStateSharedVariable",
    "RandomStateType",
    "RandomStreams",
    "binomial",
    "choice",
    "multinomial",
    "normal",
    "permutation",
    "poisson",
    "random_integers",
    "random_state_type",
    "uniform",
]


class RandomStateType(Type):
    """The type of variables holding a ``numpy.random.RandomState``."""

    variable_type = Variable
    constant_type = Constant

    def filter(self, data, strict=False, allow_downcast=None):
        if type(data) is not numpy.random.RandomState:
            raise TypeError(
                f"expected a numpy.random.RandomState, got {type(data).__name__}"
            )
        return data

    def is_valid_value(self, data):
        return type(data) is numpy.random.RandomState

    def values_eq(self, a, b):
        sa, sb = a.get_state(), b.get_state()
        if sa[0] != sb[0] or not numpy.array_equal(sa[1], sb[1]) or sa[2] != sb[2]:
            return False
        return sa[3] == sb[3] and (sa[3] == 0 or sa[4] == sb[4])

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "RandomStateType"

    __repr__ = __str__


random_state_type = RandomStateType()


class RandomStateSharedVariable(SharedVariable):
    """A shared variable holding a ``numpy.random.RandomState``."""


@shared_constructor
def randomstate_constructor(
    value, name=None, strict=False, allow_downcast=None, borrow=False
):
    """Wrap a RandomState in a RandomStateSharedVariable (a copy unless borrow)."""
    if not isinstance(value, numpy.random.RandomState):
        raise TypeError("not a RandomState")
    if not borrow:
        value = copy.deepcopy(value)
    return RandomStateSharedVariable(
        type=random_state_type,
        value=value,
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )


class RandomFunction(Op):
    """Draw from a RandomState: inputs ``(rng, shape, *args)``, outputs ``(rng', x)``.

    ``fn`` (a RandomState method name, or a module-level function taking the
    generator first) is called as ``fn(rng, *args, shape)``, with shape None
    when the shape vector is empty.  The output has ``len(shape) +
    ndim_added`` dimensions.  Unless ``inplace``, a copy of the generator
    draws, and that copy is the first output.  No gradient.

    Parameters
    ----------
    fn : str or function
    outtype : TensorType
    inplace : bool
    ndim_added : int
    """

    __props__ = ("fn", "outtype", "inplace", "ndim_added")

    def __init__(self, fn, outtype, inplace=False, ndim_added=0):
        self.fn = fn
        self.outtype = outtype
        self.inplace = inplace
        self.ndim_added = ndim_added
        if inplace:
            self.destroy_map = {0: [0]}

    def _callable(self):
        if isinstance(self.fn, str):
            return getattr(numpy.random.RandomState, self.fn)
        return self.fn

    def __str__(self):
        return f"RandomFunction{{{self._callable().__name__}}}"

    def make_node(self, r, shape, *args):
        if not isinstance(r, Variable) or not isinstance(r.type, RandomStateType):
            raise TypeError(
                f"RandomFunction: {r} must be a RandomStateType variable, got "
                f"{getattr(r, 'type', type(r).__name__)}"
            )
        if isinstance(shape, (tuple, list)) and len(shape) == 0:
            shape = as_tensor_variable(numpy.zeros(0, dtype="int64"))
        shape = as_tensor_variable(shape)
        if shape.ndim != 1 or shape.dtype not in dt.integer_dtypes:
            raise TypeError(
                f"RandomFunction: shape {shape} must be an integer vector, got "
                f"{shape.type}"
            )
        args = [as_tensor_variable(a) for a in args]
        return Apply(self, [r, shape, *args], [r.type(), self.outtype()])

    def perform(self, node, inputs, output_storage):
        r, shape, *args = inputs
        shape = None if len(shape) == 0 else tuple(int(s) for s in shape)
        ndim = self.outtype.ndim
        if shape is not None and ndim != len(shape) + self.ndim_added:
            raise ValueError(
                f"{self}: the output has {ndim} dimensions but the shape {shape} "
                f"gives {len(shape)} (+{self.ndim_added})"
            )
        if not self.inplace:
            r = copy.deepcopy(r)
        value = self._callable()(r, *args, shape)
        value = numpy.asarray(value, dtype=node.outputs[1].dtype)
        if shape is None and value.ndim == 0 and ndim > 0:
            value = value.reshape((1,) * ndim)
        if value.ndim != ndim:
            raise ValueError(
                f"{self}: drew a value with {value.ndim} dimensions, expected {ndim}"
            )
        output_storage[0][0] = r
        output_storage[1][0] = value

    def L_op(self, inputs, outputs, output_grads):
        return [
            grad_undefined(self, k, inp, "no gradient through random sampling")
            for k, inp in enumerate(inputs)
        ]

    def R_op(self, inputs, eval_points):
        return [None, None]

    def do_constant_folding(self, fgraph, node):
        return False


def _infer_ndim_bcast(ndim, shape, *args):
    """Return ``(ndim, int64 shape vector, broadcastable)`` for a draw."""
    args_ndim = max((a.ndim for a in args), default=0)
    if isinstance(shape, (tuple, list)):
        if ndim is not None and ndim != len(shape):
            raise ValueError(
                f"ndim={ndim} disagrees with the shape {shape} ({len(shape)} entries)"
            )
        ndim = len(shape)
        bcast = []
        for s in shape:
            if isinstance(s, Variable):
                bcast.append(False)
            elif s < 0:
                raise ValueError(f"negative dimension {s} in shape {shape}")
            else:
                bcast.append(s == 1)
        if not shape:
            v_shape = as_tensor_variable(numpy.zeros(0, dtype="int64"))
        elif all(not isinstance(s, Variable) for s in shape):
            v_shape = as_tensor_variable(numpy.asarray(shape, dtype="int64"))
        else:
            v_shape = stack([cast(as_tensor_variable(s), "int64") for s in shape])
    elif shape is None:
        if not args:
            raise TypeError("a draw without shape needs parameters to take it from")
        template = args[0]
        for a in args[1:]:
            template = template + a
        v_shape, bcast, ndim = template.shape, template.broadcastable, template.ndim
    else:
        v_shape = as_tensor_variable(shape)
        if v_shape.ndim != 1 or v_shape.dtype not in dt.integer_dtypes:
            raise TypeError(
                f"shape must be an integer vector or a tuple, got {shape} "
                f"({v_shape.type})"
            )
        if ndim is None:
            from symbolic.ops import get_vector_length

            ndim = get_vector_length(v_shape)
        bcast = [False] * ndim
    if args_ndim > ndim:
        raise ValueError(
            f"the parameters have {args_ndim} dimensions, more than the draw's {ndim}"
        )
    return ndim, cast(v_shape, "int64"), tuple(bcast)


def uniform(random_state, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
    """U(low, high) samples; ``(new_rng, sample)``."""
    low, high = as_tensor_variable(low), as_tensor_variable(high)
    if dtype is None:
        dtype = dt.upcast(config.floatX, low.dtype, high.dtype)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    op = RandomFunction("uniform", TensorType(dtype, bcast))
    return op(random_state, size, low, high)


def normal(random_state, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
    """N(avg, std^2) samples; ``(new_rng, sample)``."""
    avg, std = as_tensor_variable(avg), as_tensor_variable(std)
    if dtype is None:
        dtype = dt.upcast(config.floatX, avg.dtype, std.dtype)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, avg, std)
    op = RandomFunction("normal", TensorType(dtype, bcast))
    return op(random_state, size, avg, std)


def binomial(random_state, size=None, n=1, p=0.5, ndim=None, dtype="int64"):
    """Counts of successes in ``n`` trials of probability ``p``."""
    n, p = as_tensor_variable(n), as_tensor_variable(p)
    ndim, size, _ = _infer_ndim_bcast(ndim, size, n, p)
    op = RandomFunction("binomial", TensorType(dtype, (False,) * ndim))
    return op(random_state, size, n, p)


def _random_integers(random_state, low, high, size):
    """Integers uniform in [low, high], both included (parameters broadcast)."""
    return random_state.randint(low, numpy.asarray(high) + 1, size)


def random_integers(random_state, size=None, low=0, high=1, ndim=None, dtype="int64"):
    """Integers uniform in [low, high], both ends included."""
    low, high = as_tensor_variable(low), as_tensor_variable(high)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    op = RandomFunction(_random_integers, TensorType(dtype, bcast))
    return op(random_state, size, low, high)


def _choice(random_state, a, replace, p, size):
    """``RandomState.choice``; an empty ``p`` means uniform."""
    if numpy.ndim(a) == 0:
        a = int(a)
    p = None if p.size == 0 else p
    return random_state.choice(a, size, bool(replace), p)


def choice(
    random_state, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"
):
    """Samples from ``a`` (an int n means range(n)), optionally weighted by ``p``."""
    a = as_tensor_variable(a)
    if a.ndim > 1:
        raise ValueError(f"choice: a must be a scalar or a vector, got {a.type}")
    replace = as_tensor_variable(numpy.asarray(bool(replace), dtype="int8"))
    p = as_tensor_variable(numpy.zeros(0) if p is None else p)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    op = RandomFunction(_choice, TensorType(dtype, bcast))
    return op(random_state, size, a, replace, p)


def poisson(random_state, size=None, lam=1.0, ndim=None, dtype="int64"):
    """Poisson(lam) counts."""
    lam = as_tensor_variable(lam)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    op = RandomFunction("poisson", TensorType(dtype, bcast))
    return op(random_state, size, lam)


def _permutation(random_state, n, shape):
    """One permutation of range(n) per element of ``shape``."""
    shape = () if shape is None else tuple(shape)
    out = numpy.zeros(shape + (int(n),), dtype="int64")
    for index in numpy.ndindex(*shape):
        out[index] = random_state.permutation(int(n))
    return out


def permutation(random_state, size=None, n=1, ndim=None, dtype="int64"):
    """Permutations of range(n), one per element of ``size`` (last axis added)."""
    if size is None or size == ():
        if ndim not in (None, 1):
            raise TypeError(f"permutation without size makes a vector, not ndim={ndim}")
        ndim, size, bcast = 1, (), (False,)
    else:
        ndim, size, bcast = _infer_ndim_bcast(ndim, size)
        bcast = (*bcast, False)
        ndim += 1
    n = as_tensor_variable(n)
    op = RandomFunction(_permutation, TensorType(dtype, (False,) * ndim), ndim_added=1)
    return op(random_state, size, n)


def _multinomial(random_state, n, pvals, size):
    """Multinomial(n, pvals) counts; ``pvals``' last axis lists the outcomes."""
    n = numpy.asarray(n)
    pvals = numpy.asarray(pvals)
    if size is None:
        size = numpy.broadcast_shapes(n.shape, pvals.shape[:-1])
    size = tuple(size)
    n = numpy.broadcast_to(n, size)
    pvals = numpy.broadcast_to(pvals, size + pvals.shape[-1:])
    out = numpy.zeros(size + pvals.shape[-1:], dtype="int64")
    for index in numpy.ndindex(*size):
        out[index] = random_state.multinomial(int(n[index]), pvals[index])
    return out


def multinomial(
    random_state, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"
):
    """Multinomial counts, with an outcome axis added after ``size``'s."""
    n = as_tensor_variable(n)
    pvals = as_tensor_variable(pvals)
    tmp = pvals.T[0].T if pvals.ndim > 1 else None
    args = (n,) if tmp is None else (n, tmp)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, *args)
    op = RandomFunction(
        _multinomial, TensorType(dtype, (*bcast, pvals.broadcastable[-1])), ndim_added=1
    )
    return op(random_state, size, n, pvals)


class RandomStreams:
    """A factory of symbolic numpy-RandomState samples.

    Each draw gets a fresh ``RandomState`` seeded from this object's seed
    generator, held in a :class:`RandomStateSharedVariable` (tagged
    ``is_rng``) whose ``default_update`` advances it.

    Parameters
    ----------
    seed : int or None

    Examples
    --------
    >>> from symbolic import function
    >>> srng = RandomStreams(seed=3)
    >>> f = function([], srng.uniform((2,)))
    >>> bool((f() != f()).all())
    True
    """

    def __init__(self, seed=None):
        self.state_updates = []
        self.default_instance_seed = seed
        self.gen_seedgen = numpy.random.RandomState(seed)

    def updates(self):
        """Return the ``(state, new_state)`` update pairs made so far."""
        return list(self.state_updates)

    def seed(self, seed=None):
        """Re-seed every generator made so far from ``seed`` (default: the original)."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = numpy.random.RandomState(seed)
        for old_r, _new_r in self.state_updates:
            old_r.set_value(
                numpy.random.RandomState(int(seedgen.randint(2**30))), borrow=True
            )

    def __getitem__(self, item):
        return item.get_value(borrow=True)

    def __setitem__(self, item, value):
        item.set_value(value, borrow=True)

    def gen(self, op, *args, **kwargs):
        """Draw with ``op`` (a raw function taking the generator first)."""
        seed = int(self.gen_seedgen.randint(2**30))
        rng = shared(numpy.random.RandomState(seed))
        rng.tag.is_rng = True
        new_r, out = op(rng, *args, **kwargs)
        out.rng = rng
        out.update = (rng, new_r)
        self.state_updates.append(out.update)
        rng.default_update = new_r
        return out

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """U(low, high) samples of shape ``size``."""
        return self.gen(uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """N(avg, std^2) samples of shape ``size``."""
        return self.gen(normal, size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64"):
        """Binomial(n, p) counts of shape ``size``."""
        return self.gen(binomial, size, n, p, ndim=ndim, dtype=dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers in [low, high] of shape ``size``."""
        return self.gen(random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        """Samples from ``a`` (or range(a)), weighted by ``p`` if given."""
        return self.gen(choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def poisson(self, size=None, lam=None, ndim=None, dtype="int64"):
        """Poisson(lam) counts of shape ``size``."""
        return self.gen(poisson, size, lam, ndim=ndim, dtype=dtype)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of range(n), one per element of ``size``."""
        return self.gen(permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        """Multinomial(n, pvals) counts, outcomes on the last axis."""
        return self.gen(multinomial, size, n, pvals, ndim=ndim, dtype=dtype)

    def shuffle_row_elements(self, input):
        """Return ``input`` with its rows in a random order."""
        input = as_tensor_variable(input)
        perm = self.permutation(size=(), n=input.shape[0], ndim=1)
        return input[perm]
