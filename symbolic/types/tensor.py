"""TensorType and the symbolic tensor classes (variables and constants).

TensorVariable's numpy-like methods are sugar for the ops in ``symbolic.ops``.
Ops sit above types, so the methods reach them through a hook that
``symbolic.ops`` fills when it is imported (:data:`ops_namespace`).
"""

import numpy

from symbolic.config import config
from symbolic.graph import replace as graph_replace
from symbolic.graph.basic import Constant, Variable
from symbolic.graph.type import Type
from symbolic.types import dtypes as dt
from symbolic.types.tensor_constructors import constructors, tensor
from symbolic.utils.hooks import Hook

#: Returns the ``symbolic.ops`` namespace TensorVariable's methods call.
ops_namespace = Hook("TensorVariable's methods (x + y, x.sum()...)", "symbolic.ops")


def _ops():
    return ops_namespace()


_DTYPE_NAMES = {}


def _dtype_name(dtype):
    """numpy's name for ``dtype`` ('float32'), remembered per spelling.

    numpy 2 takes microseconds to name a dtype, and a graph's rewriting
    builds thousands of types.
    """
    try:
        return _DTYPE_NAMES[dtype]
    except KeyError:
        name = _DTYPE_NAMES[dtype] = str(numpy.dtype(dtype))
        return name
    except TypeError:  # an unhashable spelling
        return str(numpy.dtype(dtype))


