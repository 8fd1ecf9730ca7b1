"""Batch normalization: the plain expression and the train/test ops of Theano 1.0.

``batch_normalization`` is an elementwise expression of given statistics.
``batch_normalization_train`` normalizes with the batch's own mean and
variance over ``axes`` and can update running averages;
``batch_normalization_test`` uses given (running) statistics.
"""

import numpy

from symbolic.config import config
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.basic import addbroadcast
from symbolic.ops.math import cast, mean, patternbroadcast, prod, sqrt, zeros_like
from symbolic.ops.math import sum as sum_
from symbolic.types import dtypes as dt
from symbolic.types.tensor import as_tensor_variable

__all__ = [
    "AbstractBatchNormInference",
    "AbstractBatchNormTrain",
    "AbstractBatchNormTrainGrad",
    "batch_normalization",
    "batch_normalization_test",
    "batch_normalization_train",
]


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _is_disconnected(var):
    from symbolic.types.null import is_disconnected

    return is_disconnected(var)


def _name(var):
    return var.name if var.name is not None else str(var)


def _common_dtype(*variables):
    """Cast float tensors to their common dtype."""
    dtype = dt.upcast(*(v.dtype for v in variables))
    return [v if v.dtype == dtype else cast(v, dtype) for v in variables]


def _check_axes(op, axes, ndim):
    if min(axes) < 0 or max(axes) >= ndim:
        raise ValueError(
            f"{op}: axes should be less than ndim (<{ndim}), but {axes} given"
        )


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """Return ``(inputs - mean) * (gamma / std) + beta``.

    Parameters
    ----------
    inputs : tensor
        Activations.
    gamma, beta, mean, std : tensor
        Scale, shift and statistics; each broadcasts against ``inputs``
        (normally with its ndim and length-1 normalized axes).
    mode : {'low_mem', 'high_mem'}
        Both give the same values; they only differ in the intermediates the
        gradient keeps.

    Examples
    --------
    >>> from symbolic import tensor
    >>> x, g, b = tensor.matrix('x'), tensor.row('g'), tensor.row('b')
    >>> batch_normalization(x, g, b, x.mean(0, keepdims=True),
    ...                     x.std(0, keepdims=True)).ndim
    2
    """
    inputs = as_tensor_variable(inputs)
    args = {"gamma": gamma, "beta": beta, "mean": mean, "std": std}
    args = {k: as_tensor_variable(v) for k, v in args.items()}
    for label, var in args.items():
        # Fewer dims broadcast from the left, as in any elementwise op.
        if var.ndim > inputs.ndim:
            raise ValueError(
                f"batch_normalization: {label} ({_name(var)}) must have at most "
                f"the ndim of inputs ({inputs.ndim}), got {var.ndim}"
            )
    gamma, beta, mean, std = args.values()
    if mode == "low_mem":
        return (inputs - mean) / std * gamma + beta
    if mode == "high_mem":
        return (inputs - mean) * (gamma / std) + beta
    raise ValueError(f'mode must be either "low_mem", "high_mem", got {mode!r}')


def _prepare_axes(axes, ndim):
    if axes == "per-activation":
        axes = (0,)
    elif axes == "spatial":
        axes = (0, *range(2, ndim))
    elif isinstance(axes, (tuple, list, numpy.ndarray)):
        axes = tuple(int(a) for a in axes)
    else:
        raise ValueError(f"invalid axes: {axes!r}")
    axes = tuple(sorted(axes))
    if not axes:
        raise ValueError("there should be at least one normalization axis")
    if min(axes) < 0 or max(axes) >= ndim:
        raise ValueError(f"axes should be less than ndim (<{ndim}), but {axes} given")
    return axes, tuple(i for i in range(ndim) if i not in axes)


def _params_layout(gamma, ndim, non_bc_axes):
    """Return the DimShuffle pattern for reduced-ndim params, or None."""
    if gamma.ndim == ndim:
        return None
    pattern = ["x"] * ndim
    for i, axis in enumerate(non_bc_axes):
        pattern[axis] = i
    return pattern


def _epsilon(epsilon):
    epsilon = numpy.asarray(epsilon, dtype=config.floatX)
    if epsilon < 1e-5:
        raise ValueError(f"epsilon must be at least 1e-5, got {epsilon}")
    return epsilon


