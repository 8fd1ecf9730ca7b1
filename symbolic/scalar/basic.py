"""Theano path ``scalar.basic`` (import-only shim)."""

from symbolic.ops.scalar.basic import *
from symbolic.ops.scalar.basic import Identity, ScalarOp, identity
from symbolic.ops.scalar.math import *
from symbolic.types.dtypes import upcast


