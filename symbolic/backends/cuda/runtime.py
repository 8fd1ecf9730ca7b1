"""What a compiled graph runs on: its loaded PTX module, launches and allocation.

Only the CUDA linker creates a :class:`CudaRuntime`, after
:func:`~symbolic.backends.cuda.driver.require_cuda` succeeded, so pycuda is
importable here.
"""

import functools

import numpy

#: Threads per block of the grid-stride kernels.
THREADS = 256
#: The most blocks one launch uses (the grid-stride loops cover the rest).
MAX_BLOCKS = 1 << 16

#: pycuda's argument codes of the kernel argument types thunks pass.
_ARG_CODES = {numpy.uintp: "P", numpy.int64: "q", numpy.int32: "i"}


class CudaRuntime:
    """A loaded module of kernels plus the helpers thunks launch them with.

    Parameters
    ----------
    context : CudaContext
    ptx_path : str or None
        The compiled module (None when the graph needs no kernel).
    """

    def __init__(self, context, ptx_path):
        import pycuda.gpuarray

        self.context = context
        self.driver = context.driver
        self.gpuarray = pycuda.gpuarray
        self.module = (
            None if ptx_path is None else self.driver.module_from_file(ptx_path)
        )
        self._functions = {}
        self._prepared = {}
        self.allocate = context.memory_pool().allocate

    def function(self, name):
        """The kernel ``name`` of the module (memoized)."""
        found = self._functions.get(name)
        if found is None:
            if self.module is None:
                raise RuntimeError(f"kernel {name} was not compiled for this graph")
            found = self._functions[name] = self.module.get_function(name)
        return found

    def launch(self, name, n, *args, threads=THREADS, blocks=None):
        """Run kernel ``name`` over ``n`` work items (grid-stride).

        Each kernel is prepared once with the argument codes of its first
        launch (a kernel always gets the same argument types), which spares
        pycuda inspecting every argument on every call.
        """
        if blocks is None:
            blocks = (int(n) + threads - 1) // threads
        blocks = max(1, min(int(blocks), MAX_BLOCKS))
        prepared = self._prepared.get(name)
        if prepared is None:
            prepared = self.function(name)
            prepared.prepare("".join(_ARG_CODES[type(arg)] for arg in args))
            self._prepared[name] = prepared
        prepared.prepared_call((blocks, 1), (threads, 1, 1), *args)

    def empty(self, shape, dtype):
        """A new device array from the context's memory pool."""
        return self.gpuarray.empty(
            tuple(int(s) for s in shape), dtype=dtype, allocator=self.allocate
        )

    def to_gpu(self, host):
        return self.gpuarray.to_gpu(numpy.asarray(host, order="C"))

    def view(self, base, shape, strides, offset=0):
        """A device array over ``base``'s memory: other shape, strides, start.

        ``offset`` is in bytes from ``base``'s first element (negative
        strides need it to point at the view's first element).
        """
        return self.gpuarray.GPUArray(
            tuple(int(s) for s in shape),
            base.dtype,
            gpudata=int(base.gpudata) + int(offset),
            strides=tuple(int(s) for s in strides),
            base=base,
        )

    def zero(self, array):
        """Set contiguous ``array`` to zeros (a memset: no kernel to build)."""
        if array.size:
            self.driver.memset_d8(
                int(array.gpudata), 0, array.size * array.dtype.itemsize
            )

    def copy_into(self, target, source):
        """Copy ``source`` into ``target`` (same shape; any strides, broadcasting).

        Runs the copy kernel of the dtype and ndim (``copy_kernel``), which
        every lowering that copies lists among its kernels.
        """
        from symbolic.backends.cuda.kernels.elemwise import copy_kernel

        n = int(numpy.prod(target.shape, dtype=numpy.int64))
        if n == 0:
            return
        name = copy_kernel(str(target.dtype), target.ndim).name
        self.launch(
            name,
            n,
            i64(n),
            pointer(source),
            pointer(target),
            *[i64(s) for s in target.shape],
            *[i64(0 if n == 1 else s) for n, s in zip(source.shape, source.strides)],
            *[i64(s) for s in target.strides],
        )

    def contiguous(self, array):
        """``array`` itself when C-contiguous, else a contiguous copy."""
        if array.flags.c_contiguous:
            return array
        copy = self.empty(array.shape, array.dtype)
        self.copy_into(copy, array)
        return copy

    def contiguous_copy(self, array):
        """A fresh C-contiguous copy of ``array``."""
        copy = self.empty(array.shape, array.dtype)
        self.copy_into(copy, array)
        return copy

    @functools.cached_property
    def blas(self):
        """The cuBLAS handle wrapper (loaded on first use)."""
        from symbolic.backends.cuda.cublas import Cublas

        return Cublas()


def pointer(array):
    """The device address of ``array``'s first element, as a kernel argument."""
    return numpy.uintp(int(array.gpudata))


def c_contiguous(array):
    return bool(array.flags.c_contiguous)


def i64(value):
    return numpy.int64(value)