class TensorType(Type):
    """The type of n-dimensional arrays of one dtype and broadcast pattern.

    Parameters
    ----------
    dtype : str
        A numpy dtype name (``'float64'``, ``'int32'``, ``'bool'``...).
    broadcastable : tuple of bool
        One flag per dimension; True means the dimension has length 1 and
        stretches against other operands.  Its length is ``ndim``.
    name : str, optional

    Examples
    --------
    >>> TensorType('float32', (False, True))('x').type
    TensorType(float32, col)
    """

    def __init__(self, dtype, broadcastable, name=None, sparse_grad=False):
        self.dtype = _dtype_name(dtype)
        if self.dtype not in dt.all_dtypes:
            raise TypeError(f"unsupported dtype {dtype!r} for a TensorType")
        self.broadcastable = tuple(bool(b) for b in broadcastable)
        self.name = name
        self.numpy_dtype = numpy.dtype(self.dtype)
        self.sparse_grad = sparse_grad

    @property
    def ndim(self):
        return len(self.broadcastable)

    variable_type = None  # set below, once TensorVariable exists
    constant_type = None

    def clone(self, dtype=None, broadcastable=None):
        return TensorType(
            self.dtype if dtype is None else dtype,
            self.broadcastable if broadcastable is None else broadcastable,
        )

    def __eq__(self, other):
        return (
            type(self) is type(other)
            and self.dtype == other.dtype
            and self.broadcastable == other.broadcastable
        )

    def __hash__(self):
        return hash((type(self), self.dtype, self.broadcastable))

    def __str__(self):
        if self.name:
            return self.name
        named = {
            (): "scalar",
            (False,): "vector",
            (False, True): "col",
            (True, False): "row",
            (False, False): "matrix",
        }
        if self.broadcastable in named:
            pattern = named[self.broadcastable]
        elif not any(self.broadcastable):
            pattern = f"{self.ndim}D"
        else:
            pattern = str(self.broadcastable)
        return f"TensorType({self.dtype}, {pattern})"

    __repr__ = __str__

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("numpy_dtype", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.numpy_dtype = numpy.dtype(self.dtype)

    # Values ---------------------------------------------------------------------
    def filter(self, data, strict=False, allow_downcast=None):
        """Return ``data`` as an ndarray of this type, or raise TypeError.

        An ndarray of the exact dtype is used as is.  A dtype that upcasts to
        ours is converted.  Anything lossy raises, unless ``allow_downcast``
        is True; when it is None a Python float may still become floatX, and
        lists or scalars are accepted when the conversion is exact.
        """
        if isinstance(data, Variable):
            raise TypeError(
                f"expected a value for {self}, got the symbolic variable {data}"
            )
        if type(data) is numpy.ndarray and data.dtype == self.numpy_dtype:
            value = data
        elif strict:
            if not isinstance(data, numpy.ndarray):
                raise TypeError(
                    f"{self} expected an ndarray (strict), got {type(data).__name__}"
                )
            if data.dtype != self.numpy_dtype:
                raise TypeError(
                    f"{self} expected dtype {self.dtype} (strict), got {data.dtype}"
                )
            value = data
        else:
            value = self._convert(data, allow_downcast)
        if value.ndim != self.ndim:
            raise TypeError(
                f"wrong number of dimensions: expected {self.ndim} "
                f"({self}), got {value.ndim} with shape {value.shape}"
            )
        shape = value.shape
        for axis, bcast in enumerate(self.broadcastable):
            if bcast and shape[axis] != 1:
                raise TypeError(
                    f"non-unit value on shape on a broadcastable dimension: "
                    f"{self} requires axis {axis} to have length 1, got shape {shape}"
                )
        return value

    def _convert(self, data, allow_downcast):
        if allow_downcast:
            return numpy.asarray(data, dtype=self.dtype)
        if (
            allow_downcast is None
            and isinstance(data, float)
            and self.dtype == config.floatX
        ):
            return numpy.asarray(data, dtype=self.dtype)
        if isinstance(data, numpy.ndarray):
            if numpy.can_cast(data.dtype, self.numpy_dtype, casting="safe"):
                return numpy.asarray(data, dtype=self.dtype)
            raise TypeError(
                f"{self} cannot store a value of dtype {data.dtype} without "
                "risking loss of precision; use allow_input_downcast=True or "
                "cast the value first"
            )
        converted = numpy.asarray(data)
        if converted.dtype == self.numpy_dtype:
            return converted
        if numpy.can_cast(converted.dtype, self.numpy_dtype, casting="safe"):
            return numpy.asarray(converted, dtype=self.dtype)
        cast = numpy.asarray(converted, dtype=self.dtype)
        with numpy.errstate(invalid="ignore"):
            exact = numpy.all(cast == converted)
        if exact:
            return cast
        raise TypeError(
            f"{self} cannot store {data!r} (dtype {converted.dtype}) without loss "
            "of precision; use allow_input_downcast=True"
        )

    def values_eq(self, a, b):
        a, b = numpy.asarray(a), numpy.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(numpy.all((a == b) | (numpy.isnan(a) & numpy.isnan(b))))
        return bool(numpy.all(a == b))

    def values_eq_approx(self, a, b, rtol=None, atol=None):
        a, b = numpy.asarray(a), numpy.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind not in "fc":
            return bool(numpy.all(a == b))
        if rtol is None:
            rtol = (
                1e-4 if a.dtype == numpy.float32 or b.dtype == numpy.float32 else 1e-5
            )
        if atol is None:
            atol = 1e-5 if rtol > 1e-5 else 1e-8
        return bool(numpy.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))

    def may_share_memory(self, a, b):
        if isinstance(a, numpy.ndarray) and isinstance(b, numpy.ndarray):
            return numpy.may_share_memory(a, b)
        return False

    def get_shape_info(self, obj):
        return obj.shape

    def convert_variable(self, var):
        """Return ``var`` as this type when it is a more-broadcastable match."""
        vtype = var.type
        if vtype == self:
            return var
        if (
            isinstance(vtype, TensorType)
            and vtype.dtype == self.dtype
            and vtype.ndim == self.ndim
            and all(
                vb or not sb for vb, sb in zip(vtype.broadcastable, self.broadcastable)
            )
        ):
            return _ops().patternbroadcast(var, self.broadcastable)
        return None

    def make_variable(self, name=None):
        return TensorVariable(self, None, None, name=name)

    def make_constant(self, value, name=None):
        return TensorConstant(self, value, name=name)


