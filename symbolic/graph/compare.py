"""is_same_graph: structural equality of two graphs."""

from symbolic.graph.basic import Constant


def is_same_graph(var1, var2, givens=None, debug=False):
    """Whether ``var1`` and ``var2`` are computed by the same ops on the same leaves.

    Ops compare by their props; constants by value; other leaves by identity.
    ``givens`` maps variables of one graph to their counterparts, applied
    before comparing.
    """
    if givens:
        from symbolic.graph.replace import clone_replace

        items = list(givens.items()) if isinstance(givens, dict) else list(givens)
        var1 = clone_replace(var1, items, strict=False)
        var2 = clone_replace(var2, items, strict=False)
    memo = {}
    return _same(var1, var2, memo)


def _same(a, b, memo):
    key = (id(a), id(b))
    if key in memo:
        return memo[key]
    if a is b:
        result = True
    elif isinstance(a, Constant) and isinstance(b, Constant):
        result = a.equals(b)
    elif a.owner is None or b.owner is None:
        result = False
    else:
        na, nb = a.owner, b.owner
        result = (
            a.index == b.index
            and na.op == nb.op
            and len(na.inputs) == len(nb.inputs)
            and all(_same(x, y, memo) for x, y in zip(na.inputs, nb.inputs))
        )
    memo[key] = result
    return result
