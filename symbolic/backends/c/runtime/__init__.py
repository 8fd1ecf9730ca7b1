"""The C runtime: a Python extension that runs a compiled graph's entries.

See :mod:`symbolic.backends.c.runtime.runtime` for how it is built and loaded.
"""
