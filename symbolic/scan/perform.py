"""The loop of the Scan op, run over the compiled inner graph's storage cells.

Each step stores views of the current slices into the inner input cells,
runs the inner VM once, and copies the step's outputs into preallocated
output buffers; states are read back from those buffers on the next step.
No ``Function.__call__`` happens per step.

``Scan.perform`` runs every step here in Python.  The C backend's lowering
of Scan (``backends/c/lowering/scan.py``) passes the runtime's ``scan_loop``
as ``c_loop``: step 0 still runs here, since it sizes the nit-sot buffers,
and ``c_loop`` runs the later steps with no Python bytecode between them.
The C loop also skips the copies of large rows: it hands the output rows to
the inner program, whose entries compute the outputs in them.
"""

import functools
import sys

import numpy

# The C loop computes an output row in place from this size on: below it,
# making the row's view each step costs more than copying the row (about
# 50 ns, the copy of 4 KB).
PLACE_MIN_BYTES = 4096


def _references_of_a_held_array():
    """What ``sys.getrefcount`` reports, in :func:`_buffer`, for an array that
    only its output cell holds (measured: the count differs between Python
    versions)."""
    cell = [numpy.empty(1)]
    old = cell[0]
    return sys.getrefcount(old)


_SOLE_HOLDER = _references_of_a_held_array()


def _buffer(cell, shape, dtype):
    """An output buffer of ``shape``: the array the output cell kept from the
    last call when nothing else holds it any more, else a new one.

    A loop's buffers are megabytes; new ones come from the system as fresh
    pages, whose faults cost an LSTM training step about a millisecond of
    system time.  The compiled programs keep their cells' arrays between
    calls and reuse them the same way.
    """
    old = cell[0]
    if (
        type(old) is numpy.ndarray
        and old.shape == shape
        and old.dtype == dtype
        and old.flags.owndata
        and old.flags.c_contiguous
        and old.flags.writeable
        and sys.getrefcount(old) == _SOLE_HOLDER
    ):
        return old
    del old
    return numpy.empty(shape, dtype=dtype)


