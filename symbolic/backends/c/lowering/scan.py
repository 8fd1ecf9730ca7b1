"""Lowering of Scan: the loop's later steps run in the runtime's ``scan_loop``.

``Scan.perform`` runs every step from Python.  Lowered, the node's entry
runs step 0 from Python (it sizes the nit-sot buffers) and hands the others
to ``_runtime.scan_loop``, which calls the inner program with no Python
bytecode between steps (see :func:`symbolic.scan.perform.run_loop`).
``config.scan__c_loop`` switches this off at call time.
"""

from symbolic.backends.c.lowering import Lowered, lowering
from symbolic.backends.c.runtime import runtime
from symbolic.config import config
from symbolic.scan.op import Scan
from symbolic.scan.perform import run_loop


@lowering(Scan)
def lower_Scan(node, kernels):
    """A loop without shared-variable updates (their copy-back stays in Python)."""
    if node.op.n_shared_outs:
        return None
    return Lowered("PYTHON", thunk=_loop_thunk)


def _c_loop():
    """The runtime's ``scan_loop``, or None (switched off, or no runtime here)."""
    if not config.scan__c_loop:
        return None
    try:
        return runtime.load().scan_loop
    except runtime.RuntimeUnavailable:
        return None


def _loop_thunk(node, storage_map):
    op = node.op
    input_cells = [storage_map[v] for v in node.inputs]
    output_cells = [storage_map[v] for v in node.outputs]

    def thunk():
        fn = op.compile_inner()
        inputs = [cell[0] for cell in input_cells]
        run_loop(op, node, fn, inputs, output_cells, c_loop=_c_loop())

    return thunk
