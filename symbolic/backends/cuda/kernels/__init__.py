"""CUDA kernel sources, rendered as plain text (no GPU or compiler needed).

Each module renders one family of ``extern "C" __global__`` kernels into a
:class:`~symbolic.backends.cuda.kernels.source.CudaKernel`;
:func:`~symbolic.backends.cuda.kernels.source.module_source` joins any set
of them, after the prelude, into one ``.cu`` that nvcc compiles in one call.
"""
