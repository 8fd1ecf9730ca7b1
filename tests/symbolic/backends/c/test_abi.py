"""The C/Python contract: entry kinds and limits come from the runtime alone."""

import os
import re

import pytest

from symbolic.backends.c import linker, lowering
from symbolic.backends.c.lowering import Entry, runtime_abi
from symbolic.backends.c.runtime import runtime

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

_KIND_NAME = re.compile(r'(?:Lowered\(|kind=)\s*"([A-Z_0-9]+)"')


def _kind_names_in(directory):
    names = set()
    for name in sorted(os.listdir(directory)):
        if name.endswith(".py"):
            with open(os.path.join(directory, name)) as handle:
                names.update(_KIND_NAME.findall(handle.read()))
    return names


def test_runtime_exports_numbered_kinds_and_limits():
    abi = runtime_abi()
    assert sorted(abi.kinds.values()) == list(range(len(abi.kinds)))
    assert abi.kinds["PYTHON"] == 0
    assert abi.max_dims >= 2 and abi.max_args >= 3
    module = runtime.load()
    assert lowering.KINDS == dict(module.KINDS)
    assert (lowering.MAX_DIMS, lowering.MAX_ARGS) == (module.MAX_DIMS, module.MAX_ARGS)


def test_every_kind_a_lowering_names_is_one_the_runtime_knows():
    used = _kind_names_in(os.path.dirname(lowering.__file__))
    used |= set(linker._BLAS_KINDS)
    assert used, "no kind names found: the pattern no longer matches the lowerings"
    assert used <= set(runtime_abi().kinds), used - set(runtime_abi().kinds)


def test_entry_is_the_tuple_program_reads():
    module = runtime.load()
    ran = []

    def thunk():
        ran.append(True)

    entry = Entry(runtime_abi().kinds["PYTHON"], (), (), thunk)
    assert isinstance(entry, tuple) and len(entry) == 7
    program = module.Program((entry,), (), print)
    program()
    assert ran == [True]


def test_a_kind_past_the_runtimes_list_is_refused():
    module = runtime.load()
    entry = Entry(len(runtime_abi().kinds), (), (), print)
    with pytest.raises(ValueError, match="unknown entry kind"):
        module.Program((entry,), (), print)


def test_an_unknown_module_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        lowering.NO_SUCH_NAME
