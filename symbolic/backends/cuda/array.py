"""The GPU array type, its variables and shared variables, and the transfers.

A :class:`GpuArrayType` variable holds a ``pycuda.gpuarray.GPUArray``.  The
type itself, its variables and the transfer ops are plain graph objects:
building graphs with them needs neither pycuda nor a GPU, only values do.

* Using a GPU variable where a tensor is expected (``w + 1``, ``dot(x, w)``)
  goes through :class:`HostFromGpu`, as Theano's GPU variables did; the
  placement rewrite (:mod:`~symbolic.backends.cuda.placement`) later moves
  the computation to the GPU and cancels the transfer pairs.
* :class:`GpuArraySharedVariable` is Theano's GPU shared variable:
  ``get_value()`` returns a host ndarray (a copy); with ``borrow=True,
  return_internal_type=True`` it returns the device array itself;
  ``set_value`` copies a host array to the device (a device array is taken
  as it is with ``borrow=True``, copied otherwise).
"""

import copyreg

import numpy

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.graph.type import Type
from symbolic.types.tensor import TensorType, _tensor_py_operators, as_tensor_variable


def gpuarray_module():
    """``pycuda.gpuarray``, after checking the device (see ``require_cuda``)."""
    from symbolic.backends.cuda.driver import require_cuda

    require_cuda()
    import pycuda.gpuarray

    register_pickling(pycuda.gpuarray.GPUArray)
    return pycuda.gpuarray


def register_pickling(gpuarray_class):
    """Make device arrays pickle as their host values (as Theano's CudaNdarray).

    Blocks pickles whole main loops, GPU shared variables included; an
    unpickled array goes back to the device, which must then be usable.
    """
    copyreg.pickle(gpuarray_class, _reduce_device_array)


def _reduce_device_array(value):
    return _device_array_from_host, (value.get(),)


def _device_array_from_host(host):
    return gpuarray_module().to_gpu(numpy.asarray(host, order="C"))


def is_device_array(value):
    """True for a pycuda GPUArray (without importing pycuda when it is not one)."""
    return type(value).__name__ == "GPUArray" and hasattr(value, "gpudata")


class GpuArrayType(Type):
    """The type of n-dimensional GPU arrays of one dtype and broadcast pattern.

    Parameters
    ----------
    dtype : str
    broadcastable : tuple of bool

    Examples
    --------
    >>> GpuArrayType('float32', (False, True)).ndim
    2
    """

    def __init__(self, dtype, broadcastable, name=None):
        self.dtype = str(numpy.dtype(dtype))
        self.broadcastable = tuple(bool(b) for b in broadcastable)
        self.name = name

    @property
    def ndim(self):
        return len(self.broadcastable)

    def tensor_type(self):
        """The host :class:`TensorType` with the same dtype and pattern."""
        return TensorType(self.dtype, self.broadcastable)

    @classmethod
    def of(cls, tensor_type):
        """The GPU type of a host TensorType."""
        return cls(tensor_type.dtype, tensor_type.broadcastable)

    def clone(self, dtype=None, broadcastable=None):
        return GpuArrayType(
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
        return self.name or f"GpuArrayType({self.dtype}, {self.broadcastable})"

    __repr__ = __str__

    def filter(self, data, strict=False, allow_downcast=None):
        """Return ``data`` as a device array of this type (host data is copied)."""
        if is_device_array(data):
            if str(data.dtype) != self.dtype or data.ndim != self.ndim:
                raise TypeError(
                    f"{self} expected a {self.ndim}-d {self.dtype} device array, "
                    f"got a {data.ndim}-d {data.dtype} one"
                )
            self._check_broadcast(data.shape)
            return data
        if strict:
            raise TypeError(
                f"{self} (strict) expected a device array, got {type(data)}"
            )
        host = self.tensor_type().filter(data, allow_downcast=allow_downcast)
        return gpuarray_module().to_gpu(numpy.asarray(host, order="C"))

    def _check_broadcast(self, shape):
        for axis, (length, flag) in enumerate(zip(shape, self.broadcastable)):
            if flag and length != 1:
                raise TypeError(
                    f"{self}: axis {axis} is broadcastable but has length {length}"
                )

    def values_eq(self, a, b):
        return numpy.array_equal(_host(a), _host(b))

    def values_eq_approx(self, a, b, rtol=None, atol=None):
        return self.tensor_type().values_eq_approx(_host(a), _host(b))

    def convert_variable(self, var):
        """A host tensor of the same dtype and pattern is moved with GpuFromHost."""
        if self == var.type:
            return var
        if isinstance(var.type, TensorType) and GpuArrayType.of(var.type) == self:
            return gpu_from_host(var)
        return None

    def filter_variable(self, other, allow_convert=True):
        """A host tensor of the same dtype and pattern is moved with GpuFromHost.

        Even with ``allow_convert=False`` (how ``function`` checks updates),
        as Theano's GPU types did: ``updates=[(w, w - lr * g)]`` on a GPU
        shared variable gives a host expression that is moved to the device.
        """
        if isinstance(getattr(other, "type", None), TensorType):
            moved = self.convert_variable(other)
            if moved is not None:
                return moved
        return super().filter_variable(other, allow_convert)

    def to_tensor(self, var):
        """``var`` on the host: what tensor ops see (``as_tensor_variable``)."""
        return host_from_gpu(var)

    def may_share_memory(self, a, b):
        if not (is_device_array(a) and is_device_array(b)):
            return False
        return int(a.gpudata) == int(b.gpudata)

    def get_shape_info(self, obj):
        return obj.shape


def _host(value):
    return value.get() if is_device_array(value) else numpy.asarray(value)


class GpuArrayVariable(_tensor_py_operators, Variable):
    """A variable of :class:`GpuArrayType`; tensor operators go through the host.

    ``dtype``, ``ndim`` and ``broadcastable`` come from the type; arithmetic
    and methods build tensor ops on ``HostFromGpu(self)``.
    """

    @property
    def dtype(self):
        return self.type.dtype

    @property
    def ndim(self):
        return self.type.ndim

    @property
    def broadcastable(self):
        return self.type.broadcastable


GpuArrayType.variable_type = GpuArrayVariable


class GpuFromHost(Op):
    """Copy a host tensor to the GPU.

    Notes
    -----
    Gradient: the output gradient copied back (``HostFromGpu``).  Not in place.
    """

    __props__ = ()

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [GpuArrayType.of(x.type)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = gpuarray_module().to_gpu(numpy.asarray(x, order="C"))

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def grad(self, inputs, grads):
        return [host_from_gpu(grads[0])]

    def __str__(self):
        return "GpuFromHost"


class HostFromGpu(Op):
    """Copy a GPU array to the host (a fresh ndarray).

    Notes
    -----
    Gradient: the output gradient copied to the GPU (``GpuFromHost``).
    Not in place.
    """

    __props__ = ()

    def make_node(self, x):
        if not isinstance(getattr(x, "type", None), GpuArrayType):
            raise TypeError(f"HostFromGpu expects a GPU array variable, got {x!r}")
        return Apply(self, [x], [x.type.tensor_type()()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x.get()

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def grad(self, inputs, grads):
        return [gpu_from_host(grads[0])]

    def __str__(self):
        return "HostFromGpu"


gpu_from_host = GpuFromHost()
host_from_gpu = HostFromGpu()
