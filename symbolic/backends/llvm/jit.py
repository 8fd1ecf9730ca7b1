"""Compile llvmlite IR modules to machine code in this process.

The only module that touches ``llvmlite.binding``.  Modules are optimized
at -O3 with the loop and SLP vectorizers for the host CPU, then finalized by
MCJIT; libm symbols resolve against the running process.  A module whose IR
text was compiled before in this process reuses that machine code (tests and
training scripts compile the same graphs again and again).
"""

import collections
import functools
import threading
import time

import llvmlite.binding as llvm

from symbolic.config import config


@functools.cache
def _initialize():
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


def target_machine():
    """A new host target machine (an execution engine takes ownership of one)."""
    _initialize()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=host_features(),
        opt=3,
        reloc="default",
        codemodel="jitdefault",
    )


def host_features():
    """The host CPU's features, less AVX-512 when ``config.cpu__isa`` is avx2."""
    features = llvm.get_host_cpu_features()
    if config.cpu__isa == "avx2":
        for name in list(features):
            if name.startswith(("avx512", "evex512", "avx10")):
                features[name] = False
    return features.flatten()


class Compiled:
    """A finalized JIT module; keep it alive while its functions are used."""

    def __init__(self, engine, seconds):
        self.engine = engine
        self.seconds = seconds

    def address(self, name):
        """Return the address of function ``name``."""
        address = self.engine.get_function_address(name)
        if not address:
            raise KeyError(f"JIT module has no function {name!r}")
        return address


#: Most finalized modules kept for reuse; one evicted stays alive as long as a
#: kernel holds it.
CACHE_SIZE = 256

_cache = collections.OrderedDict()  # {IR text: Compiled}, oldest first
_cache_lock = threading.Lock()  # the C linker compiles in a background thread


@functools.cache
def _host_layout():
    """``(triple, data layout)`` of this process's target."""
    return llvm.get_process_triple(), str(target_machine().target_data)


def compile_module(module):
    """Optimize and JIT-compile the ``llvmlite.ir.Module`` ``module``.

    Returns the :class:`Compiled` of an earlier module with the same IR text
    when this process has compiled one.
    """
    module.triple, module.data_layout = _host_layout()
    text = str(module)
    with _cache_lock:
        compiled = _cache.get(text)
        if compiled is not None:
            _cache.move_to_end(text)
            return compiled
    compiled = _compile_text(text)
    with _cache_lock:
        _cache[text] = compiled
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def _compile_text(text):
    """Optimize and finalize the IR ``text`` (a :class:`Compiled`)."""
    start = time.perf_counter()
    machine = target_machine()
    parsed = llvm.parse_assembly(text)
    parsed.verify()
    # llvmlite 0.50 dropped size_level (it defaulted to 0, which we want).
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(machine, options)
    builder.getModulePassManager().run(parsed, builder)
    engine = llvm.create_mcjit_compiler(parsed, machine)
    engine.finalize_object()
    return Compiled(engine, time.perf_counter() - start)
