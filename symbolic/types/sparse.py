"""SparseType: 2-d CSR/CSC matrices held as ``scipy.sparse`` objects.

A sparse variable's methods (``x + y``, ``x.T``, ``x.toarray()``...) are
sugar for the ops in ``symbolic.ops.sparse``, which sits above types and
fills the hook :data:`ops_namespace` when it is imported.
"""

import numpy
import scipy.sparse

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.type import Type
from symbolic.types import dtypes as dt
from symbolic.utils.hooks import Hook

#: The scipy class of each supported format.
FORMATS = {"csr": scipy.sparse.csr_matrix, "csc": scipy.sparse.csc_matrix}


#: Returns the ``symbolic.ops.sparse`` namespace SparseVariable's methods call.
ops_namespace = Hook(
    "SparseVariable's methods (x + y, x.T...)",
    "symbolic.ops.sparse",
    also="symbolic.sparse",
)


def _ops():
    return ops_namespace()


class SparseType(Type):
    """The type of sparse matrices of one format and dtype.

    Parameters
    ----------
    format : {'csr', 'csc'}
    dtype : str
        A float, complex or integer numpy dtype name.

    Examples
    --------
    >>> SparseType('csr', 'float64')('x').type
    Sparse[float64, csr]
    """

    ndim = 2
    broadcastable = (False, False)

    def __init__(self, format, dtype):
        if format not in FORMATS:
            raise ValueError(
                f"unsupported sparse format {format!r}; expected one of "
                f"{sorted(FORMATS)}"
            )
        self.format = format
        self.dtype = str(numpy.dtype(dtype))
        if self.dtype not in dt.all_dtypes or self.dtype == "bool":
            raise TypeError(f"unsupported dtype {dtype!r} for a SparseType")

    variable_type = None  # set below, once SparseVariable exists
    constant_type = None

    def filter(self, data, strict=False, allow_downcast=None):
        """Return ``data`` as a scipy matrix of this format and dtype."""
        if not scipy.sparse.issparse(data):
            raise TypeError(
                f"{self} expected a scipy.sparse matrix, got {type(data).__name__}"
            )
        if data.ndim != 2:
            raise TypeError(f"{self} expected a 2-d matrix, got ndim={data.ndim}")
        if data.format == self.format and str(data.dtype) == self.dtype:
            if isinstance(data, FORMATS[self.format]):
                return data
            return FORMATS[self.format](data)
        if strict:
            raise TypeError(
                f"{self} expected a {self.format} matrix of dtype {self.dtype}, "
                f"got {data.format} of dtype {data.dtype} (strict=True)"
            )
        if str(data.dtype) != self.dtype:
            safe = numpy.can_cast(data.dtype, self.dtype, casting="safe")
            if not safe and not allow_downcast:
                raise TypeError(
                    f"{self} cannot take a matrix of dtype {data.dtype} without "
                    "losing precision; pass allow_downcast=True to cast it"
                )
            data = data.astype(self.dtype)
        return FORMATS[self.format](data.asformat(self.format))

    def is_valid_value(self, data):
        return (
            scipy.sparse.issparse(data)
            and data.format == self.format
            and str(data.dtype) == self.dtype
        )

    def values_eq(self, a, b):
        return (
            scipy.sparse.issparse(a)
            and scipy.sparse.issparse(b)
            and a.shape == b.shape
            and abs(a - b).sum() == 0
        )

    def values_eq_approx(self, a, b, eps=1e-6):
        if not (scipy.sparse.issparse(a) and scipy.sparse.issparse(b)):
            return False
        if a.shape != b.shape:
            return False
        diff = abs(a - b)
        return diff.nnz == 0 or float(diff.max()) < eps

    def may_share_memory(self, a, b):
        if a is b:
            return True
        parts = lambda m: (m.data, m.indices, m.indptr)  # noqa: E731
        return any(numpy.may_share_memory(p, q) for p in parts(a) for q in parts(b))

    def make_variable(self, name=None):
        return SparseVariable(self, None, None, name=name)

    def to_tensor(self, var):
        """Refuse the silent conversion ``as_tensor_variable`` asks for."""
        raise TypeError(
            f"cannot use the sparse variable {var} ({self}) as a dense tensor; "
            "convert it with dense_from_sparse (or x.toarray())"
        )

    def clone(self, format=None, dtype=None):
        return SparseType(format or self.format, dtype or self.dtype)

    def __eq__(self, other):
        return (
            type(other) is SparseType
            and other.format == self.format
            and other.dtype == self.dtype
        )

    def __hash__(self):
        return hash((SparseType, self.format, self.dtype))

    def __str__(self):
        return f"Sparse[{self.dtype}, {self.format}]"

    __repr__ = __str__


