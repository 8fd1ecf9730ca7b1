"""The C runtime's ``scan_loop``: row views in, row copies out, as numpy does them.

A Python callable stands in for the inner program: each call puts the next
prepared value in the written cell, so every kind of value (contiguous or
not, another dtype, not an array, overlapping the row) can be checked
against ``buf[i] = value``.
"""

import sys

import numpy
import pytest

from symbolic.backends.c.runtime import runtime

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)


def scan_loop(*args):
    return runtime.load().scan_loop(*args)


def store(buf, index, value):
    buf[index] = value


class Steps:
    """A stand-in program: records what it reads, writes ``values`` in turn."""

    def __init__(self, read_cell, write_cell, values):
        self.read_cell = read_cell
        self.write_cell = write_cell
        self.values = list(values)
        self.seen = []

    def __call__(self):
        self.seen.append(self.read_cell[0])
        value = self.values[len(self.seen) - 1]
        self.write_cell[0] = value(self.read_cell[0]) if callable(value) else value


def run_writes(buf, values, offset=0, modulus=0):
    """Write ``values`` (one per step) with scan_loop and with numpy; compare."""
    expected = buf.copy()
    for t, value in enumerate(values):
        i = t + offset
        expected[i % modulus if modulus else i] = value
    cell = [None]
    vm = Steps([None], cell, values)
    got = scan_loop(
        vm, (), ((cell, buf, offset, modulus),), None, store, 0, len(values)
    )
    assert got == len(values)
    numpy.testing.assert_array_equal(buf, expected)
    assert buf.dtype == expected.dtype


rng = numpy.random.RandomState(3)
ROW = rng.randn(3, 4)

WRITTEN = {
    "contiguous": ROW,
    "transposed": numpy.asfortranarray(ROW),
    "strided": rng.randn(6, 8)[::2, ::2],
    "reversed": ROW[::-1, ::-1],
    "broadcast": numpy.broadcast_to(ROW[0], (3, 4)),
    "float32": ROW.astype("float32"),
    "int": numpy.arange(12).reshape(3, 4),
    "smaller, broadcast by numpy": ROW[:1],
    "nested lists": ROW.tolist(),
    "python float": 2.5,
    "numpy scalar": numpy.float32(1.5),
}


@pytest.mark.parametrize("value", WRITTEN.values(), ids=WRITTEN.keys())
def test_write_matches_numpy_assignment(value):
    run_writes(numpy.zeros((4, 3, 4)), [value] * 4)


@pytest.mark.parametrize(
    "name", ["contiguous", "transposed", "strided", "reversed", "broadcast"]
)
def test_write_of_the_row_dtype_and_shape_is_done_in_c(name):
    def no_store(buf, index, value):
        raise AssertionError("the C copy should have taken this value")

    buf = numpy.zeros((2, 3, 4))
    cell = [None]
    vm = Steps([None], cell, [WRITTEN[name]] * 2)
    scan_loop(vm, (), ((cell, buf, 0, 0),), None, no_store, 0, 2)
    numpy.testing.assert_array_equal(buf, [WRITTEN[name]] * 2)


@pytest.mark.parametrize("dtype", ["int8", "bool", "complex128", "float16", "uint64"])
def test_write_other_dtypes(dtype):
    values = [rng.randn(5).astype(dtype) for _ in range(3)]
    run_writes(numpy.zeros((3, 5), dtype=dtype), values)


def test_write_object_dtype_keeps_references():
    item = object()
    before = sys.getrefcount(item)
    values = [numpy.array([item, item], dtype=object) for _ in range(3)]
    buf = numpy.empty((3, 2), dtype=object)
    run_writes(buf, values)
    assert all(v is item for v in buf.ravel())
    del values
    assert sys.getrefcount(item) == before + 6


def test_write_to_0d_rows_and_empty_rows():
    run_writes(numpy.zeros(4), [numpy.array(1.0), numpy.array(2.0), 3.0, 4])
    run_writes(numpy.zeros((3, 0, 2)), [numpy.zeros((0, 2))] * 3)


def test_write_to_circular_buffer_rows():
    run_writes(numpy.zeros((3, 2)), [numpy.full(2, float(t)) for t in range(7)], 3, 3)


