"""Sparse matrices over scipy.sparse: conversions, arithmetic, structured ops, dots."""

from symbolic.ops.sparse.basic import *
from symbolic.ops.sparse.construct import *
from symbolic.ops.sparse.dot import *
from symbolic.ops.sparse.indexing import *
from symbolic.ops.sparse.structured import *
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
