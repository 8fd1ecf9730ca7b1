"""Run the CUDA backend's kernels on the CPU, to test them without a GPU.

The rendered ``.cu`` source is compiled as C++ for the host with a header
that makes one "thread" run every kernel: ``blockIdx = threadIdx = 0`` and
``blockDim = gridDim = 1``, so each grid-stride loop visits every item and
each shared-memory tree reduction has one entry.  This checks the kernels'
arithmetic, indexing, strides and broadcasting (not their parallel
behaviour, which only a GPU run checks).

Device arrays are numpy arrays in a :class:`GPUArray` shell with pycuda's
attribute names, and cuBLAS calls are replayed with numpy on the same
column-major arguments, so the CUDA linker's thunks, launches and transfers
run as they would on a device.
"""

import ctypes
import hashlib
import os
import subprocess
import types

import numpy

from symbolic.backends.cuda.cublas import Cublas
from symbolic.backends.cuda.kernels.source import module_source
from symbolic.backends.cuda.linker import CudaLinker
from symbolic.backends.cuda.runtime import CudaRuntime

HOST_HEADER = r"""
#define CUDART_INF __builtin_inf()
#define CUDART_NAN __builtin_nan("")
#define CUDART_PI 3.141592653589793238462643383279502884
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#include <math.h>
#include <stdint.h>
struct vm_dim3 { unsigned int x, y, z; };
static const vm_dim3 blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0};
static const vm_dim3 blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
static inline void __syncthreads() {}
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }
/* Newton steps on erf: enough for tests of the kernels' plumbing. */
static inline double erfinv(double y) {
    if (y == 1.0 || y == -1.0) return y * INFINITY;
    if (!(y > -1.0 && y < 1.0)) return NAN;
    double x = 0.0;
    for (int i = 0; i < 100; ++i)
        x -= (erf(x) - y) / (1.1283791670955126 * exp(-x * x));
    return x;
}
static inline double erfcinv(double y) { return erfinv(1.0 - y); }
"""


def compile_host_library(source, folder):
    """Compile a ``.cu`` source as host C++; return the ctypes library."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    cpp = os.path.join(folder, f"kernels-{digest}.cpp")
    lib = os.path.join(folder, f"kernels-{digest}.so")
    if not os.path.exists(lib):
        with open(cpp, "w") as handle:
            # The CUDA constants come from HOST_HEADER instead.
            host = source.replace("#include <math_constants.h>", "")
            handle.write(HOST_HEADER + host)
        done = subprocess.run(
            ["g++", "-std=c++17", "-O0", "-fPIC", "-shared", "-w", "-o", lib, cpp],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"g++ failed on {cpp}:\n{done.stderr[-6000:]}")
    return ctypes.CDLL(lib)


class _Flags:
    def __init__(self, array):
        self.c_contiguous = array.flags.c_contiguous
        self.f_contiguous = array.flags.f_contiguous


class GPUArray:
    """A numpy array with pycuda's GPUArray interface (``gpudata``, ``get``...)."""

    def __init__(self, shape, dtype, gpudata=None, strides=None, base=None, array=None):
        if array is None:
            if base is None:
                array = numpy.empty(shape, dtype)
            else:
                root = base.root
                offset = int(gpudata) - root.ctypes.data
                array = numpy.ndarray(
                    shape, dtype, buffer=root, offset=offset, strides=strides
                )
        self.array = array
        self.root = base.root if base is not None else _root_of(array)

    shape = property(lambda self: self.array.shape)
    dtype = property(lambda self: self.array.dtype)
    strides = property(lambda self: self.array.strides)
    ndim = property(lambda self: self.array.ndim)
    size = property(lambda self: self.array.size)
    flags = property(lambda self: _Flags(self.array))
    gpudata = property(lambda self: self.array.ctypes.data)

    def get(self):
        return self.array.copy()

    def copy(self):
        return GPUArray(None, None, array=self.array.copy())

    def reshape(self, shape):
        assert self.array.flags.c_contiguous, "pycuda reshapes contiguous arrays only"
        return GPUArray(None, None, array=self.array.reshape(shape), base=self)

    def __getitem__(self, index):
        return GPUArray(None, None, array=self.array[index], base=self)

    def fill(self, value):
        self.array.fill(value)
        return self

    def __imul__(self, scalar):
        self.array *= scalar
        return self


