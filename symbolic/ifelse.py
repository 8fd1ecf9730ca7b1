"""Lazy conditionals: ``ifelse(condition, then_branch, else_branch)``.

Unlike ``switch``, which computes both sides elementwise, ``ifelse`` picks
whole variables and computes only the branch it picks: the linker moves the
nodes that only one branch needs into the IfElse node's thunk
(:mod:`symbolic.compile.lazy`), which runs them once the condition is known.
"""

import copy

import numpy

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.ops import as_tensor_variable, cast, zeros_like
from symbolic.ops.reshaping import disconnected, is_disconnected

__all__ = ["IfElse", "ifelse"]


class IfElse(Op):
    """Return the ``then`` values when the condition is nonzero, else the ``else`` ones.

    Inputs are ``(condition, then_1 .. then_n, else_1 .. else_n)`` with
    ``then_i`` and ``else_i`` of identical types; outputs are n values of
    those types.  Only the chosen branch is computed (``lazy = True``).
    Gradient: ``ifelse(c, g, 0)`` for ``then_i`` and ``ifelse(c, 0, g)`` for
    ``else_i``; the condition is not differentiable.  With ``as_view`` the
    outputs are views of the chosen inputs, otherwise copies.

    Parameters
    ----------
    n_outs : int
        The number of values on each branch.
    as_view : bool
    gpu : bool
        Accepted for compatibility; must be False.
    name : str, optional
        Shown when printing; not part of the op's identity.
    """

    __props__ = ("n_outs", "as_view", "gpu")
    lazy = True

    def __init__(self, n_outs, as_view=False, gpu=False, name=None):
        if gpu:
            raise ValueError("IfElse: gpu=True is not supported")
        self.n_outs = int(n_outs)
        self.as_view = bool(as_view)
        self.gpu = False
        self.name = name
        if self.as_view:
            self.view_map = {i: [i + 1] for i in range(self.n_outs)}

    def __str__(self):
        args = [self.name] if self.name is not None else []
        if self.as_view:
            args.append("inplace")
        return f"if{{{','.join(args)}}}"

    def make_node(self, condition, *branches):
        if len(branches) != 2 * self.n_outs:
            raise ValueError(
                f"IfElse({self.n_outs}) takes a condition and {2 * self.n_outs} "
                f"branch values, got {len(branches)}"
            )
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(
                f"ifelse: the condition {condition} must be a scalar (0 means "
                f"false), got {condition.type}"
            )
        branches = [
            b if isinstance(b, Variable) else as_tensor_variable(b) for b in branches
        ]
        then_vars, else_vars = branches[: self.n_outs], branches[self.n_outs :]
        for then_var, else_var in zip(then_vars, else_vars):
            if then_var.type != else_var.type:
                raise TypeError(
                    f"ifelse: the branches must have identical types, but "
                    f"{then_var} is {then_var.type} and {else_var} is "
                    f"{else_var.type}"
                )
        outputs = [v.type() for v in then_vars]
        return Apply(self, [condition, *branches], outputs)

    # Lazy evaluation protocol (see symbolic.compile.lazy) ---------------------
    def lazy_branches(self, node):
        """Input positions of each branch; the selector is input 0."""
        n = self.n_outs
        return [list(range(1, 1 + n)), list(range(1 + n, 1 + 2 * n))]

    def select_branch(self, condition):
        """Index of the branch to run for this condition value."""
        return 0 if condition else 1

    def perform(self, node, inputs, output_storage):
        branch = self.lazy_branches(node)[self.select_branch(inputs[0])]
        for cell, position in zip(output_storage, branch):
            value = inputs[position]
            if not self.as_view:
                value = (
                    value.copy()
                    if isinstance(value, numpy.ndarray)
                    else (copy.deepcopy(value))
                )
            cell[0] = value

    def infer_shape(self, fgraph, node, input_shapes):
        n = self.n_outs
        then_shapes, else_shapes = input_shapes[1 : 1 + n], input_shapes[1 + n :]
        flat_then, flat_else = [], []
        for then_shape, else_shape in zip(then_shapes, else_shapes):
            flat_then.extend(then_shape)
            flat_else.extend(else_shape)
        if all(t is e for t, e in zip(flat_then, flat_else)) or not flat_then:
            return [tuple(s) for s in then_shapes]
        # The shapes differ per branch: choose them lazily as well.
        name = "shape" if self.name is None else f"shape_{self.name}"
        shape_op = IfElse(len(flat_then), name=name)
        chosen = shape_op(
            node.inputs[0],
            *[cast(as_tensor_variable(s), "int64") for s in flat_then],
            *[cast(as_tensor_variable(s), "int64") for s in flat_else],
            return_list=True,
        )
        result = []
        for out in node.outputs:
            result.append(tuple(chosen[: out.ndim]))
            chosen = chosen[out.ndim :]
        return result

    def connection_pattern(self, node):
        n = self.n_outs
        pattern = [[False] * n]
        pattern += [[i == j for j in range(n)] for i in range(n)]
        pattern += [[i == j for j in range(n)] for i in range(n)]
        return pattern

    def L_op(self, inputs, outputs, output_grads):
        condition = inputs[0]
        n = self.n_outs
        then_vars, else_vars = inputs[1 : 1 + n], inputs[1 + n :]
        grads = [
            zeros_like(out) if is_disconnected(g) else g
            for out, g in zip(outputs, output_grads)
        ]
        suffix_t = None if self.name is None else f"{self.name}_grad_t"
        suffix_f = None if self.name is None else f"{self.name}_grad_f"
        if_true = IfElse(n, name=suffix_t)(
            condition,
            *grads,
            *[zeros_like(t, dtype=g.dtype) for t, g in zip(then_vars, grads)],
            return_list=True,
        )
        if_false = IfElse(n, name=suffix_f)(
            condition,
            *[zeros_like(f, dtype=g.dtype) for f, g in zip(else_vars, grads)],
            *grads,
            return_list=True,
        )
        return [disconnected(), *if_true, *if_false]

    def R_op(self, inputs, eval_points):
        n = self.n_outs
        points = [
            zeros_like(x) if p is None else p
            for x, p in zip(inputs[1:], eval_points[1:])
        ]
        if all(p is None for p in eval_points[1:]):
            return [None] * n
        return IfElse(n, name=self.name)(inputs[0], *points, return_list=True)


