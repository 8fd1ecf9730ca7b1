"""SumOfElemwise: a full Sum of one Elemwise's output, as one node.

Users never build it: the C backend's rewrite
(:mod:`symbolic.rewriting.rules.backend_c`) pairs ``Sum(Elemwise(...))``
when the elementwise values feed only that Sum, so that the C linker can run
the pair as one pass that never stores them (``sum(sqr(W))``, an L2
penalty).  Its ``perform`` is the two ops' numpy code one after the other.
"""

import weakref

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Sum

#: ``{SumOfElemwise node: (elemwise node, sum node)}``; see ``SumOfElemwise.parts``.
_PARTS = weakref.WeakKeyDictionary()


class SumOfElemwise(Op):
    """``sum_op(elemwise_op(*inputs))`` over every axis, as one op.

    Parameters
    ----------
    elemwise_op : Elemwise
        One output, not in place.
    sum_op : Sum
        Over every axis (``axis=None``).
    """

    __props__ = ("elemwise_op", "sum_op")

    def __init__(self, elemwise_op, sum_op):
        if not isinstance(elemwise_op, Elemwise) or elemwise_op.inplace_pattern:
            raise TypeError(
                f"SumOfElemwise: expected an Elemwise not in place, got {elemwise_op}"
            )
        if type(sum_op) is not Sum or sum_op.axis is not None:
            raise TypeError(
                f"SumOfElemwise: expected a Sum over every axis, got {sum_op}"
            )
        self.elemwise_op = elemwise_op
        self.sum_op = sum_op

    def make_node(self, *inputs):
        elemwise = self.elemwise_op.make_node(*inputs)
        if len(elemwise.outputs) != 1:
            raise TypeError(
                f"SumOfElemwise: {self.elemwise_op} has {len(elemwise.outputs)} "
                f"outputs, expected one"
            )
        total = self.sum_op.make_node(elemwise.outputs[0])
        return Apply(self, elemwise.inputs, [total.outputs[0].type()])

    def parts(self, node):
        """``(elemwise node, sum node)`` computing ``node``'s output in two steps.

        The nodes are built once per ``node`` and read ``node``'s inputs;
        the sum node's output is a new variable of ``node``'s output type.
        Backends that run the two steps (C) lower these nodes.
        """
        parts = _PARTS.get(node)
        if parts is None:
            elemwise = self.elemwise_op.make_node(*node.inputs)
            parts = (elemwise, self.sum_op.make_node(elemwise.outputs[0]))
            # Two threads linking the same graph get the same parts.
            parts = _PARTS.setdefault(node, parts)
        return parts

    def perform(self, node, inputs, output_storage):
        elemwise, total = self.parts(node)
        middle = [[None]]
        self.elemwise_op.perform(elemwise, inputs, middle)
        self.sum_op.perform(total, [middle[0][0]], output_storage)

    def infer_shape(self, fgraph, node, shapes):
        return [()]

    def L_op(self, inputs, outputs, grads):
        middle = self.elemwise_op(*inputs)
        (g_middle,) = self.sum_op.L_op([middle], [self.sum_op(middle)], grads)
        return self.elemwise_op.L_op(inputs, [middle], [g_middle])

    def __str__(self):
        return f"SumOfElemwise{{{self.elemwise_op.scalar_op}}}"