def _root_of(array):
    """The uint8 view of the whole allocation ``array`` lives in."""
    while array.base is not None and isinstance(array.base, numpy.ndarray):
        array = array.base
    return array.reshape(-1).view(numpy.uint8) if array.flags.c_contiguous else array


def _wrap(host):
    host = numpy.asarray(host, order="C")
    return GPUArray(None, None, array=host.copy())


fake_gpuarray = types.SimpleNamespace(
    GPUArray=GPUArray,
    empty=lambda shape, dtype, allocator=None: GPUArray(tuple(shape), dtype),
    to_gpu=_wrap,
    zeros=lambda shape, dtype: _wrap(numpy.zeros(shape, dtype)),
    zeros_like=lambda a: _wrap(numpy.zeros(a.shape, a.dtype)),
)


def _matrix(array, rows, cols, ld, trans):
    """The column-major matrix cuBLAS reads at ``array`` (op applied)."""
    item = array.dtype.itemsize
    root = array.root
    offset = int(array.gpudata) - root.ctypes.data
    stored = (cols, rows) if trans == "T" else (rows, cols)
    view = numpy.ndarray(
        stored, array.dtype, buffer=root, offset=offset, strides=(item, ld * item)
    )
    return view.T if trans == "T" else view


class HostCublas(Cublas):
    """cuBLAS's column-major GEMM and GEMV semantics, computed with numpy."""

    def __init__(self):
        self.calls = []

    def gemm(self, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        self.calls.append("gemm")
        op_a = _matrix(a, m, k, lda, trans_a)
        op_b = _matrix(b, k, n, ldb, trans_b)
        out = _matrix(c, m, n, ldc, "N")
        product = alpha * (op_a.astype("float64") @ op_b.astype("float64"))
        out[...] = product + (beta * out if beta != 0 else 0)

    def gemv(self, trans, m, n, alpha, a, lda, x, incx, beta, y, incy):
        self.calls.append("gemv")
        op_a = _matrix(a, m, n, lda, "N")
        if trans == "T":
            op_a = op_a.T
        xs, ys = x.array, y.array
        product = alpha * (op_a.astype("float64") @ xs.astype("float64"))
        ys[...] = product + (beta * ys if beta != 0 else 0)


class HostRuntime(CudaRuntime):
    """The CUDA runtime's interface over host-compiled kernels and numpy arrays."""

    def __init__(self, library):
        self.gpuarray = fake_gpuarray
        self.allocate = None
        self.library = library
        self._functions = {}
        self.launched = []
        self.__dict__["blas"] = HostCublas()

    def function(self, name):
        return getattr(self.library, name)

    def zero(self, array):
        array.fill(0)

    def launch(self, name, n, *args, threads=256, blocks=None):
        self.launched.append(name)
        converted = []
        for arg in args:
            if isinstance(arg, numpy.uintp):
                converted.append(ctypes.c_void_p(int(arg)))
            elif isinstance(arg, numpy.int32):
                converted.append(ctypes.c_int32(int(arg)))
            elif isinstance(arg, numpy.int64):
                converted.append(ctypes.c_int64(int(arg)))
            else:
                raise TypeError(f"kernel {name}: unexpected argument {arg!r}")
        self.function(name)(*converted)


class HostCudaLinker(CudaLinker):
    """The CUDA linker with its kernels compiled for, and run on, the host."""

    def __init__(self, folder):
        self.folder = str(folder)
        self.runtimes = []

    def make_runtime(self, kernels):
        source = module_source(kernels) if kernels else ""
        runtime = HostRuntime(compile_host_library(source, self.folder))
        self.runtimes.append(runtime)
        return runtime