def ifelse(condition, then_branch, else_branch, name=None):
    """Return ``then_branch`` when ``condition`` is nonzero, else ``else_branch``.

    Only the chosen branch is computed.

    Parameters
    ----------
    condition : scalar-like
    then_branch, else_branch : variable or list/tuple of variables
        Equal lengths; paired values must have identical types (dtype and
        broadcastable pattern).
    name : str, optional

    Returns
    -------
    variable, list or tuple
        Mirrors ``then_branch``.

    Raises
    ------
    TypeError
        When paired values have different types.

    Examples
    --------
    >>> from symbolic import function, tensor
    >>> a, b = tensor.dscalar('a'), tensor.dscalar('b')
    >>> f = function([a, b], ifelse(tensor.lt(a, b), a, b))
    >>> print(f(1.0, 2.0), f(3.0, 2.0))
    1.0 2.0
    """
    container = type(then_branch) if isinstance(then_branch, (list, tuple)) else None
    then_list = list(then_branch) if container else [then_branch]
    else_list = (
        list(else_branch) if isinstance(else_branch, (list, tuple)) else [else_branch]
    )
    if len(then_list) != len(else_list):
        raise ValueError(
            f"ifelse: the then branch has {len(then_list)} values and the else "
            f"branch {len(else_list)}; they must match"
        )
    pairs = []
    for then_var, else_var in zip(then_list, else_list):
        then_is_var = isinstance(then_var, Variable)
        else_is_var = isinstance(else_var, Variable)
        if not then_is_var and else_is_var:
            then_var = else_var.type.filter_variable(then_var)
        elif then_is_var and not else_is_var:
            else_var = then_var.type.filter_variable(else_var)
        else:
            then_var = as_tensor_variable(then_var)
            else_var = as_tensor_variable(else_var)
        if then_var.type != else_var.type:
            raise TypeError(
                f"ifelse: the two branches should have identical types, but "
                f"{then_var} is {then_var.type} and {else_var} is "
                f"{else_var.type}"
            )
        pairs.append((then_var, else_var))
    op = IfElse(n_outs=len(pairs), name=name)
    outs = op(
        condition,
        *[t for t, _ in pairs],
        *[e for _, e in pairs],
        return_list=True,
    )
    if container is None:
        return outs[0]
    return container(outs)