def _scalar_constant_int(value):
    try:
        return int(_ops().get_scalar_constant_value(value))
    except Exception:
        return None


class _tensor_py_operators:
    """The numpy-like surface shared by tensor variables, constants and shared ones."""

    # Arithmetic -----------------------------------------------------------------
    def __add__(self, other):
        return _binary(_ops().add, self, other)

    def __radd__(self, other):
        return _binary(_ops().add, other, self)

    def __sub__(self, other):
        return _binary(_ops().sub, self, other)

    def __rsub__(self, other):
        return _binary(_ops().sub, other, self)

    def __mul__(self, other):
        return _binary(_ops().mul, self, other)

    def __rmul__(self, other):
        return _binary(_ops().mul, other, self)

    def __truediv__(self, other):
        return _binary(_ops().true_div, self, other)

    def __rtruediv__(self, other):
        return _binary(_ops().true_div, other, self)

    def __floordiv__(self, other):
        return _binary(_ops().int_div, self, other)

    def __rfloordiv__(self, other):
        return _binary(_ops().int_div, other, self)

    def __mod__(self, other):
        return _binary(_ops().mod, self, other)

    def __rmod__(self, other):
        return _binary(_ops().mod, other, self)

    def __pow__(self, other):
        return _binary(_ops().pow, self, other)

    def __rpow__(self, other):
        return _binary(_ops().pow, other, self)

    def __neg__(self):
        return _ops().neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops().abs_(self)

    def __invert__(self):
        return _ops().invert(self)

    def __and__(self, other):
        return _binary(_ops().and_, self, other)

    def __rand__(self, other):
        return _binary(_ops().and_, other, self)

    def __or__(self, other):
        return _binary(_ops().or_, self, other)

    def __ror__(self, other):
        return _binary(_ops().or_, other, self)

    def __xor__(self, other):
        return _binary(_ops().xor, self, other)

    def __rxor__(self, other):
        return _binary(_ops().xor, other, self)

    def __matmul__(self, other):
        return _ops().dot(self, other)

    def __rmatmul__(self, other):
        return _ops().dot(other, self)

    # Comparisons give bool tensors that refuse bool() -------------------------------
    def __lt__(self, other):
        return _comparison(_ops().lt, self, other)

    def __le__(self, other):
        return _comparison(_ops().le, self, other)

    def __gt__(self, other):
        return _comparison(_ops().gt, self, other)

    def __ge__(self, other):
        return _comparison(_ops().ge, self, other)

    def __bool__(self):
        if getattr(self, "_is_comparison", False):
            raise TypeError(
                "the truth value of a symbolic comparison is undefined; "
                "use symbolic.tensor.switch or ifelse"
            )
        return True

    def __iter__(self):
        try:
            length = _ops().get_vector_length(self)
        except (TypeError, ValueError):
            raise TypeError(
                f"{self} cannot be iterated: its length is not known statically"
            ) from None
        for i in range(length):
            yield self[i]

    # Structure ------------------------------------------------------------------
    ndim = property(lambda self: self.type.ndim)
    dtype = property(lambda self: self.type.dtype)
    broadcastable = property(lambda self: self.type.broadcastable)

    @property
    def shape(self):
        return _ops().shape(self)

    @property
    def size(self):
        return _ops().prod(self.shape)

    @property
    def T(self):
        return _ops().transpose(self)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return _ops().transpose(self, axes or None)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return _ops().DimShuffle(self.broadcastable, pattern)(self)

    def reshape(self, shape, ndim=None):
        return _ops().reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1, outdim=None):
        return _ops().flatten(self, ndim if outdim is None else outdim)

    def ravel(self):
        return _ops().flatten(self, 1)

    def squeeze(self):
        return _ops().squeeze(self)

    def swapaxes(self, axis1, axis2):
        return _ops().swapaxes(self, axis1, axis2)

    def astype(self, dtype):
        return _ops().cast(self, dtype)

    def __getitem__(self, index):
        return _ops().getitem(self, index)

    def copy(self, name=None):
        """Return ``Elemwise{identity}(self)`` with an empty tag and the given name."""
        out = _ops().tensor_copy(self)
        out.name = name
        return out

    # Reductions -------------------------------------------------------------------
    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _ops().sum(
            self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype
        )

    def prod(
        self,
        axis=None,
        dtype=None,
        keepdims=False,
        acc_dtype=None,
        no_zeros_in_input=False,
    ):
        return _ops().prod(
            self,
            axis=axis,
            dtype=dtype,
            keepdims=keepdims,
            acc_dtype=acc_dtype,
            no_zeros_in_input=no_zeros_in_input,
        )

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _ops().mean(
            self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype
        )

    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _ops().var(
            self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected
        )

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _ops().std(
            self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected
        )

    def max(self, axis=None, keepdims=False):
        return _ops().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _ops().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _ops().argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return _ops().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _ops().any(self, axis=axis, keepdims=keepdims)

    def norm(self, L, axis=None, keepdims=False):
        """Return the L-norm: ``sum(abs(x) ** L) ** (1 / L)`` over ``axis``."""
        ops = _ops()
        if L == 0:
            raise NotImplementedError("the L0 norm is not a norm")
        return ops.pow(
            ops.sum(ops.pow(ops.abs_(self), L), axis=axis, keepdims=keepdims), 1.0 / L
        )

    # Elementwise helpers -------------------------------------------------------------
    def clip(self, a_min, a_max):
        return _ops().clip(self, a_min, a_max)

    def round(self, mode=None):
        return _ops().round(self, mode)

    def conj(self):
        return _ops().conj(self)

    def dot(self, other):
        return _ops().dot(self, other)

    def nonzero(self, return_matrix=False):
        return _ops().nonzero(self, return_matrix=return_matrix)

    def nonzero_values(self):
        return _ops().nonzero_values(self)

    def repeat(self, repeats, axis=None):
        return _ops().repeat(self, repeats, axis)

    def sort(self, axis=-1, kind="quicksort", order=None):
        return _ops().sort(self, axis, kind, order)

    def argsort(self, axis=-1, kind="quicksort", order=None):
        return _ops().argsort(self, axis, kind, order)

    def cumsum(self, axis=None):
        return _ops().cumsum(self, axis)

    def cumprod(self, axis=None):
        return _ops().cumprod(self, axis)

    def zeros_like(self, dtype=None):
        return _ops().zeros_like(self, dtype=dtype)

    def ones_like(self, dtype=None):
        return _ops().ones_like(self, dtype=dtype)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _ops().diagonal(self, offset, axis1, axis2)

    def trace(self):
        return _ops().trace(self)

    def transfer(self, target):
        if target in (None, "cpu"):
            return self
        raise ValueError(f"cannot transfer {self} to device {target!r} on this backend")

    def get_scalar_constant_value(self):
        return _ops().get_scalar_constant_value(self)


