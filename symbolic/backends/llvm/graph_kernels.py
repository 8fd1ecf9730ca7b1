"""All JIT code of one graph: elemwise kernels, float sums, fused sums; one compile.

:func:`build` renders the Elemwise nodes' kernels
(:mod:`~symbolic.backends.llvm.elemwise_kernels`), adds the sums its Sum
nodes need and, for every ``SumOfElemwise`` node (paired by the
``sum_of_elemwise`` rewrite this backend requires), the ``_sum`` entry of
its elementwise part (:mod:`~symbolic.backends.llvm.reduce_kernels`) to the
same module, and compiles it once.
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
from symbolic.ops.sum_of_elemwise import SumOfElemwise

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


def build(nodes):
    """JIT-compile the kernels, sums and fused sums of ``nodes`` (a GraphKernels)."""
    specs = {}
    for node in nodes:
        if isinstance(node.op, Elemwise):
            try:
                specs[node] = node_expressions(node)
            except Unsupported as exc:
                _logger.debug("no LLVM kernel for %s: %s", node, exc)
    pairs = {}  # {SumOfElemwise node: (its elemwise spec, its sum's dtypes)}
    for node in nodes:
        if isinstance(node.op, SumOfElemwise):
            elemwise, total = node.op.parts(node)
            triple = sum_dtypes(total)
            try:
                spec = node_expressions(elemwise)
            except Unsupported as exc:
                _logger.debug("no LLVM kernel for %s: %s", node, exc)
                continue
            if triple is not None:
                pairs[node] = (spec, triple)
    module, symbols = render_module(
        [*specs.values(), *(spec for spec, _ in pairs.values())]
    )
    triples = {node: sum_dtypes(node) for node in nodes}
    triples = {node: t for node, t in triples.items() if t is not None}
    names = {t: reduce_kernels.define_sums(module, *t) for t in set(triples.values())}
    defined = {}  # {kernel symbol: the (accumulator, output) of its _sum}
    fused = {}
    for pair_node, (spec, (_, acc, out)) in pairs.items():
        sym = symbols.get(spec)
        if sym is None:
            continue
        _, in_dtypes, (value_dtype,) = spec
        if sym not in defined:
            body = module.get_global(f"{sym}_body")
            reduce_kernels.define_map_sum(
                module, sym, body, in_dtypes, value_dtype, acc, out
            )
            defined[sym] = (acc, out)
        if defined[sym] == (acc, out):
            fused[pair_node] = sym
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
        node: (_MAP_SUM(compiled.address(f"{sym}_sum")), compiled)
        for node, sym in fused.items()
    }
    return GraphKernels(elemwise, sums, map_sums)
