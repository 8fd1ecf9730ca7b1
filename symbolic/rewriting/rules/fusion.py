"""Elemwise fusion: chains and trees of elementwise nodes become one node.

One pass over the graph, from the outputs back: each elementwise node not
yet taken starts a group and pulls in the elementwise producers of its
inputs. The group becomes one ``Elemwise(Composite)`` whose scalar graph a
backend renders as a single loop.
"""

from collections import deque

from symbolic.graph.basic import Constant
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar.composite import Composite, CompositeBuilder
from symbolic.rewriting.core import graph_rewriter
from symbolic.rewriting.merge import merge

#: The most distinct inputs one fused node may have (C argument lists and
#: register pressure grow with it).
MAX_FUSED_INPUTS = 32


def _has_expression(scalar_op, in_dtypes, out_dtypes, cache):
    """Whether the scalar op states its math (so a backend can render it)."""
    key = (scalar_op, tuple(in_dtypes))
    if key not in cache:
        args = [E.arg(k, d) for k, d in enumerate(in_dtypes)]
        try:
            scalar_op.expression(args, list(in_dtypes), list(out_dtypes))
            cache[key] = True
        except Exception:
            cache[key] = False
    return cache[key]


def _fusable(node, cache):
    op = node.op
    if type(op) is not Elemwise or op.inplace_pattern:
        return False
    scalar_op = op.scalar_op
    if scalar_op.nout != 1 and not isinstance(scalar_op, Composite):
        return False
    return _has_expression(
        scalar_op,
        [v.dtype for v in node.inputs],
        [v.dtype for v in node.outputs],
        cache,
    )


def _inlined_constant(var):
    """Return ``(value, dtype)`` when ``var`` is a constant of one element."""
    if isinstance(var, Constant) and all(var.broadcastable):
        return var.data.item(), var.dtype
    return None


class _Group:
    """Nodes fused around ``root``, with the external inputs they read."""

    def __init__(self, root):
        self.root = root
        self.members = {root}
        self.external = {}
        self._add_inputs(root)

    def _add_inputs(self, node):
        for var in node.inputs:
            if var.owner not in self.members and _inlined_constant(var) is None:
                self.external[var] = self.external.get(var, 0) + 1

    def n_inputs_with(self, node):
        """The number of distinct external inputs after adding ``node``."""
        gained = {
            v
            for v in node.inputs
            if v not in self.external
            and v.owner not in self.members
            and _inlined_constant(v) is None
        }
        lost = sum(1 for out in node.outputs if out in self.external)
        return len(self.external) + len(gained) - lost

    def add(self, node):
        self.members.add(node)
        for out in node.outputs:
            self.external.pop(out, None)
        self._add_inputs(node)


def _grow_group(root, neighbours, admissible, cache):
    """Grow a group from ``root`` breadth first.

    ``neighbours(node)`` lists the candidates next to a member; one joins
    when it is a fusable elemwise with the root's broadcastable pattern (so
    nothing is computed on a larger shape than before), ``admissible(group,
    candidate)`` holds and the group keeps at most MAX_FUSED_INPUTS inputs.
    """
    group = _Group(root)
    bcast = root.outputs[0].broadcastable
    frontier = deque([root])
    while frontier:
        for candidate in neighbours(frontier.popleft()):
            if candidate in group.members or not _fusable(candidate, cache):
                continue
            if candidate.outputs[0].broadcastable != bcast:
                continue
            if not admissible(group, candidate):
                continue
            if group.n_inputs_with(candidate) > MAX_FUSED_INPUTS:
                continue
            group.add(candidate)
            frontier.append(candidate)
    return group


def _grow(fgraph, root, position, claimed, cache):
    """Collect the producers that can join ``root``'s group.

    A producer joins when every client outside the group runs after the root
    or belongs to a group fused earlier (whose root is later still): its
    value then becomes an extra output, and no path can leave the group and
    come back into it.
    """
    limit = position[root]

    def producers(node):
        owners = (var.owner for var in dict.fromkeys(node.inputs))
        return [p for p in owners if p is not None and p not in claimed]

    def admissible(group, producer):
        return not any(
            client != "output"
            and client not in group.members
            and client not in claimed
            and position[client] <= limit
            for out in producer.outputs
            for client, _ in fgraph.clients.get(out, ())
        )

    return _grow_group(root, producers, admissible, cache)