def _binary(fn, a, b):
    try:
        return fn(a, b)
    except (TypeError, NotImplementedError) as exc:
        if isinstance(b, (list, dict, set)) or b is None or isinstance(a, (dict, set)):
            raise TypeError(f"unsupported operand: {exc}") from exc
        if any(_other_variable_kind(v) for v in (a, b)):
            # dense * sparse: let the sparse variable's reflected operator answer.
            return NotImplemented
        raise


def _other_variable_kind(value):
    """A Variable of a non-tensor type that has its own operators (e.g. sparse)."""
    return (
        isinstance(value, Variable)
        and not isinstance(value.type, TensorType)
        and hasattr(value, "__radd__")
    )


def _comparison(fn, a, b):
    out = fn(a, b)
    out._is_comparison = True
    return out


class TensorVariable(_tensor_py_operators, Variable):
    """A symbolic tensor: the output of an op or a graph input."""


class TensorConstant(_tensor_py_operators, Constant):
    """A constant tensor; prints as ``TensorConstant{value}``."""

    def __init__(self, type, data, name=None):
        Constant.__init__(self, type, data, name)

    def __str__(self):
        if self.name is not None:
            return self.name
        data = self.data
        if data.size > 20:
            text = f"{{{data.dtype}, shape={data.shape}}}"
        else:
            text = "{" + numpy.array2string(data, separator=",").replace("\n", "") + "}"
            if data.ndim == 0:
                text = "{" + _scalar_text(data) + "}"
        return f"TensorConstant{text}"

    def signature(self):
        return Constant.signature(self)


