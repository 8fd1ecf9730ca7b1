"""Reverse- and forward-mode differentiation: grad, Lop, Rop, jacobian, hessian."""

import logging
import warnings

from symbolic.config import config
from symbolic.graph.basic import Variable
from symbolic.graph.traversal import ancestors, io_toposort
from symbolic.types import dtypes as dt
from symbolic.types.null import (
    DisconnectedType,
    NullType,
    is_disconnected,
    is_undefined,
)
from symbolic.types.tensor import TensorType, as_tensor_variable

_logger = logging.getLogger(__name__)


class DisconnectedInputError(ValueError):
    """``grad`` was asked for a variable the cost does not depend on."""


class NullTypeGradError(TypeError):
    """A requested gradient passes through an op whose gradient is undefined."""


class GradientError(Exception):
    """``verify_grad`` found symbolic and numeric gradients that disagree."""

    def __init__(
        self, arg, err_pos, shape, val1, val2, abs_err, rel_err, abs_tol, rel_tol
    ):
        super().__init__()
        self.arg = arg
        self.err_pos = err_pos
        self.shape = shape
        self.val1 = val1
        self.val2 = val2
        self.abs_err = abs_err
        self.rel_err = rel_err
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol

    def __str__(self):
        return (
            f"GradientError: numeric gradient and analytic gradient disagree for "
            f"argument {self.arg} at flat position {self.err_pos} (shape "
            f"{self.shape}): symbolic {self.val1}, numeric {self.val2}, abs error "
            f"{self.abs_err:.3g} (tol {self.abs_tol}), rel error {self.rel_err:.3g} "
            f"(tol {self.rel_tol})"
        )


def _ops():
    import importlib

    return importlib.import_module("symbolic.ops")


def _float_ones_like(x):
    dtype = x.dtype if dt.is_float(x.dtype) else config.floatX
    return _ops().ones_like(x, dtype=dtype)


def _float_zeros_like(x):
    dtype = x.dtype if dt.is_float(x.dtype) else config.floatX
    return _ops().zeros_like(x, dtype=dtype)


def _as_list(x):
    if isinstance(x, (list, tuple)):
        return list(x), True
    return [x], False


def _fit_to(term, var):
    """Make gradient ``term`` have ``var``'s dtype and broadcast pattern."""
    ops = _ops()
    if not isinstance(var.type, TensorType):
        # Sparse and other non-tensor variables get their op's gradient as is.
        return term
    term = as_tensor_variable(term)
    if term.ndim != var.ndim:
        raise TypeError(
            f"gradient for {var} has {term.ndim} dims but the variable has {var.ndim}"
        )
    if dt.is_float(var.dtype) and term.dtype != var.dtype:
        term = ops.cast(term, var.dtype)
    if term.broadcastable != var.broadcastable:
        axes = [
            a
            for a in range(var.ndim)
            if var.broadcastable[a] and not term.broadcastable[a]
        ]
        if axes:
            term = ops.sum(term, axis=axes, keepdims=True)
        term = ops.patternbroadcast(term, var.broadcastable)
    return term


