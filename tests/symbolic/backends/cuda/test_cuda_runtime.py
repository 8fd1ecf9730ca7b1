"""How the runtime launches kernels through pycuda (a recording stand-in)."""

import numpy

from symbolic.backends.cuda.runtime import MAX_BLOCKS, CudaRuntime, i64, pointer


class RecordingFunction:
    def __init__(self):
        self.formats, self.calls = [], []

    def prepare(self, fmt):
        self.formats.append(fmt)

    def prepared_call(self, grid, block, *args):
        self.calls.append((grid, block, args))


def _runtime(function):
    runtime = CudaRuntime.__new__(CudaRuntime)
    runtime._functions = {"k": function}
    runtime._prepared = {}
    runtime.module = object()
    return runtime


class Array:
    gpudata = 4096


def test_a_kernel_is_prepared_once_with_its_argument_codes():
    function = RecordingFunction()
    runtime = _runtime(function)
    args = (i64(10), pointer(Array()), numpy.int32(2), pointer(Array()))
    runtime.launch("k", 1000, *args)
    runtime.launch("k", 10**9, *args)
    assert function.formats == ["qPiP"]
    (grid1, block1, passed), (grid2, _, _) = function.calls
    assert block1 == (256, 1, 1) and grid1 == (4, 1) and grid2 == (MAX_BLOCKS, 1)
    assert passed == args and int(passed[1]) == 4096


def test_explicit_block_counts_are_kept_within_limits():
    function = RecordingFunction()
    runtime = _runtime(function)
    runtime.launch("k", 0, i64(0), threads=128, blocks=0)
    assert function.calls[0][:2] == ((1, 1), (128, 1, 1))
