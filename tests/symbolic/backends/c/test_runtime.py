"""The C runtime's program loop: elemwise entries, buffer reuse and errors.

The elemwise entries are driven by a hand-written float64 ``add`` kernel
(the kernel ABI of the fused kernel library), so these tests check the
runtime's broadcasting, layout and in-place handling on their own.
"""

import ctypes
from types import SimpleNamespace

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c import linker
from symbolic.backends.c.build import compile_library, load_library
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import basic as sb

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

ADD_KERNELS = """
void add_contig(long long n, char **args) {
    const double *a = (const double *)args[0], *b = (const double *)args[1];
    double *o = (double *)args[2];
    for (long long i = 0; i < n; i++) o[i] = a[i] + b[i];
}
void add_strided(int nd, const long long *shape, char **args,
                 const long long *strides) {
    long long idx[32] = {0}, total = 1;
    for (int d = 0; d < nd; d++) total *= shape[d];
    for (long long k = 0; k < total; k++) {
        char *p[3];
        for (int op = 0; op < 3; op++) {
            p[op] = args[op];
            for (int d = 0; d < nd; d++) p[op] += idx[d] * strides[op * nd + d];
        }
        *(double *)p[2] = *(double *)p[0] + *(double *)p[1];
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}
"""

C_MODE = Mode(linker="cvm", optimizer=None)
PY_MODE = Mode(linker="py", optimizer=None)


@pytest.fixture(scope="module")
def add_kernel():
    library = load_library(compile_library(ADD_KERNELS, name="test_add_kernels"))
    return SimpleNamespace(
        contig_address=ctypes.cast(library.add_contig, ctypes.c_void_p).value,
        strided_address=ctypes.cast(library.add_strided, ctypes.c_void_p).value,
        library=library,
    )


@pytest.fixture
def with_add_kernel(add_kernel, monkeypatch):
    """Give every float64 ``add`` node the hand-written kernel."""

    def plan(nodes, summed=()):
        kernels = {
            node: add_kernel
            for node in nodes
            if isinstance(node.op, Elemwise)
            and isinstance(node.op.scalar_op, sb.Add)
            and len(node.inputs) == 2
            and all(v.dtype == "float64" for v in node.inputs + node.outputs)
        }
        return SimpleNamespace(cached=lambda: kernels, build=lambda: kernels)

    monkeypatch.setattr(linker, "_kernel_plan", plan)


def both(inputs, outputs, **kwargs):
    fc = symbolic.function(inputs, outputs, mode=C_MODE, **kwargs)
    fp = symbolic.function(inputs, outputs, mode=PY_MODE, **kwargs)
    return fc, fp


def test_elemwise_paths_match_perform(with_add_kernel):
    x = T.dmatrix("x")
    row = T.TensorType("float64", (True, False))("row")
    fc, fp = both([x, row], [x + x, x + row, x.T + x.T, x[:, ::2] + row[:, ::2]])
    assert fc.vm.kinds.count(KINDS["ELEMWISE"]) == 4
    rng = numpy.random.default_rng(0)
    for shape in [(3, 4), (1, 6), (0, 4), (5, 0)]:
        xv = rng.standard_normal(shape)
        rv = rng.standard_normal((1, shape[1]))
        for got, want in zip(fc(xv, rv), fp(xv, rv)):
            numpy.testing.assert_array_equal(got, want)
    elemwise = fc.vm.kinds.index(KINDS["ELEMWISE"])
    assert fc.vm.slow_calls()[elemwise] == 0


def test_broadcast_mismatch_raises_perform_s_message(with_add_kernel):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    fc, fp = both([x, y], x + y)
    values = numpy.ones((2, 3)), numpy.ones((2, 4))
    with pytest.raises(ValueError) as from_py:
        fp(*values)
    with pytest.raises(ValueError) as from_c:
        fc(*values)
    message = str(from_c.value)
    assert message.splitlines()[0] == str(from_py.value).splitlines()[0]
    assert "Input dimension mis-match" in message
    assert "Apply node that caused the error" in message


def test_inplace_output_writes_into_the_destroyed_input(with_add_kernel):
    x, y = T.dvector("x"), T.dvector("y")
    middle = x + y
    inplace_add = Elemwise(sb.Add(), {0: 0})
    fc, fp = both([x, y], inplace_add(middle, y), accept_inplace=True)
    program = fc.vm
    assert program.kinds == [KINDS["ELEMWISE"]] * 2
    xv, yv = numpy.arange(4.0), numpy.full(4, 10.0)
    numpy.testing.assert_array_equal(fc(xv, yv), fp(xv, yv))
    # The user's inputs are untouched; the in-place result is the middle buffer.
    numpy.testing.assert_array_equal(xv, numpy.arange(4.0))
    assert fc.maker.fgraph.outputs[0].owner.op.destroy_map == {0: [0]}


