"""The LLVM backend: graphs run without a C compiler, JIT code by llvmlite.

:class:`~symbolic.backends.llvm.linker.LLVMLinker` (``linker='llvm'``, and
what ``FAST_RUN`` falls back to when the C runtime cannot be loaded or
built) runs a graph from a Python loop over thunks: elemwise kernels and
float sums JIT-compiled per graph (:mod:`~symbolic.backends.llvm.graph_kernels`),
BLAS products and ``perform`` for the rest.  The C backend also uses the
elemwise kernels when ``config.cxx == ""``.  :mod:`~symbolic.backends.llvm.jit`
is the only user of ``llvmlite.binding``; rendering produces plain
``llvmlite.ir``.
"""