def _scalar_text(data):
    value = data.item()
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


TensorType.variable_type = TensorVariable
TensorType.constant_type = TensorConstant


# Constructors (``matrix``, ``dvector``, ``fscalars``...) live in their own module.
globals().update(constructors)

scalars = constructors["scalars"]
vectors = constructors["vectors"]
matrices = constructors["matrices"]


# Conversion -------------------------------------------------------------------------
def constant(x, name=None, ndim=None, dtype=None):
    """Return a TensorConstant holding ``x``; every length-1 dim is broadcastable.

    Python literals are typed by the cast policy (``autocast_literal``).
    """
    if dtype is not None:
        value = numpy.asarray(x, dtype=dtype)
    elif isinstance(x, (bool, int, float, complex)) and not isinstance(
        x, numpy.generic
    ):
        value = numpy.asarray(x, dtype=dt.autocast_literal(x))
    elif isinstance(x, (list, tuple)):
        value = numpy.asarray(x)
        if value.size == 0:
            value = numpy.asarray(x, dtype=config.floatX)
    else:
        value = numpy.asarray(x)
    if value.dtype == object:
        raise TypeError(f"cannot make a tensor constant from {x!r}")
    if ndim is not None:
        if value.ndim < ndim:
            value = value.reshape((1,) * (ndim - value.ndim) + value.shape)
        elif value.ndim > ndim:
            extra = value.ndim - ndim
            if any(s != 1 for s in value.shape[:extra]):
                raise ValueError(f"cannot make {x!r} into a {ndim}-d constant")
            value = value.reshape(value.shape[extra:])
    broadcastable = tuple(s == 1 for s in value.shape)
    return TensorConstant(TensorType(value.dtype, broadcastable), value, name=name)


def as_tensor_variable(x, name=None, ndim=None):
    """Return ``x`` as a tensor variable.

    Variables pass through (an Apply gives its default output); numbers,
    lists and arrays become TensorConstants; a list containing variables is
    stacked.  ``ndim`` pads with or drops broadcastable dims.
    """
    from symbolic.graph.basic import Apply

    if isinstance(x, Apply):
        x = x.default_output()
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            converted = getattr(x.type, "to_tensor", None)
            if converted is None:
                raise TypeError(f"cannot convert {x} of type {x.type} to a tensor")
            x = converted(x)
        if ndim is None or x.ndim == ndim:
            return x
        if x.ndim > ndim:
            extra = x.ndim - ndim
            if not all(x.broadcastable[:extra]):
                raise ValueError(
                    f"cannot drop non-broadcastable dims to make {x} {ndim}-d"
                )
            return x.dimshuffle(list(range(extra, x.ndim)))
        return _ops().shape_padleft(x, ndim - x.ndim)
    if isinstance(x, (list, tuple)) and any(
        isinstance(item, Variable) for item in _flatten_list(x)
    ):
        return _ops().stack([as_tensor_variable(item) for item in x])
    try:
        return constant(x, name=name, ndim=ndim)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot convert {x!r} to a tensor variable: {exc}") from exc


as_tensor = as_tensor_variable


def _flatten_list(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten_list(item)
        else:
            yield item


__all__ = [
    "TensorConstant",
    "TensorType",
    "TensorVariable",
    "as_tensor",
    "as_tensor_variable",
    "constant",
    "tensor",
    *constructors,
]

# Non-strict clone_replace turns a replacement value into a tensor constant.
graph_replace.as_variable.install(as_tensor_variable)
