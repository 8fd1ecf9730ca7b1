"""Dtype vocabulary and Theano's upcasting and literal-autocasting rules."""

import numpy

from symbolic.config import config

int_dtypes = ("int8", "int16", "int32", "int64")
uint_dtypes = ("uint8", "uint16", "uint32", "uint64")
float_dtypes = ("float16", "float32", "float64")
complex_dtypes = ("complex64", "complex128")
discrete_dtypes = ("bool", *int_dtypes, *uint_dtypes)
integer_dtypes = int_dtypes + uint_dtypes
continuous_dtypes = float_dtypes + complex_dtypes
all_dtypes = discrete_dtypes + continuous_dtypes


def upcast(dtype, *dtypes):
    """Return the dtype numpy's type table gives to a binary op on these dtypes.

    Unlike numpy's scalar rules, values never matter: ``upcast('float32',
    'int64')`` is ``'float64'``.

    Examples
    --------
    >>> upcast('float32', 'int16')
    'float32'
    >>> upcast('float32', 'int64')
    'float64'
    """
    dtypes = (dtype, *dtypes)
    result = str(numpy.result_type(*(numpy.dtype(d) for d in dtypes)))
    # Theano keeps floatX=float32 graphs in float32 unless a float64 was asked
    # for explicitly: float32 * int64 is float32 there.
    if result == "float64" and "float64" not in map(str, dtypes):
        if config.floatX == "float32":
            return "float32"
        if config.floatX == "float16":
            return "float16"
    return result


def autocast_literal(value):
    """Return the dtype Theano's 'custom' cast policy gives a Python literal.

    An int takes the smallest of int8..int64 that holds it; a float takes
    float32 when float32 represents it exactly (or when floatX is float32),
    else float64; a bool is bool; a complex is complex128.
    """
    if isinstance(value, (bool, numpy.bool_)):
        return "bool"
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, numpy.integer):
        for dtype in int_dtypes:
            info = numpy.iinfo(dtype)
            if info.min <= value <= info.max:
                return dtype
        raise OverflowError(f"integer literal {value} does not fit in int64")
    if isinstance(value, float):
        if config.cast_policy == "numpy+floatX":
            return config.floatX
        if config.floatX == "float32":
            return "float32"
        if float(numpy.float32(value)) == value or numpy.isnan(value):
            return "float32"
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    return str(numpy.asarray(value).dtype)


def is_float(dtype):
    return str(dtype) in float_dtypes


def is_integer(dtype):
    return str(dtype) in integer_dtypes


def is_discrete(dtype):
    return str(dtype) in discrete_dtypes


def float_of(dtype):
    """Return the float dtype a unary float function gives for input ``dtype``.

    int8, int16, uint8, uint16 and bool give float32; wider integers give
    float64; floats and complexes keep their dtype.
    """
    dtype = str(dtype)
    if dtype in ("bool", "int8", "int16", "uint8", "uint16"):
        return "float32"
    if dtype in ("int32", "int64", "uint32", "uint64"):
        return "float64"
    return dtype
