"""The C backend: gcc-built kernels and a prebuilt runtime extension.

:mod:`~symbolic.backends.c.build` compiles and caches shared libraries;
:mod:`~symbolic.backends.c.elemwise_kernels` renders the fused elemwise
kernels of a graph into one such library.
"""
