"""Theano path ``sparse.sharedvar`` (import-only shim)."""

from symbolic.compile.shared import SparseSharedVariable, sparse_constructor

SparseTensorSharedVariable = SparseSharedVariable
