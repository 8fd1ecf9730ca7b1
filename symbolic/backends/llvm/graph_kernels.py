"""All JIT code of one graph: elemwise kernels, float sums, fused sums; one compile.

:func:`build` renders the Elemwise nodes' kernels
(:mod:`~symbolic.backends.llvm.elemwise_kernels`), adds the sums its Sum
nodes need and the ``_sum`` entry of every summed Elemwise
(:mod:`~symbolic.backends.llvm.reduce_kernels`) to the same module, and
compiles it once.
"""

import ctypes
import logging
from typing import NamedTuple

from symbolic.backends.kernel_support import Unsupported, node_expressions
from symbolic.backends.llvm import jit, reduce_kernels
from symbolic.backends.llvm.elemwise_kernels import LLVMKernel, render_module
from symbolic.backends.llvm.thunks import GraphKernels
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Sum

_logger = logging.getLogger(__name__)

_INNER = ctypes.CFUNCTYPE(
    None, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_void_p
)
_OUTER = ctypes.CFUNCTYPE(
    None,
    ctypes.c_longlong,
    ctypes.c_longlong,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
)
_MAP_SUM = ctypes.CFUNCTYPE(None, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_void_p)


class SumKernel(NamedTuple):
    """The compiled sums of one ``(input, accumulator, output)`` dtype triple."""

    inner: object
    outer: object
    compiled: object


def sum_dtypes(node):
    """``(input, accumulator, output)`` dtypes of a float Sum node, or None."""
    if type(node.op) is not Sum:
        return None
    in_dtype = node.inputs[0].dtype
    out_dtype = node.outputs[0].dtype
    acc = node.op.acc_dtype or ("float64" if in_dtype == "float32" else in_dtype)
    floats = reduce_kernels.FLOATS
    if in_dtype not in floats or out_dtype not in floats or acc not in floats:
        return None
    return in_dtype, acc, out_dtype


def summed_elemwise(fgraph, nodes):
    """``{Sum node: Elemwise node}``: full float sums of a one-output Elemwise
    that feeds nothing else (not even a graph output) and is not in place."""
    pairs = {}
    outputs = set(fgraph.outputs)
    for node in nodes:
        if sum_dtypes(node) is None:
            continue
        (var,) = node.inputs
        owner = var.owner
        if owner is None or not isinstance(owner.op, Elemwise):
            continue
        if var.ndim == 0 or len(node.op._axes(var.ndim)) != var.ndim:
            continue
        if len(owner.outputs) != 1 or owner.op.inplace_pattern or var in outputs:
            continue
        clients = fgraph.clients.get(var, ())
        if len(clients) == 1 and clients[0][0] is node:
            pairs[node] = owner
    return pairs


def build(fgraph, nodes):
    """JIT-compile the kernels, sums and fused sums of ``nodes`` (a GraphKernels)."""
    specs = {}
    for node in nodes:
        if isinstance(node.op, Elemwise):
            try:
                specs[node] = node_expressions(node)
            except Unsupported as exc:
                _logger.debug("no LLVM kernel for %s: %s", node, exc)
    module, symbols = render_module(list(specs.values()))
    triples = {node: sum_dtypes(node) for node in nodes}
    triples = {node: t for node, t in triples.items() if t is not None}
    names = {t: reduce_kernels.define_sums(module, *t) for t in set(triples.values())}
    defined = {}  # {kernel symbol: the (accumulator, output) of its _sum}
    fused = {}
    for sum_node, elemwise in summed_elemwise(fgraph, nodes).items():
        sym = symbols.get(specs.get(elemwise))
        if sym is None:
            continue
        _, in_dtypes, (value_dtype,) = specs[elemwise]
        _, acc, out = triples[sum_node]
        if sym not in defined:
            body = module.get_global(f"{sym}_body")
            reduce_kernels.define_map_sum(
                module, sym, body, in_dtypes, value_dtype, acc, out
            )
            defined[sym] = (acc, out)
        if defined[sym] == (acc, out):
            fused[sum_node] = (elemwise, sym)
    if not symbols and not names:
        return GraphKernels({}, {}, {})
    compiled = jit.compile_module(module)
    _logger.debug("JIT-compiled a graph module in %.3f s", compiled.seconds)
    kernels = {
        spec: LLVMKernel(compiled, sym, spec[1], spec[2])
        for spec, sym in symbols.items()
    }
    elemwise = {node: kernels[spec] for node, spec in specs.items() if spec in kernels}
    sums_of = {
        triple: SumKernel(
            _INNER(compiled.address(f"{name}_inner")),
            _OUTER(compiled.address(f"{name}_outer")),
            compiled,
        )
        for triple, name in names.items()
    }
    sums = {node: sums_of[triple] for node, triple in triples.items()}
    map_sums = {
        node: (elemwise, _MAP_SUM(compiled.address(f"{sym}_sum")), compiled)
        for node, (elemwise, sym) in fused.items()
    }
    return GraphKernels(elemwise, sums, map_sums)
