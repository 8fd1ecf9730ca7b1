"""Shared variables on the GPU: Theano's ``CudaNdarraySharedVariable`` semantics."""

import numpy

from symbolic.backends.cuda.array import (
    GpuArrayType,
    GpuArrayVariable,
    gpuarray_module,
    is_device_array,
)
from symbolic.compile.shared import SharedVariable


class GpuArraySharedVariable(GpuArrayVariable, SharedVariable):
    """A shared variable whose value lives on the GPU.

    ``get_value()`` copies the value to a host ndarray; ``borrow=True`` with
    ``return_internal_type=True`` returns the device array itself.
    ``set_value`` copies a host array to the device; a device array is used
    as it is with ``borrow=True`` (copied on the device otherwise).
    """

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container.value
        if return_internal_type:
            return value if borrow else value.copy()
        return value.get()

    def set_value(self, new_value, borrow=False):
        if is_device_array(new_value):
            self.container.value = new_value if borrow else new_value.copy()
            return
        host = numpy.asarray(new_value)
        self.container.value = self.type.filter(host)

    def zero(self, borrow=False):
        value = self.container.value
        self.container.value = gpuarray_module().zeros(value.shape, value.dtype)


def gpu_shared_constructor(
    value,
    name=None,
    strict=False,
    allow_downcast=None,
    borrow=False,
    broadcastable=None,
    target="gpu",
):
    """Place a float32 ndarray (or a device array) on the GPU; TypeError otherwise.

    ``shared`` tries this first when ``config.device`` is a CUDA device, as
    Theano put float32 shared variables on the GPU there; other values (and
    ``target='cpu'``) go to the host constructors.
    """
    if target not in ("gpu", "cuda", None):
        raise TypeError("not a GPU target")
    if is_device_array(value):
        dtype, ndim = str(value.dtype), value.ndim
    elif isinstance(value, numpy.ndarray) and value.dtype == numpy.float32:
        dtype, ndim = "float32", value.ndim
    else:
        raise TypeError("only float32 arrays go to the GPU")
    if broadcastable is None:
        broadcastable = (False,) * ndim
    gpu_type = GpuArrayType(dtype, broadcastable)
    if is_device_array(value):
        data = value if borrow else value.copy()
    else:
        data = gpu_type.filter(value)
    return GpuArraySharedVariable(
        type=gpu_type,
        value=data,
        name=name,
        strict=False,
        allow_downcast=allow_downcast,
    )
