"""Modules that moved between layers stay importable, and pickles at old paths load."""

import pickle
import subprocess
import sys

import symbolic
import symbolic.tensor as T


def _run(code, stdin=None):
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


def _find_scan_op(variable):
    from symbolic.graph.traversal import ancestors
    from symbolic.scan.op import Scan

    for var in ancestors([variable]):
        if var.owner is not None and isinstance(var.owner.op, Scan):
            return var.owner.op
    raise AssertionError("no Scan in the graph")


def test_old_module_paths_name_the_moved_objects():
    from symbolic.backends.python.linker import PerformLinker
    from symbolic.compile import builders, linker, vm
    from symbolic.gradient import null as old_null
    from symbolic.ops import builders as old_builders
    from symbolic.scan import op
    from symbolic.scan_module import scan_op
    from symbolic.types import null

    assert scan_op is op
    assert old_null.NullType is null.NullType
    assert old_null.DisconnectedType is null.DisconnectedType
    assert old_builders.OpFromGraph is builders.OpFromGraph
    assert linker.PerformLinker is PerformLinker
    assert linker.VM is vm.VM
    assert linker.make_storage_map is vm.make_storage_map


def test_scan_pickled_under_its_old_module_path_loads_in_a_fresh_process():
    x = T.vector("x")
    out, _ = symbolic.scan(lambda v: v * 2, sequences=x)
    op = _find_scan_op(out)
    # Protocol 2 writes a class as ``c<module>\n<name>\n``: spell it the way
    # pickles written before the move did.
    data = pickle.dumps(op, protocol=2)
    new_path = b"csymbolic.scan.op\nScan\n"
    assert new_path in data
    old = data.replace(new_path, b"csymbolic.scan_module.scan_op\nScan\n")
    loaded = _run(
        "import pickle, sys\n"
        "op = pickle.loads(sys.stdin.buffer.read())\n"
        "print(type(op).__module__, type(op).__name__, len(op.outputs))\n",
        stdin=old,
    )
    assert loaded == f"symbolic.scan.op Scan {len(op.outputs)}"


def test_scan_stays_the_function_after_the_scan_package_is_imported():
    # The package symbolic.scan and Theano's function symbolic.scan share a
    # name; importing the package first must not hide the function.
    printed = _run(
        "from symbolic.scan.op import Scan\n"
        "import symbolic\n"
        "import symbolic.scan.views\n"
        "print(callable(symbolic.scan), symbolic.scan.__name__)\n"
    )
    assert printed == "True scan"


#: The top-level names of spec/SYMBOLIC_API.md section 1.
TOP_LEVEL = (
    "config change_flags function shared scan clone grad Rop Lop subgraph_grad "
    "Variable Constant Apply Op Type Generic generic Container In Out Param Mode "
    "ProfileStats OrderedUpdates pprint pp printing tensor scalar sandbox gof "
    "compile gradient scan_module ifelse _asarray dot map reduce foldl foldr "
    "get_scalar_constant_value __version__"
).split()


def test_lazy_top_level_lists_and_exports_every_name():
    # Right after ``import symbolic``, before any name was used.
    names = set(_run("import symbolic; print(' '.join(dir(symbolic)))").split())
    assert sorted(set(TOP_LEVEL) - names) == []
    assert "sparse" in names
    namespace = {}
    exec("from symbolic import *", namespace)
    assert namespace["scan"] is symbolic.scan
    assert namespace["function"] is symbolic.compile.function
    assert set(symbolic.__all__) <= set(namespace)