def _to_full(var, pattern, axes):
    var = as_tensor_variable(var)
    if pattern is not None:
        return var.dimshuffle(*pattern)
    return addbroadcast(var, *axes)


def _check_param_ndims(fname, params, ndim, non_bc_axes):
    params_ndim = ndim if params[0][1].ndim == ndim else len(non_bc_axes)
    for label, var in params:
        if var.ndim != params_ndim:
            raise ValueError(
                f"{fname}: {label} ({_name(var)}) must have {params_ndim} dims (the "
                f"non-normalized axes, or the inputs' ndim), got {var.ndim}"
            )


def batch_normalization_train(
    inputs,
    gamma,
    beta,
    axes="per-activation",
    epsilon=1e-4,
    running_average_factor=0.1,
    running_mean=None,
    running_var=None,
):
    """Normalize ``inputs`` with the mean and variance of the batch over ``axes``.

    Parameters
    ----------
    inputs : tensor
    gamma, beta : tensor
        Scale and shift; either ``inputs``' ndim (with length-1 normalized
        axes) or one dim per non-normalized axis.
    axes : 'per-activation', 'spatial' or tuple of ints
        ``(0,)``, ``(0, 2, 3, ...)``, or the given axes.
    epsilon : float
        Added to the variance (at least 1e-5).
    running_average_factor : float
        Weight of the batch statistics in the running averages.
    running_mean, running_var : tensor, optional
        Both or neither; laid out like ``gamma``.

    Returns
    -------
    tuple
        ``(out, mean, invstd)``, plus ``(new_running_mean, new_running_var)``
        when running statistics are given, with ``new_running_var`` using
        the unbiased batch variance ``m / (m - 1) * var``.
    """
    inputs = as_tensor_variable(inputs)
    ndim = inputs.ndim
    axes, non_bc_axes = _prepare_axes(axes, ndim)
    gamma, beta = as_tensor_variable(gamma), as_tensor_variable(beta)
    if (running_mean is None) != (running_var is None):
        raise ValueError(
            "running_mean and running_var must either both be given or both be None"
        )
    params = [("gamma", gamma), ("beta", beta)]
    if running_mean is not None:
        running_mean = as_tensor_variable(running_mean)
        running_var = as_tensor_variable(running_var)
        params += [("running_mean", running_mean), ("running_var", running_var)]
    _check_param_ndims("batch_normalization_train", params, ndim, non_bc_axes)
    epsilon = _epsilon(epsilon)
    pattern = _params_layout(gamma, ndim, non_bc_axes)
    gamma, beta = (_to_full(v, pattern, axes) for v in (gamma, beta))
    op = AbstractBatchNormTrain(axes=axes)
    if running_mean is not None:
        rm, rv = (_to_full(v, pattern, axes) for v in (running_mean, running_var))
        results = op(inputs, gamma, beta, epsilon, running_average_factor, rm, rv)
        results[3] = patternbroadcast(results[3], rm.broadcastable)
        results[4] = patternbroadcast(results[4], rv.broadcastable)
    else:
        results = op(inputs, gamma, beta, epsilon, running_average_factor)
    if pattern is not None:
        results = [results[0]] + [r.dimshuffle(*non_bc_axes) for r in results[1:]]
    return tuple(results)