def test_write_overlapping_the_row_itself():
    # The inner graph may return a view of the row it read: a reversed view
    # of the destination row must be copied as numpy does, through a buffer.
    buf = numpy.arange(12.0).reshape(2, 6)
    expected = buf.copy()
    expected[1] = expected[1][::-1].copy()
    expected[0] = expected[0][::-1].copy()
    read, write = [None], [None]
    vm = Steps(read, write, [lambda row: row[::-1]] * 2)
    slot = (read, buf, 1, 2)  # step t reads and writes row (t + 1) % 2
    scan_loop(vm, (slot,), ((write, buf, 1, 2),), None, store, 0, 2)
    numpy.testing.assert_array_equal(buf, expected)


def test_write_shape_mismatch_goes_through_store():
    def named_store(buf, index, value):
        try:
            buf[index] = value
        except ValueError as exc:
            raise ValueError(f"row {index}: {exc}") from None

    cell = [None]
    vm = Steps([None], cell, [numpy.ones(3), numpy.ones(4)])
    buf = numpy.zeros((2, 3))
    with pytest.raises(ValueError, match="row 1: could not broadcast"):
        scan_loop(vm, (), ((cell, buf, 0, 0),), None, named_store, 0, 2)
    numpy.testing.assert_array_equal(buf[0], numpy.ones(3))


def test_reads_are_views_of_the_rows():
    seq = numpy.arange(24.0).reshape(6, 4)[::-1, ::2]
    cell = [None]
    vm = Steps(cell, [None], [0.0] * 4)
    scan_loop(
        vm,
        ((cell, seq, 1, 0),),
        ((vm.write_cell, numpy.zeros(4), 0, 0),),
        None,
        store,
        0,
        4,
    )
    for t, row in enumerate(vm.seen):
        assert type(row) is numpy.ndarray
        numpy.testing.assert_array_equal(row, seq[t + 1])
        assert numpy.shares_memory(row, seq)
    assert cell[0] is vm.seen[-1]


def test_reads_of_a_vector_are_0d_arrays():
    cell = [None]
    vm = Steps(cell, [None], [0.0] * 3)
    seq = numpy.array([5.0, 6.0, 7.0])
    scan_loop(vm, ((cell, seq, 0, 3),), (), None, store, 1, 4)
    assert [r.shape for r in vm.seen] == [()] * 3
    assert [float(r) for r in vm.seen] == [6.0, 7.0, 5.0]


def test_reads_of_a_subclass_use_its_indexing():
    class Rows(numpy.ndarray):
        pass

    seq = numpy.arange(6.0).reshape(3, 2).view(Rows)
    cell = [None]
    vm = Steps(cell, [None], [0.0] * 3)
    scan_loop(vm, ((cell, seq, 0, 0),), (), None, store, 0, 3)
    assert all(type(r) is Rows for r in vm.seen)


def test_read_past_the_end_raises_numpy_index_error():
    cell = [None]
    vm = Steps(cell, [None], [0.0] * 3)
    with pytest.raises(IndexError):
        scan_loop(vm, ((cell, numpy.zeros((2, 2)), 0, 0),), (), None, store, 0, 3)
    assert len(vm.seen) == 2


def test_cond_stops_after_the_step_that_sets_it():
    out, cond = [None], [None]

    def vm():
        out[0] = numpy.float64(len(seen))
        cond[0] = numpy.array(len(seen) == 3)
        seen.append(None)

    seen = []
    buf = numpy.zeros(10)
    assert scan_loop(vm, (), ((out, buf, 0, 0),), cond, store, 0, 10) == 4
    numpy.testing.assert_array_equal(buf[:5], [0, 1, 2, 3, 0])
    seen = []
    assert scan_loop(vm, (), (), cond, store, 2, 3) == 3
    assert scan_loop(vm, (), (), None, store, 5, 5) == 5
    assert seen == [None]


def test_errors_of_the_program_propagate_unchanged():
    error = KeyError("inner")

    def vm():
        raise error

    with pytest.raises(KeyError) as info:
        scan_loop(vm, (), (), None, store, 0, 3)
    assert info.value is error


