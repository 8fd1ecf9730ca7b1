"""Sparse matrices over scipy.sparse: conversions, arithmetic, structured ops, dots."""

import sys as _sys

from symbolic.ops.sparse.basic import *
from symbolic.ops.sparse.construct import *
from symbolic.ops.sparse.dot import *
from symbolic.ops.sparse.indexing import *
from symbolic.ops.sparse.structured import *
from symbolic.types import sparse as _sparse_types
from symbolic.types.sparse import (
    SparseConstant,
    SparseType,
    SparseVariable,
    as_sparse,
    as_sparse_variable,
    csc_matrix,
    csr_matrix,
    is_sparse_variable,
    matrix,
)

# Sparse variables' methods (``x + y``, ``x.T``...) call this namespace.
_namespace = _sys.modules[__name__]
_sparse_types.ops_namespace.install(lambda: _namespace)