def batch_normalization_test(
    inputs, gamma, beta, mean, var, axes="per-activation", epsilon=1e-4
):
    """Normalize ``inputs`` with given statistics.

    Computes ``(inputs - mean) * gamma / sqrt(var + epsilon) + beta``.
    ``gamma``, ``beta``, ``mean`` and ``var`` share one layout, as in
    :func:`batch_normalization_train`.
    """
    inputs = as_tensor_variable(inputs)
    ndim = inputs.ndim
    axes, non_bc_axes = _prepare_axes(axes, ndim)
    params = [("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)]
    params = [(label, as_tensor_variable(v)) for label, v in params]
    _check_param_ndims("batch_normalization_test", params, ndim, non_bc_axes)
    epsilon = _epsilon(epsilon)
    pattern = _params_layout(params[0][1], ndim, non_bc_axes)
    full = [_to_full(v, pattern, axes) for _, v in params]
    return AbstractBatchNormInference(axes=axes)(inputs, *full, epsilon)


class _AxesOp(Op):
    __props__ = ("axes",)

    def __init__(self, axes=(0,)):
        axes = tuple(int(a) for a in axes)
        if not axes:
            raise ValueError(f"{type(self).__name__}: axes must not be empty")
        self.axes = axes


class AbstractBatchNormTrain(_AxesOp):
    """Batch normalization with the batch's statistics over ``axes``.

    Inputs ``(x, scale, bias, epsilon, running_average_factor[, running_mean,
    running_var])``; outputs ``out = (x - mean) * scale * invstd + bias``,
    ``mean``, ``invstd = 1 / sqrt(var + epsilon)`` and, with running
    statistics, ``running_mean * (1 - f) + mean * f`` and ``running_var *
    (1 - f) + m / (m - 1) * var * f`` where ``m`` is the number of averaged
    cells.

    Notes
    -----
    Gradient: :class:`AbstractBatchNormTrainGrad` for ``out``, plus the
    direct terms of the other outputs.  Not in place.
    """

    def make_node(
        self,
        x,
        scale,
        bias,
        epsilon=1e-4,
        running_average_factor=0.1,
        running_mean=None,
        running_var=None,
    ):
        x, scale, bias = (as_tensor_variable(v) for v in (x, scale, bias))
        epsilon = as_tensor_variable(epsilon)
        factor = as_tensor_variable(running_average_factor)
        tensors = [x, scale, bias]
        if (running_mean is None) != (running_var is None):
            raise ValueError(f"{self}: give both running_mean and running_var or none")
        if running_mean is not None:
            tensors += [
                as_tensor_variable(running_mean),
                as_tensor_variable(running_var),
            ]
        for var in tensors:
            if var.ndim != x.ndim:
                raise TypeError(
                    f"{self}: {_name(var)} must have the ndim of x ({x.ndim}), "
                    f"got {var.ndim}"
                )
        _check_axes(self, self.axes, x.ndim)
        tensors = _common_dtype(*tensors)
        scale = tensors[1]
        out_types = [tensors[0].type(), scale.type(), scale.type()]
        if running_mean is not None:
            out_types += [scale.type(), scale.type()]
        inputs = [*tensors[:3], epsilon, factor, *tensors[3:]]
        return Apply(self, inputs, out_types)

    def perform(self, node, inputs, output_storage):
        x, scale, bias, epsilon, factor = inputs[:5]
        axes = self.axes
        mean = x.mean(axes, keepdims=True)
        var = x.var(axes, keepdims=True)
        invstd = 1.0 / numpy.sqrt(var + epsilon)
        out = (x - mean) * (scale * invstd) + bias
        dtypes = [o.dtype for o in node.outputs]
        output_storage[0][0] = numpy.asarray(out, dtype=dtypes[0])
        output_storage[1][0] = numpy.asarray(mean, dtype=dtypes[1])
        output_storage[2][0] = numpy.asarray(invstd, dtype=dtypes[2])
        if len(inputs) > 5:
            running_mean, running_var = inputs[5:7]
            m = float(numpy.prod([x.shape[a] for a in axes]))
            new_mean = running_mean * (1.0 - factor) + mean * factor
            new_var = running_var * (1.0 - factor) + (m / (m - 1)) * var * factor
            output_storage[3][0] = numpy.asarray(new_mean, dtype=dtypes[3])
            output_storage[4][0] = numpy.asarray(new_var, dtype=dtypes[4])

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]] + [shapes[1]] * (len(node.outputs) - 1)

    def connection_pattern(self, node):
        n_out = len(node.outputs)
        pattern = [[True] * n_out for _ in range(3)]
        pattern[1] = [True] + [False] * (n_out - 1)
        pattern[2] = [True] + [False] * (n_out - 1)
        pattern += [[False] * n_out, [False] * n_out]
        if n_out > 3:
            pattern += [[False, False, False, True, False]]
            pattern += [[False, False, False, False, True]]
        return pattern

    def L_op(self, inputs, outputs, grads):
        x, scale, _bias, epsilon, factor = inputs[:5]
        axes = self.axes
        x_mean, x_invstd = (addbroadcast(v, *axes) for v in outputs[1:3])
        dy = grads[0]
        if _is_disconnected(dy):
            dy = zeros_like(x)
        gx, gscale, gbias = AbstractBatchNormTrainGrad(self.axes)(
            x, dy, scale, x_mean, x_invstd, epsilon
        )
        count = cast(prod([x.shape[a] for a in axes]), x.dtype)
        # Terms from the mean and variance that the other outputs expose.
        g_mean = None
        g_var = None
        if not _is_disconnected(grads[1]):
            g_mean = grads[1]
        if not _is_disconnected(grads[2]):
            g_var = grads[2] * (-0.5 * x_invstd**3)
        running = []
        if len(inputs) > 5:
            g_rm, g_rv = grads[3], grads[4]
            for g in (g_rm, g_rv):
                running.append(
                    _disconnected() if _is_disconnected(g) else g * (1 - factor)
                )
            if not _is_disconnected(g_rm):
                term = g_rm * factor
                g_mean = term if g_mean is None else g_mean + term
            if not _is_disconnected(g_rv):
                term = g_rv * factor * count / (count - 1)
                g_var = term if g_var is None else g_var + term
        if g_mean is not None:
            gx = gx + addbroadcast(g_mean, *axes) / count
        if g_var is not None:
            gx = gx + (x - x_mean) * (2 * addbroadcast(g_var, *axes) / count)
        return [gx, gscale, gbias, _disconnected(), _disconnected(), *running]


