"""Type: what values a Variable may hold, and how to convert to it."""

from symbolic.graph.utils import MethodNotDefined


class Type:
    """Base class of every type of the IR.

    A Type validates and converts run-time values (``filter``), makes
    variables of itself (``make_variable`` / calling it) and decides when a
    variable of another type may stand for one of its own
    (``filter_variable``, ``convert_variable``).  Types compare structurally.
    """

    #: The Variable subclass that ``make_variable`` creates.
    variable_type = None
    #: The Constant subclass for constants of this type.
    constant_type = None

    def filter(self, data, strict=False, allow_downcast=None):
        """Return ``data`` converted to this type, or raise TypeError."""
        raise MethodNotDefined(f"{type(self).__name__}.filter")

    def filter_inplace(self, value, storage, strict=False, allow_downcast=None):
        raise MethodNotDefined("filter_inplace")

    def is_valid_value(self, data):
        try:
            self.filter(data, strict=True)
            return True
        except (TypeError, ValueError):
            return False

    def values_eq(self, a, b):
        return a == b

    def values_eq_approx(self, a, b):
        return self.values_eq(a, b)

    def filter_variable(self, other, allow_convert=True):
        """Return ``other`` as a Variable of this type, or raise TypeError."""
        from symbolic.graph.basic import Variable

        if not isinstance(other, Variable):
            other = self.constant_type(type=self, data=self.filter(other))
        if other.type != self and allow_convert:
            converted = self.convert_variable(other)
            if converted is not None:
                other = converted
        if other.type != self:
            raise TypeError(
                f"cannot convert {other} of type {other.type} to type {self}"
                f" (with allow_convert={allow_convert})"
            )
        return other

    def convert_variable(self, var):
        """Return a variable of this type equivalent to ``var``, or None."""
        if self == var.type:
            return var
        return None

    def make_variable(self, name=None):
        return self.variable_type(self, None, None, name=name)

    def __call__(self, name=None):
        return self.make_variable(name)

    def make_constant(self, value, name=None):
        return self.constant_type(type=self, data=value, name=name)

    def may_share_memory(self, a, b):
        return a is b

    def get_shape_info(self, obj):
        return obj

    def clone(self, **kwargs):
        return self
