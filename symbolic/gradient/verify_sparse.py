"""verify_grad_sparse: finite-difference checks of ops with sparse inputs or outputs."""

import numpy
import scipy.sparse

from symbolic.gradient.verify import verify_grad
from symbolic.ops.sparse import (
    SparseFromDense,
    as_sparse_variable,
    dense_from_sparse,
    is_sparse_variable,
    sample_at_pattern,
)


def verify_grad_sparse(op, pt, structured=False, *args, **kwargs):
    """Check the gradient of ``op`` through dense stand-ins for its sparse operands.

    Each scipy.sparse entry of ``pt`` is checked as a dense matrix that is
    turned back into a sparse one of the same format inside the graph; a
    sparse output is turned dense. With ``structured`` the stand-in keeps
    only the matrix's stored entries, so entries it does not store have no
    gradient on either side of the comparison.

    Parameters
    ----------
    op : callable
        Takes symbolic variables, returns a variable (sparse or dense).
    pt : list of ndarray or scipy.sparse matrix
    structured : bool
    *args, **kwargs
        Passed to :func:`~symbolic.gradient.verify_grad`.
    """
    formats = [x.format if scipy.sparse.issparse(x) else None for x in pt]
    patterns = [
        as_sparse_variable(x.asformat(fmt)) if fmt else None
        for x, fmt in zip(pt, formats)
    ]
    dense_pt = [
        x.toarray() if scipy.sparse.issparse(x) else numpy.asarray(x) for x in pt
    ]

    def wrapped(*inputs):
        operands = []
        for value, fmt, pattern in zip(inputs, formats, patterns):
            if fmt is None:
                operands.append(value)
            elif structured:
                operands.append(sample_at_pattern(pattern, value))
            else:
                operands.append(SparseFromDense(fmt)(value))
        out = op(*operands)
        if is_sparse_variable(out):
            # Unstructured checks read every entry of a sparse result.
            out = dense_from_sparse(out, sparse_grad=structured)
        return out

    return verify_grad(wrapped, dense_pt, *args, **kwargs)