class AbstractBatchNormInference(_AxesOp):
    """Batch normalization with given statistics.

    Inputs ``(x, scale, bias, mean, var, epsilon)``; output
    ``(x - mean) * scale / sqrt(var + epsilon) + bias``.

    Notes
    -----
    Gradient: elementwise in ``x``; summed over ``axes`` for the others.
    Not in place.
    """

    def make_node(
        self, x, scale, bias, estimated_mean, estimated_variance, epsilon=1e-4
    ):
        tensors = [
            as_tensor_variable(v)
            for v in (x, scale, bias, estimated_mean, estimated_variance)
        ]
        for var in tensors[1:]:
            if var.ndim != tensors[0].ndim:
                raise TypeError(
                    f"{self}: {_name(var)} must have the ndim of x "
                    f"({tensors[0].ndim}), got {var.ndim}"
                )
        _check_axes(self, self.axes, tensors[0].ndim)
        tensors = _common_dtype(*tensors)
        epsilon = as_tensor_variable(epsilon)
        return Apply(self, [*tensors, epsilon], [tensors[0].type()])

    def perform(self, node, inputs, output_storage):
        x, scale, bias, mean, var, epsilon = inputs
        out = (x - mean) * (scale / numpy.sqrt(var + epsilon)) + bias
        output_storage[0][0] = numpy.asarray(out, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def connection_pattern(self, node):
        return [[True]] * 5 + [[False]]

    def L_op(self, inputs, outputs, grads):
        x, scale, bias, mean, var, epsilon = inputs
        (dy,) = grads
        axes = self.axes
        scale, bias, mean, var = (
            addbroadcast(t, *axes) for t in (scale, bias, mean, var)
        )
        var_eps = var + cast(epsilon, var.dtype)
        std = sqrt(var_eps)
        centered_dy = sum_(dy * (x - mean), axis=axes, keepdims=True)
        dx = dy * (scale / std)
        dscale = centered_dy / std
        dbias = sum_(dy, axis=axes, keepdims=True)
        dmean = -sum_(dy, axis=axes, keepdims=True) * (scale / std)
        dvar = -centered_dy * (scale / (2 * var_eps * std))
        return [dx, dscale, dbias, dmean, dvar, _disconnected()]


class AbstractBatchNormTrainGrad(_AxesOp):
    """Gradient of :class:`AbstractBatchNormTrain`'s ``out`` wrt x, scale and bias.

    Inputs ``(x, dy, scale, x_mean, x_invstd, epsilon)``.  With ``d = x -
    x_mean`` and ``c = dy * invstd - d * mean(dy * d) * invstd**3``:
    ``gx = scale * (c - mean(c))``, ``gscale = sum(dy * invstd * d)`` and
    ``gbias = sum(dy)``, means and sums over ``axes``.

    Notes
    -----
    Gradient: the closed-form second derivatives of Theano 1.0.  Not in
    place.
    """

    def make_node(self, x, dy, scale, x_mean, x_invstd, epsilon=1e-4):
        tensors = [as_tensor_variable(v) for v in (x, dy, scale, x_mean, x_invstd)]
        for var in tensors[1:]:
            if var.ndim != tensors[0].ndim:
                raise TypeError(
                    f"{self}: {_name(var)} must have the ndim of x "
                    f"({tensors[0].ndim}), got {var.ndim}"
                )
        tensors = _common_dtype(*tensors)
        epsilon = as_tensor_variable(epsilon)
        scale = tensors[2]
        return Apply(
            self,
            [*tensors, epsilon],
            [tensors[0].type(), scale.type(), scale.type()],
        )

    def perform(self, node, inputs, output_storage):
        x, dy, scale, x_mean, x_invstd, _ = inputs
        axes = self.axes
        _check_axes(self, axes, x.ndim)
        x_diff = x - x_mean
        mean_dy_x_diff = numpy.mean(dy * x_diff, axis=axes, keepdims=True)
        c = dy * x_invstd - x_diff * mean_dy_x_diff * x_invstd**3
        g_x = scale * (c - numpy.mean(c, axis=axes, keepdims=True))
        g_scale = numpy.sum(dy * x_invstd * x_diff, axis=axes, keepdims=True)
        g_bias = numpy.sum(dy, axis=axes, keepdims=True)
        for cell, value, out in zip(
            output_storage, (g_x, g_scale, g_bias), node.outputs, strict=True
        ):
            cell[0] = numpy.asarray(value, dtype=out.dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0], shapes[2], shapes[2]]

    def connection_pattern(self, node):
        return [
            [True, True, False],
            [True, True, True],
            [True, False, False],
            [True, True, False],
            [True, True, False],
            [False, False, False],
        ]

    def L_op(self, inputs, outputs, grads):
        x, dy, scale, x_mean, x_invstd, _ = inputs
        dd_inputs, dd_scale, dd_bias = grads
        axes = self.axes
        scale, x_mean, x_invstd = (
            addbroadcast(v, *axes) for v in (scale, x_mean, x_invstd)
        )
        dd_scale, dd_bias = (
            v if _is_disconnected(v) else addbroadcast(v, *axes)
            for v in (dd_scale, dd_bias)
        )

        def avg(v):
            return mean(v, axis=axes, keepdims=True)

        def total(v):
            return sum_(v, axis=axes, keepdims=True)

        x_diff = x - x_mean
        mean_dy_x_diff = avg(dy * x_diff)
        g_x = g_dy = g_scale = g_mean = g_invstd = None

        def add(acc, term):
            return term if acc is None else acc + term

        if not _is_disconnected(dd_inputs):
            ccc = scale * (dd_inputs - avg(dd_inputs))
            ddd = x_invstd**3 * (ccc * mean_dy_x_diff + dy * avg(ccc * x_diff))
            g_x = add(g_x, -ddd)
            g_dy = add(g_dy, ccc * x_invstd - x_invstd**3 * x_diff * avg(ccc * x_diff))
            eee = dy * x_invstd - x_invstd**3 * x_diff * mean_dy_x_diff
            g_scale = add(g_scale, total(dd_inputs * (eee - avg(eee))))
            g_mean = add(g_mean, total(ddd))
            g_invstd = add(
                g_invstd,
                total(ccc * (dy - 3 * x_invstd**2 * x_diff * mean_dy_x_diff)),
            )
        if not _is_disconnected(dd_scale):
            g_x = add(g_x, x_invstd * dd_scale * dy)
            g_dy = add(g_dy, x_invstd * dd_scale * x_diff)
            g_mean = add(g_mean, -(x_invstd * dd_scale * total(dy)))
            g_invstd = add(g_invstd, dd_scale * total(dy * x_diff))
        if not _is_disconnected(dd_bias):
            g_dy = add(g_dy, zeros_like(dy) + dd_bias)
        results = [g_x, g_dy, g_scale, g_mean, g_invstd]
        results = [
            _disconnected() if r is None else patternbroadcast(r, v.broadcastable)
            for r, v in zip(results, inputs)
        ]
        return [*results, _disconnected()]
