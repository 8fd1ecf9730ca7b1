"""2-D convolution ops: forward, gradient wrt filters, gradient wrt inputs.

The three ops close under differentiation: the gradient of
:class:`AbstractConv2d` uses the other two, and theirs use each other and the
forward op.  All three share the constructor of Theano 1.0's abstract
convolutions and compute with the im2col kernels of
:mod:`symbolic.ops.conv.im2col`.
"""

import warnings

from symbolic.graph.basic import Apply, Variable
from symbolic.ops.basic import NotScalarConstantError, get_scalar_constant_value
from symbolic.ops.conv import im2col
from symbolic.ops.conv.base import (
    BaseAbstractConv,
    _check_4d,
    _disconnected,
    _name,
    _to_type,
)
from symbolic.ops.conv.shape import (
    border_mode_to_pad,
    get_conv_gradinputs_shape,
    get_conv_gradinputs_shape_1axis,
    get_conv_output_shape,
    get_conv_shape_1axis,
)
from symbolic.types import dtypes as dt
from symbolic.types.tensor import as_tensor_variable

__all__ = [
    "AbstractConv2d",
    "AbstractConv2d_gradInputs",
    "AbstractConv2d_gradWeights",
    "BaseAbstractConv",
    "border_mode_to_pad",
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "conv2d_transpose",
    "get_conv_gradinputs_shape",
    "get_conv_gradinputs_shape_1axis",
    "get_conv_output_shape",
    "get_conv_shape_1axis",
]


class AbstractConv2d(BaseAbstractConv):
    """2-D convolution of (B, C, H, W) images by (F, C/G, kh, kw) filters.

    ``out[b, f] = sum_c pad(img)[b, c] * K[f, c]`` over the channels of
    ``f``'s group, where ``*`` is a true convolution (``filter_flip=True``)
    or a cross-correlation, strided by ``subsample`` and with a kernel dilated
    by ``filter_dilation``.  The output is (B, F, H', W') with H', W' from
    :func:`get_conv_output_shape`, in the image's dtype.  With ``unshared``
    the filters are (F, H', W', C/G, kh, kw): output position (y, x) uses
    its own kernel ``K[f, y, x]``.

    Notes
    -----
    Gradient: wrt the image, :class:`AbstractConv2d_gradInputs` of the output
    gradient; wrt the filters, :class:`AbstractConv2d_gradWeights`.  R_op:
    the op is bilinear.  Not in place.
    """

    def make_node(self, img, kern):
        img = as_tensor_variable(img)
        kern = as_tensor_variable(kern)
        _check_4d(self, img, "input")
        _check_4d(self, kern, "filters", self.kern_ndim)
        out_type = img.type.clone(
            broadcastable=(img.broadcastable[0], kern.broadcastable[0], False, False)
        )
        return Apply(self, [img, kern], [out_type()])

    def perform(self, node, inputs, output_storage):
        img, kern = inputs
        self._check_hint(self.imshp, img.shape, "input")
        self._check_hint(self.kshp, kern.shape, "filters")
        self._check_channels(img.shape[1], kern.shape, "input", "filters")
        spatial = self._output_spatial(img.shape[2:], kern.shape[-2:], "input")
        self._check_positions(kern.shape, spatial, "filters")
        args = (
            self._pads(kern.shape[-2:]),
            self.subsample,
            self.filter_dilation,
            self.num_groups,
            self.filter_flip,
        )
        if self.unshared:
            out = im2col.unshared_forward(img, kern, *args)
        else:
            out = im2col.conv_forward(img, kern, *args, spatial)
        output_storage[0][0] = out.astype(node.outputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, shapes):
        imshp = [s if h is None else h for s, h in zip(shapes[0], self.imshp)]
        kshp = [s if h is None else h for s, h in zip(shapes[1], self.kshp)]
        return [
            list(
                get_conv_output_shape(
                    imshp, kshp, self.border_mode, self.subsample, self.filter_dilation
                )
            )
        ]

    def L_op(self, inputs, outputs, grads):
        bottom, weights = inputs
        (top,) = grads
        d_bottom = self._same(AbstractConv2d_gradInputs)(
            weights, top, bottom.shape[-2:]
        )
        d_weights = self._same(AbstractConv2d_gradWeights)(
            bottom, top, weights.shape[-2:]
        )
        return [_to_type(d_bottom, bottom), _to_type(d_weights, weights)]

    def R_op(self, inputs, eval_points):
        img, kern = inputs
        terms = []
        if eval_points[0] is not None:
            terms.append(self(eval_points[0], kern))
        if eval_points[1] is not None:
            terms.append(self(img, eval_points[1]))
        if not terms:
            return [None]
        return [terms[0] if len(terms) == 1 else terms[0] + terms[1]]


