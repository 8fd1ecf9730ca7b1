"""Theano path ``sparse`` (import-only shim over ``symbolic.ops.sparse``)."""

from symbolic.compile.shared import sparse_constructor
from symbolic.compile.sparse_shared import SparseSharedVariable
from symbolic.gradient.verify_sparse import verify_grad_sparse
from symbolic.ops.sparse import *
from symbolic.sparse import basic, sharedvar
from symbolic.types.sparse import (
    csc_dmatrix,
    csc_fmatrix,
    csr_dmatrix,
    csr_fmatrix,
)

shared = sparse_constructor
SparseTensorSharedVariable = SparseSharedVariable
