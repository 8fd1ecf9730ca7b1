"""Layers import only toward the bottom (STYLE.md section 1).

Every module under ``symbolic/`` is parsed with ``ast``. Each import it
makes counts: at module level, inside functions, and the module names given
to ``importlib.import_module`` as string literals. An import of a package
ranked above the importer's is a violation unless :data:`ALLOWED` lists it
with its reason. Inside a layer, :data:`SUBRANKS` ranks its sub-packages
(and the top-level modules it names) the same way, so no two sub-packages
import each other.

Run as a script, this file lists the import cycles between those units:
``python tests/symbolic/test_layers.py``.
"""

import ast
import functools
import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(importlib.util.find_spec("symbolic").origin).parent

#: The top-level packages and modules of ``symbolic/``, bottom first. A
#: module may import its own package and the ranks below its package's.
RANKS = (
    ("config",),
    ("utils",),
    ("graph",),
    ("types",),
    ("ops",),
    ("gradient",),
    ("rewriting",),
    ("compile",),
    # Features built on compiled functions.
    ("scan", "random", "ifelse", "printing"),
    ("backends",),
    # Helpers for tests and for running Theano scripts.
    ("testing", "theano_alias"),
    # Theano's paths: import-only shims.
    (
        "compat",
        "gof",
        "misc",
        "sandbox",
        "scalar",
        "scan_module",
        "sparse",
        "tensor",
        "tests",
        "typed_list",
        "updates",
    ),
    # symbolic/__init__.py: it assembles the public API from everything.
    ("",),
)

RANK = {name: rank for rank, names in enumerate(RANKS) for name in names}

#: The parts of a layer, bottom first: its sub-packages and the top-level
#: modules named here, relative to the layer; ``"*"`` is the rest of its
#: top-level modules (its ``__init__`` too). A part may import its own part
#: and those of the groups before its own, so the parts of one group import
#: none of each other. Every layer with sub-packages has an entry.
SUBRANKS = {
    # Scalar ops are what elemwise ops are made of; the op families on top
    # (neural nets, convolutions, sparse matrices) use the tensor ops.
    "ops": (("scalar",), ("*",), ("conv", "nnet", "sparse")),
    # Rules are written with the core's tools; the pipeline registers them
    # and optdb is Theano's view of the pipeline.
    "rewriting": (("*",), ("rules",), ("pipeline",), ("optdb",)),
    # The Python backend is the reference every other falls back to;
    # kernel_support is the kernel contract the others share. Without a C
    # compiler the C backend runs the LLVM backend's kernels; CUDA reuses
    # C's renderer; wrap (Theano's linker wrappers) combines C and Python.
    "backends": (("python",), ("*",), ("llvm",), ("c",), ("cuda",), ("wrap",)),
    # Theano's paths: the package re-exports its sub-packages.
    "tensor": (("nnet", "signal"), ("*",)),
}

#: (importer module, imported module or package, why the import goes up).
ALLOWED = (
    (
        "symbolic.config",
        "symbolic.utils.linkers",
        "the linker flag is checked against the linker registry, which imports "
        "nothing but importlib",
    ),
    (
        "symbolic.compile.linker",
        "symbolic.backends",
        "a mode's linker name is looked up among the backends, and the Python "
        "reference linker is the default",
    ),
    (
        "symbolic.compile.nanguardmode",
        "symbolic.backends.python",
        "NanGuardMode checks the values between the reference perform thunks",
    ),
    (
        "symbolic.ops.builders",
        "symbolic.compile.builders",
        "former home of OpFromGraph, kept for pickles that name it",
    ),
)


def _modules():
    """``{dotted name: (path, is_package)}`` for every module of symbolic/."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def _package(module):
    """The top-level name under symbolic/ that ranks ``module``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _part(module):
    """The part of its layer that ``module`` belongs to (see SUBRANKS)."""
    parts = module.split(".")
    named = {name for group in SUBRANKS.get(_package(module), ()) for name in group}
    return parts[2] if len(parts) > 2 and parts[2] in named else "*"