class AbstractConv2d_gradWeights(BaseAbstractConv):
    """Gradient of :class:`AbstractConv2d` with respect to the filters.

    Called as ``op(img, topgrad, shape)`` where ``shape`` gives the filters'
    spatial (kh, kw).  Returns (F, C/G, kh, kw) (with ``unshared``,
    (F, H', W', C/G, kh, kw)) in the image's dtype:
    ``sum_b topgrad[b, f] (x) pad(img)[b, c]`` correlated over the output
    positions (flipped back when ``filter_flip``).

    Notes
    -----
    Gradient: wrt ``img``, :class:`AbstractConv2d_gradInputs` of the incoming
    gradient; wrt ``topgrad``, :class:`AbstractConv2d` of the image with it.
    ``shape`` is not differentiable.  Not in place.
    """

    def make_node(self, img, topgrad, shape):
        img = as_tensor_variable(img)
        topgrad = as_tensor_variable(topgrad)
        _check_4d(self, img, "input")
        _check_4d(self, topgrad, "topgrad")
        shape = _as_shape_vector(self, shape)
        filters, channels = topgrad.broadcastable[1], img.broadcastable[1]
        if self.unshared:
            pattern = (filters, False, False, channels, False, False)
        else:
            pattern = (filters, channels, False, False)
        out_type = img.type.clone(broadcastable=pattern)
        return Apply(self, [img, topgrad, shape], [out_type()])

    def perform(self, node, inputs, output_storage):
        img, topgrad, shape = inputs
        kshape = tuple(int(s) for s in shape)
        self._check_hint(self.imshp, img.shape, "input")
        nfilt = topgrad.shape[1]
        if img.shape[1] % self.num_groups:
            raise ValueError(
                f"{type(self).__name__}: input has {img.shape[1]} channels, not "
                f"divisible by num_groups={self.num_groups}"
            )
        spatial = self._output_spatial(img.shape[2:], kshape, "input")
        positions = tuple(spatial) if self.unshared else ()
        full_kshape = (nfilt, *positions, img.shape[1] // self.num_groups, *kshape)
        self._check_channels(img.shape[1], full_kshape, "input", "the filters")
        expected = (img.shape[0], nfilt, *spatial)
        if tuple(topgrad.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}: topgrad has shape {topgrad.shape} but an "
                f"input of shape {img.shape} and filters of shape {full_kshape} "
                f"give a convolution output of shape {expected}"
            )
        kernel = (
            im2col.unshared_grad_weights if self.unshared else im2col.conv_grad_weights
        )
        grad = kernel(
            img,
            topgrad,
            kshape,
            self._pads(kshape),
            self.subsample,
            self.filter_dilation,
            self.num_groups,
            self.filter_flip,
        )
        self._check_hint(self.kshp, grad.shape, "filter gradient")
        output_storage[0][0] = grad.astype(node.outputs[0].dtype, copy=False)

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def infer_shape(self, fgraph, node, shapes):
        imshp, topshp = shapes[0], shapes[1]
        shape = node.inputs[2]
        positions = [topshp[2], topshp[3]] if self.unshared else []
        fallback = [
            topshp[1],
            *positions,
            imshp[1] // self.num_groups,
            shape[0],
            shape[1],
        ]
        return [[f if h is None else h for f, h in zip(fallback, self.kshp)]]

    def L_op(self, inputs, outputs, grads):
        bottom, top = inputs[:2]
        (weights,) = grads
        d_bottom = self._same(AbstractConv2d_gradInputs)(
            weights, top, bottom.shape[-2:]
        )
        d_top = self._same(AbstractConv2d)(bottom, weights)
        return [_to_type(d_bottom, bottom), _to_type(d_top, top), _disconnected()]


