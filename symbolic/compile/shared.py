"""Shared variables: symbolic variables whose value persists across function calls."""

import copy
import sys

import numpy

from symbolic.compile.container import Container
from symbolic.graph.basic import Variable
from symbolic.types.tensor import TensorType, _tensor_py_operators


class SharedVariable(Variable):
    """A variable with a value held in a Container shared by every function using it.

    Parameters
    ----------
    name : str or None
    type : Type
    value : object
        The initial value (filtered by ``type``).
    strict : bool
        Only accept values of exactly the right type in ``set_value``.
    allow_downcast : bool or None
    container : Container, optional
        Share this container instead of making a new one.

    Notes
    -----
    ``container.storage[0]`` always holds the live value (a plain ndarray
    for tensors); updates may change its shape but not its dtype or ndim.
    A ``default_update`` attribute, when set, is applied by every function
    that uses the variable (unless it has an explicit update).
    """

    def __init__(self, name, type, value, strict, allow_downcast=None, container=None):
        super().__init__(type=type, owner=None, index=None, name=name)
        if container is not None:
            self.container = container
            if value is not None or strict:
                raise TypeError("give either a container or a value, not both")
        else:
            self.container = Container(
                self,
                storage=[
                    type.filter(value, strict=strict, allow_downcast=allow_downcast)
                ],
                readonly=False,
                strict=strict,
                allow_downcast=allow_downcast,
                name=name,
            )

    def get_value(self, borrow=False, return_internal_type=False):
        """Return the value (a copy unless ``borrow``)."""
        value = self.container.value
        if borrow:
            return value
        return copy.deepcopy(value)

    def set_value(self, new_value, borrow=False):
        """Set the value (copied unless ``borrow``); the shape may change."""
        if borrow:
            self.container.value = new_value
        else:
            self.container.value = copy.deepcopy(new_value)

    def zero(self, borrow=False):
        """Set the value to zeros of the same shape."""
        value = self.container.value
        self.container.value = (
            numpy.zeros_like(value)
            if borrow
            else numpy.zeros_like(copy.deepcopy(value))
        )

    def clone(self):
        """Return a new SharedVariable sharing this one's container."""
        cp = self.__class__(
            name=self.name,
            type=self.type,
            value=None,
            strict=None,
            container=self.container,
        )
        cp.tag = copy.copy(self.tag)
        return cp


class TensorSharedVariable(_tensor_py_operators, SharedVariable):
    """A shared ndarray with the whole tensor interface."""


class ScalarSharedVariable(TensorSharedVariable):
    """A shared 0-d tensor made from a Python or numpy scalar."""


shared_constructors = []


def shared_constructor(ctor, remove=False):
    """Register ``ctor`` (tried in reverse registration order by ``shared``)."""
    if remove:
        shared_constructors.remove(ctor)
    else:
        shared_constructors.append(ctor)
    return ctor


def shared(value, name=None, strict=False, allow_downcast=None, **kwargs):
    """Return a SharedVariable holding (a copy of) ``value``.

    An ndarray gives a TensorSharedVariable with the array's dtype and an
    all-False broadcast pattern (unless ``broadcastable=`` is given); a
    Python float gives a float64 0-d tensor, an int an int64 one; any other
    object gives a generic SharedVariable.

    Examples
    --------
    >>> import numpy
    >>> w = shared(numpy.zeros((2, 3)), name='w')
    >>> w.get_value().shape
    (2, 3)
    """
    if isinstance(value, Variable):
        raise TypeError("shared() takes a value, not a symbolic Variable")
    for ctor in _device_constructors() + shared_constructors[::-1]:
        try:
            var = ctor(
                value, name=name, strict=strict, allow_downcast=allow_downcast, **kwargs
            )
        except TypeError:
            continue
        return var
    raise TypeError(f"no shared constructor accepts {value!r} with {kwargs}")


def _device_constructors():
    """The GPU backend's constructor first when ``config.device`` is a GPU."""
    from symbolic.compile.mode import device_backend

    backend = device_backend()
    return [] if backend is None else [backend.shared_constructor]


@shared_constructor
def generic_constructor(
    value, name=None, strict=False, allow_downcast=None, borrow=False
):
    """Wrap any Python object in a SharedVariable of the Generic type."""
    from symbolic.types.generic import generic

    return SharedVariable(
        type=generic,
        value=value if borrow else copy.deepcopy(value),
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )


@shared_constructor
def scalar_constructor(
    value, name=None, strict=False, allow_downcast=None, borrow=False, target="cpu"
):
    """Python and numpy scalars become 0-d tensors (float64 / int64 / own dtype)."""
    if target not in ("cpu", None):
        raise TypeError("only the cpu target is supported")
    if isinstance(value, numpy.generic):
        dtype = value.dtype
    elif isinstance(value, bool):
        dtype = numpy.dtype("bool")
    elif isinstance(value, int):
        dtype = numpy.dtype("int64")
    elif isinstance(value, float):
        dtype = numpy.dtype("float64")
    elif isinstance(value, complex):
        dtype = numpy.dtype("complex128")
    else:
        raise TypeError("not a scalar")
    tensor_type = TensorType(dtype, ())
    return ScalarSharedVariable(
        type=tensor_type,
        value=numpy.array(value, dtype=dtype),
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )


@shared_constructor
def tensor_constructor(
    value,
    name=None,
    strict=False,
    allow_downcast=None,
    borrow=False,
    broadcastable=None,
    target="cpu",
):
    """ndarrays become TensorSharedVariables of the same dtype."""
    if target not in ("cpu", None):
        raise TypeError("only the cpu target is supported")
    if not isinstance(value, numpy.ndarray):
        raise TypeError("not an ndarray")
    if value.dtype == object:
        raise TypeError("object arrays are not tensors")
    if broadcastable is None:
        broadcastable = (False,) * value.ndim
    tensor_type = TensorType(value.dtype, broadcastable)
    return TensorSharedVariable(
        type=tensor_type,
        value=value if borrow else value.copy(),
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )


@shared_constructor
def sparse_constructor(
    value, name=None, strict=False, allow_downcast=None, borrow=False, format=None
):
    """scipy.sparse matrices become SparseSharedVariables (CSC stays, others: CSR)."""
    # A scipy matrix means scipy.sparse is loaded; symbolic does not load it
    # (nor the sparse types) until sparse values or variables are used.
    scipy_sparse = sys.modules.get("scipy.sparse")
    if scipy_sparse is None or not scipy_sparse.issparse(value):
        raise TypeError("not a scipy.sparse matrix")
    from symbolic.compile.sparse_shared import make_sparse_shared

    return make_sparse_shared(value, name, strict, allow_downcast, borrow, format)
