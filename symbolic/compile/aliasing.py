"""Stage 4 of ``function()``: aliasing between inputs, outputs and updates.

What a call may hand out and what it may overwrite:

* an output that may share memory with an input, a shared variable, a
  constant, an update's new value or another output is copied before it
  is returned (unless its ``Out`` says ``borrow=True``); which outputs are
  copied is decided once, when the function is linked
  (:func:`outputs_needing_copy`);
* an update's new value that may share memory with a constant, another
  input or another update's value is copied when it is stored
  (:func:`updates_needing_copy`);
* a graph that overwrites a value in place was either made so by the
  rewrites, which only destroy the inputs ``In(mutable=True)`` and updated
  shared variables allow (``FunctionGraph.destroyable_inputs``), or given
  so by the user with ``accept_inplace=True`` (:func:`check_destroyers`).
"""

from symbolic.graph.basic import Constant
from symbolic.graph.traversal import view_roots


class AliasedMemoryError(Exception):
    """Two inputs share memory where the function needs them distinct."""


def check_destroyers(fgraph, accept_inplace):
    """Refuse, or order, the in-place ops the user's graph already has.

    Raises
    ------
    TypeError
        When the graph has an in-place op and ``accept_inplace`` is False.
    """
    if not any(getattr(n.op, "destroy_map", None) for n in fgraph.apply_nodes):
        return
    if not accept_inplace:
        for node in fgraph.apply_nodes:
            if getattr(node.op, "destroy_map", None):
                raise TypeError(
                    f"graph contains an in-place operation ({node.op}); pass "
                    "accept_inplace=True to allow it"
                )
    from symbolic.rewriting.destroy import destroy_handler_of

    # The handler orders readers before the user's in-place ops.
    destroy_handler_of(fgraph)


def outputs_needing_copy(fgraph, n_out, out_specs):
    """Decide statically which outputs must be copied before being returned.

    An output is copied when it may alias an input, shared storage, a
    constant, an update's new value, or another output.
    """
    inputs = set(fgraph.inputs)
    claimed = set()
    for var in fgraph.outputs[n_out:]:
        claimed.update(view_roots(var))
    flags = []
    for var, spec in zip(fgraph.outputs[:n_out], out_specs):
        roots = view_roots(var)
        needs = any(
            r in inputs or r in claimed or isinstance(r, Constant) or r.owner is None
            for r in roots
        )
        claimed.update(roots)
        flags.append(needs and not spec.borrow)
    return flags


def updates_needing_copy(fgraph, n_out, in_specs):
    """Decide statically which updates' new values must be copied when stored.

    A new value that may alias a constant, another input or another update's
    value would otherwise be shared with it: a later in-place operation on
    the updated variable (an accumulator reset to a constant zero, then
    incremented in place) would change the constant, or the other variable,
    as well.  A value that views the updated variable itself needs no copy.
    """
    updated = [
        variable
        for variable, spec in zip(fgraph.inputs, in_specs)
        if spec.update is not None
    ]
    inputs = set(fgraph.inputs)
    claimed = set()
    flags = []
    for own, var in zip(updated, fgraph.outputs[n_out:]):
        roots = view_roots(var)
        flags.append(
            any(
                r is not own
                and (r in inputs or r in claimed or isinstance(r, Constant))
                for r in roots
            )
        )
        claimed.update(roots)
    return flags