def _unit(module):
    """``(unit, sort key)``: a module may import its own unit and units with
    a smaller key. A unit is a layer, or a part of one that SUBRANKS names."""
    layer = _package(module)
    part = _part(module)
    for index, group in enumerate(SUBRANKS.get(layer, (("*",),))):
        if part in group:
            return (layer if part == "*" else f"{layer}.{part}"), (RANK[layer], index)
    raise AssertionError(f"SUBRANKS[{layer!r}] has no '*' group for {module}")


def _resolve(name):
    """The longest prefix of ``name`` that is a module of symbolic/."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(node, package):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            stem = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*stem, base] if base else stem)
        # ``from a import b`` imports the module a.b when there is one.
        return [
            f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
            for a in node.names
        ]
    if isinstance(node, ast.Call):
        func = node.func
        called = getattr(func, "attr", getattr(func, "id", None))
        if called in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return [first.value]
    return []


@functools.cache
def _imports(module):
    """``(imported module, line, 'module'|'function')`` for each import."""
    path, is_package = MODULES[module]
    package = module if is_package else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        for name in _imported_names(node, package):
            if not name.startswith("symbolic"):
                continue
            target = _resolve(name)
            if target is not None and target != module:
                where = "module" if id(node) in top_level else "function"
                found.append((target, node.lineno, where))
    return tuple(found)


def _allowed(importer, imported):
    return any(
        importer == allowed_importer
        and (imported == prefix or imported.startswith(prefix + "."))
        for allowed_importer, prefix, _ in ALLOWED
    )


def _violations():
    found = []
    for module in MODULES:
        here, here_key = _unit(module)
        for target, line, where in _imports(module):
            there, there_key = _unit(target)
            if there == here or there_key < here_key:
                continue
            if not _allowed(module, target):
                found.append(f"{module}:{line} imports {target} ({where} level)")
    return sorted(set(found))


def _unit_imports(with_allowed):
    """``{(importer unit, imported unit): [example import]}`` between units."""
    found = {}
    for module in MODULES:
        here = _unit(module)[0]
        for target, line, where in _imports(module):
            there = _unit(target)[0]
            if there != here and (with_allowed or not _allowed(module, target)):
                example = f"{module}:{line} imports {target} ({where} level)"
                found.setdefault((here, there), []).append(example)
    return found


def _cycles(edges):
    """The groups of units that import each other in a circle, each sorted."""
    following = {}
    for here, there in edges:
        following.setdefault(here, set()).add(there)

    def reachable(start):
        seen, stack = set(), [start]
        while stack:
            for unit in following.get(stack.pop(), ()):
                if unit not in seen:
                    seen.add(unit)
                    stack.append(unit)
        return seen

    reach = {unit: reachable(unit) for unit in following}
    groups = {
        tuple(sorted(u for u in reach[unit] if unit in reach.get(u, ())))
        for unit in reach
        if unit in reach[unit]
    }
    return sorted(groups)


def test_every_package_is_ranked():
    unranked = sorted({_package(m) for m in MODULES} - set(RANK))
    assert unranked == [], f"add these to RANKS in {__file__}: {unranked}"


def test_every_subpackage_is_ranked_inside_its_layer():
    subpackages = {
        tuple(m.split(".")[1:]) for m, (_, is_package) in MODULES.items()
        if is_package and m.count(".") == 2
    }  # fmt: skip
    unranked = sorted(
        f"{layer}.{sub}"
        for layer, sub in subpackages
        if layer not in SUBRANKS or _part(f"symbolic.{layer}.{sub}") == "*"
    )
    assert unranked == [], f"add these to SUBRANKS in {__file__}: {unranked}"
    named = [
        f"symbolic.{layer}.{name}"
        for layer, groups in SUBRANKS.items()
        for group in groups
        for name in group
        if name != "*"
    ]
    assert [name for name in named if name not in MODULES] == []
    assert all(sum(("*",) == g for g in groups) == 1 for groups in SUBRANKS.values())


def test_imports_only_go_down_the_layers():
    assert _violations() == []


def test_no_import_cycle_between_subpackages():
    # Only the imports ALLOWED lists, with their reasons, may close a circle.
    assert _cycles(_unit_imports(with_allowed=False)) == []


def test_the_cycle_finder_sees_a_circle_through_three_units():
    edges = {("a", "b"): [], ("b", "c"): [], ("c", "a"): [], ("c", "d"): []}
    assert _cycles(edges) == [("a", "b", "c")]
    assert _cycles({("a", "b"): [], ("b", "c"): []}) == []


def test_every_allowed_import_is_still_made():
    # An entry nobody needs any more is removed, so the list stays short.
    made = {(m, target) for m in MODULES for target, _, _ in _imports(m)}
    stale = [
        (importer, prefix)
        for importer, prefix, _ in ALLOWED
        if not any(
            m == importer and (t == prefix or t.startswith(prefix + "."))
            for m, t in made
        )
    ]
    assert stale == []


def test_the_checker_sees_function_level_and_importlib_imports(tmp_path):
    source = (
        "import importlib\n"
        "def late():\n"
        "    from symbolic.compile.function import function\n"
        "    return importlib.import_module('symbolic.ops')\n"
    )
    tree = ast.parse(source)
    names = [n for node in ast.walk(tree) for n in _imported_names(node, "symbolic")]
    assert "symbolic.compile.function" in names
    assert "symbolic.ops" in names


@pytest.mark.parametrize("layer", ["graph", "types", "ops", "gradient", "rewriting"])
def test_importing_a_layer_loads_nothing_above_it(layer):
    probe = (
        "import sys\n"
        f"import symbolic.{layer}\n"
        "print(' '.join(m for m in sys.modules if m.startswith('symbolic.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
    )
    loaded = result.stdout.split()
    above = [m for m in loaded if RANK[_package(m)] > RANK[layer]]
    assert f"symbolic.{layer}" in loaded
    assert above == []


@pytest.mark.parametrize(
    "module",
    [
        "symbolic.ops",
        "symbolic.ops.nnet",
        "symbolic.rewriting.rules",
        "symbolic.backends.llvm.linker",
        "symbolic.backends.c.linker",
    ],
)
def test_importing_a_part_of_a_layer_loads_no_part_beside_or_above_it(module):
    probe = (
        "import sys\n"
        f"import {module}\n"
        "print(' '.join(m for m in sys.modules if m.startswith('symbolic.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
    )
    unit, key = _unit(module)
    loaded = {_unit(m) for m in result.stdout.split()}
    others = sorted(u for u, k in loaded if k >= key and u != unit)
    assert (unit, key) in loaded
    assert others == []


def test_importing_the_graph_layer_loads_only_graph_and_config():
    probe = (
        "import sys\n"
        "import symbolic.graph.fgraph, symbolic.graph.op, symbolic.graph.replace\n"
        "print(' '.join(m for m in sys.modules if m.startswith('symbolic')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
    )
    loaded = set(result.stdout.split())
    foundation = {
        "symbolic",
        "symbolic.config",
        "symbolic.utils",
        "symbolic.utils.hooks",
        # config checks the linker flag against the registry of names.
        "symbolic.utils.linkers",
    }
    others = sorted(m for m in loaded - foundation if _package(m) != "graph")
    assert others == []
    assert "symbolic.graph.fgraph" in loaded


def _report():
    """Print the cycles between units, with and without the ALLOWED imports."""
    for with_allowed in (True, False):
        edges = _unit_imports(with_allowed)
        cycles = _cycles(edges)
        label = "all imports" if with_allowed else "imports not in ALLOWED"
        print(f"counting {label}: {len(cycles)} cycle(s) between units")
        for group in cycles:
            print("  " + ", ".join(group))
        mutual = sorted((a, b) for a, b in edges if a < b and (b, a) in edges)
        print(f"  {len(mutual)} pair(s) of units importing each other")
        for pair in mutual:
            print("    " + " <-> ".join(pair))
            for here, there in (pair, pair[::-1]):
                print(f"      {edges[here, there][0]}")


if __name__ == "__main__":
    _report()
