"""Theano path ``tensor.opt`` (import-only shim): rewrite registration, optimizers."""

from symbolic.ops.basic import MakeVector, make_vector
from symbolic.ops.identity import Assert, assert_op
from symbolic.rewriting.optdb import (
    register_canonicalize,
    register_specialize,
    register_specialize_device,
    register_stabilize,
    register_uncanonicalize,
)
from symbolic.rewriting.optimizers import *
from symbolic.rewriting.shape_feature import ShapeFeature
