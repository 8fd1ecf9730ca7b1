"""Theano path ``tensor.opt`` (import-only shim): rewrite registration, optimizers."""

from symbolic.rewriting.optdb import (
    register_canonicalize,
    register_specialize,
    register_specialize_device,
    register_stabilize,
    register_uncanonicalize,
)
from symbolic.rewriting.optimizers import *
from symbolic.rewriting.shape_feature import ShapeFeature
