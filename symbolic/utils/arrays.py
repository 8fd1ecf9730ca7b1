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


#: Default ``(atol, rtol)`` of :func:`allclose_for_dtypes`, by the narrowest dtype.
DTYPE_TOLERANCES = {
    "float16": (5e-3, 1e-2),
    "float32": (1e-5, 1e-5),
    "complex64": (1e-5, 1e-5),
    "float64": (1e-8, 1e-5),
}


def allclose_for_dtypes(a, b, rtol=None, atol=None):
    """``numpy.allclose`` with tolerances set by the narrowest float dtype of a and b.

    float16 values get atol 5e-3 and rtol 1e-2, float32 (and complex64)
    1e-5 for both, anything else atol 1e-8 and rtol 1e-5; ``rtol``/``atol``
    override them. (Theano's ``tensor.basic._allclose``.)

    Examples
    --------
    >>> allclose_for_dtypes(numpy.float32(1.0), numpy.float32(1.000001))
    True
    """
    a = numpy.asarray(a)
    b = numpy.asarray(b)
    dtypes = {str(a.dtype), str(b.dtype)}
    if "float16" in dtypes:
        default = DTYPE_TOLERANCES["float16"]
    elif dtypes & {"float32", "complex64"}:
        default = DTYPE_TOLERANCES["float32"]
    else:
        default = DTYPE_TOLERANCES["float64"]
    atol = default[0] if atol is None else atol
    rtol = default[1] if rtol is None else rtol
    return bool(numpy.allclose(a, b, atol=atol, rtol=rtol))