def run_loop(op, node, fn, inputs, output_storage, c_loop=None):
    """Run ``op``'s loop on ``inputs`` and fill ``output_storage``.

    Parameters
    ----------
    op : Scan
    node : Apply
    fn : tuple
        The compiled inner function (``Scan.compile_inner``).
    inputs : list
        The outer input values.
    output_storage : list of list
        The outer output cells.
    c_loop : callable, optional
        The C runtime's ``scan_loop``, to run steps 1 and later.  Ignored
        when the loop updates shared variables.
    """
    vm, in_cells, out_cells, _, place_cells = fn
    # A compiled inner program may keep packed copies of the operands the
    # loop holds fixed; this loop's may differ from the last one's.
    start_loop = getattr(vm, "start_loop", None)
    if start_loop is not None:
        start_loop()
    name = op.name or "scan"
    n_steps = int(inputs[0])
    if n_steps < 0:
        raise ValueError(f"{name}: n_steps must be non-negative, got {n_steps}")
    _, seqs, inits, shared, non_seqs = op.outer_groups(inputs)
    outer_seqs = node.inputs[1 : 1 + op.n_seqs]
    for var, seq in zip(outer_seqs, seqs):
        if seq.shape[0] < n_steps:
            raise ValueError(
                f"{name}: sequence {var} has {seq.shape[0]} entries, fewer than "
                f"the {n_steps} steps to run"
            )

    n_states = op.n_states
    n_nit = op.n_nit_sot
    keep_last = op.keep_last
    # Input slots: (cell, buffer, offset, modulus or 0); step t reads
    # buffer[(t + offset) % modulus].  Output slots add the cell the C loop
    # puts the output row in, for the step to compute its value there.
    reads = []
    pos = 0
    for seq in seqs:
        reads.append((in_cells[pos], seq, 0, 0))
        pos += 1
    state_bufs = []
    writes = []
    for k in range(n_states):
        taps = op.state_taps(k)
        length = -min(taps)
        init = inits[k]
        out_type = node.outputs[k].type
        if k < op.n_mit_sot:
            if init.shape[0] < length:
                raise ValueError(
                    f"{name}: the initial value of output {k} has {init.shape[0]} "
                    f"entries along axis 0, but its taps {list(taps)} need {length}"
                )
            row_shape = init.shape[1:]
            first = init[:length]
        else:
            row_shape = init.shape
            first = init[None]
        size = length if keep_last[k] else n_steps + length
        buf = _buffer(output_storage[k], (size, *row_shape), out_type.dtype)
        buf[:length] = first
        modulus = size if keep_last[k] else 0
        for tap in taps:
            reads.append((in_cells[pos], buf, length + tap, modulus))
            pos += 1
        writes.append((out_cells[k], buf, length, modulus, place_cells[k]))
        state_bufs.append(buf)
    shared_in = in_cells[pos : pos + op.n_shared_outs]
    for cell, value in zip(shared_in, shared):
        cell[0] = value
    pos += op.n_shared_outs
    for cell, value in zip(in_cells[pos:], non_seqs):
        cell[0] = value
    nit_cells = out_cells[n_states : n_states + n_nit]
    shared_out = out_cells[n_states + n_nit : n_states + n_nit + op.n_shared_outs]
    cond_cell = out_cells[-1] if op.as_while else None
    nit_bufs = [None] * n_nit

    if op.n_shared_outs:
        c_loop = None
    steps_done = n_steps
    for t in range(n_steps):
        if t == 1 and c_loop is not None:
            # A nit-sot slot of modulus 1 always writes row 0.
            all_writes = tuple(writes) + tuple(
                (cell, buf, 0, int(keep_last[n_states + j]), place_cells[n_states + j])
                for j, (cell, buf) in enumerate(zip(nit_cells, nit_bufs))
            )
            store = functools.partial(_store, name=name)
            steps_done = c_loop(
                vm,
                tuple(reads),
                all_writes,
                cond_cell,
                store,
                1,
                n_steps,
                PLACE_MIN_BYTES,
            )
            break
        for cell, buf, offset, modulus in reads:
            i = t + offset
            # A view even of a 0-d row, not a numpy scalar: the C runtime's
            # entries take only ndarrays on their fast path.
            cell[0] = buf[i % modulus if modulus else i, ...]
        vm()
        for cell, buf, offset, modulus, _ in writes:
            i = t + offset
            _store(buf, i % modulus if modulus else i, cell[0], name)
        for j, cell in enumerate(nit_cells):
            buf = nit_bufs[j]
            if buf is None:
                buf = nit_bufs[j] = _nit_buffer(
                    op, node, j, n_steps, cell[0], output_storage[n_states + j]
                )
            _store(buf, 0 if keep_last[n_states + j] else t, cell[0], name)
        for in_cell, out_cell in zip(shared_in, shared_out):
            value = out_cell[0]
            in_cell[0] = value.copy() if isinstance(value, numpy.ndarray) else value
        if cond_cell is not None and cond_cell[0]:
            steps_done = t + 1
            break

    for k, buf in enumerate(state_bufs):
        length = op.state_length(k)
        if keep_last[k]:
            # The circular buffer holds the last `length` rows, rotated.
            shift = (n_steps + length) % length
            if shift:
                buf = numpy.roll(buf, -shift, axis=0)
            if steps_done != n_steps:
                raise NotImplementedError(
                    f"{name}: keeping only the last step is not supported when "
                    "the loop stops early"
                )
        elif steps_done != n_steps:
            buf = buf[: steps_done + length]
        output_storage[k][0] = buf
    for j in range(n_nit):
        buf = nit_bufs[j]
        if buf is None:
            buf = _nit_buffer(op, node, j, n_steps, None)
        elif steps_done != n_steps and not keep_last[n_states + j]:
            buf = buf[:steps_done]
        output_storage[n_states + j][0] = buf
    base = n_states + n_nit
    for i, cell in enumerate(shared_in):
        value = cell[0]
        if n_steps == 0 and isinstance(value, numpy.ndarray):
            value = value.copy()  # never hand back the input's own storage
        output_storage[base + i][0] = value
        cell[0] = None
    # The inner cells still hold the last step's rows, views of the outer
    # buffers: let go of them, so that the next call can reuse the buffers.
    for cell in (*in_cells, *out_cells):
        cell[0] = None


def _store(buf, index, value, name):
    try:
        buf[index] = value
    except ValueError as exc:
        raise ValueError(
            f"{name}: a step output of shape {numpy.shape(value)} does not fit the "
            f"output buffer rows of shape {buf.shape[1:]}: {exc}"
        ) from None


def _nit_buffer(op, node, j, n_steps, first, cell=None):
    out_type = node.outputs[op.n_states + j].type
    if first is None:
        # No step ran: the row shape is unknown, so every axis is empty.
        return numpy.empty((0,) * out_type.ndim, dtype=out_type.dtype)
    rows = 1 if op.keep_last[op.n_states + j] else n_steps
    shape = (rows, *numpy.shape(first))
    if cell is None:
        return numpy.empty(shape, dtype=out_type.dtype)
    return _buffer(cell, shape, out_type.dtype)