def grad(
    cost,
    wrt,
    consider_constant=None,
    disconnected_inputs="raise",
    add_names=True,
    known_grads=None,
    return_disconnected="zero",
    null_gradients="raise",
):
    """Return the symbolic gradient of ``cost`` with respect to ``wrt``.

    Parameters
    ----------
    cost : scalar Variable or None
        None is allowed when ``known_grads`` seeds the backward pass.
    wrt : Variable or list of Variables
    consider_constant : list of Variables, optional
        Gradients do not flow through these.
    disconnected_inputs : {'raise', 'warn', 'ignore'}
        What to do when a ``wrt`` variable is not part of the cost's graph.
    known_grads : dict, optional
        ``{variable: its gradient}`` seeds, for intermediate variables.
    return_disconnected : {'zero', 'None', 'Disconnected'}
        What to return for disconnected ``wrt`` entries.
    null_gradients : {'raise', 'return'}
        Whether an undefined gradient raises or is returned (as NullType).

    Returns
    -------
    Variable or list of Variables, matching the form of ``wrt``.

    Examples
    --------
    >>> import symbolic.tensor as T
    >>> x = T.dscalar('x')
    >>> g = grad(x ** 2, x)
    >>> float(g.eval({x: 3.0}))
    6.0
    """
    if cost is None and not known_grads:
        raise AssertionError("grad needs a cost or known_grads")
    if cost is not None:
        if isinstance(cost.type, NullType):
            raise ValueError("cannot differentiate a NullType cost")
        if getattr(cost, "ndim", 0) != 0:
            raise TypeError(f"cost must be a scalar, got {cost} with ndim {cost.ndim}")
    wrt_list, using_list = _as_list(wrt)
    using_tuple = isinstance(wrt, tuple)
    for elem in wrt_list:
        if not isinstance(elem, Variable):
            raise TypeError(
                f"grad expects Variables in wrt, got {elem!r} of type {type(elem)}"
            )
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"invalid disconnected_inputs {disconnected_inputs!r}")

    seeds = {}
    if cost is not None:
        seeds[cost] = _float_ones_like(cost)
    for var, g in (known_grads or {}).items():
        if not isinstance(var, Variable):
            raise TypeError(f"known_grads keys must be Variables, got {var!r}")
        if g is None or is_disconnected(g):
            continue
        if not is_undefined(g):
            g = as_tensor_variable(g)
        seeds[var] = g

    blockers = list(consider_constant or ())
    grads = _backprop(list(seeds), seeds, wrt_list, blockers)

    results = []
    for var in wrt_list:
        g = grads.get(var)
        if g is None:
            message = (
                f"grad method was asked to compute the gradient with respect to a "
                f"variable that is not part of the computational graph of the cost, "
                f"or is used only by a non-differentiable operator: {var}"
            )
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(message)
            if disconnected_inputs == "warn":
                warnings.warn(message, stacklevel=2)
            if return_disconnected == "zero":
                g = _float_zeros_like(var)
            elif return_disconnected == "None":
                g = None
            else:
                g = DisconnectedType()()
        elif is_undefined(g):
            if null_gradients == "raise":
                raise NullTypeGradError(
                    f"grad encountered a NaN/undefined gradient for {var}: "
                    f"{g.type.why_null}"
                )
        elif isinstance(var.type, TensorType) and dt.is_discrete(var.dtype):
            g = _float_zeros_like(var)
        if add_names and g is not None and getattr(g, "name", "") is None:
            if cost is not None and cost.name is not None and var.name is not None:
                g.name = f"(d{cost.name}/d{var.name})"
        results.append(g)
    if using_tuple:
        return tuple(results)
    return results if using_list else results[0]


def _backprop(outputs, seeds, wrt, blockers):
    """Run the reverse pass; return ``{variable: summed gradient}`` for ``wrt``."""
    blocker_set = set(blockers)
    # Leaves of the pass: graph inputs and blockers. A wrt variable with an
    # owner is not a leaf: other wrt variables may lie below it (grad of a cost
    # with respect to both a prediction and the weights that produce it).
    leaves = [
        v
        for v in ancestors(outputs, blockers=blocker_set)
        if v.owner is None or v in blocker_set
    ]
    nodes = io_toposort(leaves, outputs)

    # Forward: which variables depend on wrt (through connected inputs).
    depends = dict.fromkeys(wrt, True)
    for node in nodes:
        pattern = _connection_pattern(node)
        for j, out in enumerate(node.outputs):
            if any(
                depends.get(inp) and pattern[i][j] for i, inp in enumerate(node.inputs)
            ):
                depends[out] = True

    terms = {}
    for var, g in seeds.items():
        if depends.get(var):
            terms.setdefault(var, []).append(g)
    summed = {}

    def total(var):
        if var in seeds and depends.get(var):
            # A known gradient replaces whatever flows back into its variable.
            return seeds[var]
        if var not in summed:
            parts = terms.get(var)
            if not parts:
                summed[var] = None
            else:
                undefined = [p for p in parts if is_undefined(p)]
                if undefined:
                    summed[var] = undefined[0]
                else:
                    acc = parts[0]
                    for p in parts[1:]:
                        acc = acc + p
                    summed[var] = _fit_to(acc, var) if len(parts) > 1 else acc
        return summed[var]

    for node in reversed(nodes):
        if not any(depends.get(out) for out in node.outputs):
            continue
        if not any(depends.get(inp) for inp in node.inputs):
            continue
        if any(inp in blocker_set for inp in node.outputs):
            continue
        out_grads = []
        has_grad = False
        for out in node.outputs:
            g = total(out)
            if g is None:
                out_grads.append(DisconnectedType()())
            else:
                has_grad = True
                out_grads.append(g)
        if not has_grad:
            continue
        pattern = _connection_pattern(node)
        undefined_out = [g for g in out_grads if is_undefined(g)]
        if undefined_out:
            for inp in node.inputs:
                if depends.get(inp) and inp not in blocker_set:
                    terms.setdefault(inp, []).append(undefined_out[0])
            continue
        in_grads = node.op.L_op(list(node.inputs), list(node.outputs), out_grads)
        if len(in_grads) != len(node.inputs):
            raise ValueError(
                f"{node.op}.L_op returned {len(in_grads)} gradients for "
                f"{len(node.inputs)} inputs"
            )
        for i, (inp, g) in enumerate(zip(node.inputs, in_grads)):
            if not depends.get(inp) or inp in blocker_set:
                continue
            if not any(pattern[i]):
                continue
            if g is None or is_disconnected(g):
                continue
            if not is_undefined(g):
                g = _fit_to(g, inp)
            terms.setdefault(inp, []).append(g)
    return {var: total(var) for var in wrt}


