"""Theano path ``sparse.sharedvar`` (import-only shim)."""

from symbolic.compile.shared import sparse_constructor
from symbolic.compile.sparse_shared import SparseSharedVariable

SparseTensorSharedVariable = SparseSharedVariable
