"""Theano path ``sparse.basic`` (import-only shim)."""

from symbolic.gradient.verify_sparse import verify_grad_sparse
from symbolic.ops.sparse import *
from symbolic.ops.sparse.basic import _is_scipy as _is_sparse
from symbolic.types.sparse import is_sparse_variable as _is_sparse_variable