def _connection_pattern(node):
    getter = getattr(node.op, "connection_pattern", None)
    if getter is None:
        return [[True] * len(node.outputs) for _ in node.inputs]
    return getter(node)


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):
    """Return ``eval_points^T . d f / d wrt`` (the vector-Jacobian product)."""
    f_list, _ = _as_list(f)
    ev_list, _ = _as_list(eval_points)
    wrt_list, using_list = _as_list(wrt)
    known = {out: as_tensor_variable(ev) for out, ev in zip(f_list, ev_list)}
    result = grad(
        None,
        wrt_list,
        consider_constant=consider_constant,
        known_grads=known,
        disconnected_inputs=disconnected_inputs,
    )
    return result if using_list else result[0]


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):
    """Return ``d f / d wrt . eval_points`` (the Jacobian-vector product).

    Raises
    ------
    ValueError
        When an eval point does not match its variable's type.
    """
    f_list, using_list = _as_list(f)
    wrt_list, _ = _as_list(wrt)
    ev_list, _ = _as_list(eval_points)
    if len(wrt_list) != len(ev_list):
        raise ValueError("Rop needs one eval point per wrt variable")
    tangents = {}
    for var, ev in zip(wrt_list, ev_list):
        ev = as_tensor_variable(ev)
        if getattr(var, "ndim", None) != ev.ndim:
            raise ValueError(
                f"Rop: eval point {ev} has {ev.ndim} dims but {var} has {var.ndim}"
            )
        tangents[var] = ev
    wrt_set = set(wrt_list)
    leaves = [
        v
        for v in ancestors(f_list, blockers=wrt_set)
        if v.owner is None or v in wrt_set
    ]
    for node in io_toposort(leaves, f_list):
        in_tangents = [tangents.get(inp) for inp in node.inputs]
        if all(t is None for t in in_tangents):
            continue
        try:
            outs = node.op.R_op(list(node.inputs), in_tangents)
        except NotImplementedError as exc:
            raise NotImplementedError(f"{node.op} has no R_op: {exc}") from exc
        for out, t in zip(node.outputs, outs):
            if t is not None:
                tangents[out] = (
                    _fit_to(t, out) if isinstance(out.type, TensorType) else t
                )
    results = []
    for out in f_list:
        t = tangents.get(out)
        if t is None:
            if disconnected_outputs == "raise":
                raise DisconnectedInputError(
                    f"Rop: output {out} does not depend on the wrt variables"
                )
            t = _float_zeros_like(out) if return_disconnected == "zero" else None
        results.append(t)
    return results if using_list else results[0]


def subgraph_grad(wrt, end, start=None, cost=None, details=False):
    """Backpropagate ``start`` (known grads) and/or ``cost`` to ``wrt`` and ``end``."""
    params = list(wrt) + list(end)
    grads = grad(
        cost,
        params,
        known_grads=start,
        disconnected_inputs="ignore",
        return_disconnected="zero",
    )
    wrt_grads = grads[: len(wrt)]
    end_grads = dict(zip(end, grads[len(wrt) :]))
    return (wrt_grads, end_grads) if not details else (wrt_grads, end_grads, None, None)