def _fuse(fgraph, group, position):
    """Replace the group's outputs by those of one Elemwise(Composite).

    Returns the new node, or None when the group cannot be fused.
    """
    members = sorted(group.members, key=position.__getitem__)
    builder = CompositeBuilder()
    handles = {}
    inputs = []
    for node in members:
        for var in node.inputs:
            if var in handles:
                continue
            constant = _inlined_constant(var)
            if constant is not None:
                handles[var] = builder.add_constant(*constant)
            elif var.owner not in group.members:
                handles[var] = builder.add_input(var.dtype)
                inputs.append(var)
        args = [handles[v] for v in node.inputs]
        scalar_op = node.op.scalar_op
        result = builder.add_node(scalar_op, args, node.outputs[0].dtype)
        if isinstance(scalar_op, Composite):
            handles.update(zip(node.outputs, result))
        else:
            handles[node.outputs[0]] = result
    if not inputs:
        return None
    replaced = [
        out
        for node in members
        for out in node.outputs
        if any(
            client == "output" or client not in group.members
            for client, _ in fgraph.clients.get(out, ())
        )
    ]
    composite = builder.build([handles[out] for out in replaced])
    new_outputs = Elemwise(composite)(*inputs, return_list=True)
    if any(new.type != old.type for old, new in zip(replaced, new_outputs)):
        return None
    for old, new in zip(replaced, new_outputs):
        fgraph.replace(old, new, reason="elemwise_fusion", validate=False)
    return new_outputs[0].owner


def _absorb_consumers(fgraph, node, position, absorbed, cache):
    """The group of ``node`` and the elementwise consumers it can take in.

    Producer-side growth stops at a value with several clients; this takes
    them from the other side: a consumer of the group's outputs joins when
    each of its other inputs comes from before ``node`` (so no path leaves
    the group and comes back).  The fused node then computes both and keeps
    the shared values as outputs (an LSTM backward step: one kernel instead
    of five).
    """
    limit = position[node]

    def consumers(member):
        return [
            client
            for out in member.outputs
            for client, _ in fgraph.clients.get(out, ())
            if client != "output" and client not in absorbed
        ]

    def admissible(group, client):
        return not any(
            v.owner is not None
            and v.owner not in group.members
            and position.get(v.owner, limit + 1) > limit
            and _depends_on(v.owner, node, position, limit)
            for v in client.inputs
        )

    return _grow_group(node, consumers, admissible, cache)


def _depends_on(start, root, position, limit):
    """Whether node ``start`` (placed after ``root``) reads ``root``'s results.

    A consumer may also read a value computed after the root but not from
    it (a masked LSTM step's ``1 - mask``, which has another broadcastable
    pattern and so stays a node of its own): the fused node then runs after
    that value.  Every group member descends from the root, so a value
    independent of the root is independent of the group, and reading it
    closes no cycle.  Only nodes placed after the root are walked.
    """
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node is root:
            return True
        for var in node.inputs:
            owner = var.owner
            if owner is None or owner in seen:
                continue
            if position.get(owner, limit + 1) < limit:
                continue
            seen.add(owner)
            stack.append(owner)
    return False


def _fuse_consumers(fgraph, cache):
    """Fuse each fusable node with the consumers :func:`_absorb_consumers` finds."""
    order = fgraph.toposort()
    position = {node: k for k, node in enumerate(order)}
    absorbed = set()
    fused = 0
    for node in order:
        if node in absorbed or not _fusable(node, cache):
            continue
        group = _absorb_consumers(fgraph, node, position, absorbed, cache)
        if len(group.members) < 2:
            continue
        new_node = _fuse(fgraph, group, position)
        if new_node is None:
            continue
        absorbed.update(group.members)
        fused += 1
        limit = position[node]
        if any(
            v.owner is not None and position.get(v.owner, limit + 1) > limit
            for v in new_node.inputs
        ):
            # It reads a value placed after ``node`` (see _depends_on): the
            # order changed, so later groups compare against a new one.
            position = {n: k for k, n in enumerate(fgraph.toposort())}
        else:
            # The fused node runs where ``node`` ran: every input it reads
            # comes from before that point.
            position[new_node] = limit
    return fused


@graph_rewriter(tags=("fusion", "merge_before_fusion"), order=-1)
def merge_before_fusion(fgraph, profile=None):
    """Merge the duplicates earlier phases created, so fusion sees shared values."""
    return merge(fgraph, profile)


@graph_rewriter(tags=("fusion", "elemwise_fusion"), order=0)
def elemwise_fusion(fgraph, profile=None):
    """Fuse elementwise trees: ``exp(x * y) + z`` -> ``Composite{mul,exp,add}``.

    Conditions: every fused node is an elementwise op with an expression
    form, not in place, with the broadcastable pattern of the group's last
    node; a value used outside the group is also an output of the fused node;
    at most :data:`MAX_FUSED_INPUTS` distinct inputs. One toposort and one
    visit per node and edge.
    """
    order = fgraph.toposort()
    position = {node: k for k, node in enumerate(order)}
    cache = {}
    claimed = set()
    groups = []
    for root in reversed(order):
        if root in claimed or not _fusable(root, cache):
            continue
        group = _grow(fgraph, root, position, claimed, cache)
        if len(group.members) > 1:
            claimed.update(group.members)
            groups.append(group)
    fused = sum(_fuse(fgraph, group, position) is not None for group in groups)
    fused += _fuse_consumers(fgraph, cache)
    if profile is not None:
        profile.applied["elemwise_fusion"] += fused
    fgraph.validate()
    return fgraph
