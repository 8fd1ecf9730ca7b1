"""Categorical cross-entropies, with one-hot integer targets or target distributions.

``crossentropy_softmax_1hot`` computes the softmax and its negative
log-likelihood in one op from the logits, so the loss and its gradient
``softmax - onehot`` stay finite for any finite logits.
"""

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.math import cast, log, ones_like, patternbroadcast, sum
from symbolic.ops.nnet.basic import softmax_grad
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "CrossentropyCategorical1Hot",
    "CrossentropyCategorical1HotGrad",
    "CrossentropySoftmax1HotWithBiasDx",
    "CrossentropySoftmaxArgmax1HotWithBias",
    "categorical_crossentropy",
    "crossentropy_categorical_1hot",
    "crossentropy_categorical_1hot_grad",
    "crossentropy_softmax_1hot",
    "crossentropy_softmax_1hot_with_bias",
    "crossentropy_softmax_1hot_with_bias_dx",
    "crossentropy_softmax_argmax_1hot_with_bias",
]


def _name(var):
    return var.name if var.name is not None else str(var)


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _is_disconnected(var):
    from symbolic.types.null import is_disconnected

    return is_disconnected(var)


def _to_type(g, x):
    if g.dtype != x.dtype:
        g = cast(g, x.dtype)
    return patternbroadcast(g, x.broadcastable)


def _check_float(op, var, label, ndims):
    if var.ndim not in ndims or not dt.is_float(var.dtype):
        wanted = " or ".join(f"{n}-d" for n in ndims)
        raise TypeError(
            f"{op}: {label} ({_name(var)}) must be a {wanted} tensor of floats, "
            f"got {var.type}"
        )


def _check_indices_type(op, var, label):
    if var.ndim != 1 or var.dtype not in dt.integer_dtypes:
        raise TypeError(
            f"{op}: {label} ({_name(var)}) must be a vector of integer class "
            f"indices, got {var.type}"
        )


def _check_indices(op, node, position, idx, n_rows, n_classes):
    """Raise a ValueError naming the variable when ``idx`` does not fit the rows."""
    var = node.inputs[position]
    if idx.shape[0] != n_rows:
        raise ValueError(
            f"{op}: {_name(var)} has {idx.shape[0]} indices but there are {n_rows} rows"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= n_classes):
        bad = idx[(idx < 0) | (idx >= n_classes)][0]
        raise ValueError(
            f"{op}: class index {bad} in {_name(var)} is out of range [0, {n_classes})"
        )