@pytest.mark.parametrize(
    "reads",
    [
        ([None],),
        (([None], numpy.zeros(3)),),
        ((None, numpy.zeros(3), 0, 0),),
        (([None], numpy.float64(1), 0, 0),),
        (([None], numpy.zeros(3), -1, 0),),
        (([None], numpy.zeros(3), 0, 0, "not a cell"),),
    ],
)
def test_bad_slots_are_refused(reads):
    with pytest.raises((TypeError, ValueError)):
        scan_loop(lambda: None, reads, (), None, store, 0, 1)


# Rows placed in the program's cells ----------------------------------------------
# With a Program, scan_loop puts a view of each step's output row in the
# slot's place cell before the step; a row its entries write there is not
# copied.  Python thunks stand in for the entries.


def program(*entries):
    """A Program of Python entries: (thunk, input cells, output cells)."""

    def on_error(index, exc):
        raise exc

    specs = tuple((0, tuple(i), tuple(o), thunk, (), 0, 0) for thunk, i, o in entries)
    return runtime.load().Program(specs, (), on_error)


def rows_in_place():
    return runtime.load().rows_in_place()


def test_rows_written_in_place_are_not_copied():
    out = [None]
    seen = []

    def compute():
        seen.append(out[0])
        out[0][...] = len(seen)

    buf = numpy.zeros((4, 3))
    before = rows_in_place()
    scan_loop(
        program((compute, (), (out,))), (), ((out, buf, 0, 0),), None, store, 0, 4
    )
    assert rows_in_place() - before == 4
    assert all(numpy.shares_memory(row, buf[t]) for t, row in enumerate(seen))
    numpy.testing.assert_array_equal(buf, numpy.arange(1.0, 5.0)[:, None].repeat(3, 1))
    # The cell keeps no view of the buffer: it is emptied.
    assert out[0] is None


def test_rows_of_an_in_place_chain_go_to_its_first_cell():
    # ``out`` is ``made`` overwritten in place: the row goes to ``made``.
    made, out = [None], [None]

    def make():
        made[0][...] = 2.0

    def overwrite():
        made[0] += 1
        out[0] = made[0]

    buf = numpy.zeros((3, 2))
    vm = program((make, (), (made,)), (overwrite, (made,), (out,)))
    before = rows_in_place()
    scan_loop(vm, (), ((out, buf, 0, 0, made),), None, store, 0, 3)
    assert rows_in_place() - before == 3
    numpy.testing.assert_array_equal(buf, numpy.full((3, 2), 3.0))
    assert made[0] is None and not numpy.shares_memory(out[0], buf)


def test_a_new_value_in_the_cell_is_copied():
    out = [None]
    values = iter([numpy.ones(2), numpy.arange(2.0)])

    def compute():
        out[0] = next(values)

    buf = numpy.zeros((2, 2))
    before = rows_in_place()
    scan_loop(
        program((compute, (), (out,))), (), ((out, buf, 0, 0),), None, store, 0, 2
    )
    assert rows_in_place() == before
    numpy.testing.assert_array_equal(buf, [[1, 1], [0, 1]])


@pytest.mark.parametrize(
    "what", ["read by the step", "no entry's output", "not placed", "two slots"]
)
def test_rows_that_are_not_placed(what):
    # The cell holds last step's value, never a view of the row, when the
    # step reads the row (a state in a 1-row circular buffer), when no entry
    # computes the place, when the slot says None, or when two slots share it.
    state, out, other = [None], [None], [None]
    seen = []

    def compute():
        seen.append(out[0])
        out[0] = state[0] + 1

    buf = numpy.zeros((1, 3))
    reads = ((state, buf, 0, 1),)
    writes = ((out, buf, 0, 1),)
    if what == "no entry's output":
        writes = ((out, buf, 0, 1, other),)
    elif what == "not placed":
        writes = ((out, buf, 0, 1, None),)
    elif what == "two slots":
        writes = ((out, buf, 0, 1), (out, numpy.zeros((1, 3)), 0, 1))
    if what != "read by the step":
        reads = ((state, numpy.zeros((3, 3)), 0, 0),)
    before = rows_in_place()
    scan_loop(program((compute, (), (out,))), reads, writes, None, store, 0, 3)
    assert rows_in_place() == before
    assert not any(isinstance(v, numpy.ndarray) and v.base is buf for v in seen)
    # A state adds 1 on each step; otherwise each step writes 1.
    numpy.testing.assert_array_equal(
        buf, [[3.0 if what == "read by the step" else 1.0] * 3]
    )
