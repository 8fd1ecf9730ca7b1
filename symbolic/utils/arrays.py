"""Array helpers shared by every layer."""

import numpy


def _asarray(a, dtype, order=None):
    """Return ``numpy.asarray(a, dtype, order)`` with exactly the requested dtype."""
    if str(dtype) == "floatX":
        from symbolic.config import config

        dtype = config.floatX
    dtype = numpy.dtype(dtype)
    result = numpy.asarray(a, dtype=dtype, order=order)
    if result.dtype != dtype:
        result = result.view(dtype)
    return result
