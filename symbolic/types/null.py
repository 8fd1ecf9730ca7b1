"""Types that stand for missing gradients: undefined (NullType) and disconnected."""

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.graph.type import Type


class NullType(Type):
    """The type of a gradient that is undefined or not implemented.

    ``why_null`` says why; asking ``grad`` for such a gradient raises
    ``NullTypeGradError`` with that text.
    """

    def __init__(self, why_null="(no explanation given)"):
        self.why_null = why_null

    def filter(self, data, strict=False, allow_downcast=None):
        raise ValueError(f"no values may be assigned to a NullType: {self.why_null}")

    def filter_variable(self, other, allow_convert=True):
        raise ValueError("a NullType variable cannot be converted")

    def make_variable(self, name=None):
        return Variable(self, None, None, name)

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "NullType"


class DisconnectedType(Type):
    """The type of the gradient of an input its outputs do not depend on."""

    def filter(self, data, strict=False, allow_downcast=None):
        raise AssertionError("a DisconnectedType variable has no value")

    def make_variable(self, name=None):
        return Variable(self, None, None, name)

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "DisconnectedType"


disconnected_type = DisconnectedType()


class _NullGradOp(Op):
    """Produces a NullType variable carrying the reason (never executed)."""

    __props__ = ("why",)

    def __init__(self, why):
        self.why = why

    def make_node(self):
        return Apply(self, [], [NullType(self.why)()])

    def perform(self, node, inputs, output_storage):
        raise ValueError(f"an undefined gradient was evaluated: {self.why}")


def grad_undefined(op, x_pos, x, comment=""):
    """Return a NullType variable: the gradient wrt input ``x_pos`` is undefined."""
    why = (
        f"the gradient of {op} with respect to its input {x_pos} ({x}) is "
        f"mathematically undefined. {comment}"
    ).strip()
    return _NullGradOp(why)()


def grad_not_implemented(op, x_pos, x, comment=""):
    """Return a NullType variable: the gradient wrt ``x_pos`` is not implemented."""
    why = (
        f"the gradient of {op} with respect to its input {x_pos} ({x}) is not "
        f"implemented. {comment}"
    ).strip()
    return _NullGradOp(why)()


def is_undefined(var):
    return isinstance(getattr(var, "type", None), NullType)


def is_disconnected(var):
    return isinstance(getattr(var, "type", None), DisconnectedType)
