"""Helpers shared by the scan builder, the Scan op and the scan rewrites."""

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.replace import clone_replace as clone

__all__ = ["clone", "equal_computations", "until"]


class until:
    """Returned by a scan step to stop the loop after the step where it holds.

    Parameters
    ----------
    condition : scalar Variable
        Evaluated each step; the loop ends after the first step where it is
        true (that step's outputs are kept).
    """

    def __init__(self, condition):
        from symbolic.types.tensor import as_tensor_variable

        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(
                f"until expects a scalar condition, got {condition} with ndim "
                f"{condition.ndim}"
            )
        self.condition = condition


def equal_computations(xs, ys, in_xs=None, in_ys=None):
    """Whether ``xs`` and ``ys`` are computed by the same ops from matching leaves.

    Parameters
    ----------
    xs, ys : list of Variable
        The outputs to compare, pairwise.
    in_xs, in_ys : list of Variable, optional
        Leaves of the first graph and their counterparts in the second; any
        other leaf must be the same object (constants compare by value).

    Returns
    -------
    bool
    """
    if len(xs) != len(ys):
        return False
    memo = {}
    for x, y in zip(in_xs or (), in_ys or ()):
        if x.type != y.type:
            return False
        memo[(id(x), id(y))] = True
    matched = {id(x) for x in in_xs or ()} | {id(y) for y in in_ys or ()}
    return all(_same(x, y, memo, matched) for x, y in zip(xs, ys))


def _same(a, b, memo, matched):
    key = (id(a), id(b))
    if key in memo:
        return memo[key]
    # Iterative over the owners' inputs to stay clear of recursion limits on
    # long chains; results are memoized per pair.
    stack = [(a, b)]
    while stack:
        x, y = stack[-1]
        k = (id(x), id(y))
        if k in memo:
            stack.pop()
            continue
        verdict = _leaf_verdict(x, y, matched)
        if verdict is not None:
            memo[k] = verdict
            stack.pop()
            continue
        nx, ny = x.owner, y.owner
        pending = [
            (u, v) for u, v in zip(nx.inputs, ny.inputs) if (id(u), id(v)) not in memo
        ]
        if pending:
            stack.extend(pending)
            continue
        memo[k] = all(memo[(id(u), id(v))] for u, v in zip(nx.inputs, ny.inputs))
        stack.pop()
    return memo[key]


def _leaf_verdict(x, y, matched):
    """True/False when decidable without looking at inputs, else None."""
    if x is y:
        return True
    if id(x) in matched or id(y) in matched:
        return False
    if isinstance(x, Constant) and isinstance(y, Constant):
        return x.equals(y)
    if not isinstance(x, Variable) or not isinstance(y, Variable):
        return False
    if x.owner is None or y.owner is None:
        return False
    nx, ny = x.owner, y.owner
    if (
        x.index != y.index
        or nx.op != ny.op
        or len(nx.inputs) != len(ny.inputs)
        or x.type != y.type
    ):
        return False
    return None
