"""Plural constructors (``dmatrices('a', 'b')``): one variable per name."""

import pytest

import symbolic.tensor as T
from symbolic.config import change_flags
from symbolic.types import tensor as tensor_types

KINDS = {
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
PLURAL = {k: ("matrices" if k == "matrix" else k + "s") for k in KINDS}
PREFIXES = {
    "b": "int8",
    "w": "int16",
    "i": "int32",
    "l": "int64",
    "f": "float32",
    "d": "float64",
    "c": "complex64",
    "z": "complex128",
    "": None,
}
CASES = [(p, k) for p in PREFIXES for k in KINDS]


@pytest.mark.parametrize("prefix,kind", CASES)
def test_one_variable_per_name(prefix, kind):
    make = getattr(T, prefix + PLURAL[kind])
    with change_flags(floatX="float32"):
        a, b, c = make("a", "b", "c")
    dtype = PREFIXES[prefix] or "float32"
    for var, name in zip((a, b, c), "abc"):
        assert var.name == name
        assert var.dtype == dtype
        assert var.broadcastable == KINDS[kind]
    assert a is not b


@pytest.mark.parametrize("prefix,kind", CASES)
def test_count_single_name_and_string_forms(prefix, kind):
    make = getattr(T, prefix + PLURAL[kind])
    unnamed = make(2)
    assert len(unnamed) == 2 and all(v.name is None for v in unnamed)
    single = make("x")
    assert single.name == "x" and single.ndim == len(KINDS[kind])
    assert [v.name for v in make("xy")] == ["x", "y"]
    assert [v.name for v in make("w1, w2")] == ["w1", "w2"]
    assert [v.name for v in make(["u", "v"])] == ["u", "v"]


def test_tutorial_spellings():
    a, b = T.dmatrices("a", "b")
    assert (a.name, b.name, a.dtype) == ("a", "b", "float64")
    x, y = T.dscalars("x", "y")
    assert (x.type, y.name) == (T.dscalar().type, "y")
    s, t = T.scalars("s", "t")
    assert s.dtype == t.dtype == T.config.floatX


def test_bad_names_are_named_in_the_error():
    with pytest.raises(TypeError, match=r"3\.5"):
        T.dvectors("a", 3.5)
    with pytest.raises(ValueError, match="dvectors"):
        T.dvectors(-1)
    with pytest.raises(TypeError, match="dvectors"):
        T.dvectors()


def test_every_plural_is_exported():
    for prefix in PREFIXES:
        for kind in KINDS:
            name = prefix + PLURAL[kind]
            assert getattr(T, name) is getattr(tensor_types, name), name
