"""clone_replace: copy a graph while substituting variables (``symbolic.clone``)."""

from symbolic.graph.basic import Variable
from symbolic.graph.traversal import ancestors, clone_get_equiv
from symbolic.utils.hooks import Hook

#: Turns a non-variable replacement value (a number, an array) into a
#: variable when ``strict=False``; ``symbolic.types.tensor`` installs
#: ``as_tensor_variable`` here.
as_variable = Hook("clone_replace with a value as replacement", "symbolic.types.tensor")


def clone_replace(output, replace=None, strict=True, share_inputs=True):
    """Return a copy of ``output``'s graph with ``replace`` applied.

    Parameters
    ----------
    output : Variable or list of Variables
    replace : dict or list of pairs, optional
        ``{old: new}``. A new value may mention the variable it replaces.
    strict : bool
        The replacement must have the old variable's type; a more
        broadcastable one is accepted (and re-flagged), a less broadcastable
        one raises TypeError.
    share_inputs : bool
        Keep leaves (inputs, shared variables, constants) as the same objects.

    Returns
    -------
    Variable or list of Variables (the same form as ``output``).
    """
    single = isinstance(output, Variable)
    outputs = [output] if single else list(output)
    if replace is None:
        pairs = []
    elif isinstance(replace, dict):
        pairs = list(replace.items())
    else:
        pairs = list(replace)
    memo = {}
    for old, new in pairs:
        if not isinstance(old, Variable):
            raise TypeError(f"replace keys must be Variables, got {old!r}")
        if not isinstance(new, Variable):
            new = (
                old.type.filter_variable(new) if strict else _as_variable_like(old, new)
            )
        if strict and new.type != old.type:
            converted = old.type.convert_variable(new)
            if converted is None:
                raise TypeError(
                    f"cannot replace {old} of type {old.type} by {new} of type "
                    f"{new.type} (strict)"
                )
            new = converted
        memo[old] = new
    leaves = [v for v in ancestors(outputs, blockers=set(memo)) if v.owner is None]
    equiv = clone_get_equiv(
        leaves + list(memo),
        outputs,
        copy_inputs=not share_inputs,
        copy_orphans=not share_inputs,
        memo=memo,
    )
    result = [equiv[o] for o in outputs]
    return result[0] if single else result


def _as_variable_like(old, value):
    return as_variable(value)