# Categorical cross-entropy of a distribution against class indices -----------------
class CrossentropyCategorical1Hot(Op):
    """``y[i] = -log(coding[i, true[i]])`` for a matrix of probabilities ``coding``.

    Notes
    -----
    Gradient wrt ``coding``: ``-gy[i] / coding[i, true[i]]`` at ``(i, true[i])``
    and 0 elsewhere (:class:`CrossentropyCategorical1HotGrad`); the integer
    indices are not connected.  Not in place.
    """

    __props__ = ()

    def make_node(self, coding_dist, true_one_of_n):
        coding = as_tensor_variable(coding_dist)
        true = as_tensor_variable(true_one_of_n)
        _check_float(self, coding, "coding_dist", (2,))
        _check_indices_type(self, true, "true_one_of_n")
        return Apply(self, [coding, true], [TensorType(coding.dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        coding, true = inputs
        _check_indices(self, node, 1, true, coding.shape[0], coding.shape[1])
        picked = coding[numpy.arange(coding.shape[0]), true]
        with numpy.errstate(divide="ignore"):
            out = -numpy.log(picked)
        output_storage[0][0] = numpy.asarray(out, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [(shapes[0][0],)]

    def connection_pattern(self, node):
        return [[True], [False]]

    def L_op(self, inputs, outputs, grads):
        coding, true = inputs
        (gy,) = grads
        return [crossentropy_categorical_1hot_grad(gy, coding, true), _disconnected()]


crossentropy_categorical_1hot = CrossentropyCategorical1Hot()


class CrossentropyCategorical1HotGrad(Op):
    """The gradient of :class:`CrossentropyCategorical1Hot` wrt ``coding``.

    ``g[i, true[i]] = -gy[i] / coding[i, true[i]]``; every other entry is 0.

    Notes
    -----
    With ``O = op(1, coding, true)`` (``-1 / coding`` on the picked entries),
    the output is ``gy[:, None] O``; so the gradient wrt ``gy`` is
    ``sum(G O, axis=1)`` and wrt ``coding`` is ``G gy[:, None] O^2``.
    Not in place.
    """

    __props__ = ()

    def make_node(self, gy, coding_dist, true_one_of_n):
        gy = as_tensor_variable(gy)
        coding = as_tensor_variable(coding_dist)
        true = as_tensor_variable(true_one_of_n)
        _check_float(self, gy, "gy", (1,))
        _check_float(self, coding, "coding_dist", (2,))
        _check_indices_type(self, true, "true_one_of_n")
        return Apply(self, [gy, coding, true], [coding.type()])

    def perform(self, node, inputs, output_storage):
        gy, coding, true = inputs
        _check_indices(self, node, 2, true, coding.shape[0], coding.shape[1])
        out = numpy.zeros_like(coding)
        rows = numpy.arange(coding.shape[0])
        with numpy.errstate(divide="ignore", invalid="ignore"):
            out[rows, true] = -gy / coding[rows, true]
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[1]]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def L_op(self, inputs, outputs, grads):
        gy, coding, true = inputs
        (g,) = grads
        picked = self(ones_like(gy), coding, true)
        g_gy = sum(g * picked, axis=1)
        g_coding = g * gy.dimshuffle(0, "x") * picked * picked
        return [_to_type(g_gy, gy), _to_type(g_coding, coding), _disconnected()]


crossentropy_categorical_1hot_grad = CrossentropyCategorical1HotGrad()


def categorical_crossentropy(coding_dist, true_dist):
    """Return the cross-entropy between ``coding_dist`` and ``true_dist``, per row.

    Parameters
    ----------
    coding_dist : matrix (or tensor)
        Predicted probabilities; each row sums to 1.
    true_dist : tensor of the same rank, or integer vector
        Target probabilities, giving ``-sum(true * log(coding), axis=-1)``; or
        one class index per row, giving ``-log(coding[i, true[i]])``.

    Raises
    ------
    TypeError
        When the ranks match neither case.
    """
    coding = as_tensor_variable(coding_dist)
    true = as_tensor_variable(true_dist)
    if true.ndim == coding.ndim:
        return -sum(true * log(coding), axis=coding.ndim - 1)
    if true.ndim == coding.ndim - 1:
        return crossentropy_categorical_1hot(coding, true)
    raise TypeError(
        f"categorical_crossentropy: rank mismatch between coding_dist "
        f"({_name(coding)}, ndim {coding.ndim}) and true_dist ({_name(true)}, "
        f"ndim {true.ndim}); expected equal ranks or an index vector"
    )


# Softmax and its negative log-likelihood in one op ------------------------------------
class CrossentropySoftmaxArgmax1HotWithBias(Op):
    """Softmax of ``x + b`` per row with its NLL of ``y_idx`` and its argmax.

    Outputs ``(nll, sm, am)``: ``nll[i] = log(sum_j exp(r[i, j])) - r[i, y[i]]``
    with ``r = x + b``, computed from ``r - max(r)``; ``sm = softmax(r)``;
    ``am[i] = argmax_j r[i, j]``.

    Notes
    -----
    Gradient: from ``nll``, ``dx = gnll[:, None] (sm - onehot(y))`` and
    ``db = sum(dx, axis=0)``; from ``sm``, the softmax gradient; ``am`` and
    ``y_idx`` carry no gradient.  Not in place.
    """

    __props__ = ()

    def make_node(self, x, b, y_idx):
        x = as_tensor_variable(x)
        b = as_tensor_variable(b)
        y_idx = as_tensor_variable(y_idx)
        _check_float(self, x, "x", (2,))
        _check_float(self, b, "b", (1,))
        _check_indices_type(self, y_idx, "y_idx")
        nll = TensorType(x.dtype, y_idx.broadcastable)()
        return Apply(self, [x, b, y_idx], [nll, x.type(), y_idx.type()])

    def perform(self, node, inputs, output_storage):
        x, b, y_idx = inputs
        if b.shape[0] != x.shape[1]:
            raise ValueError(
                f"{self}: {_name(node.inputs[1])} has {b.shape[0]} entries but "
                f"{_name(node.inputs[0])} has {x.shape[1]} columns (shape {x.shape})"
            )
        _check_indices(self, node, 2, y_idx, x.shape[0], x.shape[1])
        rows = numpy.arange(x.shape[0])
        r = x + b
        am = numpy.argmax(r, axis=1) if r.size else numpy.zeros(x.shape[0], "int64")
        top = r[rows, am] if r.size else numpy.zeros(x.shape[0], r.dtype)
        e = numpy.exp(r - top[:, None])
        total = e.sum(axis=1)
        nll = numpy.log(total) + top - r[rows, y_idx]
        nll_t, sm_t, am_t = (out.type.numpy_dtype for out in node.outputs)
        output_storage[0][0] = numpy.asarray(nll, dtype=nll_t)
        output_storage[1][0] = numpy.asarray(e / total[:, None], dtype=sm_t)
        output_storage[2][0] = numpy.asarray(am, dtype=am_t)

    def infer_shape(self, fgraph, node, shapes):
        xshp = shapes[0]
        return [(xshp[0],), xshp, (xshp[0],)]

    def connection_pattern(self, node):
        return [[True, True, False], [True, True, False], [False, False, False]]

    def L_op(self, inputs, outputs, grads):
        x, b, y_idx = inputs
        sm = outputs[1]
        g_nll, g_sm, _ = grads
        dx_terms = []
        if not _is_disconnected(g_nll):
            dx_terms.append(crossentropy_softmax_1hot_with_bias_dx(g_nll, sm, y_idx))
        if not _is_disconnected(g_sm):
            dx_terms.append(softmax_grad(g_sm, sm))
        if not dx_terms:
            return [_disconnected(), _disconnected(), _disconnected()]
        dx = dx_terms[0] if len(dx_terms) == 1 else dx_terms[0] + dx_terms[1]
        return [_to_type(dx, x), _to_type(sum(dx, axis=0), b), _disconnected()]


crossentropy_softmax_argmax_1hot_with_bias = CrossentropySoftmaxArgmax1HotWithBias()


class CrossentropySoftmax1HotWithBiasDx(Op):
    """The gradient of the softmax NLL wrt the logits: ``dy[:, None] (sm - onehot(y))``.

    ``dy`` is a vector with one entry per row, or a scalar applied to every
    row.

    Notes
    -----
    With ``D = op(1, sm, y_idx) = sm - onehot(y)``, the gradient wrt ``dy``
    is ``sum(G D, axis=1)`` and wrt ``sm`` is ``G dy[:, None]``; ``y_idx``
    is not connected.  Not in place.
    """

    __props__ = ()

    def make_node(self, dy, sm, y_idx):
        dy = as_tensor_variable(dy)
        sm = as_tensor_variable(sm)
        y_idx = as_tensor_variable(y_idx)
        _check_float(self, dy, "dy", (0, 1))
        _check_float(self, sm, "sm", (2,))
        _check_indices_type(self, y_idx, "y_idx")
        return Apply(self, [dy, sm, y_idx], [sm.type()])

    def perform(self, node, inputs, output_storage):
        dy, sm, y_idx = inputs
        _check_indices(self, node, 2, y_idx, sm.shape[0], sm.shape[1])
        if (
            dy.ndim == 1
            and dy.shape[0] != sm.shape[0]
            and not (node.inputs[0].broadcastable[0] and dy.shape[0] == 1)
        ):
            raise ValueError(
                f"{self}: {_name(node.inputs[0])} has {dy.shape[0]} entries but "
                f"{_name(node.inputs[1])} has {sm.shape[0]} rows"
            )
        dx = numpy.array(sm, copy=True)
        dx[numpy.arange(sm.shape[0]), y_idx] -= 1
        dx *= dy[:, None] if dy.ndim == 1 else dy
        output_storage[0][0] = numpy.asarray(dx, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[1]]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def L_op(self, inputs, outputs, grads):
        dy, sm, y_idx = inputs
        (g,) = grads
        direction = self(ones_like(dy), sm, y_idx)
        if dy.ndim == 0:
            g_dy = sum(g * direction)
            g_sm = g * dy
        else:
            g_dy = sum(g * direction, axis=1)
            if dy.broadcastable[0]:
                g_dy = sum(g_dy, axis=0, keepdims=True)
            g_sm = g * dy.dimshuffle(0, "x")
        return [_to_type(g_dy, dy), _to_type(g_sm, sm), _disconnected()]


crossentropy_softmax_1hot_with_bias_dx = CrossentropySoftmax1HotWithBiasDx()


def crossentropy_softmax_1hot_with_bias(x, b, y_idx):
    """Return ``(nll, softmax(x + b))`` for logits, a bias and class indices."""
    return crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx)[:2]


def crossentropy_softmax_1hot(x, y_idx):
    """Return ``(nll, softmax(x))``: the per-row NLL of ``y_idx`` and the softmax.

    ``nll[i] = -log(softmax(x)[i, y_idx[i]])``, computed from the logits so it
    is finite (and its gradient too) for logits of any finite size.

    Examples
    --------
    >>> from symbolic.types.tensor import matrix, lvector
    >>> nll, sm = crossentropy_softmax_1hot(matrix('x'), lvector('y'))
    >>> nll.ndim, sm.ndim
    (1, 2)
    """
    x = as_tensor_variable(x)
    _check_float("crossentropy_softmax_1hot", x, "x", (2,))
    b = x[0].zeros_like()
    return crossentropy_softmax_1hot_with_bias(x, b, y_idx)
