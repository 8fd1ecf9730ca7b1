"""A rendered kernel, and the one CUDA source a set of kernels compiles from."""

from typing import NamedTuple

from symbolic.backends.cuda.kernels.prelude import PRELUDE, device_helpers


class CudaKernel(NamedTuple):
    """One or more ``__global__`` functions rendered as CUDA source.

    Attributes
    ----------
    name : str
        The kernel's symbol (``extern "C"``, so unmangled in the PTX).
    source : str
        Its definition(s).
    helpers : frozenset of str
        The C backend's helper functions the body calls (``vm_mod_int64``...).
    body : tuple of str
        The per-element statements from the C renderer (empty for the
        hand-written kernels): what tests compare with the C backend's.
    """

    name: str
    source: str
    helpers: frozenset = frozenset()
    body: tuple = ()


def module_source(kernels):
    """The complete ``.cu`` text defining every kernel of ``kernels`` once."""
    seen, parts, helpers = set(), [], set()
    for kernel in kernels:
        if kernel.name in seen:
            continue
        seen.add(kernel.name)
        parts.append(kernel.source)
        helpers |= kernel.helpers
    return "\n".join([PRELUDE, device_helpers(helpers), *parts])


def indent(lines, depth):
    """``lines`` joined, each indented by ``depth`` levels of four spaces."""
    pad = "    " * depth
    return "\n".join(pad + line for line in lines)