class AbstractConv2d_gradInputs(BaseAbstractConv):
    """Gradient of :class:`AbstractConv2d` with respect to the image.

    Called as ``op(kern, topgrad, shape)`` where ``shape`` gives the image's
    spatial (H, W) (it may be symbolic); with ``unshared`` the filters are
    (F, H', W', C/G, kh, kw).  Returns (B, C, H, W) in the filters' dtype.
    This is the transposed convolution: it scatters each output gradient
    back through the kernel taps that produced it.

    Notes
    -----
    Gradient: wrt ``kern``, :class:`AbstractConv2d_gradWeights` of the
    incoming gradient; wrt ``topgrad``, :class:`AbstractConv2d` of the
    incoming gradient with the filters.  ``shape`` is not differentiable.
    Not in place.
    """

    def make_node(self, kern, topgrad, shape):
        kern = as_tensor_variable(kern)
        topgrad = as_tensor_variable(topgrad)
        _check_4d(self, kern, "filters", self.kern_ndim)
        _check_4d(self, topgrad, "topgrad")
        shape = _as_shape_vector(self, shape)
        channels = False if self.num_groups > 1 else kern.broadcastable[-3]
        out_type = kern.type.clone(
            broadcastable=(topgrad.broadcastable[0], channels, False, False)
        )
        return Apply(self, [kern, topgrad, shape], [out_type()])

    def perform(self, node, inputs, output_storage):
        kern, topgrad, shape = inputs
        imspatial = tuple(int(s) for s in shape)
        self._check_hint(self.kshp, kern.shape, "filters")
        if kern.shape[0] % self.num_groups:
            raise ValueError(
                f"{type(self).__name__}: the number of filters ({kern.shape[0]}) "
                f"must be divisible by num_groups={self.num_groups}"
            )
        if topgrad.shape[1] != kern.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: topgrad has {topgrad.shape[1]} channels "
                f"but the filters of shape {kern.shape} have {kern.shape[0]} "
                "filters"
            )
        imshape = (topgrad.shape[0], kern.shape[-3] * self.num_groups, *imspatial)
        self._check_hint(self.imshp, imshape, "input gradient")
        spatial = self._output_spatial(imspatial, kern.shape[-2:], "the input shape")
        self._check_positions(kern.shape, spatial, "filters")
        expected = (topgrad.shape[0], kern.shape[0], *spatial)
        if tuple(topgrad.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}: invalid input shape {imspatial}: it gives "
                f"a convolution output of shape {expected}, but topgrad has shape "
                f"{topgrad.shape}"
            )
        kernel = (
            im2col.unshared_grad_inputs if self.unshared else im2col.conv_grad_inputs
        )
        grad = kernel(
            kern,
            topgrad,
            imspatial,
            self._pads(kern.shape[-2:]),
            self.subsample,
            self.filter_dilation,
            self.num_groups,
            self.filter_flip,
        )
        output_storage[0][0] = grad.astype(node.outputs[0].dtype, copy=False)

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def infer_shape(self, fgraph, node, shapes):
        kshp, topshp = shapes[0], shapes[1]
        shape = node.inputs[2]
        fallback = [topshp[0], kshp[-3] * self.num_groups, shape[0], shape[1]]
        return [[f if h is None else h for f, h in zip(fallback, self.imshp)]]

    def L_op(self, inputs, outputs, grads):
        weights, top = inputs[:2]
        (bottom,) = grads
        d_weights = self._same(AbstractConv2d_gradWeights)(
            bottom, top, weights.shape[-2:]
        )
        d_top = self._same(AbstractConv2d)(bottom, weights)
        return [_to_type(d_weights, weights), _to_type(d_top, top), _disconnected()]


def _as_shape_vector(op, shape):
    shape = as_tensor_variable(shape)
    if shape.ndim != 1 or not dt.is_integer(shape.dtype):
        raise TypeError(
            f"{type(op).__name__}: shape ({_name(shape)}) must be a vector of 2 "
            f"ints, got {shape.type}"
        )
    return shape


