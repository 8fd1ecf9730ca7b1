"""In place: outputs overwrite inputs whose old value nothing needs any more.

Four passes, each one walk over the schedule: BLAS updates (``gemm``,
``gemv``, ``ger``) write into their accumulator, ``inc_subtensor`` and
``set_subtensor`` into their first input, elementwise ops into an input of
the output's type, MRG samplers into their state. The destroy handler
decides (see :mod:`symbolic.rewriting.destroy`). A candidate whose other
readers all come earlier in the current schedule is accepted at once, since
that schedule still satisfies the new orderings; otherwise (BLAS and
samplers) the whole graph is checked, which finds a new order when one
exists.
"""

from symbolic.graph.fgraph import InconsistencyError
from symbolic.ops.advanced_subtensor import AdvancedIncSubtensor, AdvancedIncSubtensor1
from symbolic.ops.blas import Gemm, Gemv, Ger
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.subtensor import IncSubtensor
from symbolic.rewriting.core import graph_rewriter
from symbolic.rewriting.destroy import destroy_conflict, destroy_handler_of
from symbolic.rewriting.merge import merge


class _Schedule:
    """A valid execution order kept up to date while nodes are swapped."""

    def __init__(self, fgraph):
        self.fgraph = fgraph
        self.refresh()

    def refresh(self):
        self.order = self.fgraph.toposort()
        self.position = {node: k for k, node in enumerate(self.order)}

    def swap(self, old, new):
        self.position[new] = self.position.pop(old)


def _replace(fgraph, old_node, new_node, reason):
    for old, new in zip(old_node.outputs, new_node.outputs):
        fgraph.replace(old, new, reason=reason, validate=False)


def _try(fgraph, schedule, node, new_op, reason, allow_reorder):
    """Swap ``node`` for ``new_op`` applied to its inputs if the handler agrees."""
    problem, readers = destroy_conflict(fgraph, node, new_op.destroy_map)
    if problem is not None:
        return False
    here = schedule.position[node]
    late = [r for r in readers if schedule.position.get(r, here + 1) > here]
    if late and not allow_reorder:
        return False
    new_node = new_op.make_node(*node.inputs)
    _replace(fgraph, node, new_node, reason)
    if not late:
        schedule.swap(node, new_node)
        return True
    try:
        fgraph.validate()
    except InconsistencyError:
        _replace(fgraph, new_node, node, reason + "_undo")
        return False
    schedule.refresh()
    return True


def run_inplace_pass(fgraph, profile, name, candidates, allow_reorder):
    """Replace each node by the first of ``candidates(node)`` the graph accepts.

    ``candidates(node)`` lists in-place variants of ``node.op``; a variant
    is kept only when the destroy handler finds no input still needed.
    ``allow_reorder`` lets the schedule move readers of the destroyed input
    before the node. Rules kept beside their ops (random streams) use it too.
    """
    destroy_handler_of(fgraph)
    schedule = _Schedule(fgraph)
    done = 0
    for node in list(schedule.order):
        if node not in fgraph.apply_nodes:
            continue
        for new_op in candidates(node):
            if _try(fgraph, schedule, node, new_op, name, allow_reorder):
                done += 1
                break
    fgraph.validate()
    if profile is not None:
        profile.applied[name] += done
    return fgraph


@graph_rewriter(tags=("inplace", "merge_before_inplace"), order=-1)
def merge_before_inplace(fgraph, profile=None):
    """Merge duplicates the earlier phases created, before anything is destroyed.

    Merging after the in-place passes could give one value two destroyers,
    or a reader that runs after its destroyer.
    """
    return merge(fgraph, profile)


def _blas_candidates(node):
    op = node.op
    if isinstance(op, (Gemm, Gemv)) and not op.inplace:
        return [type(op)(inplace=True)]
    if isinstance(op, Ger) and not op.destructive:
        return [Ger(destructive=True)]
    return []


@graph_rewriter(tags=("inplace", "blas_inplace"), order=0)
def inplace_blas(fgraph, profile=None):
    """gemm(z, ...) -> gemm_inplace(z, ...) (also gemv, ger) when z may be overwritten.

    This is how an SGD update ``W - lr * dot(x.T, g)`` writes into W's own
    buffer: W is a shared variable whose update replaces it.
    """
    return run_inplace_pass(fgraph, profile, "inplace_blas", _blas_candidates, True)


def _subtensor_candidates(node):
    op = node.op
    if isinstance(op, IncSubtensor) and not op.inplace:
        return [
            IncSubtensor(
                op.idx_list,
                inplace=True,
                set_instead_of_inc=op.set_instead_of_inc,
                destroyhandler_tolerate_aliased=op.destroyhandler_tolerate_aliased,
            )
        ]
    if isinstance(op, AdvancedIncSubtensor1) and not op.inplace:
        return [AdvancedIncSubtensor1(True, op.set_instead_of_inc)]
    if isinstance(op, AdvancedIncSubtensor) and not op.inplace:
        return [AdvancedIncSubtensor(op.idx_list, True, op.set_instead_of_inc)]
    return []


@graph_rewriter(tags=("inplace", "inplace_subtensor"), order=1)
def inplace_subtensor(fgraph, profile=None):
    """inc_subtensor(x, y, ...) -> its in-place form when x may be overwritten."""
    return run_inplace_pass(
        fgraph, profile, "inplace_subtensor", _subtensor_candidates, True
    )


def _pattern_from(node, first):
    """Output 0 takes the first input at or after ``first`` of its type; the
    other outputs take the first free input of theirs. None if output 0 gets
    none."""
    pattern = {}
    taken = []
    for o, out in enumerate(node.outputs):
        for i in range(first if o == 0 else 0, len(node.inputs)):
            var = node.inputs[i]
            if var.type == out.type and all(var is not t for t in taken):
                pattern[o] = i
                taken.append(var)
                break
        if 0 not in pattern:
            return None
    return pattern


def _elemwise_candidates(node):
    """In-place forms of an elementwise node, output 0's choices in input order."""
    op = node.op
    if type(op) is not Elemwise or op.inplace_pattern:
        return []
    patterns = []
    for first in range(len(node.inputs)):
        pattern = _pattern_from(node, first)
        if pattern is not None and pattern not in patterns:
            patterns.append(pattern)
    return [Elemwise(op.scalar_op, pattern) for pattern in patterns]


@graph_rewriter(tags=("inplace", "inplace_elemwise"), order=2)
def inplace_elemwise(fgraph, profile=None):
    """elemwise(x, y) -> elemwise{inplace}(x, y) writing into a dead input.

    The output reuses the buffer of an input of the same type whose value
    no later node reads (and that is not a protected graph input).
    """
    return run_inplace_pass(
        fgraph, profile, "inplace_elemwise", _elemwise_candidates, False
    )
