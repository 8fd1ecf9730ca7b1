"""The Generic type: any Python object (used for shared non-array state)."""

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.type import Type


class Generic(Type):
    """A type whose values are arbitrary Python objects, passed through unchanged."""

    variable_type = Variable
    constant_type = Constant

    def filter(self, data, strict=False, allow_downcast=None):
        return data

    def is_valid_value(self, data):
        return True

    def values_eq(self, a, b):
        try:
            return bool(a == b)
        except Exception:
            return a is b

    def make_variable(self, name=None):
        return Variable(self, None, None, name=name)

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return self.__class__.__name__

    __repr__ = __str__


generic = Generic()