def conv2d(
    input,
    filters,
    input_shape=None,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    filter_flip=True,
    image_shape=None,
    filter_dilation=(1, 1),
    num_groups=1,
    unshared=False,
    **kwargs,
):
    """Convolve a batch of multi-channel images with a bank of filters.

    Parameters
    ----------
    input : 4-d tensor
        Images (batch, channels, rows, cols).
    filters : 4-d or 6-d tensor
        Filters (num filters, channels / num_groups, rows, cols), or with
        ``unshared`` (num filters, output rows, output cols, channels /
        num_groups, rows, cols).
    input_shape, filter_shape : tuple, optional
        Shape hints (ints or None); they never change the result.
    border_mode : {'valid', 'full', 'half'}, int or tuple
        Zero padding, see :class:`BaseAbstractConv`.
    subsample : (int, int)
        Output stride.
    filter_flip : bool
        True for convolution, False for cross-correlation.
    image_shape : tuple, optional
        Deprecated name of ``input_shape``.
    filter_dilation : (int, int)
        Kernel dilation.
    num_groups : int
        Number of channel groups convolved separately.
    unshared : bool
        A locally connected layer: each output position has its own kernel.

    Returns
    -------
    4-d tensor
        (batch, num filters, rows', cols'), see :func:`get_conv_output_shape`.

    Examples
    --------
    >>> from symbolic import tensor
    >>> x, w = tensor.tensor4('x'), tensor.tensor4('w')
    >>> conv2d(x, w, border_mode='half').ndim
    4
    """
    if kwargs:
        warnings.warn(
            f"{sorted(kwargs)} are deprecated in conv2d and ignored", stacklevel=2
        )
    if image_shape is not None:
        warnings.warn(
            "The `image_shape` keyword argument to `conv2d` is deprecated, it has "
            "been renamed to `input_shape`.",
            stacklevel=2,
        )
        if input_shape is not None:
            raise ValueError(
                "input_shape and image_shape should not be provided at the same time."
            )
        input_shape = image_shape
    op = AbstractConv2d(
        imshp=input_shape,
        kshp=filter_shape,
        border_mode=border_mode,
        subsample=subsample,
        filter_flip=filter_flip,
        filter_dilation=filter_dilation,
        num_groups=num_groups,
        unshared=unshared,
    )
    return op(input, filters)


def conv2d_grad_wrt_inputs(
    output_grad,
    filters,
    input_shape,
    filter_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    filter_flip=True,
    filter_dilation=(1, 1),
    num_groups=1,
    unshared=False,
):
    """Return the gradient of a conv2d wrt its input, given ``output_grad``.

    ``input_shape`` has four entries: the first two ints or None, the last
    two ints or symbolic scalars (the spatial size of the result).
    """
    input_shape, hint = _shape_and_hint(input_shape, "input_shape")
    op = AbstractConv2d_gradInputs(
        imshp=hint,
        kshp=filter_shape,
        border_mode=border_mode,
        subsample=subsample,
        filter_flip=filter_flip,
        filter_dilation=filter_dilation,
        num_groups=num_groups,
        unshared=unshared,
    )
    return op(filters, output_grad, list(input_shape[-2:]))


def conv2d_grad_wrt_weights(
    input,
    output_grad,
    filter_shape,
    input_shape=None,
    border_mode="valid",
    subsample=(1, 1),
    filter_flip=True,
    filter_dilation=(1, 1),
    num_groups=1,
    unshared=False,
):
    """Return the gradient of a conv2d wrt its filters, given ``output_grad``."""
    filter_shape, hint = _shape_and_hint(
        filter_shape, "filter_shape", 6 if unshared else 4
    )
    op = AbstractConv2d_gradWeights(
        imshp=input_shape,
        kshp=hint,
        border_mode=border_mode,
        subsample=subsample,
        filter_flip=filter_flip,
        filter_dilation=filter_dilation,
        num_groups=num_groups,
        unshared=unshared,
    )
    return op(input, output_grad, list(filter_shape[-2:]))


def _shape_and_hint(shape, label, length=4):
    """``shape`` (``length`` entries) as a tuple, and its static hint (None
    where symbolic)."""
    shape = tuple(shape)
    if len(shape) != length:
        raise ValueError(f"{label} must have {length} entries, got {shape}")
    hint = [
        None if isinstance(s, Variable) and not _is_constant(s) else s for s in shape
    ]
    return shape, hint


def _is_constant(var):
    try:
        get_scalar_constant_value(var)
    except (NotScalarConstantError, TypeError):
        return False
    return True


def conv2d_transpose(
    input,
    filters,
    output_shape,
    filter_shape=None,
    border_mode="valid",
    input_dilation=(1, 1),
    filter_flip=True,
    filter_dilation=(1, 1),
    num_groups=1,
    unshared=False,
):
    """Transposed convolution ("deconvolution"): the gradInputs of a conv2d.

    ``output_shape`` is the (batch, channels, rows, cols) of the result, the
    last two possibly symbolic; ``input_dilation`` is the stride of the
    convolution being transposed.
    """
    return conv2d_grad_wrt_inputs(
        output_grad=input,
        filters=filters,
        input_shape=output_shape,
        filter_shape=filter_shape,
        border_mode=border_mode,
        subsample=input_dilation,
        filter_flip=filter_flip,
        filter_dilation=filter_dilation,
        num_groups=num_groups,
        unshared=unshared,
    )
