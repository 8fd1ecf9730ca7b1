"""Theano path ``tensor.nnet.conv`` (import-only shim).

Theano's older ``conv2d(input, filters, image_shape, filter_shape,
border_mode, subsample)`` is the abstract ``conv2d`` with those keywords.
"""

from symbolic.ops.conv.abstract_conv import conv2d
