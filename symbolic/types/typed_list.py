"""TypedListType: a Python list whose elements all have one Type.

A typed list variable's methods (``l[i]``, ``l.append(x)``...) are sugar for
the ops in ``symbolic.ops.typed_list``, which fills the hook
:data:`ops_namespace` when it is imported (ops sit above types).
"""

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.type import Type
from symbolic.utils.hooks import Hook

#: Returns the ``symbolic.ops.typed_list`` namespace the list methods call.
ops_namespace = Hook(
    "TypedListVariable's methods (l[i], l.append...)", "symbolic.ops.typed_list"
)


def _ops():
    return ops_namespace()


class TypedListType(Type):
    """The type of lists whose elements are values of ``ttype``.

    Parameters
    ----------
    ttype : Type
        The element type (e.g. ``TensorType('float64', (False,))``).
    depth : int
        With ``depth=n`` the elements are lists nested ``n`` levels deep.

    Examples
    --------
    >>> from symbolic.types.tensor import TensorType
    >>> TypedListType(TensorType('float64', (False,)))
    TypedList <TensorType(float64, vector)>
    """

    def __init__(self, ttype, depth=0):
        if depth < 0:
            raise ValueError(f"TypedListType: depth must be >= 0, got {depth}")
        if not isinstance(ttype, Type):
            raise TypeError(f"TypedListType expects a Type, got {ttype!r}")
        if depth == 0:
            self.ttype = ttype
        else:
            self.ttype = TypedListType(ttype, depth - 1)

    def filter(self, data, strict=False, allow_downcast=None):
        """Return ``data`` as a list whose elements pass ``ttype.filter``."""
        if strict and not isinstance(data, list):
            raise TypeError(f"{self} expected a list, got {type(data).__name__}")
        if not isinstance(data, (list, tuple)):
            raise TypeError(
                f"{self} expected a list or tuple, got {type(data).__name__}"
            )
        return [self.ttype.filter(x, strict, allow_downcast) for x in data]

    def values_eq(self, a, b):
        if len(a) != len(b):
            return False
        return all(self.ttype.values_eq(x, y) for x, y in zip(a, b))

    def values_eq_approx(self, a, b):
        if len(a) != len(b):
            return False
        return all(self.ttype.values_eq_approx(x, y) for x, y in zip(a, b))

    def may_share_memory(self, a, b):
        if a is b:
            return True
        share = self.ttype.may_share_memory
        return any(share(x, y) for x in a for y in b)

    def get_depth(self):
        """How many list levels sit above the innermost element type."""
        if isinstance(self.ttype, TypedListType):
            return self.ttype.get_depth() + 1
        return 0

    def make_variable(self, name=None):
        return TypedListVariable(self, None, None, name=name)

    def __eq__(self, other):
        return type(other) is TypedListType and other.ttype == self.ttype

    def __hash__(self):
        return hash((TypedListType, self.ttype))

    def __str__(self):
        return f"TypedList <{self.ttype}>"

    __repr__ = __str__


class _typed_list_py_operators:
    """Methods shared by typed list variables and constants."""

    def __getitem__(self, index):
        return _ops().getitem(self, index)

    def __len__(self):
        raise TypeError(
            f"the length of the symbolic list {self} is symbolic: use "
            "typed_list.length(l)"
        )

    def append(self, to_append):
        return _ops().append(self, to_append)

    def extend(self, to_append):
        return _ops().extend(self, to_append)

    def insert(self, index, to_insert):
        return _ops().insert(self, index, to_insert)

    def remove(self, to_remove):
        return _ops().remove(self, to_remove)

    def reverse(self):
        return _ops().reverse(self)

    def count(self, elem):
        return _ops().count(self, elem)

    def index(self, elem):
        return _ops().index_(self, elem)

    @property
    def ttype(self):
        return self.type.ttype

    @property
    def dtype(self):
        return self.type.ttype.dtype

    @property
    def ndim(self):
        return self.type.ttype.ndim


class TypedListVariable(_typed_list_py_operators, Variable):
    """A symbolic typed list."""


class TypedListConstant(_typed_list_py_operators, Constant):
    """A constant typed list."""

    def signature(self):
        return (TypedListConstant, self.type, id(self.data))


TypedListType.variable_type = TypedListVariable
TypedListType.constant_type = TypedListConstant
