"""How ``function`` reads its inputs, updates and givens, and adds shared inputs."""

import warnings
from collections import OrderedDict

from symbolic.compile.io import In, SymbolicInput
from symbolic.compile.shared import SharedVariable
from symbolic.graph.basic import Constant, Variable
from symbolic.graph.traversal import ancestors


def convert_input(item):
    """Turn one entry of ``function``'s inputs list into an In."""
    if isinstance(item, SymbolicInput):
        return item
    if isinstance(item, Variable):
        if isinstance(item, Constant):
            raise TypeError(f"constants are not allowed as function inputs: {item}")
        if isinstance(item, SharedVariable):
            raise TypeError(
                f"cannot use a shared variable ({item}) as an explicit input; "
                "consider substituting a non-shared variable via the `givens` "
                "parameter"
            )
        return In(item)
    if isinstance(item, tuple):
        name = None
        items = list(item)
        if items and isinstance(items[0], str):
            name = items.pop(0)
        if len(items) == 1:
            var, value = items[0], None
        elif len(items) == 2:
            var, value = items
        else:
            raise TypeError(f"cannot understand the function input {item!r}")
        update = None
        if isinstance(var, tuple):
            var, update = var
        if not isinstance(var, Variable):
            raise TypeError(f"cannot understand the function input {item!r}")
        return In(var, name=name, value=value, update=update)
    raise TypeError(f"unknown function input {item!r} of type {type(item).__name__}")


def check_updates(updates):
    """Return updates as a list of (SharedVariable, Variable) pairs, validated."""
    if updates is None:
        return []
    if isinstance(updates, dict) and not isinstance(updates, OrderedDict):
        if len(updates) > 1:
            warnings.warn(
                "the updates parameter is a non-ordered dictionary with more than "
                "one element; the order of updates is nondeterministic. Use an "
                "OrderedDict or a list of pairs.",
                stacklevel=3,
            )
        pairs = list(updates.items())
    elif isinstance(updates, dict):
        pairs = list(updates.items())
    else:
        pairs = list(updates)
    seen = set()
    result = []
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                f"updates must be (shared variable, expression) pairs, got {pair!r}"
            )
        store_into, update_val = pair
        if not isinstance(store_into, SharedVariable):
            raise TypeError(
                f"update target must be a SharedVariable, got {store_into!r}"
            )
        if store_into in seen:
            raise ValueError(
                f"this shared variable already has an update: {store_into}"
            )
        seen.add(store_into)
        try:
            update_val = store_into.type.filter_variable(
                update_val, allow_convert=False
            )
        except TypeError as exc:
            raise TypeError(
                f"an update must have the same type as the original shared variable "
                f"(shared_var={store_into}, shared_var.type={store_into.type}, "
                f"update_val={update_val}, update_val.type="
                f"{getattr(update_val, 'type', None)}). If the difference is related "
                "to the broadcast pattern, you can call the "
                "tensor.unbroadcast(var, axis_to_unbroadcast[, ...]) function to "
                "remove broadcastable dimensions."
            ) from exc
        result.append((store_into, update_val))
    return result


def givens_pairs(givens):
    if givens is None:
        return []
    items = list(givens.items()) if isinstance(givens, dict) else list(givens)
    pairs = []
    for old, new in items:
        if not isinstance(old, Variable):
            raise TypeError(f"givens keys must be Variables, got {old!r}")
        if not isinstance(new, Variable):
            new = old.type.filter_variable(new)
        pairs.append((old, new))
    keys = {old for old, _ in pairs}
    for _, new in pairs:
        if any(v in keys for v in ancestors([new])):
            raise ValueError(
                f"a givens value ({new}) may not depend on another givens key"
            )
    return pairs


def add_shared_inputs(in_specs, out_specs, update_pairs, no_default_updates):
    """Append an implicit input for every shared variable the graph uses."""
    explicit_updates = dict(update_pairs)
    in_vars = {s.variable for s in in_specs}
    roots = (
        [o.variable for o in out_specs]
        + [u for _, u in update_pairs]
        + [s.update for s in in_specs if s.update is not None]
    )
    shared_order = []
    seen = set()
    pending = list(roots)
    while pending:
        found = []
        for var in ancestors(pending, blockers=in_vars):
            if (
                isinstance(var, SharedVariable)
                and var not in seen
                and var not in in_vars
            ):
                seen.add(var)
                shared_order.append(var)
                found.append(var)
        pending = []
        for var in found:
            if var in explicit_updates:
                pending.append(explicit_updates[var])
                continue
            skip = no_default_updates is True or (
                isinstance(no_default_updates, (list, tuple, set))
                and var in no_default_updates
            )
            default = getattr(var, "default_update", None)
            if default is not None and not skip:
                default = var.type.filter_variable(default, allow_convert=False)
                explicit_updates[var] = default
                pending.append(default)
    for var in explicit_updates:
        if var not in seen and var not in in_vars:
            seen.add(var)
            shared_order.append(var)
    result = list(in_specs)
    for var in shared_order:
        result.append(
            In(
                var,
                value=var.container,
                update=explicit_updates.get(var),
                mutable=False,
                implicit=True,
                shared=True,
            )
        )
    return result
