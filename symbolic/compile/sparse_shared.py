"""Shared scipy.sparse matrices (loaded with the first sparse value given to shared)."""

from symbolic.compile.shared import SharedVariable
from symbolic.types.sparse import SparseType, _sparse_py_operators


class SparseSharedVariable(_sparse_py_operators, SharedVariable):
    """A shared scipy.sparse CSR or CSC matrix with the sparse variable interface."""

    def zero(self, borrow=False):
        """Set the value to an all-zero matrix of the same shape, format and dtype."""
        value = self.container.value
        self.container.value = type(value)(value.shape, dtype=value.dtype)


def make_sparse_shared(value, name, strict, allow_downcast, borrow, format=None):
    """Return a SparseSharedVariable holding ``value`` (copied unless ``borrow``)."""
    if format is None:
        format = value.format if value.format in ("csr", "csc") else "csr"
    return SparseSharedVariable(
        type=SparseType(format, value.dtype),
        value=value if borrow else value.copy(),
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )
