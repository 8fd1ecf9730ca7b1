"""The LLVM backend: the C backend's elemwise kernels JIT-compiled by llvmlite.

Used when no C compiler is available (``config.cxx == ""``) or when asked
for (``linker='llvm'``).  :mod:`~symbolic.backends.llvm.jit` is the only
user of ``llvmlite.binding``; rendering produces plain ``llvmlite.ir``.
"""
