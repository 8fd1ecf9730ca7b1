"""Helpers for tests written against Theano's ``theano.tests.unittest_tools``.

Theano-era test suites import ``unittest_tools as utt`` for seeded random
numbers, ``utt.verify_grad``, ``utt.assert_allclose`` and the
``InferShapeTester`` base class; these are the same helpers on our engine.
"""

import numpy

from symbolic.compile.function import function
from symbolic.compile.mode import get_mode
from symbolic.config import config
from symbolic.gradient.verify import verify_grad as _verify_grad
from symbolic.utils.arrays import allclose_for_dtypes


def fetch_seed(pseed=None):
    """Return the seed tests should use: ``pseed``, else ``config.unittests.rseed``.

    A seed of ``'random'`` gives None (numpy then seeds itself).
    """
    seed = config.unittests__rseed if pseed is None else pseed
    if seed == "random":
        return None
    try:
        return int(seed)
    except (TypeError, ValueError):
        raise ValueError(
            f"unittests.rseed must be an integer or 'random', got {seed!r}"
        ) from None


def seed_rng(pseed=None):
    """Seed numpy's global generator with :func:`fetch_seed`; return the seed."""
    seed = fetch_seed(pseed)
    numpy.random.seed(seed)
    return seed


def verify_grad(op, pt, n_tests=2, rng=None, *args, **kwargs):
    """``gradient.verify_grad`` with numpy's global generator seeded by default."""
    if rng is None:
        seed_rng()
        rng = numpy.random
    return _verify_grad(op, pt, n_tests, rng, *args, **kwargs)


class WrongValue(Exception):
    """Two values differ by more than the tolerances of their dtypes."""

    def __init__(self, expected, value, rtol=None, atol=None):
        super().__init__(expected, value, rtol, atol)
        self.expected = numpy.asarray(expected)
        self.value = numpy.asarray(value)
        self.rtol = rtol
        self.atol = atol

    def __str__(self):
        lines = [
            f"WrongValue: expected shape {self.expected.shape} dtype "
            f"{self.expected.dtype}, got shape {self.value.shape} dtype "
            f"{self.value.dtype}"
        ]
        if self.expected.shape == self.value.shape and self.value.size:
            diff = numpy.abs(
                self.expected.astype("float64") - self.value.astype("float64")
            )
            lines.append(f"max abs difference {numpy.nanmax(diff):.6g}")
        if self.rtol is not None or self.atol is not None:
            lines.append(f"rtol={self.rtol}, atol={self.atol}")
        return "\n".join(lines)


def assert_allclose(expected, value, rtol=None, atol=None):
    """Raise WrongValue unless ``value`` matches ``expected`` (dtype tolerances)."""
    if not allclose_for_dtypes(expected, value, rtol=rtol, atol=atol):
        raise WrongValue(expected, value, rtol, atol)


class MockRandomState:
    """A stand-in generator whose ``rand`` returns a constant array."""

    def __init__(self, val):
        self.val = val

    def rand(self, *shape):
        return numpy.zeros(shape, dtype="float64") + self.val


class InferShapeTester:
    """Base class checking an op's ``infer_shape`` (Theano's ``utt`` helper).

    A subclass may set ``mode``; ``setup_method`` seeds numpy and adds the
    canonicalize rewrites, which replace ``out.shape`` by the inferred shape.
    """

    mode = None

    def setup_method(self, method=None):
        seed_rng()
        mode = get_mode(self.mode)
        self.mode = mode.including("canonicalize")

    setUp = setup_method

    def _compile_and_check(
        self,
        inputs,
        outputs,
        numeric_inputs,
        cls,
        excluding=None,
        warn=True,
        check_topo=True,
    ):
        """Check that ``cls`` is computed, its shape inferred, and the two agree.

        The function computing only ``[o.shape for o in outputs]`` must not
        contain a node of ``cls`` (with ``check_topo``); the one computing
        ``outputs`` must; and the shapes both give must be equal.
        """
        mode = self.mode if hasattr(self.mode, "including") else get_mode(self.mode)
        if excluding:
            mode = mode.excluding(*excluding)
        outputs_function = function(inputs, outputs, mode=mode)
        # One scalar per axis: the rewriter resolves each through infer_shape
        # (a whole 1-d ``o.shape`` is kept as it is).
        entries = [o.shape[i] for o in outputs for i in range(o.ndim)]
        shapes_function = function(inputs, entries, mode=mode, on_unused_input="ignore")
        if check_topo:
            shape_nodes = shapes_function.maker.fgraph.toposort()
            if any(isinstance(node.op, cls) for node in shape_nodes):
                raise AssertionError(
                    f"the shape of the outputs still needs {cls.__name__}: its "
                    "infer_shape was not used"
                )
        output_nodes = outputs_function.maker.fgraph.toposort()
        if not any(isinstance(node.op, cls) for node in output_nodes):
            raise AssertionError(f"{cls.__name__} is not in the compiled outputs")
        values = outputs_function(*numeric_inputs)
        flat = iter(shapes_function(*numeric_inputs) if entries else [])
        shapes = [[next(flat) for _ in range(o.ndim)] for o in outputs]
        for index, (value, shape) in enumerate(zip(values, shapes)):
            if tuple(numpy.shape(value)) != tuple(int(n) for n in shape):
                raise AssertionError(
                    f"output {index}: inferred shape {tuple(shape)} but the value "
                    f"has shape {numpy.shape(value)}"
                )


__all__ = [
    "InferShapeTester",
    "MockRandomState",
    "WrongValue",
    "assert_allclose",
    "fetch_seed",
    "seed_rng",
    "verify_grad",
]
