"""Rewrites for the compiled backends: run when their linker asks for them.

The rules here are opt-in: a mode runs them when its linker lists their tag
in ``required_rewrites`` (the C and LLVM linkers do) or when it includes the
tag itself.  They make graph changes that only pay off with compiled
kernels, in the pipeline rather than at link time, so that ``debugprint``
shows them and DebugMode checks them.
"""

from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Sum
from symbolic.ops.sum_of_elemwise import SumOfElemwise
from symbolic.rewriting.core import graph_rewriter

#: The tag of the Sum-of-Elemwise pairing; the C and LLVM linkers require it.
SUM_OF_ELEMWISE = "sum_of_elemwise"
#: Every rule of this module also carries this tag.
C_BACKEND = "c_backend"
#: The tag of the rules that move matrix products into loops, where the C
#: runtime packs their fixed operand once and keeps the result in cache
#: (``scan_pull_in_sequence_dot``); the C linker requires it when the
#: runtime has a packed-product kernel for this CPU.
IN_LOOP_PRODUCTS = "in_loop_products"

#: Dtypes the runtime's fused ``_sum`` pass accumulates.
_FLOAT_DTYPES = ("float32", "float64")


def _pairable(fgraph, node):
    """The Elemwise node whose output ``node`` (a Sum) sums fully, or None.

    The pair qualifies when the Sum is a plain float ``Sum`` over every axis
    of a one-output Elemwise that does not work in place, and the elemwise
    values feed only that Sum (they are no graph output either).
    """
    if type(node.op) is not Sum:
        return None
    (var,) = node.inputs
    owner = var.owner
    if owner is None or not isinstance(owner.op, Elemwise) or var.ndim == 0:
        return None
    if len(owner.outputs) != 1 or owner.op.inplace_pattern:
        return None
    if len(node.op._axes(var.ndim)) != var.ndim:
        return None
    if var.dtype not in _FLOAT_DTYPES or node.outputs[0].dtype not in _FLOAT_DTYPES:
        return None
    clients = fgraph.clients.get(var, ())
    if len(clients) != 1 or clients[0][0] is not node:
        return None
    return owner


@graph_rewriter(tags=("fusion", SUM_OF_ELEMWISE, C_BACKEND), order=1)
def sum_of_elemwise(fgraph, profile=None):
    """Pair ``Sum(Elemwise(...))`` into one :class:`SumOfElemwise` node.

    Runs after elementwise fusion, so the Elemwise is the fused one, and
    before the in-place phase. The C and LLVM linkers run the pair as one
    pass of the kernel's ``_sum`` entry point that never stores the elementwise values
    (``sum(sqr(W))``, an L2 penalty). See :func:`_pairable` for the
    conditions.
    """
    paired = 0
    for node in fgraph.toposort():
        elemwise = _pairable(fgraph, node)
        if elemwise is None:
            continue
        whole = Sum(axis=None, dtype=node.op.dtype, acc_dtype=node.op.acc_dtype)
        op = SumOfElemwise(elemwise.op, whole)
        new = op.make_node(*elemwise.inputs).outputs[0]
        fgraph.replace(node.outputs[0], new, reason=SUM_OF_ELEMWISE, validate=False)
        paired += 1
    if paired:
        fgraph.validate()
    if profile is not None:
        profile.applied[SUM_OF_ELEMWISE] += paired
    return fgraph


# Opt-in: only modes whose linker requires it (or that include it) run it.
sum_of_elemwise.opt_in = True