def test_outputs_held_by_the_caller_are_never_overwritten(with_add_kernel):
    x = T.dvector("x")
    fc = symbolic.function([x], x + x, mode=C_MODE)
    first = fc(numpy.ones(5))
    second = fc(numpy.full(5, 2.0))
    numpy.testing.assert_array_equal(first, numpy.full(5, 2.0))
    numpy.testing.assert_array_equal(second, numpy.full(5, 4.0))
    assert not numpy.shares_memory(first, second)


def test_a_dropped_output_buffer_is_reused(with_add_kernel):
    x = T.dvector("x")
    fc = symbolic.function([x], x + x, mode=C_MODE)
    address = fc(numpy.ones(5)).__array_interface__["data"][0]
    # The result above was dropped, so only the output cell holds it.
    result = fc(numpy.ones(5))
    assert result.__array_interface__["data"][0] == address


def test_intermediate_views_are_emptied_so_buffers_are_reused(with_add_kernel):
    x = T.dmatrix("x")
    doubled = x + x
    view = doubled.T
    fc = symbolic.function([x], view + view, mode=C_MODE)
    fc(numpy.ones((2, 3)))
    view_cell = fc._storage_map[fc.maker.fgraph.outputs[0].owner.inputs[0]]
    assert view_cell[0] is None
    doubled_cell = fc._storage_map[
        fc.maker.fgraph.outputs[0].owner.inputs[0].owner.inputs[0]
    ]
    address = doubled_cell[0].__array_interface__["data"][0]
    fc(numpy.ones((2, 3)))
    assert doubled_cell[0].__array_interface__["data"][0] == address


def test_values_outside_the_c_path_run_the_python_thunk(with_add_kernel):
    x = T.dvector("x")
    fc = symbolic.function([x], x + x, mode=C_MODE)
    fc.trust_input = True
    swapped = numpy.arange(3.0).astype(">f8")
    numpy.testing.assert_array_equal(fc(swapped), [0.0, 2.0, 4.0])
    assert fc.vm.slow_calls() == [1]


def test_program_rejects_malformed_entries():
    module = runtime.load()

    def thunk():
        return None

    with pytest.raises(TypeError, match="cells"):
        module.Program(((0, ([],), (), thunk, (), 0, 0),), (), print)
    with pytest.raises(ValueError, match="kind"):
        module.Program(((99, (), (), thunk, (), 0, 0),), (), print)
    with pytest.raises(ValueError, match="kernel"):
        module.Program(
            ((KINDS["ELEMWISE"], ([1],), ([None],), thunk, (1,), 0, 0),), (), print
        )
    # Jumps go forward only (so a call always ends), and not past the end.
    for kind in ("BRANCH", "JUMP"):
        for target in (0, 2, ()):
            params = () if target == () else (target,)
            entry = (KINDS[kind], ([0],), (), thunk, params, 0, 0)
            with pytest.raises(ValueError, match="jump entry 0: bad target"):
                module.Program((entry,), (), print)


def test_branch_entries_pick_by_their_thunk_and_jump_entries_skip():
    module = runtime.load()
    ran = []
    chosen = [0]

    def choose():
        return chosen[0]

    def step(name):
        def thunk():
            ran.append(name)

        return (KINDS["PYTHON"], (), (), thunk, (), 0, 0)

    entries = (
        (KINDS["BRANCH"], ([0],), (), choose, (3,), 0, 0),
        step("first"),
        (KINDS["JUMP"], (), (), choose, (4,), 0, 0),
        step("second"),
        step("after"),
    )

    def on_error(index, exc):
        raise exc

    program = module.Program(entries, (), on_error)
    for branch, want in ((0, ["first", "after"]), (1, ["second", "after"])):
        chosen[0] = branch
        ran.clear()
        program()
        assert ran == want
    chosen[0] = 2
    with pytest.raises(ValueError, match="branch 2 of 2"):
        program()
    with pytest.raises(ValueError, match="is a jump"):
        program.run(0)


def test_runtime_source_expands_every_part_once():
    text = runtime.source()
    assert text.count("static int run_elemwise(") == 1
    assert text.count("#define SYMBOLIC_RUNTIME_H") == 1
    assert '#include "' not in text
