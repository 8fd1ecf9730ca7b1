"""The tensor variable constructors: ``matrix``, ``dvector``, ``fscalars``...

Theano's full set: one per broadcast pattern (scalar to tensor7), each with
a dtype prefix (``b w i l f d c z``) and a plural form. They build
:class:`~symbolic.types.tensor.TensorType` variables; the type is looked up
when a constructor is called, so this module needs nothing of
:mod:`symbolic.types.tensor` to load and that module re-exports every name.
"""

import numpy

from symbolic.config import config


def tensor(dtype=None, broadcastable=None, name=None, shape=None):
    """Return a new input variable of the given dtype (default floatX) and pattern."""
    if isinstance(dtype, (tuple, list)) and broadcastable is None:
        dtype, broadcastable = None, dtype
    if broadcastable is None:
        broadcastable = tuple(s == 1 for s in shape) if shape is not None else ()
    from symbolic.types.tensor import TensorType

    return TensorType(dtype or config.floatX, broadcastable)(name)


def _maker(broadcastable, default_dtype=None):
    def make(name=None, dtype=None):
        from symbolic.types.tensor import TensorType

        return TensorType(dtype or default_dtype or config.floatX, broadcastable)(name)

    # Documented and pickled where users import them from.
    make.__module__ = "symbolic.types.tensor"
    return make


scalar = _maker(())
vector = _maker((False,))
row = _maker((True, False))
col = _maker((False, True))
matrix = _maker((False, False))
tensor3 = _maker((False,) * 3)
tensor4 = _maker((False,) * 4)
tensor5 = _maker((False,) * 5)
tensor6 = _maker((False,) * 6)
tensor7 = _maker((False,) * 7)

_PATTERNS = {
    "scalar": (),
    "vector": (False,),
    "row": (True, False),
    "col": (False, True),
    "matrix": (False, False),
    "tensor3": (False,) * 3,
    "tensor4": (False,) * 4,
    "tensor5": (False,) * 5,
    "tensor6": (False,) * 6,
    "tensor7": (False,) * 7,
}
_PREFIXES = {
    "b": "int8",
    "w": "int16",
    "i": "int32",
    "l": "int64",
    "f": "float32",
    "d": "float64",
    "c": "complex64",
    "z": "complex128",
}
_PLURALS = {
    "scalar": "scalars",
    "vector": "vectors",
    "row": "rows",
    "col": "cols",
    "matrix": "matrices",
    "tensor3": "tensor3s",
    "tensor4": "tensor4s",
    "tensor5": "tensor5s",
    "tensor6": "tensor6s",
    "tensor7": "tensor7s",
}


def _plural_names(names):
    """The names a plural constructor was given, one per variable to make.

    As in Theano: an int ``n`` asks for ``n`` unnamed variables; several
    strings (or one list of them) name one variable each; a single string
    of several characters names one variable per character
    (``dscalars('xy')``), unless it holds commas or spaces, which separate
    names (``dscalars('x, y')``).
    """
    if len(names) == 1 and isinstance(names[0], (list, tuple)):
        names = tuple(names[0])
    if len(names) == 1 and isinstance(names[0], str):
        (text,) = names
        if "," in text or text.split() != [text]:
            return text.replace(",", " ").split()
        return list(text)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(
                f"plural tensor constructors take names (str) or one int count, "
                f"got {name!r} of type {type(name).__name__} among {names!r}"
            )
    return list(names)


def _plural(maker, singular, plural):
    def make(*names, dtype=None):
        if len(names) == 1 and isinstance(names[0], (int, numpy.integer)):
            if isinstance(names[0], bool) or names[0] < 0:
                raise ValueError(f"{plural}: expected a count >= 0, got {names[0]!r}")
            return [maker(dtype=dtype) for _ in range(names[0])]
        if not names:
            raise TypeError(f"{plural}() needs names or a count")
        one_string = len(names) == 1 and isinstance(names[0], str)
        names = _plural_names(names)
        if one_string and len(names) == 1:
            # Theano returns the variable itself for a single name.
            return maker(names[0], dtype=dtype)
        return [maker(name, dtype=dtype) for name in names]

    make.__name__ = plural
    make.__module__ = "symbolic.types.tensor"
    make.__doc__ = (
        f"Return one ``{singular}`` per name (one variable for a single name), "
        f"or a list of ``n`` unnamed ones for an int ``n``."
    )
    return make


constructors = {}
for _kind, _pattern in _PATTERNS.items():
    constructors[_kind] = _maker(_pattern)
    constructors[_PLURALS[_kind]] = _plural(constructors[_kind], _kind, _PLURALS[_kind])
    for _prefix, _dtype in _PREFIXES.items():
        constructors[_prefix + _kind] = _maker(_pattern, _dtype)
        constructors[_prefix + _PLURALS[_kind]] = _plural(
            constructors[_prefix + _kind], _prefix + _kind, _prefix + _PLURALS[_kind]
        )
globals().update(constructors)


__all__ = ["constructors", "tensor", *constructors]