class _sparse_py_operators:
    """Operator and method sugar shared by sparse variables and constants."""

    ndim = 2
    broadcastable = (False, False)

    @property
    def dtype(self):
        return self.type.dtype

    @property
    def format(self):
        return self.type.format

    @property
    def shape(self):
        return _ops().sparse_shape(self)

    @property
    def T(self):
        return _ops().transpose(self)

    def transpose(self):
        return _ops().transpose(self)

    def toarray(self):
        return _ops().dense_from_sparse(self)

    def zeros_like(self):
        return _ops().sp_zeros_like(self)

    def sum(self, axis=None, sparse_grad=False):
        return _ops().sp_sum(self, axis=axis, sparse_grad=sparse_grad)

    def __neg__(self):
        return _ops().neg(self)

    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().sub(self, other)

    def __rsub__(self, other):
        return _ops().sub(other, self)

    def __mul__(self, other):
        return _ops().mul(self, other)

    def __rmul__(self, other):
        return _ops().mul(other, self)

    def __dot__(self, other):
        return _ops().structured_dot(self, other)

    def __rdot__(self, other):
        return _ops().structured_dot(other, self)

    def __getitem__(self, index):
        return _ops().getitem(self, index)


class SparseVariable(_sparse_py_operators, Variable):
    """A symbolic sparse matrix."""

    def __str__(self):
        if self.name is None and self.owner is None:
            return f"<{self.type}>"
        return Variable.__str__(self)


class SparseConstant(_sparse_py_operators, Constant):
    """A constant sparse matrix; it merges with equal constants."""

    def __str__(self):
        if self.name is not None:
            return self.name
        data = self.data
        return (
            f"SparseConstant{{{data.format}, {data.dtype}, shape={data.shape}, "
            f"nnz={data.nnz}}}"
        )

    def signature(self):
        data = self.data
        return (
            SparseConstant,
            self.type,
            data.shape,
            data.data.tobytes(),
            data.indices.tobytes(),
            data.indptr.tobytes(),
        )


SparseType.variable_type = SparseVariable
SparseType.constant_type = SparseConstant


def _constructor(format):
    def make(name=None, dtype=None):
        from symbolic.config import config

        return SparseType(format, dtype or config.floatX)(name)

    make.__name__ = f"{format}_matrix"
    make.__doc__ = (
        f"Return a new symbolic {format.upper()} matrix of ``dtype`` "
        "(default ``config.floatX``)."
    )
    return make


csr_matrix = _constructor("csr")
csc_matrix = _constructor("csc")

# Theano's ready-made types.
csr_dmatrix = SparseType("csr", "float64")
csr_fmatrix = SparseType("csr", "float32")
csc_dmatrix = SparseType("csc", "float64")
csc_fmatrix = SparseType("csc", "float32")


def matrix(format, name=None, dtype=None):
    """Return a new symbolic sparse matrix of ``format`` ('csr' or 'csc')."""
    if format not in FORMATS:
        raise ValueError(f"unsupported sparse format {format!r}")
    return _constructor(format)(name, dtype)


def as_sparse_variable(x, name=None):
    """Return ``x`` as a sparse variable (a scipy matrix becomes a SparseConstant).

    Raises
    ------
    TypeError
        When ``x`` is neither (a dense variable needs ``csr_from_dense``).
    """
    from symbolic.graph.basic import Apply

    if isinstance(x, Apply):
        x = x.default_output()
    if isinstance(x, Variable):
        if not isinstance(x.type, SparseType):
            raise TypeError(
                f"{x} of type {x.type} is not sparse; convert it with "
                "csr_from_dense or csc_from_dense"
            )
        return x
    if scipy.sparse.issparse(x):
        fmt = x.format if x.format in FORMATS else "csr"
        return SparseConstant(SparseType(fmt, x.dtype), x.asformat(fmt), name=name)
    raise TypeError(f"cannot convert {x!r} to a sparse variable")


as_sparse = as_sparse_variable


def is_sparse_variable(x):
    """True for a Variable of a SparseType."""
    return isinstance(x, Variable) and isinstance(x.type, SparseType)
