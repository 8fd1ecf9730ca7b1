"""rebuild_collect_shared: clone a graph with replacements, find its shared inputs."""

from symbolic.compile.inputs import check_updates, givens_pairs
from symbolic.compile.io import SymbolicOutput
from symbolic.compile.shared import SharedVariable
from symbolic.graph.basic import Variable
from symbolic.graph.traversal import ancestors, io_toposort


def _replacement(old, new, strict):
    if not isinstance(new, Variable):
        new = old.type.filter_variable(new)
    if new.type != old.type:
        converted = old.type.convert_variable(new) if strict else new
        if converted is None:
            raise TypeError(
                f"rebuild_collect_shared: cannot replace {old} of type {old.type} "
                f"by {new} of type {new.type} (rebuild_strict=True)"
            )
        new = converted
    return new


def rebuild_collect_shared(
    outputs,
    inputs=None,
    replace=None,
    updates=None,
    rebuild_strict=True,
    copy_inputs_over=True,
    no_default_updates=False,
):
    """Clone the graph of ``outputs`` and ``updates`` with ``replace`` applied.

    Parameters
    ----------
    outputs : Variable, Out, list of them, or None
    inputs : list of Variable, optional
        Kept as they are (``copy_inputs_over``) or cloned.
    replace : dict or list of pairs, optional
        ``{old: new}`` substitutions (Theano's ``givens``).
    updates : list of pairs or dict, optional
        ``(shared variable, expression)``; the expressions are cloned too.
    rebuild_strict : bool
        Replacements must keep the replaced variable's type.
    copy_inputs_over : bool
    no_default_updates : bool or list
        Skip the ``default_update`` of every (True) or the listed shared
        variables; otherwise each shared variable the graph uses adds its
        default update.

    Returns
    -------
    (input_variables, cloned_outputs, [clone_d, update_d, update_expr, shared_inputs])
        ``clone_d`` maps every original variable to its clone, ``update_d``
        each shared variable to its (cloned) update, ``update_expr`` lists
        those pairs in order and ``shared_inputs`` lists the shared variables
        the cloned graph uses.
    """
    inputs = list(inputs or [])
    single = outputs is not None and not isinstance(outputs, (list, tuple))
    out_list = [] if outputs is None else ([outputs] if single else list(outputs))
    out_vars = _output_variables(out_list)
    update_pairs = check_updates(updates)

    memo = {}
    for old, new in givens_pairs(replace) if replace else []:
        memo[old] = _replacement(old, new, rebuild_strict)
    if not copy_inputs_over:
        for var in inputs:
            memo.setdefault(var, var.clone())

    def clone_all(targets):
        leaves = [v for v in ancestors(targets, blockers=set(memo)) if v.owner is None]
        for node in io_toposort(leaves + list(memo), targets):
            if node in memo:
                continue
            new_inputs = [memo.get(v, v) for v in node.inputs]
            new_node = node.clone_with_new_inputs(new_inputs, strict=rebuild_strict)
            memo[node] = new_node
            for old, new in zip(node.outputs, new_node.outputs):
                memo.setdefault(old, new)
        return [memo.get(v, v) for v in targets]

    cloned_outs = clone_all(out_vars)
    update_d = {}
    update_expr = []
    for store, expr in update_pairs:
        (new_expr,) = clone_all([expr])
        update_d[store] = new_expr
        update_expr.append((store, new_expr))

    shared_inputs = _shared_of(cloned_outs + [e for _, e in update_expr])
    if no_default_updates is not True:
        skip = set(no_default_updates or ())
        _add_default_updates(shared_inputs, update_d, update_expr, skip, clone_all)

    input_variables = [memo.get(var, var) for var in inputs]
    results = [
        type(original)(new, borrow=original.borrow)
        if isinstance(original, SymbolicOutput)
        else new
        for original, new in zip(out_list, cloned_outs)
    ]
    cloned_outputs = results[0] if single else results
    return input_variables, cloned_outputs, [memo, update_d, update_expr, shared_inputs]


def _output_variables(out_list):
    """The variables of ``out_list`` (Variables or Outs); anything else raises."""
    out_vars = [o.variable if isinstance(o, SymbolicOutput) else o for o in out_list]
    for var in out_vars:
        if not isinstance(var, Variable):
            raise TypeError(
                f"rebuild_collect_shared: outputs must be Variables, got {var!r}"
            )
    return out_vars


def _add_default_updates(shared_inputs, update_d, update_expr, skip, clone_all):
    """Add the ``default_update`` of each shared input without an update.

    A default update may read more shared variables: they join
    ``shared_inputs`` (and get their own default updates). Everything is
    updated in place.
    """
    pending = list(shared_inputs)
    while pending:
        var = pending.pop(0)
        default = getattr(var, "default_update", None)
        if default is None or var in update_d or var in skip:
            continue
        (new_expr,) = clone_all([default])
        update_d[var] = new_expr
        update_expr.append((var, new_expr))
        for extra in _shared_of([new_expr]):
            if extra not in shared_inputs:
                shared_inputs.append(extra)
                pending.append(extra)


def _shared_of(variables):
    found = []
    for var in ancestors(variables):
        if isinstance(var, SharedVariable) and var not in found:
            found.append(var)
    return found
